"""AWS CDK constructs for the Amazon SageMaker lifecycle.

    from sagemaker_cdk import ArtifactBucket, ContainerImage, Model, ModelData, RealtimeEndpoint, Variant, AutoScaling
"""

from .artifact_bucket import ArtifactBucket
from .container_image import ContainerImage
from .endpoint_monitoring import EndpointMonitoring
from .endpoint_props import AlarmThresholds, AutoScaling, DataCapture, Deployment, Serverless, Variant
from .model import Model
from .model_data import ModelData
from .network import ModelNetwork
from .realtime_endpoint import RealtimeEndpoint
from .resource_budget import ResourceBudget
from .variant_autoscaling import VariantAutoScaling

__all__ = [
    "AlarmThresholds",
    "ArtifactBucket",
    "AutoScaling",
    "ContainerImage",
    "DataCapture",
    "Deployment",
    "EndpointMonitoring",
    "Model",
    "ModelData",
    "ModelNetwork",
    "RealtimeEndpoint",
    "ResourceBudget",
    "Serverless",
    "Variant",
    "VariantAutoScaling",
]
