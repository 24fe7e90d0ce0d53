"""Shared pieces every lifecycle stage uses: the artifact bucket, the model network, container images and the
built-in image registry, model data, notifications, the per-stack resource budget, and prop validation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> module of this package that defines it. The top-level package re-exports every name listed here.
_EXPORTS: dict[str, str] = {
    "ArtifactBucket": "artifact_bucket",
    "BucketReplication": "artifact_bucket",
    "acknowledge": "acknowledgements",
    "ContainerImage": "container_image",
    "ModelData": "model_data",
    "ModelNetwork": "network",
    "ResourceBudget": "resource_budget",
    "subscribe_email": "notifications",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .acknowledgements import acknowledge
    from .artifact_bucket import ArtifactBucket, BucketReplication
    from .container_image import ContainerImage
    from .model_data import ModelData
    from .network import ModelNetwork
    from .notifications import subscribe_email
    from .resource_budget import ResourceBudget
