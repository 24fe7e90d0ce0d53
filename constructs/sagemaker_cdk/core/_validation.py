"""Construction-time validation shared by every construct.

Errors are collected, then raised once, so a user fixes every bad prop in one pass. Each message names the prop,
shows the value and says the fix. Values that are still CDK tokens are skipped: they resolve at deploy time.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

from aws_cdk import Token

# SageMaker's pattern for model, endpoint, variant and job names.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
NAME_RULE = "at most 63 characters, letters, digits and single or repeated hyphens, starting and ending alphanumeric"


def is_token(value: Any) -> bool:
    """True when `value` (or any element of it) is an unresolved CDK token."""
    if isinstance(value, (list, tuple)):
        return any(is_token(v) for v in value)
    if isinstance(value, float) and not math.isfinite(value):
        return False  # never a token (CDK encodes number tokens as finite doubles); jsii cannot even send it
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and Token.is_unresolved(value)


class PropErrors:
    """Collects prop errors for one construct and raises them together.

    >>> errors = PropErrors("RealtimeEndpoint")
    >>> errors.check(min_capacity <= max_capacity, f"min_capacity ({min_capacity}) ...")
    >>> errors.raise_if_any()
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.messages: list[str] = []
        self.type_errors = 0

    def add(self, message: str, *, type_error: bool = False) -> None:
        self.messages.append(message)
        self.type_errors += int(type_error)

    def check(self, condition: bool, message: str) -> bool:
        if not condition:
            self.add(message)
        return condition

    def expect_type(self, prop: str, value: Any, types: type | tuple[type, ...], fix: str) -> bool:
        if isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types)):
            return True
        self.add(f"{prop} must be {fix}, got {type(value).__name__} {value!r}", type_error=True)
        return False

    def number_in_range(
        self, prop: str, value: Any, low: float | None = None, high: float | None = None, *, integer: bool = False
    ) -> None:
        if is_token(value):
            return
        kind = (int,) if integer else (int, float)
        if not self.expect_type(prop, value, kind, "an integer" if integer else "a number"):
            return
        if low is not None and value < low or high is not None and value > high:
            bounds = f"between {low} and {high}" if low is not None and high is not None else (
                f"at least {low}" if low is not None else f"at most {high}"
            )
            self.add(f"{prop} ({value}) must be {bounds}: set {prop} {bounds}")

    def name(self, prop: str, value: Any) -> None:
        if value is None or is_token(value):
            return
        if not self.expect_type(prop, value, str, "a string"):
            return
        if not NAME_PATTERN.match(value):
            self.add(f"{prop} ({value!r}) is not a valid SageMaker name: use {NAME_RULE}")

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        body = "\n  - ".join(self.messages)
        text = f"{self.owner}: invalid props:\n  - {body}"
        if self.type_errors == len(self.messages):
            raise TypeError(text)
        raise ValueError(text)


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def one_of(errors: PropErrors, prop: str, value: Any, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if value is None or is_token(value):
        return
    if value not in allowed:
        errors.add(f"{prop} ({value!r}) is not supported: use one of {', '.join(map(repr, allowed))}")


def acknowledge(scope: Any, finding: str, reason: str) -> None:
    """Acknowledge one finding on `scope` and its children, for every scanner, with a specific reason.

    `finding` is the cdk-nag rule id with its granular suffix as cdk-nag prints it, e.g.
    "AwsSolutions-IAM5[Resource::*]" (the pack prefix "AwsSolutions::" is derived from it), or a checkov id such as
    "CKV_AWS_173" for a check cdk-nag has no rule for. A cdk-nag id becomes a cdk-nag v3 acknowledgement; when
    `_scanner_rules.NAG_TO_CHECKOV` maps its rule to checkov checks, the resources under `scope` that those checks
    inspect also get `Metadata.checkov.skip` entries with the same reason (written at synth).
    """
    from aws_cdk import Acknowledgment, Validations

    from ._managed_policies import ManagedRolePolicies
    from ._scanner_rules import CheckovSkips, in_stack, is_checkov_id

    if not isinstance(reason, str) or len(reason.strip()) < 20:
        raise ValueError(f"acknowledge({finding!r}): give a reason a reviewer would accept, got {reason!r}")
    if not is_checkov_id(finding):
        pack = finding.split("-", 1)[0]
        Validations.of(scope).acknowledge(Acknowledgment(id=f"{pack}::{finding}", reason=reason))
    CheckovSkips.of(scope).add(scope, finding, reason)
    if in_stack(scope):  # the stack's library roles keep their grants in customer-managed policies
        ManagedRolePolicies.of(scope)


def nag_resource(scope: Any, value: Any) -> str:
    """How cdk-nag prints a resource ARN in a finding id: Fn::GetAtt as <Id.Attr>, Ref as <Id>, joins inlined.

    Used to acknowledge a wildcard on one specific, construct-generated resource pattern.
    """
    from aws_cdk import Stack

    def render(node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            logical_id, attr = node["Fn::GetAtt"]
            return f"<{logical_id}.{attr}>"
        if isinstance(node, dict) and "Ref" in node:
            return f"<{node['Ref']}>"
        if isinstance(node, dict) and "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            return separator.join(render(p) for p in parts)
        return str(node)

    return render(Stack.of(scope).resolve(value))


# An S3 key prefix the constructs accept for input/output folders: no leading '/', ends with '/'.
KEY_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9._-][A-Za-z0-9._/-]*/$")


def io_prefixes(errors: PropErrors, input_prefix: Any, output_prefix: Any, *, example: str, loop: str) -> None:
    """Check an input and an output key prefix, and that they do not overlap (which would feed outputs back in).

    example: the family of the examples in messages, e.g. "batch" gives 'batch/input/' and 'batch/output/'.
    loop: what an overlap would cause, e.g. "results written under the output prefix would start new jobs".
    """
    valid = True
    for name, value in (("input_prefix", input_prefix), ("output_prefix", output_prefix)):
        if is_token(value) or not errors.expect_type(name, value, str, f"a key prefix such as '{example}/input/'"):
            valid = False
        elif not KEY_PREFIX_PATTERN.match(value) or "//" in value:
            valid = False
            errors.add(
                f"{name} ({value!r}) must be a non-empty key prefix of letters, digits, '.', '_', '-' and '/', "
                f"without a leading '/' and ending with '/': e.g. '{example}/{name.split('_')[0]}/'"
            )
    if valid and (input_prefix.startswith(output_prefix) or output_prefix.startswith(input_prefix)):
        errors.add(
            f"input_prefix ({input_prefix!r}) and output_prefix ({output_prefix!r}) overlap: {loop}; use sibling "
            f"prefixes such as '{example}/input/' and '{example}/output/'"
        )


# Job-name prefixes of the S3-triggered constructs: lower case (SageMaker ARNs are lower case, and IAM matches job ARNs
# case-sensitively), at most 24 characters so that a readable part and a digest still fit SageMaker's 63.
MAX_JOB_NAME_PREFIX = 24
JOB_NAME_PREFIX_PATTERN = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")


def job_name_prefix(errors: PropErrors, prefix: Any, *, example: str) -> None:
    """Check a `job_name_prefix` prop (None and tokens are skipped)."""
    if prefix is None or is_token(prefix) or not errors.expect_type("job_name_prefix", prefix, str, "a string"):
        return
    errors.check(
        bool(JOB_NAME_PREFIX_PATTERN.match(prefix)) and len(prefix) <= MAX_JOB_NAME_PREFIX,
        f"job_name_prefix ({prefix!r}) must be at most {MAX_JOB_NAME_PREFIX} lower-case letters and digits with "
        f"single hyphens, starting and ending alphanumeric (SageMaker ARNs are lower case): e.g. {example!r}",
    )
