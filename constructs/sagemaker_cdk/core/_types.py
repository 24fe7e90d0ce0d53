"""Type checks of props at construction, driven by the annotations every construct already carries.

`@typed` on a construct's `__init__`, a static factory or a function, and `@typed_fields` on a frozen dataclass, check
every argument the caller gave against its annotation before any other code runs. A wrong type raises one TypeError
from us, naming every bad prop, the type given and the accepted types (never an AttributeError deep inside, nor a
jsii RuntimeError with JavaScript frames). Unresolved CDK tokens are skipped: they resolve at deploy time.

Friendly forms are accepted where they are unambiguous: an `ArtifactBucket` wherever an `aws_s3.IBucket` is wanted
(the wrapped function receives `artifact_bucket.bucket`).

How annotations map to checks:
- `str`, `bool`, `Duration`, enums, our classes: isinstance (`bool` is not a number; `int` accepts no float);
- `float`: an int or a float; jsii interfaces (`aws_s3.IBucket`, `aws_kms.IKey`, ...): the value's class
  implements the interface (jsii records it; isinstance cannot check a jsii interface);
- `X | None`, `Union`, `Literal[...]` (the type of the literals), `Sequence[X]`, `list[X]`, `Mapping[K, V]`;
- `Any` and `object`: anything.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import importlib
import inspect
import sys
import types
import typing
from pathlib import PurePath
from typing import Any, Callable, TypeVar

from ._validation import is_token

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

_NONE = type(None)
_MAX_REPR = 80


# -- annotation resolution --------------------------------------------------------------------------------------------


class _Names(dict):  # type: ignore[type-arg]
    """Names an annotation may use that its module imports only under TYPE_CHECKING: the package's public names."""

    def __missing__(self, name: str) -> Any:
        package = importlib.import_module("sagemaker_cdk")
        if name in getattr(package, "_EXPORTS", {}):
            return getattr(package, name)
        raise KeyError(name)


def _resolve(annotation: Any, module: str) -> Any:
    namespace = vars(sys.modules[module])
    while isinstance(annotation, str):  # `from __future__ import annotations`, and quoted names inside it
        annotation = eval(annotation, namespace, _Names())  # noqa: S307 - our own annotations
    return annotation


# -- checking -----------------------------------------------------------------------------------------------------------


def _is_jsii_interface(hint: Any) -> bool:
    return isinstance(hint, type) and getattr(hint, "_is_protocol", False) and hasattr(hint, "__jsii_type__")


def _implements(value: Any, interface: type) -> bool:
    if type(value).__name__ == "InterfaceDynamicProxy":  # jsii's proxy of an imported resource: its delegates
        return any(_implements(d, interface) for d in getattr(value, "_delegates", None) or ())
    proxy = getattr(interface, "__jsii_proxy_class__", None)  # e.g. aws_iam._IRoleProxy, and its subclasses
    if proxy is not None and proxy() in type(value).__mro__:
        return True
    for klass in type(value).__mro__:
        for declared in getattr(klass, "__jsii_ifaces__", None) or ():
            if interface in getattr(declared, "__mro__", ()):
                return True
    return False


def _artifact_bucket() -> type:
    from .artifact_bucket import ArtifactBucket

    return ArtifactBucket


def _bucket_interface() -> type:
    from aws_cdk import aws_s3

    return aws_s3.IBucket


def accepts(value: Any, hint: Any) -> bool:
    """True when `value` fits the resolved annotation `hint` (tokens always fit)."""
    if hint is Any or hint is object or is_token(value):
        return True
    if hint is None or hint is _NONE:
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(accepts(value, a) for a in args)
    if origin is typing.Literal:
        return any(type(value) is type(a) for a in args)
    if origin is not None and isinstance(origin, type):
        if issubclass(origin, collections.abc.Mapping):
            if not isinstance(value, collections.abc.Mapping):
                return False
            key, item = args if len(args) == 2 else (Any, Any)
            return all(accepts(k, key) and accepts(v, item) for k, v in value.items())
        if issubclass(origin, (collections.abc.Sequence, collections.abc.Set)):
            if isinstance(value, (str, bytes)) or not isinstance(value, (collections.abc.Sequence, collections.abc.Set)):
                return False
            if origin is tuple and args and args[-1] is not Ellipsis:
                return len(value) == len(args) and all(accepts(v, a) for v, a in zip(value, args))
            item = args[0] if args else Any
            return all(accepts(v, item) for v in value)
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if _is_jsii_interface(hint):
        return _implements(value, hint) or (hint is _bucket_interface() and isinstance(value, _artifact_bucket()))
    if isinstance(hint, type):
        try:
            return isinstance(value, hint)
        except TypeError:  # a Protocol that is not runtime-checkable: check nothing rather than fail
            return True
    return True  # TypeVars and other typing constructs: not checked


