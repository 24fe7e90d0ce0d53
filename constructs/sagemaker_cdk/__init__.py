"""AWS CDK constructs for the Amazon SageMaker lifecycle.

    from sagemaker_cdk import ArtifactBucket, ContainerImage, Model, ModelData, RealtimeEndpoint, Variant, AutoScaling

Names load on first use (PEP 562): importing the package costs nothing beyond the modules a program actually uses,
so an app that declares an endpoint does not load Step Functions, API Gateway or Neo bindings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AlarmThresholds": "endpoint_props",
    "Algorithm": "training_props",
    "ArtifactBucket": "artifact_bucket",
    "AsyncEndpoint": "async_endpoint",
    "AutoScaling": "endpoint_props",
    "BacklogScaling": "endpoint_props",
    "BatchTransformPipeline": "batch_transform",
    "CategoricalRange": "tuning_job",
    "Channel": "training_props",
    "ContainerImage": "container_image",
    "ContinuousRange": "tuning_job",
    "DataCapture": "endpoint_props",
    "Deployment": "endpoint_props",
    "EndpointMonitoring": "endpoint_monitoring",
    "Hyperband": "tuning_job",
    "IntegerRange": "tuning_job",
    "InvocationApi": "invocation_api",
    "MetricDefinition": "training_props",
    "MetricGate": "rollout_pipeline",
    "Model": "model",
    "ModelData": "model_data",
    "ModelNetwork": "network",
    "NeoCompilation": "neo_compilation",
    "NeoEndpoint": "neo_compilation",
    "Objective": "tuning_job",
    "RealtimeEndpoint": "realtime_endpoint",
    "ResourceBudget": "resource_budget",
    "RolloutPipeline": "rollout_pipeline",
    "Serverless": "endpoint_props",
    "ServerlessEndpoint": "serverless_endpoint",
    "Spot": "training_props",
    "TargetPlatform": "neo_compilation",
    "TrainingData": "training_data",
    "TrainingJob": "training_job",
    "TuningJob": "tuning_job",
    "subscribe_email": "notifications",
    "Variant": "endpoint_props",
    "VariantAutoScaling": "variant_autoscaling",
    "WarmStart": "tuning_job",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sagemaker_cdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .artifact_bucket import ArtifactBucket
    from .async_endpoint import AsyncEndpoint
    from .batch_transform import BatchTransformPipeline
    from .container_image import ContainerImage
    from .endpoint_monitoring import EndpointMonitoring
    from .endpoint_props import (
        AlarmThresholds,
        AutoScaling,
        BacklogScaling,
        DataCapture,
        Deployment,
        Serverless,
        Variant,
    )
    from .invocation_api import InvocationApi
    from .model import Model
    from .model_data import ModelData
    from .neo_compilation import NeoCompilation, NeoEndpoint, TargetPlatform
    from .network import ModelNetwork
    from .notifications import subscribe_email
    from .realtime_endpoint import RealtimeEndpoint
    from .resource_budget import ResourceBudget
    from .rollout_pipeline import MetricGate, RolloutPipeline
    from .serverless_endpoint import ServerlessEndpoint
    from .training_data import TrainingData
    from .training_job import TrainingJob
    from .training_props import Algorithm, Channel, MetricDefinition, Spot
    from .tuning_job import CategoricalRange, ContinuousRange, Hyperband, IntegerRange, Objective, TuningJob, WarmStart
    from .variant_autoscaling import VariantAutoScaling
