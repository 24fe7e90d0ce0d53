"""The foundation reference app built with the current library: the resources bench/l1_reference_app.py mirrors.

Artifact bucket, isolated two-AZ network, the sample XGBoost model as two models, and a RealtimeEndpoint with two
autoscaled variants (90/10), alarms and a dashboard, exactly as stacks/inference_stack.py builds them, minus what
later issues added there (the HTTPS API and the batch pipeline), which the L1 app does not declare.
"""

from __future__ import annotations

import aws_cdk as cdk

from sagemaker_cdk import (
    ArtifactBucket,
    AutoScaling,
    ContainerImage,
    Deployment,
    Model,
    ModelData,
    ModelNetwork,
    RealtimeEndpoint,
    Variant,
)
from stacks.config import ROOT, AppConfig


def build_foundation_app(app: cdk.App) -> cdk.Stack:
    config = AppConfig()
    stack = cdk.Stack(app, f"{config.stack_prefix}Inference")
    bucket = ArtifactBucket(stack, "Artifacts")
    network = ModelNetwork(stack, ModelNetwork.DEFAULT_ID, interface_endpoints=config.interface_endpoints)
    image = ContainerImage.built_in("xgboost", config.xgboost_version)
    artifact = ModelData.from_asset(ROOT / config.model_artifact)
    champion = Model(stack, "Champion", image=image, model_data=artifact, network=network)
    challenger = Model(stack, "Challenger", image=image, model_data=artifact, network=network)
    scaling = AutoScaling(max_capacity=config.max_capacity, max_rps_per_instance=config.max_rps_per_instance)
    common = dict(instance_type=config.instance_type, instance_count=config.instance_count, autoscaling=scaling)
    endpoint = RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[
            Variant(model=champion, name="champion", weight=config.champion_weight, **common),
            Variant(model=challenger, name="challenger", weight=config.challenger_weight, **common),
        ],
        deployment=Deployment(mode=config.deployment_mode),  # type: ignore[arg-type]
    )
    cdk.CfnOutput(stack, "EndpointName", value=endpoint.endpoint_name)
    cdk.CfnOutput(stack, "ArtifactBucketName", value=bucket.bucket_name)
    cdk.CfnOutput(stack, "AlarmTopicArn", value=endpoint.alarm_topic.topic_arn)
    cdk.Tags.of(app).add("project", "sagemaker-cdk")
    return stack
