"""Serving: models, real-time, serverless and async endpoints, autoscaling, monitoring, the HTTPS invocation API,
batch transform and SageMaker Neo compilation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> module of this package that defines it. The top-level package re-exports every name listed here.
_EXPORTS: dict[str, str] = {
    "AlarmThresholds": "endpoint_props",
    "AsyncEndpoint": "async_endpoint",
    "AutoScaling": "endpoint_props",
    "BacklogScaling": "endpoint_props",
    "BatchTransformPipeline": "batch_transform",
    "DataCapture": "endpoint_props",
    "Deployment": "endpoint_props",
    "EndpointMonitoring": "endpoint_monitoring",
    "InvocationApi": "invocation_api",
    "Model": "model",
    "NeoCompilation": "neo_compilation",
    "NeoEndpoint": "neo_compilation",
    "RealtimeEndpoint": "realtime_endpoint",
    "Serverless": "endpoint_props",
    "ServerlessEndpoint": "serverless_endpoint",
    "TargetPlatform": "neo_compilation",
    "Variant": "endpoint_props",
    "VariantAutoScaling": "variant_autoscaling",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .async_endpoint import AsyncEndpoint
    from .batch_transform import BatchTransformPipeline
    from .endpoint_monitoring import EndpointMonitoring
    from .endpoint_props import AlarmThresholds, AutoScaling, BacklogScaling, DataCapture, Deployment, Serverless, Variant
    from .invocation_api import InvocationApi
    from .model import Model
    from .neo_compilation import NeoCompilation, NeoEndpoint, TargetPlatform
    from .realtime_endpoint import RealtimeEndpoint
    from .serverless_endpoint import ServerlessEndpoint
    from .variant_autoscaling import VariantAutoScaling
