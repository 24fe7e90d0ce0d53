"""A wrong type given to any public prop is a TypeError from us that names the prop: never an AttributeError deep
inside, nor a jsii RuntimeError with JavaScript frames.

The props are enumerated from `sagemaker_cdk.__all__` and the signatures, so a construct, dataclass or factory
added later is covered without editing this file, and one added without type checks fails here.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any, Callable, Iterator

import aws_cdk as cdk
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sagemaker_cdk
import support

# Not props: how the construct is placed in the tree.
_TREE = ("scope", "id")


class _Wrong:
    """A value of a type no prop accepts."""

    def __repr__(self) -> str:
        return "<wrong>"


def _callables() -> Iterator[tuple[str, Callable[..., Any], bool]]:
    """(name, callable, is_construct) for every public class's __init__ and factory, and every public function."""
    for name in sagemaker_cdk.__all__:
        value = getattr(sagemaker_cdk, name)
        if inspect.isfunction(value):
            yield name, value, False
            continue
        if not inspect.isclass(value):
            continue
        if "__init__" in vars(value) or dataclasses.is_dataclass(value) or any(
            "__init__" in vars(base) for base in value.__mro__[1:-1] if base.__module__.startswith("sagemaker_cdk")
        ):
            yield name, value, _is_construct(value)
        for attr, member in vars(value).items():
            if isinstance(member, (staticmethod, classmethod)) and not attr.startswith("_"):
                yield f"{name}.{attr}", getattr(value, attr), False


def _is_construct(cls: type) -> bool:
    from constructs import Construct

    return issubclass(cls, Construct)


def _props(func: Callable[..., Any]) -> list[inspect.Parameter]:
    target = func.__init__ if inspect.isclass(func) else func  # type: ignore[misc]
    parameters = list(inspect.signature(target).parameters.values())
    return [
        p
        for p in parameters
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and str(p.annotation) not in ("Any", "object")
    ]


CALLABLES = sorted(_callables(), key=lambda c: c[0])


def _call(func: Callable[..., Any], is_construct: bool, props: dict[str, Any]) -> None:
    if is_construct:
        func(cdk.Stack(support.new_app(), "Types"), "Subject", **props)
    else:
        func(**props)


def test_every_public_name_is_covered() -> None:
    covered = {name.split(".")[0] for name, _, _ in CALLABLES}
    assert covered == set(sagemaker_cdk.__all__)


@pytest.mark.parametrize("name, func, is_construct", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_a_wrong_type_in_every_prop_names_every_prop(name: str, func: Callable[..., Any], is_construct: bool) -> None:
    props = [p for p in _props(func) if not (is_construct and p.name in _TREE)]
    assert props, f"{name} has no typed props"
    with pytest.raises(TypeError) as err:
        _call(func, is_construct, {p.name: _Wrong() for p in props})
    text = str(err.value)
    assert "invalid props" in text, text
    for p in props:
        assert f"{p.name} must be " in text, f"{name}: {p.name} is not type-checked:\n{text}"
    assert "got _Wrong <wrong>" in text
    assert "jsii" not in text and "    at " not in text


def _takes_strings(parameter: inspect.Parameter) -> bool:
    return bool(re.search(r"\bstr\b|Literal|Path|TrafficMode|Authorization|Distribution|InputMode|Scaling\b", str(parameter.annotation)))


@pytest.mark.parametrize("name, func, is_construct", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_a_string_where_an_object_is_wanted(name: str, func: Callable[..., Any], is_construct: bool) -> None:
    """The common mistake: a name where the object is wanted (`Variant(model="champion")`)."""
    props = [p for p in _props(func) if not (is_construct and p.name in _TREE)]
    named = [p for p in props if not _takes_strings(p) and (name, p.name) != ("ContainerImage.from_ecr_repository", "repository")]
    if not named:
        pytest.skip("every prop of this callable accepts a string")
    with pytest.raises(TypeError) as err:
        _call(func, is_construct, {p.name: "champion" if p in named else _Wrong() for p in props})
    for p in named:
        assert f"{p.name} must be " in str(err.value), str(err.value)
    assert "got str 'champion'" in str(err.value)


def test_every_typed_callable_is_marked() -> None:
    """The decorators mark what they wrap: a class or factory without them would check nothing at runtime."""
    for name, func, _ in CALLABLES:
        target = func
        if inspect.isclass(func):
            target = func if dataclasses.is_dataclass(func) else func.__init__
        assert getattr(target, "__sagemaker_cdk_typed__", False), f"{name} is not decorated with @typed/@typed_fields"


def test_scope_and_id_are_checked_too(stack: cdk.Stack) -> None:
    with pytest.raises(TypeError, match=r"scope must be a constructs.Construct, got str 'stack'"):
        sagemaker_cdk.ArtifactBucket("stack", "B")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"id must be a string, got int 7"):
        sagemaker_cdk.ArtifactBucket(stack, 7)  # type: ignore[arg-type]


def test_a_duplicate_id_is_a_value_error_from_us(stack: cdk.Stack) -> None:
    sagemaker_cdk.ArtifactBucket(stack, "B")
    with pytest.raises(ValueError, match=r"id \('B'\) is already used by another construct in Test: give each"):
        sagemaker_cdk.ArtifactBucket(stack, "B")


# -- property-based: random values of random types in every prop ----------------------------------------------------

_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(-2, 2, allow_nan=False),
    st.text(alphabet="abc-_/.", max_size=6),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(alphabet="ab", max_size=2), st.integers(0, 2), max_size=2),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_values_fail_with_our_errors_only(data: st.DataObject) -> None:
    """Whatever a user passes, the answer is a TypeError or ValueError from us (or a construct): never an
    AttributeError, a KeyError or a jsii RuntimeError."""
    name, func, is_construct = data.draw(st.sampled_from(CALLABLES))
    props = [p for p in _props(func) if not (is_construct and p.name in _TREE)]
    values = {p.name: data.draw(_ANY_VALUE, label=p.name) for p in props}
    try:
        _call(func, is_construct, values)
    except (TypeError, ValueError) as err:
        text = str(err)
        assert "jsii" not in text and "    at " not in text, text
        assert "invalid props" in text or "missing" in text or "required" in text, text
