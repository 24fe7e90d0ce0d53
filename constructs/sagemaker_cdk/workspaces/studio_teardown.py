"""StudioTeardown: deletes users' apps and spaces when the stack is deleted, before CloudFormation deletes the
domain's user profiles, shared spaces and the domain itself.

CloudFormation cannot delete a UserProfile or Space while apps run in it, nor a Domain while it holds spaces users
created (cloudformation-coverage-roadmap#1754). This custom resource depends on every profile and space of the
domain, so on stack deletion it goes first: aws-cdk-lib's Provider framework calls `lambda/studio_teardown` as
`onEvent`, then as `isComplete` every 30 seconds until every app is Deleted and every space users made is gone.
App deletion can take 20 minutes; the handler fails with a message naming what is stuck after `timeout`, and the
framework's total timeout is 10 minutes longer so that the handler's message is the one you read.

Its IAM is exact: DeleteApp and DeleteSpace on this domain's app/ and space/ ARNs, DescribeDomain on the domain,
and ListApps / ListSpaces (no resource-level permissions in the Service Authorization Reference: "*").
Cost: Lambda and Step Functions requests during stack deletion only.
"""

from __future__ import annotations

from typing import Sequence

import jsii
from aws_cdk import (
    Aws,
    CustomResource,
    Duration,
    IResolveContext,
    IStableListProducer,
    Lazy,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
)
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from ..core._functions import project_function
from ..core._validation import PropErrors, acknowledge, nag_resource
from ..core._types import typed
from .studio_persona import sagemaker_arn

# The Provider framework's total timeout is at most 2 hours (aws-cdk-lib custom_resources.ProviderProps); the
# handler's own deadline stays 10 minutes inside it so that its message, not the framework's, reports a timeout.
PROVIDER_MAX_TIMEOUT = Duration.hours(2)
MAX_TIMEOUT = Duration.minutes(110)


