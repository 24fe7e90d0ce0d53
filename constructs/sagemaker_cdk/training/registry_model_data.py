"""ModelData.from_registry: serve the newest approved version of a model package group, resolved at deploy time.

A Lambda-backed custom resource (lambda/registry_resolver) lists the group's approved versions on every deployment
and returns the newest one's artifact, so a later `cdk deploy` keeps serving what was approved instead of putting
the stack's own artifact back. While nothing is approved it returns the `fallback` artifact the stack declares.
A pinned `version` must be Approved, or the deployment fails and says so.

Why "every deployment": CloudFormation calls a custom resource only when its properties change, so its
`ResolveToken` property changes on every synthesis (the synthesis time, or the context value
`sagemaker-cdk:registry-resolve-token` when set). The model itself changes only when the resolved artifact does.
"""

from __future__ import annotations

import datetime
from typing import Any

from aws_cdk import Aws, CustomResource, Duration, RemovalPolicy, Stack, aws_iam as iam, aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..core._functions import project_function
from ..core._validation import PropErrors, acknowledge
from ..core.model_data import BoundModelData, ModelData
from .model_registry import IModelRegistry

RESOLVE_TOKEN_CONTEXT = "sagemaker-cdk:registry-resolve-token"


def resolve_token(scope: Construct) -> str:
    """The value that makes CloudFormation re-run the resolver: the context override, else the synthesis time."""
    value = scope.node.try_get_context(RESOLVE_TOKEN_CONTEXT)
    if value is not None:
        return str(value)
    return "resolve-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RegistryModelData(ModelData):
    """The artifact of the newest approved (or a pinned) version of `registry`; `fallback` until one is approved.

    The model's role gets what `fallback` grants. Reading the registered artifacts is granted by the workflow that
    wrote them, e.g. `registration.grant_read_artifacts(model.role)` (ModelRegistration), because they usually
    live in another stack.
    """

    def __init__(self, registry: IModelRegistry, fallback: ModelData, version: int | None) -> None:
        self.registry, self.fallback, self.version = registry, fallback, version
        self.resolvers: dict[str, CustomResource] = {}

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundModelData:
        fallback = self.fallback.bind(scope, grantee)
        resolver = self.resolvers.get(scope.node.path)
        if resolver is None:
            resolver = self._resolver(scope, fallback.url)
            self.resolvers[scope.node.path] = resolver
        return BoundModelData(url=resolver.get_att_string("ModelDataUrl"))

    def _resolver(self, scope: Construct, fallback_url: str) -> CustomResource:
        holder = Construct(scope, "RegistryResolver")
        role = iam.Role(
            holder,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Resolves the approved model version for {scope.node.path}",
        )
        key = kms.Key(holder, "LogsKey", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN,
                      description=f"Encrypts the registry resolver logs of {scope.node.path}")
        key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com"))
        log_group = logs.LogGroup(holder, "Logs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=key,
                                  removal_policy=RemovalPolicy.RETAIN)
        log_group.grant_write(role)
        self.registry.grant_read(role)
        function = project_function(
            holder,
            "Function",
            package="registry_resolver",
            description=f"Resolves the newest approved version of model package group "
            f"{self.registry.model_package_group_name} for {scope.node.path}"[:256],
            role=role,
            environment={"LOG_LEVEL": "INFO"},
            log_group=log_group,
            # No reservation (issue 11): CloudFormation invokes it once per deployment, and a reservation fails the
            # first deploy on accounts whose Lambda concurrency quota is 10 or 50.
            reserved_concurrency=None,
            memory_size=256,
            timeout=Duration.seconds(60),
        )
        function.node.add_dependency(role)
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only the X-Ray tracing actions (xray:PutTraceSegments, xray:PutTelemetryRecords) use '*': they have no "
            "resource-level permissions.",
        )
        for finding in ("Serverless-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(
                function,
                finding,
                "Only CloudFormation invokes this custom-resource handler; every outcome, failures included, is "
                "sent back to CloudFormation and shown in the stack events, so there is nothing to redrive.",
            )
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(
                function,
                f"{pack}-LambdaInsideVPC",
                "the function only lists and describes model package versions through the SageMaker API and holds "
                "no data; a VPC placement would add a SageMaker API interface endpoint without narrowing what it "
                "can reach",
            )
        properties: dict[str, Any] = {
            "GroupName": self.registry.model_package_group_name,
            "Version": "" if self.version is None else str(self.version),
            "FallbackModelDataUrl": fallback_url,
            "ResolveToken": resolve_token(scope),
        }
        resource = CustomResource(
            holder,
            "Resource",
            service_token=function.function_arn,
            resource_type="Custom::RegistryModelData",
            properties=properties,
        )
        resource.node.add_dependency(role)
        group = getattr(self.registry, "resource", None)
        if group is not None and Stack.of(group) is Stack.of(holder):
            resource.node.add_dependency(group)  # list the group's versions only once it exists
        return resource


def from_registry(registry: IModelRegistry, *, fallback: ModelData, version: int | None = None) -> ModelData:
    errors = PropErrors("ModelData.from_registry")
    errors.expect_type("registry", registry, IModelRegistry, "a ModelRegistry (or ModelRegistry.from_...)")
    errors.expect_type("fallback", fallback, ModelData,
                       "a ModelData (from_asset or from_bucket): what serves while no version is approved")
    if version is not None:
        errors.number_in_range("version", version, 1, integer=True)
    errors.raise_if_any()
    return RegistryModelData(registry, fallback, version)

