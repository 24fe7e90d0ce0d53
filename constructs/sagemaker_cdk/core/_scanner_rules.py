"""One acknowledgement, every scanner: the table from cdk-nag rule ids to checkov check ids, and the Aspect that
writes checkov skips into the template.

`_validation.acknowledge(scope, finding, reason)` records a cdk-nag acknowledgement (cdk-nag v3, through aws-cdk-lib's
`Validations`) and, through this module, the equivalent checkov skip: `Metadata.checkov.skip` entries
(`{"id": ..., "comment": reason}`) on every CloudFormation resource under `scope` whose type the checkov check
inspects. The skips are written at synth by an Aspect (`CheckovSkips`, one per stack), so resources created after the
acknowledgement (a role's DefaultPolicy, say) get them too. A checkov id given directly (`"CKV_AWS_173"`) writes only
the checkov skip: for checks cdk-nag has no rule for.

aws-cdk-lib's own framework functions (BucketDeployment, custom resource providers such as the VPC's default security
group restriction, log retention, AwsCustomResource, bucket notifications) are tagged by the same Aspect with the
skips in `FRAMEWORK_SKIPS`: their code and settings belong to aws-cdk-lib, not to this library or its users.

Facts from checkov 3.3.30: check ids, names and the resource types each check inspects are those of
checkov/cloudformation/checks/resource/aws/<Check>.py (`supported_resources`). cdk-nag rule names are those of
cdk-nag v3's packs (AwsSolutions, Serverless, HIPAA.Security, NIST.800.53.R5).
"""

from __future__ import annotations

import re
from typing import Any

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, Stack, Stage

_LAMBDA = ("AWS::Lambda::Function", "AWS::Serverless::Function")

# checkov check id -> the CloudFormation resource types it inspects (checkov 3.3.30, `supported_resources`).
CHECKOV_RESOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "CKV_AWS_18": ("AWS::S3::Bucket",),  # S3AccessLogs: the bucket has access logging enabled
    "CKV_AWS_27": ("AWS::SQS::Queue",),  # SQSQueueEncryption: KmsMasterKeyId is set
    "CKV_AWS_115": _LAMBDA,  # LambdaFunctionLevelConcurrentExecutionLimit: ReservedConcurrentExecutions
    "CKV_AWS_116": _LAMBDA,  # LambdaDLQConfigured: DeadLetterConfig
    "CKV_AWS_117": _LAMBDA,  # LambdaInVPC: VpcConfig
    "CKV_AWS_173": _LAMBDA,  # LambdaEnvironmentEncryptionSettings: KmsKeyArn when Environment is set
    "CKV_AWS_120": ("AWS::ApiGateway::Stage", "AWS::Serverless::Api"),  # APIGatewayCacheEnable
    "CKV_AWS_158": ("AWS::Logs::LogGroup",),  # CloudWatchLogGroupKMSKey: KmsKeyId
    "CKV_AWS_187": ("AWS::SageMaker::Domain", "AWS::SageMaker::NotebookInstance"),  # SagemakerNotebookEncryptedWithCMK
    "CKV_AWS_370": ("AWS::SageMaker::Model",),  # SagemakerModelWithNetworkIsolation
}

_BOTH = ("HIPAA.Security", "NIST.800.53.R5")

# cdk-nag rule id (pack prefix, no granular [...] suffix) -> the checkov checks that test the same property.
# A rule absent here has no checkov equivalent (or its checkov twin already passes wherever the rule fires):
# acknowledging it writes the cdk-nag acknowledgement only.
NAG_TO_CHECKOV: dict[str, tuple[str, ...]] = {
    "AwsSolutions-S1": ("CKV_AWS_18",),
    **{f"{pack}-S3BucketLoggingEnabled": ("CKV_AWS_18",) for pack in _BOTH},
    "AwsSolutions-SQS2": ("CKV_AWS_27",),
    "Serverless-LambdaDLQ": ("CKV_AWS_116",),
    **{f"{pack}-LambdaDLQ": ("CKV_AWS_116",) for pack in _BOTH},
    **{f"{pack}-LambdaInsideVPC": ("CKV_AWS_117",) for pack in _BOTH},
    **{f"{pack}-LambdaConcurrency": ("CKV_AWS_115",) for pack in _BOTH},
    **{f"{pack}-CloudWatchLogGroupEncrypted": ("CKV_AWS_158",) for pack in _BOTH},
    **{f"{pack}-APIGWCacheEnabledAndEncrypted": ("CKV_AWS_120",) for pack in _BOTH},
    "AwsSolutions-SM2": ("CKV_AWS_187",),
    **{f"{pack}-SageMakerNotebookInstanceKMSKeyConfigured": ("CKV_AWS_187",) for pack in _BOTH},
}

_CHECKOV_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")


def is_checkov_id(finding: str) -> bool:
    return bool(_CHECKOV_ID.match(finding))


