"""The public `acknowledge`: the same function the constructs use (`_validation.acknowledge`), with its arguments
type-checked like every other public callable (`@typed`).

It lives apart from `_validation` because `_types` imports `_validation`: decorating there would be circular.
"""

from __future__ import annotations

from constructs import IConstruct

from ._types import typed
from ._validation import acknowledge as _acknowledge


@typed
def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one finding on `scope` and its children, for every scanner, with a specific reason.

    `finding` is the cdk-nag rule id with its granular suffix as cdk-nag prints it, e.g.
    "AwsSolutions-IAM5[Resource::*]", or a checkov id such as "CKV_AWS_173" for a check cdk-nag has no rule for.
    The cdk-nag acknowledgement and the equivalent checkov skips (see `_scanner_rules.NAG_TO_CHECKOV`) carry the same
    reason.
    """
    _acknowledge(scope, finding, reason)