def describe(hint: Any) -> str:
    """The accepted types in words, e.g. "a Model", "an aws_s3.IBucket or None", "a list of Variant"."""
    if hint is Any or hint is object:
        return "anything"
    if hint is None or hint is _NONE:
        return "None"
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [part for a in args if a is not _NONE for part in describe(a).split(" or ")]
        if _NONE in args:
            parts.append("None")
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is not None and isinstance(origin, type):
        if issubclass(origin, collections.abc.Mapping):
            key, item = args if len(args) == 2 else (Any, Any)
            return f"a mapping of {_bare(describe(key))} to {_bare(describe(item))}"
        if issubclass(origin, (collections.abc.Sequence, collections.abc.Set)):
            item = args[0] if args else Any
            return f"a list of {_plural(describe(item))}"
        return _article(origin.__name__)
    words = {str: "a string", int: "an integer", float: "a number", bool: "True or False", PurePath: "a path"}
    if hint in words:
        return words[hint]
    if _is_jsii_interface(hint):
        name = _jsii_name(hint)
        if hint is _bucket_interface():
            return f"an ArtifactBucket or {_article(name)}"
        return _article(name)
    if isinstance(hint, type):
        if getattr(hint, "_is_protocol", False) and hint.__module__.startswith("sagemaker_cdk"):
            members = " and ".join(sorted(n for n in vars(hint) if not n.startswith("_")))
            return f"{_article(hint.__name__)} (an object with {members})"
        if hint.__module__.startswith("sagemaker_cdk"):
            return _article(hint.__name__)
        if hint.__module__.startswith(("aws_cdk", "constructs")) or "__jsii_type__" in vars(hint):
            return _article(_jsii_name(hint))
        if issubclass(hint, PurePath):
            return "a path"
        return _article(hint.__name__)
    return _article(str(hint))


def _jsii_name(hint: type) -> str:
    module = hint.__module__.removeprefix("aws_cdk.")
    return f"{module}.{hint.__name__}"


