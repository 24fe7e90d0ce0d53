"""AWS CDK constructs for the Amazon SageMaker lifecycle.

    from sagemaker_cdk import ArtifactBucket, ContainerImage, Model, ModelData, RealtimeEndpoint, Variant, AutoScaling
"""

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
from .network import ModelNetwork
from .realtime_endpoint import RealtimeEndpoint
from .resource_budget import ResourceBudget
from .serverless_endpoint import ServerlessEndpoint
from .variant_autoscaling import VariantAutoScaling

__all__ = [
    "AlarmThresholds",
    "ArtifactBucket",
    "AsyncEndpoint",
    "AutoScaling",
    "BatchTransformPipeline",
    "BacklogScaling",
    "ContainerImage",
    "DataCapture",
    "Deployment",
    "EndpointMonitoring",
    "InvocationApi",
    "Model",
    "ModelData",
    "ModelNetwork",
    "RealtimeEndpoint",
    "ResourceBudget",
    "Serverless",
    "ServerlessEndpoint",
    "Variant",
    "VariantAutoScaling",
]
