"""ServerlessEndpoint: a SageMaker Serverless Inference endpoint for traffic with idle gaps.

You pay per request and per GB-second of compute, nothing while idle; the price is a cold start after idle periods
(provisioned concurrency keeps some capacity warm, at a cost). Serverless Inference does not support VPC placement,
network isolation, data capture, model packages, GPUs or more than one variant, so the model must be created with
`place_in_vpc=False, network_isolation=False` (the construct says so at synth if not). Deploys an endpoint config
with one serverless variant, the endpoint, and alarms suited to serverless: 5XX errors, p99 latency, 4XX rate and
ModelSetupTime (cold starts). There is no instance autoscaling.
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from ..core._types import typed
from .endpoint_props import Serverless, Variant
from .model import Model
from .realtime_endpoint import RealtimeEndpoint


class ServerlessEndpoint(RealtimeEndpoint):
    """A serverless endpoint for one model.

    model: the Model to serve (created with place_in_vpc=False, network_isolation=False). Required.
    memory_size_mb: 1024 to 6144 in 1024 MB steps. Default: 2048.
    max_concurrency: 1 to 200. Default: 20.
    provisioned_concurrency: warm capacity, at most max_concurrency. Default: none.
    variant_name: Default: "serverless".
    Other keyword props (endpoint_name, encryption_key, alarm_topic, alarm_thresholds, dashboard) are
    RealtimeEndpoint's.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model: Model,
        memory_size_mb: int = 2048,
        max_concurrency: int = 20,
        provisioned_concurrency: int | None = None,
        variant_name: str = "serverless",
        **kwargs: object,
    ) -> None:
        settings = Serverless(
            memory_size_mb=memory_size_mb,
            max_concurrency=max_concurrency,
            provisioned_concurrency=provisioned_concurrency,
        )
        super().__init__(
            scope,
            id,
            variants=[Variant(model=model, name=variant_name, serverless=settings)],
            **kwargs,  # type: ignore[arg-type]
        )
        self.settings = settings

    def metric_model_setup_time(self) -> cloudwatch.Metric:
        """ModelSetupTime in microseconds (Maximum per minute): how long cold starts take."""
        return self.metric("ModelSetupTime", statistic="Maximum")
