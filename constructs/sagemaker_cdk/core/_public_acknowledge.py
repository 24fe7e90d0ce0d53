"""`acknowledge` as your app calls it (`from sagemaker_cdk import acknowledge`): type-checked like every public
function, so `acknowledge(fn, 116, "...")` is a TypeError that names `finding`, not an AttributeError.

The library's constructs call `_validation.acknowledge` itself: `_types` imports `_validation`, so the check cannot be
applied there without an import cycle.
"""

from __future__ import annotations

from constructs import IConstruct

from ._types import typed
from ._validation import acknowledge as _acknowledge

__all__ = ["acknowledge"]


@typed
def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    _acknowledge(scope, finding, reason)


acknowledge.__doc__ = _acknowledge.__doc__