class StudioTeardown(Construct):
    """Deletes a domain's apps, then the spaces its users created, when the stack is deleted."""

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain_id: str,
        domain_arn: str,
        keep_spaces: Sequence[str] = (),
        timeout: Duration = Duration.minutes(45),
        encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"StudioTeardown {self.node.path}")
        if not isinstance(timeout, Duration):
            errors.add(f"timeout must be an aws_cdk.Duration, got {timeout!r}", type_error=True)
        elif not timeout.is_unresolved():
            errors.check(
                0 < timeout.to_seconds() <= MAX_TIMEOUT.to_seconds(),
                f"timeout ({timeout.to_seconds():g} seconds) must be positive and at most "
                f"{int(MAX_TIMEOUT.to_minutes())} minutes: the Provider framework waits at most 2 hours",
            )
        errors.raise_if_any()
        self._keep: list[str] = list(keep_spaces)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Deletes the Studio apps and user spaces of one domain when its stack is deleted",
        )
        if encryption_key is not None:
            encryption_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com"))
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, encryption_key=encryption_key)
        self.log_group.grant_write(self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DeleteAppsOfThisDomain",
                actions=["sagemaker:DeleteApp"],
                resources=[sagemaker_arn(self, "app", f"{domain_id}/*")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DeleteSpacesOfThisDomain",
                actions=["sagemaker:DeleteSpace"],
                resources=[sagemaker_arn(self, "space", f"{domain_id}/*")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(sid="DescribeThisDomain", actions=["sagemaker:DescribeDomain"], resources=[domain_arn])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ListCallsWithoutResourceLevelPermissions",
                actions=["sagemaker:ListApps", "sagemaker:ListSpaces"],
                resources=["*"],
            )
        )
        self.function = project_function(
            self,
            "Function",
            package="studio_teardown",
            description=f"Deletes Studio apps and user spaces before the domain is deleted ({self.node.path})",
            memory_size=256,
            timeout=Duration.minutes(2),
            reserved_concurrency=None,
            role=self.role,
            environment={"LOG_LEVEL": "INFO"},
            log_group=self.log_group,
        )
        self.provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.function,
            is_complete_handler=self.function,
            query_interval=Duration.seconds(30),
            total_timeout=Duration.seconds(min(timeout.to_seconds() + 600, PROVIDER_MAX_TIMEOUT.to_seconds())),
            log_group=self.log_group,
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type="Custom::StudioTeardown",
            properties={
                "DomainId": domain_id,
                # Spaces registered later (protect) are read at synth.
                "KeepSpaces": Lazy.list(_KeepSpaces(self._keep), omit_empty=False),
                "TimeoutSeconds": str(int(timeout.to_seconds())),
            },
        )
        self._acknowledge(domain_id)

    def protect(self, resource: IConstruct, space_name: str | None = None) -> None:
        """Run the teardown before `resource` (a user profile or space of the domain) is deleted."""
        self.resource.node.add_dependency(resource)
        if space_name is not None:
            self._keep.append(space_name)

    def _acknowledge(self, domain_id: str) -> None:
        for kind in ("app", "space"):
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, sagemaker_arn(self, kind, f'{domain_id}/*'))}]",
                f"Users create {kind}s with names only known at run time; the grant is limited to this domain's "
                f"{kind}s (the domain ID is part of the ARN).",
            )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "sagemaker:ListApps and sagemaker:ListSpaces have no resource-level permissions (Service Authorization "
            "Reference); the handler filters them by DomainIdEquals.",
        )
        for finding in ("Serverless-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(
                self.function,
                finding,
                "Invoked synchronously by the custom-resource Provider framework, which reports failures to "
                "CloudFormation; there are no asynchronous invocations to dead-letter.",
            )
        for finding in (
            "HIPAA.Security-LambdaInsideVPC",
            "NIST.800.53.R5-LambdaInsideVPC",
            "HIPAA.Security-LambdaConcurrency",
            "NIST.800.53.R5-LambdaConcurrency",
        ):
            acknowledge(
                self.function,
                finding,
                "Runs only during stack deletion, one invocation at a time from the Provider framework, and only "
                "calls the SageMaker API; a VPC placement or reserved concurrency would not narrow what it reaches.",
            )
        self._acknowledge_framework()

    def _acknowledge_framework(self) -> None:
        reason_framework = (
            "aws-cdk-lib's custom-resource Provider framework (onEvent, isComplete, onTimeout functions and its "
            "waiter state machine) is generated by CDK and only runs during deployments of this resource."
        )
        for finding in (
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AwsSolutions-L1",
            "AwsSolutions-SF1",
            "AwsSolutions-SF2",
            "Serverless-LambdaTracing",
            "Serverless-LambdaDLQ",
            "Serverless-LambdaDefaultMemorySize",
            "Serverless-LambdaLatestVersion",
            "Serverless-StepFunctionStateMachineXray",
            "Serverless-StepFunctionStateMachineAllLogsToCloudWatch",
            *(f"{pack}-{rule}" for pack in ("HIPAA.Security", "NIST.800.53.R5")
              for rule in ("LambdaDLQ", "LambdaConcurrency", "LambdaInsideVPC")),
        ):
            acknowledge(self.provider, finding, reason_framework)
        # checkov's CKV_AWS_173 (environment variables without a customer managed key): the framework functions'
        # environments hold only the ARNs aws-cdk-lib wires in. A checkov id writes the checkov skip only.
        acknowledge(
            self.provider,
            "CKV_AWS_173",
            "aws-cdk-lib's Provider framework functions hold only function and state machine ARNs in their "
            "environment, never secrets; Lambda encrypts it at rest with its AWS managed key.",
        )
        functions = [self.function]
        for name in ("framework-isComplete", "framework-onTimeout"):
            child = self.provider.node.try_find_child(name)
            if child is not None:
                functions.append(child)  # type: ignore[arg-type]
        for function in functions:
            acknowledge(
                self.provider,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, function.function_arn)}:*]",
                "lambda:InvokeFunction on the function's versions and aliases (CDK's Function.grant_invoke); the "
                "grant names one function of this teardown.",
            )


@jsii.implements(IStableListProducer)
class _KeepSpaces:
    def __init__(self, names: list[str]) -> None:
        self.names = names

    def produce(self, context: IResolveContext | None = None) -> list[str]:
        return list(self.names)
