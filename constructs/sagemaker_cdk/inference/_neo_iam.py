"""NeoCompilation's IAM (private module): the three SageMaker / Lambda / Step Functions roles, their statements, and
the acknowledgements of the wildcards they cannot avoid.

Every role is created in the NeoCompilation's scope (ids "CompilationRole", "FunctionRole", "ModelRole",
"WorkflowRole"), so construct ids and the template do not depend on this module boundary. Statements are added in
a fixed order: the template (and its snapshots) stays the same from one synth to the next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Stack, aws_iam as iam
from constructs import IConstruct

from ..core._validation import acknowledge, nag_resource
from ..core.container_image import ContainerImage, registry_image
from ..training import _workflow

if TYPE_CHECKING:
    from .neo_compilation import NeoCompilation


def compilation_role(neo: NeoCompilation) -> iam.Role:
    """The compilation jobs' execution role: read `input_prefix`, write `output_prefix`, its own logs (+ VPC)."""
    role = iam.Role(
        neo,
        "CompilationRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description=f"Execution role of the Neo compilation jobs of {neo.node.path}",
    )
    neo.bucket.grant_read(role, neo.input_prefix)
    neo.bucket.grant_write(role, neo.output_prefix)
    grant_sagemaker_logs(role, "/aws/sagemaker/CompilationJobs")
    if neo.network is not None:
        neo.network.grant_network_interfaces(role)
    return role


def function_role(neo: NeoCompilation) -> iam.Role:
    """The start function's role (its statements come with `grant_function`, once its log group exists)."""
    return iam.Role(
        neo,
        "FunctionRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Starts the Neo compilation jobs of {neo.node.path}",
    )


def grant_function(neo: NeoCompilation) -> None:
    """The function writes its logs, starts and describes this construct's jobs, and passes the compilation role."""
    neo.function_log_group.grant_write(neo.function_role)
    neo.function_role.add_to_policy(
        iam.PolicyStatement(
            sid="StartThisConstructsCompilationJobs",
            actions=["sagemaker:CreateCompilationJob", "sagemaker:DescribeCompilationJob"],
            resources=[neo.job_arn_pattern],
        )
    )
    _workflow.pass_role(neo.function_role, neo.role)


def model_role(neo: NeoCompilation, inference_image: ContainerImage | None) -> tuple[iam.Role, str | None]:
    """The compiled model's execution role (read `output_prefix`, pull its one image, its logs) and the image URI."""
    role = iam.Role(
        neo,
        "ModelRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description=f"Execution role of the models compiled by {neo.node.path}",
    )
    neo.bucket.grant_read(role, neo.output_prefix)
    assert inference_image is not None or neo.serving_image is not None  # checked by _neo_props.validate
    image = inference_image or registry_image(neo.serving_image)  # type: ignore[arg-type]
    image_uri = image.bind(neo, role).image_uri
    grant_sagemaker_logs(role, "/aws/sagemaker/Endpoints")
    if neo.network is not None:
        neo.network.grant_network_interfaces(role)
    return role, image_uri


def workflow_role(neo: NeoCompilation, resources: _workflow.WorkflowResources) -> iam.Role:
    """The state machine's role: invoke the function, describe the jobs, create the models (and the endpoint)."""
    role = _workflow.workflow_role(neo, resources)
    role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[neo.function.function_arn]))
    role.add_to_policy(
        iam.PolicyStatement(actions=["sagemaker:DescribeCompilationJob"], resources=[neo.job_arn_pattern])
    )
    if neo.model_role is not None:
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:CreateModel"], resources=[neo.model_arn_pattern]))
        _workflow.pass_role(role, neo.model_role)
    if neo.endpoint is not None:
        _grant_endpoint(neo, role)
    return role


def endpoint_arn(neo: NeoCompilation) -> str:
    """The deployed endpoint's ARN (SageMaker lower-cases endpoint ARNs)."""
    assert neo.endpoint is not None  # only asked for with an endpoint
    return Stack.of(neo).format_arn(
        service="sagemaker", resource="endpoint", resource_name=neo.endpoint.endpoint_name.lower()
    )


def endpoint_config_pattern(neo: NeoCompilation) -> str:
    return Stack.of(neo).format_arn(
        service="sagemaker", resource="endpoint-config", resource_name=f"{neo.job_name_prefix}-*"
    )


