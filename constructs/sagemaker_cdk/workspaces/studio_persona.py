"""Studio personas: what a Studio user's execution role may do, after SageMaker Role Manager's ML activities.

A persona is a string (`StudioPersona`, like the library's other choices, e.g. TrafficMode):
- "data-scientist": run Studio apps and spaces in its own domain; run training, processing and tuning jobs, passing
  only the domain's job role; read the model registry; read and write the team's bucket prefixes with its key.
- "mlops": everything above, plus deploy: models, endpoint configurations and endpoints, approval of model packages,
  and invoking endpoints.

No statement uses a `*` action. Resource wildcards are either SageMaker resources named at run time (jobs, models,
endpoints, apps and spaces of this domain) or List* calls that have no resource-level permissions (Service
Authorization Reference: ListApps, ListSpaces, ListTrainingJobs, ListModelPackageGroups, ... list no resource type);
each is acknowledged with that reason.
"""

from __future__ import annotations

from typing import Literal

from aws_cdk import ArnFormat, Stack, aws_iam as iam
from constructs import Construct


StudioPersona = Literal["data-scientist", "mlops"]
PERSONAS: tuple[str, ...] = ("data-scientist", "mlops")


# Actions per activity. Resource types and ARN formats: Service Authorization Reference for Amazon SageMaker
# (parliament's iam_definition.json): app/${DomainId}/${UserProfileName}/${AppType}/${AppName},
# space/${DomainId}/${SpaceName}, user-profile/${DomainId}/${UserProfileName}, domain/${DomainId}.
STUDIO_APP_ACTIONS = ["sagemaker:CreateApp", "sagemaker:DeleteApp", "sagemaker:DescribeApp", "sagemaker:AddTags"]
STUDIO_SPACE_ACTIONS = [
    "sagemaker:CreateSpace",
    "sagemaker:UpdateSpace",
    "sagemaker:DeleteSpace",
    "sagemaker:DescribeSpace",
    "sagemaker:AddTags",
]
STUDIO_READ_ACTIONS = ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile", "sagemaker:ListTags"]
LIST_ACTIONS = [  # no resource-level permissions: "*" is the only accepted resource
    "sagemaker:ListApps",
    "sagemaker:ListSpaces",
    "sagemaker:ListUserProfiles",
    "sagemaker:ListDomains",
    "sagemaker:ListTrainingJobs",
    "sagemaker:ListProcessingJobs",
    "sagemaker:ListHyperParameterTuningJobs",
    "sagemaker:ListModelPackageGroups",
    "sagemaker:ListModelPackages",
    "sagemaker:ListImages",
]
JOB_ACTIONS = {
    "training-job": ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"],
    "processing-job": [
        "sagemaker:CreateProcessingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:StopProcessingJob",
    ],
    "hyper-parameter-tuning-job": [
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob",
    ],
}
REGISTRY_READ_ACTIONS = {
    "model-package-group": ["sagemaker:DescribeModelPackageGroup"],
    "model-package": ["sagemaker:DescribeModelPackage"],
}
DEPLOY_ACTIONS = {
    "model": ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel"],
    "endpoint-config": [
        "sagemaker:CreateEndpointConfig",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:DeleteEndpointConfig",
    ],
    "endpoint": [
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DeleteEndpoint",
        "sagemaker:InvokeEndpoint",
    ],
    "model-package": ["sagemaker:UpdateModelPackage"],
}


def sagemaker_arn(scope: Construct, resource: str, name: str) -> str:
    return Stack.of(scope).format_arn(service="sagemaker", resource=resource, resource_name=name)


def persona_statements(
    scope: Construct, persona: StudioPersona, *, domain_id: str, job_role: iam.IRole
) -> list[iam.PolicyStatement]:
    """The policy statements of one persona's execution role (the bucket and key grants are added separately)."""
    statements = [
        iam.PolicyStatement(
            sid="StudioAppsOfThisDomain",
            actions=STUDIO_APP_ACTIONS,
            resources=[sagemaker_arn(scope, "app", f"{domain_id}/*")],
        ),
        iam.PolicyStatement(
            sid="StudioSpacesOfThisDomain",
            actions=STUDIO_SPACE_ACTIONS,
            resources=[sagemaker_arn(scope, "space", f"{domain_id}/*")],
        ),
        iam.PolicyStatement(
            sid="ReadThisDomain",
            actions=STUDIO_READ_ACTIONS,
            resources=[
                sagemaker_arn(scope, "domain", domain_id),
                sagemaker_arn(scope, "user-profile", f"{domain_id}/*"),
            ],
        ),
        iam.PolicyStatement(sid="ListCallsWithoutResourceLevelPermissions", actions=LIST_ACTIONS, resources=["*"]),
        iam.PolicyStatement(
            sid="RunJobs",
            actions=[a for actions in JOB_ACTIONS.values() for a in actions],
            resources=[sagemaker_arn(scope, resource, "*") for resource in JOB_ACTIONS],
        ),
        iam.PolicyStatement(
            sid="ReadModelRegistry",
            actions=[a for actions in REGISTRY_READ_ACTIONS.values() for a in actions],
            resources=[sagemaker_arn(scope, resource, "*") for resource in REGISTRY_READ_ACTIONS],
        ),
        iam.PolicyStatement(
            sid="PassOnlyTheJobRoleToSageMaker",
            actions=["iam:PassRole"],
            resources=[job_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="ReadSageMakerLogs",
            actions=["logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"],
            resources=[sagemaker_log_groups_arn(scope)],
        ),
        iam.PolicyStatement(
            sid="StudioAppLogs",
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[studio_log_group_arn(scope)],
        ),
    ]
    if persona == "mlops":
        statements.append(
            iam.PolicyStatement(
                sid="DeployModels",
                actions=sorted({a for actions in DEPLOY_ACTIONS.values() for a in actions}),
                resources=[sagemaker_arn(scope, resource, "*") for resource in DEPLOY_ACTIONS],
            )
        )
    return statements


def sagemaker_log_groups_arn(scope: Construct) -> str:
    return Stack.of(scope).format_arn(
        service="logs", resource="log-group", resource_name="/aws/sagemaker/*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def studio_log_group_arn(scope: Construct) -> str:
    return Stack.of(scope).format_arn(
        service="logs", resource="log-group", resource_name="/aws/sagemaker/studio*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
