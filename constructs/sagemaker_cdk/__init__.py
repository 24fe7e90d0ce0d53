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
from .neo_compilation import NeoCompilation, NeoEndpoint, TargetPlatform
from .network import ModelNetwork
from .realtime_endpoint import RealtimeEndpoint
from .resource_budget import ResourceBudget
from .rollout_pipeline import MetricGate, RolloutPipeline
from .serverless_endpoint import ServerlessEndpoint
from .training_data import TrainingData
from .training_job import TrainingJob
from .training_props import Algorithm, Channel, MetricDefinition, Spot
from .tuning_job import CategoricalRange, ContinuousRange, Hyperband, IntegerRange, Objective, TuningJob, WarmStart
from .variant_autoscaling import VariantAutoScaling

__all__ = [
    "AlarmThresholds",
    "Algorithm",
    "ArtifactBucket",
    "AsyncEndpoint",
    "AutoScaling",
    "BacklogScaling",
    "BatchTransformPipeline",
    "CategoricalRange",
    "Channel",
    "ContainerImage",
    "ContinuousRange",
    "DataCapture",
    "Deployment",
    "EndpointMonitoring",
    "Hyperband",
    "IntegerRange",
    "InvocationApi",
    "MetricDefinition",
    "MetricGate",
    "Model",
    "ModelData",
    "ModelNetwork",
    "NeoCompilation",
    "NeoEndpoint",
    "Objective",
    "RealtimeEndpoint",
    "ResourceBudget",
    "RolloutPipeline",
    "Serverless",
    "ServerlessEndpoint",
    "Spot",
    "TargetPlatform",
    "TrainingData",
    "TrainingJob",
    "TuningJob",
    "Variant",
    "VariantAutoScaling",
    "WarmStart",
]
