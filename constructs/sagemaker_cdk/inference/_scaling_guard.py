"""ScalingGuard: lets `cdk deploy` change the instance type of an autoscaled variant, or remove one (private module).

SageMaker fails UpdateEndpoint when it changes the instance type of a variant registered with Application Auto
Scaling, or removes such a variant ("Update endpoints that use auto scaling" in the SageMaker guide: deregister the
scalable target first, register it again afterwards). CloudFormation cannot order that by itself, so an endpoint
with autoscaled variants gets, around its AWS::SageMaker::Endpoint:

    Release (Custom::ScalingGuard)  -> Endpoint -> ScalableTarget(s) -> Restore (Custom::ScalingGuard) -> policies

- Release (the endpoint depends on it) deregisters, on Update, the targets of the variants whose instance type
  changes or which are removed; deregistration also deletes their policies.
- Restore (after the endpoint and the targets) registers every target again; the targets' logical ids never change,
  so CloudFormation's record of them stays true.
- Each scaling policy's name ends with a hash of its variant's instance type, so exactly the policies deregistration
  deleted are replaced (created after Restore; deleting the old name then finds nothing).
Both resources carry the variants' instance types, so they receive an Update exactly when one changes. One small
function (`lambda/scaling_guard`) serves both; it only calls Application Auto Scaling.
"""

from __future__ import annotations

import hashlib
import typing
from typing import Mapping

from aws_cdk import (
    CustomResource,
    Duration,
    Stack,
    aws_applicationautoscaling as appscaling,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sagemaker as sagemaker,
)
from constructs import Construct

from ..core._functions import project_function
from ..core._validation import acknowledge

RESOURCE_TYPE = "Custom::ScalingGuard"


def instance_type_digest(instance_type: str) -> str:
    """8 hex of the instance type: the suffix of a variant's policy names (changes exactly when the type does)."""
    return hashlib.sha256(instance_type.encode()).hexdigest()[:8]


class ScalingGuard(Construct):
    """Release before, and Restore after, the endpoint update, for the given autoscaled variants.

    targets: variant name -> (its ScalableTarget, its instance type). Required, at least one.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: sagemaker.CfnEndpoint,
        endpoint_name: str,
        config: sagemaker.CfnEndpointConfig,
        targets: Mapping[str, tuple[appscaling.ScalableTarget, str]],
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Deregisters and re-registers the autoscaled variants of {scope.node.path} around updates",
        )
        if isinstance(encryption_key, kms.Key):
            encryption_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com"))
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR,
                                       encryption_key=encryption_key)
        self.log_group.grant_write(self.role)
        # Application Auto Scaling's scalable-target ARNs carry an id it generates at registration, so the calls
        # cannot name them in advance; its condition keys pin them to SageMaker variants' instance counts (Service
        # Authorization Reference, Application Auto Scaling: service-namespace and scalable-dimension apply to
        # RegisterScalableTarget and DeregisterScalableTarget).
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["application-autoscaling:DeregisterScalableTarget",
                     "application-autoscaling:RegisterScalableTarget"],
            resources=["*"],
            conditions={"StringEquals": {
                "application-autoscaling:service-namespace": "sagemaker",
                "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount",
            }},
        ))
        # Registering a SageMaker variant makes Application Auto Scaling read the endpoint with the caller's rights.
        endpoint_arn = stack.format_arn(service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower())
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"],
            resources=[endpoint_arn],
        ))
        self.role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpointConfig"],
                                                    resources=[config.ref]))
        self.function = project_function(
            self, "Function", package="scaling_guard",
            description=f"Autoscaling guard of {scope.node.path} for updates that change autoscaled variants",
            role=self.role, environment={"LOG_LEVEL": "INFO"}, log_group=self.log_group,
            reserved_concurrency=None, memory_size=128, timeout=Duration.seconds(60),
        )
        declared = []
        for name, (target, instance_type) in sorted(targets.items()):
            cfn_target = typing.cast(appscaling.CfnScalableTarget, target.node.default_child)
            declared.append({
                "ResourceId": f"endpoint/{endpoint_name}/variant/{name}",
                "InstanceType": instance_type,
                "MinCapacity": cfn_target.min_capacity,
                "MaxCapacity": cfn_target.max_capacity,
            })
        properties = {"EndpointName": endpoint_name, "Targets": declared}
        self.release = CustomResource(self, "Release", service_token=self.function.function_arn,
                                      resource_type=RESOURCE_TYPE, properties={"Action": "release", **properties})
        self.restore = CustomResource(self, "Restore", service_token=self.function.function_arn,
                                      resource_type=RESOURCE_TYPE, properties={"Action": "restore", **properties})
        endpoint.node.add_dependency(self.release)
        self.restore.node.add_dependency(endpoint)
        for name, (target, instance_type) in targets.items():
            self.restore.node.add_dependency(target.node.default_child)  # the target only, not its policies
            for child in target.node.find_all():
                if isinstance(child, appscaling.CfnScalingPolicy):
                    child.policy_name = f"{child.policy_name}-{instance_type_digest(instance_type)}"
                    child.node.add_dependency(self.restore)
        self._acknowledge()

    def _acknowledge(self) -> None:
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Application Auto Scaling's scalable targets are named by an id generated at registration, and X-Ray's "
            "PutTraceSegments/PutTelemetryRecords have no resource-level permissions; every SageMaker call names "
            "this endpoint.",
        )
        for finding in ("Serverless-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(self.function, finding, "CloudFormation invokes this custom resource handler synchronously "
                        "and waits for its response; there is no asynchronous invocation to dead-letter.")
        for finding in ("HIPAA.Security-LambdaInsideVPC", "NIST.800.53.R5-LambdaInsideVPC"):
            acknowledge(self.function, finding, "The handler only calls the Application Auto Scaling API and holds "
                        "no data; a VPC placement would add an interface endpoint without narrowing what it reaches.")
