"""InferenceStack: the reference app's real-time inference, a real XGBoost model on a 90/10 two-variant endpoint."""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from sagemaker_cdk import (
    ArtifactBucket,
    AutoScaling,
    BatchTransformPipeline,
    ContainerImage,
    DataCapture,
    Deployment,
    InvocationApi,
    Model,
    ModelData,
    ModelNetwork,
    RealtimeEndpoint,
    Variant,
    subscribe_email,
)

from .config import ROOT, AppConfig


class InferenceStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.bucket = ArtifactBucket(self, "Artifacts", removal_policy=removal)
        self.network = ModelNetwork(self, ModelNetwork.DEFAULT_ID, interface_endpoints=config.interface_endpoints)

        image = ContainerImage.built_in("xgboost", config.xgboost_version)
        artifact = ModelData.from_asset(ROOT / config.model_artifact)
        # Two models over the same artifact: the challenger is where a new artifact goes first.
        self.champion = Model(self, "Champion", image=image, model_data=artifact, network=self.network)
        self.challenger = Model(self, "Challenger", image=image, model_data=artifact, network=self.network)

        scaling = AutoScaling(max_capacity=config.max_capacity, max_rps_per_instance=config.max_rps_per_instance)
        common = dict(instance_type=config.instance_type, instance_count=config.instance_count, autoscaling=scaling)
        self.endpoint = RealtimeEndpoint(
            self,
            "Endpoint",
            variants=[
                Variant(model=self.champion, name="champion", weight=config.champion_weight, **common),
                Variant(model=self.challenger, name="challenger", weight=config.challenger_weight, **common),
            ],
            deployment=Deployment(mode=config.deployment_mode),  # type: ignore[arg-type]
            data_capture=(
                DataCapture(bucket=self.bucket, sampling_percentage=config.data_capture_percent)
                if config.data_capture_percent
                else None
            ),
        )
        if config.alarm_email:
            subscribe_email(self.endpoint.alarm_topic, config.alarm_email)
        # HTTPS in front of the endpoint: IAM (SigV4) auth, throttling, JSON access logs, X-Ray.
        self.api = InvocationApi(self, "Api", endpoint=self.endpoint, reserved_concurrency=config.reserved_concurrency)

        # Offline: files uploaded under batch/input/ are scored by a transform job with the champion model.
        self.batch = BatchTransformPipeline(
            self, "BatchTransform", model=self.champion, bucket=self.bucket,
            reserved_concurrency=config.reserved_concurrency,
        )
        if config.alarm_email:
            subscribe_email(self.batch.topic, config.alarm_email)

        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "ArtifactBucketName", value=self.bucket.bucket_name)
        CfnOutput(self, "AlarmTopicArn", value=self.endpoint.alarm_topic.topic_arn)
        CfnOutput(self, "InvocationsUrl", value=self.api.invocations_url)
        CfnOutput(self, "BatchInputUri", value=self.batch.input_uri())
        CfnOutput(self, "BatchOutputUri", value=self.batch.output_uri())
        CfnOutput(self, "BatchNotificationTopicArn", value=self.batch.topic.topic_arn)