def _grant_endpoint(neo: NeoCompilation, role: iam.Role) -> None:
    role.add_to_policy(
        iam.PolicyStatement(actions=["sagemaker:CreateEndpointConfig"], resources=[endpoint_config_pattern(neo)])
    )
    role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=[endpoint_arn(neo)]))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
            resources=[endpoint_arn(neo), endpoint_config_pattern(neo)],
        )
    )
    # An endpoint config with KmsKeyId makes SageMaker create a grant on the key for the caller's volumes.
    # kms:GrantIsForAWSResource exists only for CreateGrant, ListGrants and RevokeGrant (Service Authorization
    # Reference, AWS KMS), so DescribeKey gets a statement of its own: under that condition it would never match.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[neo.bucket.encryption_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    role.add_to_policy(iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[neo.bucket.encryption_key.key_arn]))


def acknowledge_findings(neo: NeoCompilation) -> None:
    """Acknowledge the IAM5 wildcards of the roles, each with the reason it cannot be narrower."""
    acknowledge(
        neo.function_role,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support "
        "no resource-level permissions; every other statement of this role names its resources.",
    )
    job_reason = (
        "Compilation job names are derived per artifact at run time (a hash of its location, version and "
        "target), so they cannot be listed; the pattern is this construct's own job-name prefix."
    )
    for role in (neo.function_role, neo.workflow_role):
        acknowledge(role, f"AwsSolutions-IAM5[Resource::{nag_resource(neo, neo.job_arn_pattern)}]", job_reason)
    if neo.model_role is not None:
        acknowledge(
            neo.workflow_role,
            f"AwsSolutions-IAM5[Resource::{nag_resource(neo, neo.model_arn_pattern)}]",
            "Each compiled model is named after its compilation job, known only at run time; the pattern is "
            "this construct's own name prefix.",
        )
    if neo.endpoint is not None:
        acknowledge(
            neo.workflow_role,
            f"AwsSolutions-IAM5[Resource::{nag_resource(neo, endpoint_config_pattern(neo))}]",
            "Each endpoint config is named after its compilation job, known only at run time; the pattern is "
            "this construct's own name prefix, and the endpoint itself is named exactly.",
        )
    for role, grants in ((neo.role, ((neo.input_prefix, "read"), (neo.output_prefix, "write"))),
                         (neo.model_role, ((neo.output_prefix, "read"),))):
        if role is None:
            continue
        for prefix, verb in grants:
            objects = neo.bucket.bucket.arn_for_objects(object_pattern(prefix))
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(neo, objects)}]",
                f"SageMaker {verb}s artifacts whose keys are only known at run time; access is limited to the "
                f"{prefix!r} prefix of the artifact bucket.",
            )
        for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:Abort*", "kms:GenerateDataKey*",
                       "kms:ReEncrypt*"):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Action::{action}]",
                "CDK's standard S3 read/write grant (Bucket.grant_read / grant_put) on one bucket and prefix "
                "and its KMS key; the wildcard only spans that action family's read, abort or data-key variants.",
            )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions without resource-level permissions use '*': cloudwatch:PutMetricData (pinned to "
            "SageMaker namespaces by condition), ecr:GetAuthorizationToken and ec2:Describe* (VPC placement).",
        )
    for group, role in (("/aws/sagemaker/CompilationJobs", neo.role), ("/aws/sagemaker/Endpoints", neo.model_role)):
        if role is None:
            continue
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_resource(neo, log_group_arn(neo, group))}]",
            "SageMaker names the log streams after each job or endpoint, known only at run time; the grant "
            f"stays inside the {group} log group.",
        )
    if neo.network is not None:
        eni = Stack.of(neo).format_arn(service="ec2", resource="network-interface", resource_name="*")
        for role in (neo.role, neo.model_role):
            if role is not None:
                acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Resource::{nag_resource(neo, eni)}]",
                    "SageMaker creates the network interfaces of jobs and models at run time, so their IDs "
                    "cannot be known; creation is further limited to the network's own subnets and security "
                    "group.",
                )


def object_pattern(prefix: str) -> str:
    return prefix if prefix.endswith("*") else prefix.rstrip("/") + "/*"


def log_group_arn(scope: IConstruct, group: str) -> str:
    return Stack.of(scope).format_arn(
        service="logs", resource="log-group", resource_name=f"{group}*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def grant_sagemaker_logs(role: iam.IRole, group: str) -> None:
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[log_group_arn(role, group)],
        )
    )
    # PutMetricData has no resource-level permissions; the condition pins the namespace instead.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
        )
    )
