"""The public `acknowledge`: one accepted finding, recorded for cdk-nag and checkov alike, with its reason.

The implementation is `_validation.acknowledge`, which every construct of the library calls; this module adds the
type checks of the public API (a wrong type is our TypeError, not a jsii error).
"""

from __future__ import annotations

from constructs import IConstruct

from . import _validation
from ._types import typed


@typed
def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one finding on `scope` and its children, for every scanner, with a specific reason.

    finding: the cdk-nag rule id with its granular suffix as cdk-nag prints it, e.g.
        "AwsSolutions-IAM5[Resource::*]", or a checkov id such as "CKV_AWS_173" for a check cdk-nag has no rule for.
    reason: why the finding is accepted, in words a reviewer would accept (at least 20 characters).
    """
    _validation.acknowledge(scope, finding, reason)
