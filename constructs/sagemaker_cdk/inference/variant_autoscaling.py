"""VariantAutoScaling: Application Auto Scaling for one production variant of an endpoint.

Deploys a scalable target `endpoint/<endpoint>/variant/<variant>` (sagemaker:variant:DesiredInstanceCount) that
depends on the endpoint, and a target-tracking policy on SageMakerVariantInvocationsPerInstance. It uses the
Application Auto Scaling service-linked role for SageMaker. Cost: none beyond the instances it adds.
"""

from __future__ import annotations

from aws_cdk import CfnResource, aws_applicationautoscaling as appscaling
from constructs import Construct

from ..core._types import typed
from .endpoint_props import AutoScaling


class VariantAutoScaling(Construct):
    """Target tracking for one variant.

    Keyword-only props:
        endpoint_name: the endpoint's name. Required.
        variant_name: the variant's name. Required.
        scaling: the AutoScaling settings. Required.
        endpoint: the endpoint resource the target must wait for. Required.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        scaling: AutoScaling,
        endpoint: CfnResource,
    ) -> None:
        super().__init__(scope, id)
        self.scalable_target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{endpoint_name}/variant/{variant_name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
        )
        # The variant must exist before it can be registered.
        self.scalable_target.node.add_dependency(endpoint)
        self.target_value = scaling.target_value
        self.policy = self.scalable_target.scale_to_track_metric(
            "InvocationsPerInstance",
            target_value=self.target_value,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_in_cooldown=scaling.scale_in_cooldown,
            scale_out_cooldown=scaling.scale_out_cooldown,
            disable_scale_in=scaling.disable_scale_in,
        )