def checkov_ids(finding: str) -> tuple[str, ...]:
    """The checkov checks equivalent to `finding` (a cdk-nag id, granular suffix allowed, or a checkov id)."""
    if is_checkov_id(finding):
        return (finding,)
    return NAG_TO_CHECKOV.get(finding.split("[", 1)[0], ())


# aws-cdk-lib's singleton framework constructs, by construct id: `Custom::...` (BucketDeployment, every
# CustomResourceProvider such as Custom::VpcRestrictDefaultSGCustomResourceProvider), LogRetention<uuid>,
# AWS<uuid> (AwsCustomResource) and BucketNotificationsHandler<uuid>.
FRAMEWORK_ID = re.compile(r"^(Custom::.+|LogRetention[0-9a-f]{32}|AWS[0-9a-f]{32}|BucketNotificationsHandler[0-9a-f]{32})$")

_FRAMEWORK = "aws-cdk-lib's own deployment-time function (code and settings owned by aws-cdk-lib, not this library)"
FRAMEWORK_SKIPS: dict[str, str] = {
    "CKV_AWS_115": f"{_FRAMEWORK}: CloudFormation calls it once per resource change, so it needs no reserved "
    "concurrency, and reserving some would take from the account's unreserved pool.",
    "CKV_AWS_116": f"{_FRAMEWORK}: it is invoked synchronously by CloudFormation, which receives every failure "
    "and fails the deployment; there is no asynchronous event to dead-letter.",
    "CKV_AWS_117": f"{_FRAMEWORK}: it only calls AWS APIs at deploy time and holds no data; a VPC would need "
    "endpoints or NAT without narrowing what it can reach.",
    "CKV_AWS_173": f"{_FRAMEWORK}: its environment holds no secrets, only settings aws-cdk-lib chose; Lambda "
    "encrypts it at rest with its AWS managed key.",
    "CKV_AWS_158": f"{_FRAMEWORK}: its log group records deployment steps (object keys, resource ids), never "
    "data; CloudWatch Logs encrypts it at rest.",
}


def is_framework_resource(resource: CfnResource) -> bool:
    return any(FRAMEWORK_ID.match(segment) for segment in resource.node.path.split("/"))


@jsii.implements(IAspect)
class CheckovSkips:
    """Writes `Metadata.checkov.skip` on the resources under each acknowledged scope (one instance per stack)."""

    def __init__(self) -> None:
        # (scope path, checkov id, reason), in the order acknowledged
        self.entries: list[tuple[str, str, str]] = []

    @classmethod
    def of(cls, scope: Any) -> "CheckovSkips":
        """The instance attached to `scope`'s stack (or to `scope` itself outside any stack), created once."""
        target = scope if Stage.is_stage(scope) or not in_stack(scope) else Stack.of(scope)
        for aspect in Aspects.of(target).all:
            if isinstance(aspect, cls):
                return aspect
        aspect = cls()
        Aspects.of(target).add(aspect)
        return aspect

    def add(self, scope: Any, finding: str, reason: str) -> None:
        for check in checkov_ids(finding):
            self.entries.append((scope.node.path, check, reason))

    def skips_for(self, resource: CfnResource) -> dict[str, str]:
        path, rtype = resource.node.path, resource.cfn_resource_type
        skips: dict[str, str] = {}
        # The nearest acknowledged scope gives the reason; ties go to the first acknowledgement.
        matching = [e for e in self.entries if path == e[0] or path.startswith(e[0] + "/")]
        for scope_path, check, reason in sorted(matching, key=lambda e: -len(e[0])):
            if rtype in CHECKOV_RESOURCE_TYPES.get(check, ()):
                skips.setdefault(check, reason)
        if is_framework_resource(resource):
            for check, reason in FRAMEWORK_SKIPS.items():
                if rtype in CHECKOV_RESOURCE_TYPES[check] and (check != "CKV_AWS_173" or _has_environment(resource)):
                    skips.setdefault(check, reason)
        return skips

    def visit(self, node: Any) -> None:
        if not isinstance(node, CfnResource):
            return
        skips = self.skips_for(node)
        if skips:
            add_checkov_skips(node, skips)


def add_checkov_skips(resource: CfnResource, skips: dict[str, str]) -> None:
    """Merge `skips` (checkov id -> comment) into the resource's `Metadata.checkov.skip`; existing entries win."""
    current = resource.get_metadata("checkov") or {}
    entries = list(current.get("skip", []))
    known = {entry.get("id") for entry in entries}
    entries += [{"id": check, "comment": reason} for check, reason in skips.items() if check not in known]
    resource.add_metadata("checkov", {**current, "skip": entries})


def _has_environment(resource: CfnResource) -> bool:
    """True for a Lambda L1 with environment variables (CKV_AWS_173 passes on functions without any)."""
    return bool(getattr(resource, "environment", None))


def in_stack(scope: Any) -> bool:
    try:
        Stack.of(scope)
    except Exception:  # jsii raises when no Stack is among the ancestors (App, Stage)
        return False
    return True