def _article(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeio" else f"a {name}"


def _bare(text: str) -> str:
    for prefix in ("a ", "an "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def _plural(text: str) -> str:
    words = {"string": "strings", "integer": "integers", "number": "numbers", "path": "paths"}
    return " or ".join(words.get(_bare(part), _bare(part)) for part in text.split(" or "))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _fix(value: Any, hint: Any, accepted: str) -> str:
    """How to fix it: import an existing resource a string names, or pass an object rather than its name."""
    if isinstance(value, str):
        for interface in (a for a in (typing.get_args(hint) or (hint,)) if _is_jsii_interface(a)):
            concrete = getattr(sys.modules.get(interface.__module__), interface.__name__[1:], None)
            importers = _importers(concrete) if concrete is not None else []
            if importers:
                name = f"{_jsii_name(interface).rsplit('.', 1)[0]}.{concrete.__name__}"  # type: ignore[union-attr]
                others = f" (or {', '.join(importers[1:])})" if importers[1:] else ""
                return f"to use an existing one by name or ARN, import it with {name}.{importers[0]}(scope, id, ...){others}"
        if _container_hint([], hint) is not None:
            return f"pass a list, e.g. [{value!r}]"
        # (_fix only sees values their hint rejects: a string here means the hint accepts no string at all.)
        if not _is_literal(hint) and not _is_scalar(hint):
            return f"pass the object itself, not a name ({accepted})"
    return f"pass {accepted}"


def _importers(concrete: type) -> list[str]:
    """`from_*` factories that take (scope, id, name or ARN): ARN ones first, then names, then lookups.

    `from_cfn_*` wrap an L1 object, not a name, so they are no advice for someone who passed a string.
    """
    names = [n for n in dir(concrete) if n.startswith("from_") and not n.startswith("from_cfn_")]
    return sorted(names, key=lambda n: (0 if "arn" in n else 1 if "name" in n else 2, n))


def _members(hint: Any) -> tuple[Any, ...]:
    """The members of a union (`X | Y`, `Optional[X]`), or the hint alone."""
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)


def _is_scalar(hint: Any) -> bool:
    """Numbers and booleans (or None): a string given for one is a wrong value, not the name of an object."""
    return all(m in (int, float, bool, _NONE) for m in _members(hint))


def _is_literal(hint: Any) -> bool:
    if typing.get_origin(hint) is typing.Literal:
        return True
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and any(_is_literal(a) for a in typing.get_args(hint))


def type_error(prop: str, value: Any, hint: Any) -> str:
    """The message for one wrong type: prop, accepted types, type and value given, and the fix."""
    accepted = describe(hint)
    return f"{prop} must be {accepted}, got {type(value).__name__} {_show(value)}: {_fix(value, hint, accepted)}"


def problems(prop: str, value: Any, hint: Any) -> list[str]:
    """The type errors of one value; the elements of a list or mapping are named by index or key."""
    if accepts(value, hint):
        return []
    container = _container_hint(value, hint)
    if container is not None:
        origin, args = container
        if issubclass(origin, collections.abc.Mapping):
            key, item = args if len(args) == 2 else (Any, Any)
            found = [type_error(f"{prop} key {k!r}", k, key) for k in value if not accepts(k, key)]
            found += [m for k, v in value.items() for m in problems(f"{prop}[{k!r}]", v, item)]
        else:
            item = args[0] if args else Any
            found = [m for i, v in enumerate(value) for m in problems(f"{prop}[{i}]", v, item)]
        if found:
            return found
    return [type_error(prop, value, hint)]


def _container_hint(value: Any, hint: Any) -> tuple[type, tuple[Any, ...]] | None:
    """The list or mapping annotation (of `hint`, or of one member of a union) whose container type `value` has."""
    for candidate in _members(hint):
        origin = typing.get_origin(candidate)
        if not isinstance(origin, type) or origin is tuple:
            continue
        if issubclass(origin, collections.abc.Mapping) and isinstance(value, collections.abc.Mapping):
            return origin, typing.get_args(candidate)
        if issubclass(origin, collections.abc.Sequence) and isinstance(value, (list, tuple)):
            return origin, typing.get_args(candidate)
    return None


def check(owner: str, values: dict[str, Any], hints: dict[str, Any]) -> None:
    """Raise one TypeError listing every value that does not fit its hint."""
    messages = [m for p, v in values.items() if p in hints for m in problems(p, v, hints[p])]
    if messages:
        body = "\n  - ".join(messages)
        raise TypeError(f"{owner}: invalid props:\n  - {body}")


def _befriend(value: Any, hint: Any) -> Any:
    """An ArtifactBucket given where only an aws_s3.IBucket is accepted becomes its bucket."""
    bucket = _bucket_interface()
    if isinstance(value, _artifact_bucket()) and not accepts_type(hint, _artifact_bucket()) and accepts_type(hint, bucket):
        return value.bucket
    return value


def accepts_type(hint: Any, kind: type) -> bool:
    if hint is kind:
        return True
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(accepts_type(a, kind) for a in typing.get_args(hint))
    return False


# -- decorators ---------------------------------------------------------------------------------------------------------


def typed(func: F) -> F:
    """Check the arguments of `func` (an `__init__`, a static factory or a function) against its annotations."""
    signature = inspect.signature(func)
    skip = {
        name
        for name, p in signature.parameters.items()
        if name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    hints: dict[str, Any] = {}
    owner_name = func.__qualname__.removesuffix(".__init__")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return func(*args, **kwargs)  # Python's own message names the missing or unexpected argument
        if not hints:
            for name, parameter in signature.parameters.items():
                if name not in skip and parameter.annotation is not inspect.Parameter.empty:
                    hints[name] = _resolve(parameter.annotation, func.__module__)
        given = {k: v for k, v in bound.arguments.items() if k not in skip}
        owner = owner_name
        construct_id, scope = given.get("id"), given.get("scope")
        if isinstance(construct_id, str) and "scope" in given:
            parent = getattr(getattr(scope, "node", None), "path", "")
            owner = f"{owner_name} {parent}/{construct_id}" if isinstance(parent, str) and parent else f"{owner_name} {construct_id}"
        check(owner, given, hints)
        if isinstance(construct_id, str) and "scope" in given:
            _check_unique_id(owner, scope, construct_id)
        for name, value in given.items():
            if name in hints:
                bound.arguments[name] = _befriend(value, hints[name])
        return func(*bound.args, **bound.kwargs)

    wrapper.__sagemaker_cdk_typed__ = True  # type: ignore[attr-defined]
    return typing.cast(F, wrapper)


def _check_unique_id(owner: str, scope: Any, construct_id: str) -> None:
    """aws-cdk-lib answers a duplicate id with a jsii RuntimeError; say it in Python, with the fix."""
    if scope.node.try_find_child(construct_id) is not None:
        where = scope.node.path or "the app"
        raise ValueError(
            f"{owner}: invalid props:\n  - id ({construct_id!r}) is already used by another construct in {where}: "
            "give each construct a unique id within its scope"
        )


def typed_fields(cls: C) -> C:
    """Check the fields of a dataclass against their annotations before its own `__post_init__` runs."""
    original = cls.__dict__.get("__post_init__")
    # A subclass without its own __post_init__ still runs its base's (which may be checked and validating too).
    inherited = next((vars(b)["__post_init__"] for b in cls.__mro__[1:] if "__post_init__" in vars(b)), None)
    hints: dict[str, Any] = {}

    def __post_init__(self: Any) -> None:
        if not hints:
            for f in dataclasses.fields(cls):
                hints[f.name] = _resolve(f.type, cls.__module__)
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(cls) if f.init}
        check(cls.__name__, values, hints)
        for name, value in values.items():
            friendly = _befriend(value, hints[name])
            if friendly is not value:
                object.__setattr__(self, name, friendly)
        after = original or inherited
        if after is not None:
            after(self)

    already_processed = "__dataclass_fields__" in cls.__dict__
    if already_processed and original is None and inherited is None:
        # Applied above @dataclass to a class without __post_init__: the generated __init__ never calls one.
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            __post_init__(self)

        cls.__init__ = __init__  # type: ignore[method-assign]
    else:
        cls.__post_init__ = __post_init__  # type: ignore[attr-defined]
    cls.__sagemaker_cdk_typed__ = True  # type: ignore[attr-defined]
    return cls
