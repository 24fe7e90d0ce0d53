"""The one naming rule for everything the library's workflows name at run time (private module).

Training, tuning, rollout, batch transform and Neo workflows create SageMaker jobs, models and endpoint configs
named "<prefix>-<run-specific suffix>", and scope IAM to "<resource>/<prefix>-*". IAM compares ARNs
case-sensitively, and SageMaker keeps the case of some job ARNs (a tuning-job ARN with capitals appears in
boto3 issue 4606), so a name with capitals and a lower-cased IAM pattern (or the reverse) is an AccessDenied at run
time. The rule: every prefix is lower case, made here, and both the names (in the state machine definitions and the
Lambda environments) and the IAM resources are built from that same string, never re-cased on one side only.

- `name_prefix`: "<stack>-<id>" in lower case, shortened with a hash of the construct path when too long (training,
  tuning, rollout).
- `hashed_name_prefix`: "<id>-<8 hex>" in lower case, unique per stack and path (batch transform, Neo).
- `given_prefix`: a user's `job_name_prefix` / `name_prefix`, lower-cased (tokens pass through).
"""

from __future__ import annotations

import hashlib
import re

from aws_cdk import Stack, Token
from constructs import Construct

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _NOT_NAME.sub("-", text.lower()).strip("-")


def _stack_name(construct: Construct) -> str | None:
    name = Stack.of(construct).stack_name
    return None if not isinstance(name, str) or Token.is_unresolved(name) else name


def name_prefix(construct: Construct, max_length: int) -> str:
    """A deterministic, lower-case, SageMaker-valid prefix "<stack>-<id>" of at most `max_length` characters."""
    base = _slug(f"{_stack_name(construct) or 'job'}-{construct.node.id}") or "job"
    if len(base) <= max_length:
        return base
    digest = hashlib.sha256(construct.node.path.encode()).hexdigest()[:6]
    return f"{base[: max_length - 7].rstrip('-')}-{digest}"


def hashed_name_prefix(construct: Construct, default: str = "job") -> str:
    """Lower-case construct id (at most 15 characters) plus 8 hex of a hash of the stack name and path."""
    identity = f"{_stack_name(construct) or ''}/{construct.node.path}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    readable = _slug(construct.node.id)[:15].strip("-") or default
    return f"{readable}-{digest}"


def given_prefix(value: str) -> str:
    """A prefix the user gave, in lower case (a token is returned as is: it cannot be re-cased at synth)."""
    return value if Token.is_unresolved(value) else value.lower()
