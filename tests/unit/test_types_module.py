"""core/_types, tested directly: what each annotation accepts, how it is described, the exact messages and fixes,
and the two decorators. `make mutation` runs these tests against the module (target `types`), so they pin each
branch; tests/unit/test_prop_types.py checks the same machinery across every public construct.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path, PurePath
from typing import Any, Literal, Mapping, Optional, Sequence, Union

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2, aws_iam as iam, aws_kms as kms, aws_s3 as s3, aws_secretsmanager as secretsmanager
from constructs import Construct

from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.core import _types as t
from sagemaker_cdk.inference.invocation_api import EndpointRef


class Colour(str, __import__("enum").Enum):
    RED = "red"


class _NotRuntimeCheckable(typing.Protocol):
    def method(self) -> None: ...


_STACK = cdk.Stack(cdk.App(), "Types")
_BUCKET = s3.Bucket(_STACK, "Bucket")
_IMPORTED_BUCKET = s3.Bucket.from_bucket_name(_STACK, "Imported", "some-bucket")
_ROLE = iam.Role(_STACK, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
_KEY = kms.Key(_STACK, "Key")
_ARTIFACTS = ArtifactBucket(_STACK, "Artifacts")
_TOKEN = cdk.Aws.REGION
T = typing.TypeVar("T")


@pytest.mark.parametrize("value, hint, ok", [
    # anything, tokens, None
    (object(), Any, True), (3, object, True), (_TOKEN, int, True), (_TOKEN, s3.IBucket, True),
    (None, None, True), (None, type(None), True), (0, None, False), ("", type(None), False),
    # numbers: bool is not a number, int accepts no float, float accepts int
    (1, int, True), (True, int, False), (1.0, int, False), ("1", int, False),
    (1, float, True), (1.5, float, True), (False, float, False), ("1.5", float, False),
    (True, bool, True), (1, bool, False), ("x", str, True), (b"x", str, False),
    # unions and Optional
    (None, Optional[int], True), (2, Optional[int], True), ("2", Optional[int], False),
    ("a", Union[int, str], True), (2.5, int | str, False), (None, int | None, True),
    # Literal: the type of the literals
    ("anything", Literal["a", "b"], True), (3, Literal["a", "b"], False), (3, Literal[1, 2], True),
    # mappings
    ({"a": 1}, Mapping[str, int], True), ({"a": "1"}, Mapping[str, int], False), ({1: 1}, Mapping[str, int], False),
    ({}, Mapping[str, int], True), ([("a", 1)], Mapping[str, int], False), ({"a": object()}, dict, True),
    ({"a": 1}, dict[str, int], True), ({"a": True}, dict[str, int], False),
    # sequences: a string is not a list of strings
    (["a"], Sequence[str], True), ("a", Sequence[str], False), (b"a", Sequence[int], False), ([1], Sequence[str], False),
    ((1, 2), Sequence[int], True), ({1, 2}, typing.AbstractSet[int], True), ({"x"}, typing.AbstractSet[int], False),
    ([], list[str], True), ([1, "a"], list, True), (3, list[int], False), ({"a": 1}, Sequence[str], False),
    # tuples: fixed length and per-position types, or homogeneous with Ellipsis
    ((1, "a"), tuple[int, str], True), ((1, 2), tuple[int, str], False), ((1,), tuple[int, str], False),
    ((1, 2, 3), tuple[int, ...], True), ((1, "a"), tuple[int, ...], False), ((1,), tuple[int], True),
    (("a",), tuple[int], False), ((1, "a", 2), tuple[int, str, int], True),
    # other generic aliases: isinstance on the origin
    (iter([]), typing.Iterator[int], True), (3, typing.Iterator[int], False),
    # jsii interfaces: what the class declares it implements; an ArtifactBucket for an IBucket
    (_BUCKET, s3.IBucket, True), (_IMPORTED_BUCKET, s3.IBucket, True), (_ARTIFACTS, s3.IBucket, True),
    (_ROLE, iam.IRole, True), (_ROLE, iam.IGrantable, True), (_ROLE, s3.IBucket, False), ("bucket", s3.IBucket, False),
    (_ARTIFACTS, kms.IKey, False), (_KEY, kms.IKey, True), (None, kms.IKey, False),
    # classes, protocols, paths, enums
    (Colour.RED, Colour, True), ("red", Colour, False),
    (Path("x"), PurePath, True), ("x", PurePath, False), (cdk.Duration.minutes(1), cdk.Duration, True),
    (3, cdk.Duration, False), (object(), _NotRuntimeCheckable, True),
    # typing constructs not checked
    (3, T, True),
], ids=lambda v: "token" if v is _TOKEN else None)  # a token's text differs per process (xdist compares ids)
def test_accepts(value: Any, hint: Any, ok: bool) -> None:
    assert t.accepts(value, hint) is ok


def test_a_runtime_checkable_protocol_is_checked() -> None:
    class Ref:
        endpoint_name = "e"
        endpoint_arn = "arn"

    assert t.accepts(Ref(), EndpointRef)
    assert not t.accepts("champion", EndpointRef)


def test_an_imported_resources_proxy_is_checked_through_its_delegates() -> None:
    imported = iam.Role.from_role_arn(cdk.Stack(), "ImportedRole", "arn:aws:iam::123456789012:role/x")
    assert t.accepts(imported, iam.IRole)
    assert not t.accepts(imported, s3.IBucket)


@pytest.mark.parametrize("hint, words", [
    (Any, "anything"), (object, "anything"), (None, "None"), (type(None), "None"),
    (str, "a string"), (int, "an integer"), (float, "a number"), (bool, "True or False"), (PurePath, "a path"),
    (Path, "a path"),
    (Optional[int], "an integer or None"), (Union[str, int, None], "a string or an integer or None"),
    (Union[int, Optional[int]], "an integer or None"),
    (Literal["a", "b"], "one of 'a', 'b'"), (Literal[1], "one of 1"),
    (Mapping[str, int], "a mapping of string to integer"), (dict, "a dict"), (typing.Dict, "a mapping of anything to anything"),
    (Mapping[str, Any], "a mapping of string to anything"),
    (Sequence[str], "a list of strings"), (list[int], "a list of integers"), (Sequence[float], "a list of numbers"),
    (Sequence[PurePath], "a list of paths"), (list, "a list"), (typing.List, "a list of anything"), (Sequence[int | str], "a list of integers or strings"),
    (list[iam.IRole], "a list of aws_iam.IRole"), (typing.Iterator[int], "an Iterator"),
    (s3.IBucket, "an ArtifactBucket or an aws_s3.IBucket"), (iam.IRole, "an aws_iam.IRole"),
    (Optional[kms.IKey], "an aws_kms.IKey or None"),
    (Union[s3.IBucket, ArtifactBucket], "an ArtifactBucket or an aws_s3.IBucket"),  # each accepted type once
    (Optional[bool], "True or False or None"),
    (EndpointRef, "an EndpointRef (an object with endpoint_arn and endpoint_name)"),
    (ArtifactBucket, "an ArtifactBucket"), (cdk.Duration, "an aws_cdk.Duration"), (Construct, "a constructs.Construct"),
    (iam.Role, "an aws_iam.Role"), (Colour, "a Colour"), (T, "a ~T"),
])
def test_describe(hint: Any, words: str) -> None:
    assert t.describe(hint) == words


def test_jsii_name_and_articles() -> None:
    assert t._jsii_name(cdk.Duration) == "aws_cdk.Duration"
    assert t._jsii_name(iam.Role) == "aws_iam.Role"
    assert [t._article(n) for n in ("apple", "Egg", "item", "owl", "user")] == [
        "an apple", "an Egg", "an item", "an owl", "a user"]
    assert [t._bare(x) for x in ("a string", "an integer", "anything", "another")] == [
        "string", "integer", "anything", "another"]
    assert t._plural("a string or an integer or a number or a path or a Model") == (
        "strings or integers or numbers or paths or Model")


def test_show_cuts_long_values_at_eighty_characters() -> None:
    assert t._show("x" * 78) == repr("x" * 78)  # 80 characters with the quotes
    assert t._show("x" * 79) == repr("x" * 79)[:77] + "..."
    assert len(t._show("x" * 200)) == 80


@pytest.mark.parametrize("prop, value, hint, message", [
    ("role", "my-role", iam.IRole,
     "role must be an aws_iam.IRole, got str 'my-role': to use an existing one by name or ARN, import it with "
     "aws_iam.Role.from_role_arn(scope, id, ...) (or from_role_name, from_lookup)"),
    ("key", "arn:aws:kms:x", Optional[kms.IKey],
     "key must be an aws_kms.IKey or None, got str 'arn:aws:kms:x': to use an existing one by name or ARN, import it "
     "with aws_kms.Key.from_key_arn(scope, id, ...) (or from_lookup)"),
    ("subnets", "subnet-1", Sequence[str],
     "subnets must be a list of strings, got str 'subnet-1': pass a list, e.g. ['subnet-1']"),
    ("tags", "a", Optional[Sequence[str]], "tags must be a list of strings or None, got str 'a': pass a list, e.g. ['a']"),
    # A string for a number is a wrong value, not the name of an object.
    ("count", "3", int, "count must be an integer, got str '3': pass an integer"),
    ("ratio", "0.5", Optional[float], "ratio must be a number or None, got str '0.5': pass a number or None"),
    ("flag", "yes", bool, "flag must be True or False, got str 'yes': pass True or False"),
    ("when", "5m", cdk.Duration, "when must be an aws_cdk.Duration, got str '5m': pass the object itself, not a name "
                                 "(an aws_cdk.Duration)"),
    ("model", "champion", EndpointRef,
     "model must be an EndpointRef (an object with endpoint_arn and endpoint_name), got str 'champion': pass the "
     "object itself, not a name (an EndpointRef (an object with endpoint_arn and endpoint_name))"),
    ("bucket", 3, s3.IBucket, "bucket must be an ArtifactBucket or an aws_s3.IBucket, got int 3: pass an ArtifactBucket "
                              "or an aws_s3.IBucket"),
    ("mode", 3, Literal["a", "b"], "mode must be one of 'a', 'b', got int 3: pass one of 'a', 'b'"),
    ("mode", "c", Optional[Literal[1]], "mode must be one of 1 or None, got str 'c': pass one of 1 or None"),
    ("name", 3, Optional[str], "name must be a string or None, got int 3: pass a string or None"),
    ("wait", "5m", Optional[cdk.Duration], "wait must be an aws_cdk.Duration or None, got str '5m': pass the object "
                                          "itself, not a name (an aws_cdk.Duration or None)"),
    ("size", "5", Union[int, float, None], "size must be an integer or a number or None, got str '5': pass an integer or "
                                           "a number or None"),
    ("name", b"x", Union[str, int], "name must be a string or an integer, got bytes b'x': pass a string or an integer"),
])
def test_type_error_names_the_prop_the_types_the_value_and_the_fix(prop: str, value: Any, hint: Any,
                                                                 message: str) -> None:
    assert t.type_error(prop, value, hint) == message


def test_problems_name_each_bad_element_by_index_or_key() -> None:
    assert t.problems("p", ["a", 1, "b", 2.5], Sequence[str]) == [
        "p[1] must be a string, got int 1: pass a string",
        "p[3] must be a string, got float 2.5: pass a string",
    ]
    assert t.problems("env", {"A": "1", "B": 2, 3: "x"}, Mapping[str, str]) == [
        "env key 3 must be a string, got int 3: pass a string",
        "env['B'] must be a string, got int 2: pass a string",
    ]
    assert t.problems("env", {"A": {"x": 1}}, Mapping[str, Mapping[str, str]]) == [
        "env['A']['x'] must be a string, got int 1: pass a string"]
    assert t.problems("p", [["a", 1]], Sequence[Sequence[str]]) == ["p[0][1] must be a string, got int 1: pass a string"]
    assert t.problems("p", [1], Optional[Sequence[str]]) == ["p[0] must be a string, got int 1: pass a string"]
    assert t.problems("p", ["a"], Sequence[str]) == []
    assert t.problems("p", [1], list) == []


def test_problems_fall_back_to_the_whole_value() -> None:
    # A tuple annotation, a set, or a container whose elements all fit but whose kind does not: one message.
    assert t.problems("p", (1, 2), tuple[int, str]) == [
        "p must be a list of integers, got tuple (1, 2): pass a list of integers"]
    assert t.problems("p", "abc", Sequence[str]) == [
        "p must be a list of strings, got str 'abc': pass a list, e.g. ['abc']"]
    assert t.problems("p", {"a": 1}, Sequence[str]) == [
        "p must be a list of strings, got dict {'a': 1}: pass a list of strings"]
    assert t.problems("p", [1], Mapping[str, int]) == [
        "p must be a mapping of string to integer, got list [1]: pass a mapping of string to integer"]
    assert t.problems("p", 3, int | Sequence[str]) == []
    assert t.problems("p", 3.5, int | Sequence[str]) == [
        "p must be an integer or a list of strings, got float 3.5: pass an integer or a list of strings"]


def test_container_hint_picks_the_union_member_of_the_values_kind() -> None:
    assert t._container_hint(["a"], Optional[Sequence[str]]) == (typing.get_origin(Sequence[str]), (str,))
    assert t._container_hint(("a",), list[str]) == (list, (str,))
    assert t._container_hint({"a": 1}, Union[Sequence[str], Mapping[str, int]]) == (
        typing.get_origin(Mapping[str, int]), (str, int))
    assert t._container_hint({"a": 1}, Sequence[str]) is None
    assert t._container_hint(["a"], Mapping[str, int]) is None
    assert t._container_hint((1, 2), tuple[int, int]) is None
    assert t._container_hint({1}, typing.AbstractSet[int]) is None
    assert t._container_hint("ab", Sequence[str]) is None
    assert t._container_hint(["a"], int) is None
    # A member that is no container (or a tuple) is passed over, not the end of the search.
    assert t._container_hint(["a"], Union[tuple[int, int], int, Sequence[str]]) == (
        typing.get_origin(Sequence[str]), (str,))
    assert t.problems("p", ["a", 1], Union[tuple[int, int], Sequence[str]]) == [
        "p[1] must be a string, got int 1: pass a string"]


def test_check_raises_one_type_error_with_every_message() -> None:
    with pytest.raises(TypeError) as raised:
        t.check("Owner", {"a": "x", "b": 2, "c": None, "unknown": object()}, {"a": int, "b": str, "c": Optional[int]})
    assert str(raised.value) == (
        "Owner: invalid props:\n"
        "  - a must be an integer, got str 'x': pass an integer\n"
        "  - b must be a string, got int 2: pass a string"
    )
    t.check("Owner", {"a": 1}, {"a": int})  # nothing to say: no error


def test_accepts_type() -> None:
    assert t.accepts_type(str, str)
    assert t.accepts_type(Optional[str], str)
    assert t.accepts_type(Union[int, Union[str, None]], str)
    assert not t.accepts_type(int, str)
    assert not t.accepts_type(Sequence[str], str)
    assert t._is_literal(Literal["a"])
    assert t._is_literal(Optional[Literal["a"]])
    assert not t._is_literal(Optional[str])
    assert not t._is_literal(str)


def test_befriend_unwraps_an_artifact_bucket_only_where_a_plain_bucket_is_wanted() -> None:
    assert t._befriend(_ARTIFACTS, s3.IBucket) is _ARTIFACTS.bucket
    assert t._befriend(_ARTIFACTS, Optional[s3.IBucket]) is _ARTIFACTS.bucket
    assert t._befriend(_ARTIFACTS, Union[ArtifactBucket, s3.IBucket]) is _ARTIFACTS
    assert t._befriend(_ARTIFACTS, ArtifactBucket) is _ARTIFACTS
    assert t._befriend(_ARTIFACTS, Any) is _ARTIFACTS
    assert t._befriend(_BUCKET, s3.IBucket) is _BUCKET


def test_importers_prefer_arns_then_names_and_never_wrap_an_l1() -> None:
    assert t._importers(iam.Role) == ["from_role_arn", "from_role_name", "from_lookup"]
    assert t._importers(s3.Bucket) == ["from_bucket_arn", "from_bucket_name", "from_bucket_attributes"]
    assert t._importers(kms.Key) == ["from_key_arn", "from_lookup"]
    # ARN importers first even where a name importer sorts before them alphabetically
    assert t._importers(secretsmanager.Secret) == [
        "from_secret_complete_arn", "from_secret_partial_arn", "from_secret_name_v2", "from_secret_attributes"]


def test_import_advice_with_one_importer_and_without_any() -> None:
    assert t.type_error("acl", "acl-1", ec2.INetworkAcl) == (
        "acl must be an aws_ec2.INetworkAcl, got str 'acl-1': to use an existing one by name or ARN, import it with "
        "aws_ec2.NetworkAcl.from_network_acl_id(scope, id, ...)")
    # aws_iam has no class Grantable to import an IGrantable with
    assert t.type_error("p", "x", iam.IGrantable) == (
        "p must be an aws_iam.IGrantable, got str 'x': pass the object itself, not a name (an aws_iam.IGrantable)")


# -- @typed ---------------------------------------------------------------------------------------------------------
# The decorated classes and functions are made inside each test (not at import), so that the decorators themselves
# run under the test: `make mutation` sees a mutant of `typed` or `typed_fields` only if they run during the test.


def _widget() -> type:
    def __init__(self: Any, scope: Construct, id: str, *rest: str, count: int = 1,  # noqa: N807
                 bucket: Optional[s3.IBucket] = None, **extra: str) -> None:
        Construct.__init__(self, scope, id)
        self.count, self.bucket, self.rest, self.extra = count, bucket, rest, extra

    __init__.__qualname__ = "Widget.__init__"  # as if defined at module level
    return type("Widget", (Construct,), {"__init__": t.typed(__init__)})


def _make() -> Any:
    def make(name: str, size: "Optional[int]" = None, unannotated=None) -> tuple[str, Any, Any]:  # noqa: ANN001
        return name, size, unannotated

    make.__qualname__ = "make"
    return t.typed(make)


def _fails_twice(call: Any, message: str) -> None:
    """The same TypeError on the first call (which resolves the hints) and on the next (which reuses them)."""
    for _ in range(2):
        with pytest.raises(TypeError) as raised:
            call()
        assert str(raised.value) == message


def test_typed_passes_good_arguments_through() -> None:
    make = _make()
    assert make("a", 2, unannotated=object) == ("a", 2, object)
    assert make("a") == ("a", None, None)
    assert make("a", None, "anything") == ("a", None, "anything")  # unannotated: not checked
    assert make.__sagemaker_cdk_typed__ is True
    assert make.__name__ == "make"


def test_typed_names_the_function_and_checks_string_annotations() -> None:
    make = _make()
    _fails_twice(lambda: make(3, "big"), (
        "make: invalid props:\n  - name must be a string, got int 3: pass a string\n"
        "  - size must be an integer or None, got str 'big': pass an integer or None"))


def _in_types_module(source: str) -> Any:
    """A function defined from source, as if in a module that imports no package names (as under TYPE_CHECKING)."""
    namespace: dict[str, Any] = {"__name__": __name__}
    exec(source, namespace)  # noqa: S102 - test code
    (function,) = [v for k, v in namespace.items() if k != "__name__" and callable(v)]
    function.__module__ = "sagemaker_cdk.core._types"  # which has neither name below
    return t.typed(function)


def test_typed_resolves_package_names_its_module_imports_only_for_type_checking() -> None:
    use = _in_types_module("def use(model: 'Model') -> None:\n    return None\n")
    with pytest.raises(TypeError, match=r"^use: invalid props:\n  - model must be a Model, got str 'm'"):
        use("m")
    unknown = _in_types_module("def unknown(other: 'NotAPackageName') -> None:\n    return None\n")
    with pytest.raises(NameError, match="NotAPackageName"):
        unknown(1)
    assert t._Names()["Model"].__name__ == "Model"
    with pytest.raises(KeyError, match="NotAPackageName"):
        t._Names()["NotAPackageName"]


def test_typed_leaves_a_wrong_call_to_python() -> None:
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'name'"):
        _make()()


def test_typed_names_the_construct_by_its_path() -> None:
    widget = _widget()
    stack = cdk.Stack(cdk.App(), "Typed")
    with pytest.raises(TypeError) as raised:
        widget(stack, "W", count="2")
    assert str(raised.value) == "Widget Typed/W: invalid props:\n  - count must be an integer, got str '2': pass an integer"
    with pytest.raises(TypeError) as raised:
        widget(cdk.App(), "Top", count="2")
    assert str(raised.value).startswith("Widget Top: invalid props:\n  - count must be an integer")
    with pytest.raises(TypeError) as raised:
        widget(object(), 5, count="2")  # no construct id to name it by
    assert str(raised.value).startswith("Widget: invalid props:\n  - scope must be a constructs.Construct")


def test_typed_unwraps_an_artifact_bucket_and_skips_self_and_varargs() -> None:
    # *rest and **extra are annotated `str`, but variadic arguments are not checked (the annotation is per item)
    stack = cdk.Stack(cdk.App(), "Friendly")
    artifacts = ArtifactBucket(stack, "Artifacts")
    widget = _widget()(stack, "W", "positional", 7, count=2, bucket=artifacts, anything=object)
    assert widget.bucket is artifacts.bucket and widget.count == 2
    assert widget.rest == ("positional", 7) and widget.extra == {"anything": object}
    assert _widget()(stack, "Plain", bucket=_BUCKET).bucket is _BUCKET


def test_typed_says_a_duplicate_id_in_python() -> None:
    widget = _widget()
    stack = cdk.Stack(cdk.App(), "Dup")
    widget(stack, "W")
    with pytest.raises(ValueError) as raised:
        widget(stack, "W")
    assert str(raised.value) == (
        "Widget Dup/W: invalid props:\n  - id ('W') is already used by another construct in Dup: give each construct "
        "a unique id within its scope")
    app = cdk.App()
    widget(app, "Root")
    with pytest.raises(ValueError, match="already used by another construct in the app: give each"):
        widget(app, "Root")


# -- @typed_fields --------------------------------------------------------------------------------------------------


def _plain() -> type:
    @t.typed_fields
    @dataclasses.dataclass(frozen=True)
    class Plain:
        name: str
        size: Optional[int] = None
        bucket: Optional[s3.IBucket] = None
        derived: int = dataclasses.field(default=0, init=False)

    return Plain


def _with_post_init() -> tuple[type, type]:
    @dataclasses.dataclass(frozen=True)
    class WithPostInit:
        name: str
        calls: list = dataclasses.field(default_factory=list)

        def __post_init__(self) -> None:
            self.calls.append(self.name)

    checked = t.typed_fields(WithPostInit)

    @t.typed_fields
    @dataclasses.dataclass(frozen=True)
    class Child(WithPostInit):
        extra: int = 0

    return checked, Child


def test_typed_fields_checks_every_field_and_names_the_class() -> None:
    plain = _plain()
    assert plain("a", 2).size == 2
    _fails_twice(lambda: plain(3, "x"), (
        "Plain: invalid props:\n  - name must be a string, got int 3: pass a string\n"
        "  - size must be an integer or None, got str 'x': pass an integer or None"))
    assert plain.__sagemaker_cdk_typed__ is True


def test_typed_fields_unwraps_an_artifact_bucket_in_a_frozen_dataclass() -> None:
    plain = _plain()
    assert plain("a", bucket=_ARTIFACTS).bucket is _ARTIFACTS.bucket
    assert plain("a", bucket=_BUCKET).bucket is _BUCKET
    assert plain("a").bucket is None


def test_typed_fields_applied_below_dataclass_checks_too() -> None:
    @dataclasses.dataclass(frozen=True)
    @t.typed_fields
    class Below:
        name: str

    assert Below("a").name == "a"
    with pytest.raises(TypeError, match=r"^Below: invalid props:\n  - name must be a string"):
        Below(1)


def test_typed_fields_checks_before_the_classes_own_post_init_runs() -> None:
    @dataclasses.dataclass(frozen=True)
    class Shouting:
        name: str

        def __post_init__(self) -> None:
            self.name.upper()  # an AttributeError for a non-string, if it ran first

    checked = t.typed_fields(Shouting)
    with pytest.raises(TypeError, match=r"^Shouting: invalid props:\n  - name must be a string, got int 1"):
        checked(1)
    calls: list[str] = []
    _, child = _with_post_init()
    with pytest.raises(TypeError, match="Child: invalid props"):
        child("b", calls, extra="1")
    assert calls == []  # the check came first: the inherited __post_init__ never ran


def test_typed_fields_runs_the_classes_own_post_init_after_the_check() -> None:
    with_post_init, child = _with_post_init()
    assert with_post_init("a").calls == ["a"]
    with pytest.raises(TypeError, match="WithPostInit: invalid props"):
        with_post_init(1)
    assert child("b", extra=1).calls == ["b"]  # the inherited __post_init__ still runs, once
    with pytest.raises(TypeError, match="Child: invalid props:\n  - extra must be an integer"):
        child("b", extra="1")
