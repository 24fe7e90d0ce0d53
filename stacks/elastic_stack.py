"""ElasticInferenceStack: the sample model on an asynchronous endpoint (scale to zero) and a serverless endpoint."""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from sagemaker_cdk import (
    ArtifactBucket,
    AsyncEndpoint,
    BacklogScaling,
    ContainerImage,
    InvocationApi,
    Model,
    ModelData,
    ModelNetwork,
    ServerlessEndpoint,
    Variant,
    acknowledge,
)

from .config import ROOT, AppConfig


class ElasticInferenceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: AppConfig,
        network: ModelNetwork,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        # A bucket of its own for async inputs and results: its grants stay in this stack (no cross-stack exports).
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.bucket = bucket = ArtifactBucket(self, "AsyncArtifacts", removal_policy=removal)
        image = ContainerImage.built_in("xgboost", config.xgboost_version)
        artifact = ModelData.from_asset(ROOT / config.model_artifact)

        # Asynchronous: large payloads and long jobs, results in S3, zero instances when idle.
        async_model = Model(self, "AsyncModel", image=image, model_data=artifact, network=network)
        self.async_endpoint = AsyncEndpoint(
            self,
            "AsyncEndpoint",
            bucket=bucket,
            variants=[
                Variant(model=async_model, name="async", instance_type=config.instance_type,
                        instance_count=config.instance_count)
            ],
            scaling=BacklogScaling(max_capacity=config.max_capacity),
        )
        self.async_api = InvocationApi(
            self,
            "AsyncApi",
            endpoint=self.async_endpoint,
            async_input_bucket=bucket.bucket,
            async_input_prefix=self.async_endpoint.input_prefix,
            sync_route=False,  # an async endpoint answers InvokeEndpointAsync only
            reserved_concurrency=config.reserved_concurrency,
        )

        # Serverless: pay per request, cold starts after idle gaps. Serverless Inference supports neither VPC
        # placement nor network isolation, so this model opts out of both (no warning: only a serverless endpoint
        # serves it).
        serverless_model = Model(
            self, "ServerlessModel", image=image, model_data=artifact, place_in_vpc=False, network_isolation=False
        )
        acknowledge(
            serverless_model,
            "CKV_AWS_370",
            "Serverless Inference supports neither VPC placement nor network isolation; the model's role still "
            "reaches only its artifact, image and logs.",
        )
        self.serverless_endpoint = ServerlessEndpoint(
            self, "ServerlessEndpoint", model=serverless_model, memory_size_mb=config.serverless_memory_mb,
            max_concurrency=config.serverless_max_concurrency,
        )
        self.serverless_api = InvocationApi(
            self, "ServerlessApi", endpoint=self.serverless_endpoint, reserved_concurrency=config.reserved_concurrency
        )

        CfnOutput(self, "AsyncEndpointName", value=self.async_endpoint.endpoint_name)
        CfnOutput(self, "AsyncInvocationsUrl", value=self.async_api.url + "async-invocations")
        CfnOutput(self, "ServerlessEndpointName", value=self.serverless_endpoint.endpoint_name)
        CfnOutput(self, "ServerlessInvocationsUrl", value=self.serverless_api.invocations_url)
