"""IAM for workflows that update a RealtimeEndpoint (private module).

`grant_endpoint_update` gives a workflow role exactly the calls of `_endpoint_update.endpoint_update_states`
(models and configs under its own name prefix, UpdateEndpoint/DescribeEndpoint on one endpoint, PassRole of one
role to SageMaker only). `grant_serving_role` gives the execution role of the models a workflow creates what serving
on that endpoint needs. Actions and condition keys: the Service Authorization Reference (SageMaker, KMS, CloudWatch,
CloudWatch Logs).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack, aws_iam as iam
from constructs import Construct

from ..core._validation import acknowledge, nag_resource
from ..core.artifact_bucket import ArtifactBucket
from ..core.network import ModelNetwork
from ..inference.realtime_endpoint import RealtimeEndpoint
from . import _workflow


def endpoint_arn(scope: Construct, endpoint: RealtimeEndpoint) -> str:
    # SageMaker lower-cases endpoint ARNs whatever the case of the endpoint's name.
    return _workflow.arn(scope, "endpoint", endpoint.endpoint_name_value.lower())


def grant_endpoint_update(
    scope: Construct, role: iam.Role, *, endpoint: RealtimeEndpoint, name_prefix: str, model_role: iam.IRole
) -> None:
    """Create models and configs named '<name_prefix>-*', update and describe `endpoint`, pass `model_role`."""
    models = _workflow.arn(scope, "model", f"{name_prefix}-*")
    configs = _workflow.arn(scope, "endpoint-config", f"{name_prefix}-*")
    role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:CreateModel"], resources=[models]))
    role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:CreateEndpointConfig"], resources=[configs]))
    role.add_to_policy(
        iam.PolicyStatement(actions=["sagemaker:UpdateEndpoint"], resources=[endpoint_arn(scope, endpoint), configs])
    )
    role.add_to_policy(
        iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=[endpoint_arn(scope, endpoint)])
    )
    _workflow.pass_role(role, model_role)
    if endpoint.config.kms_key_id is not None:
        # UpdateEndpoint provisions the new fleet's encrypted volumes with a grant on the endpoint key.
        # kms:GrantIsForAWSResource exists only for CreateGrant, ListGrants and RevokeGrant (Service
        # Authorization Reference, AWS KMS): under it, DescribeKey would never be allowed. So it stands alone.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[endpoint.encryption_key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[endpoint.encryption_key.key_arn])
        )
    for pattern in (models, configs):
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_resource(scope, pattern)}]",
            "Each run names its model and endpoint config '<prefix>-<run id>', known only at run time; the "
            "grant covers this pipeline's name prefix only.",
        )


def grant_serving_role(
    scope: Construct, role: iam.Role, *, endpoint: RealtimeEndpoint, network: ModelNetwork | None
) -> None:
    """What the models a workflow deploys to `endpoint` need: rollback alarms, data capture, VPC, logs, metrics."""
    if endpoint.deployment.auto_rollback:
        # The rolled-out config's models run the next blue/green update, which reads the rollback alarms.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"],
                resources=[alarm.alarm_arn for alarm in endpoint.monitoring.rollback_alarms()],
            )
        )
    capture = endpoint.data_capture
    if capture is not None:
        bucket = capture.bucket.bucket if isinstance(capture.bucket, ArtifactBucket) else capture.bucket
        prefix = capture.prefix.rstrip("/")
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{prefix}/*")])
        )
        for key in (endpoint.encryption_key, bucket.encryption_key):
            if key is not None:
                role.add_to_policy(
                    iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[key.key_arn])
                )
        _workflow.acknowledge_wildcard(
            role,
            bucket.bucket_arn,
            f"/{prefix}/*",
            "Captured requests are written under new, unpredictable keys; PutObject is limited to the "
            "endpoint's data-capture prefix.",
        )
    if network is not None:
        network.grant_network_interfaces(role)
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:"
            "network-interface/*]",
            "SageMaker creates the model's network interfaces at deploy time, so their IDs cannot be known; "
            "creation is further limited to the model's own subnets and security group.",
        )
    group = Stack.of(scope).format_arn(
        service="logs", resource="log-group", arn_format=ArnFormat.COLON_RESOURCE_NAME,
        resource_name=f"/aws/sagemaker/Endpoints/{endpoint.endpoint_name_value}",
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            resources=[group, f"{group}:*"],
        )
    )
    # PutMetricData has no resource-level permissions; the condition pins the SageMaker namespaces instead.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
        )
    )
    if endpoint.deployment.auto_rollback and not endpoint.variants[0][1].is_serverless:
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"],
                resources=[a.alarm_arn for a in endpoint.monitoring.rollback_alarms()],
            )
        )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "Only actions without resource-level permissions use '*': ecr:GetAuthorizationToken, ec2:Describe* "
        "(VPC placement) and cloudwatch:PutMetricData, the last pinned to SageMaker namespaces by condition.",
    )
    acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::{nag_resource(scope, group)}:*]",
        "SageMaker names the log streams of an endpoint's instances at run time; the grant stays inside this "
        "endpoint's own log group.",
    )
