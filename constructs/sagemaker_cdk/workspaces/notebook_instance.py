"""NotebookInstance: a SageMaker notebook instance that is private, non-root, encrypted and stops itself when idle.

Secure defaults (each checked against cdk-nag's AwsSolutions-SM1/SM2/SM3 and checkov's CKV_AWS_122/187/371):
- placed in the stack's shared `ModelNetwork` (or the one you pass) with `DirectInternetAccess: Disabled`, and the
  interface endpoints a notebook with no internet needs are added to that network (SageMaker API and runtime, STS,
  ECR, CloudWatch Logs; S3 through the gateway endpoint);
- `RootAccess: Disabled`, IMDSv2 only, the ML storage volume encrypted with a KMS key (rotation on);
- the newest platform identifier (Amazon Linux 2023);
- its own execution role: read/write on the team's bucket prefixes and key, SageMaker logs, and
  `StopNotebookInstance` on this notebook only (never AmazonSageMakerFullAccess);
- a lifecycle configuration that stops the instance after `idle_minutes` without activity (default 60) and can
  install packages from a private index.

Cost: the instance type per hour while InService (ml.t3.medium is about $0.05/hour), its EBS volume while it exists,
and the interface endpoints of the network (about $0.01/hour each per AZ).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from aws_cdk import (
    ArnFormat,
    Fn,
    Names,
    RemovalPolicy,
    Stack,
    aws_ec2 as ec2,
    aws_iam as iam,
    aws_kms as kms,
    aws_sagemaker as sagemaker,
)
from constructs import Construct

from ..core._validation import PropErrors, acknowledge, is_token, nag_resource, one_of
from ..core.artifact_bucket import ArtifactBucket
from ..core.network import ModelNetwork
from ..core._types import typed
from .code_repository import CodeRepository

SCRIPTS = Path(__file__).resolve().parent / "scripts"

# AWS::SageMaker::NotebookInstance (cfn-lint schema): PlatformIdentifier pattern
# ^(notebook-al1-v1|notebook-al2-v1|notebook-al2-v2|notebook-al2-v3|notebook-al2023-v1)$; the newest is the default.
PLATFORM_IDENTIFIERS = (
    "notebook-al2023-v1",
    "notebook-al2-v3",
    "notebook-al2-v2",
    "notebook-al2-v1",
    "notebook-al1-v1",
)
# VolumeSizeInGB: minimum 5, maximum 16384; AdditionalCodeRepositories: at most 3 (same schema).
MIN_VOLUME_GB, MAX_VOLUME_GB = 5, 16384
MAX_ADDITIONAL_REPOSITORIES = 3
# NotebookInstanceLifecycleHook.Content: at most 16384 characters (the base64-encoded script).
MAX_SCRIPT_CHARS = 16384
# Idle auto-stop: the checker runs every 5 minutes; a day-long upper bound keeps "idle" meaningful.
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 5, 24 * 60
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~]*$")


class NotebookInstance(Construct):
    """A private SageMaker notebook instance with idle auto-stop.

    Keyword-only props:
        instance_type: e.g. "ml.t3.medium" (the default).
        network: the VPC placement. Default: the stack's shared `ModelNetwork.default(...)`.
        bucket: the team's ArtifactBucket. The role gets read/write on `bucket_prefixes` and the bucket's key.
        bucket_prefixes: key prefixes the notebook may read and write. Default: ("notebooks/",).
        read_only_prefixes: further prefixes it may only read (e.g. "datasets/"). Default: none.
        idle_minutes: stop the instance after this many minutes without kernel or terminal activity (5-1440).
            None turns auto-stop off. Default: 60.
        pip_index_url: a private package index (https://...) written to /etc/pip.conf. Default: none.
        packages: requirement specifiers installed at each start from that index. Default: none.
        volume_size_gb: ML storage volume size (5-16384). Default: 20.
        encryption_key: KMS key for the volume. Default: a new key with rotation, retained on deletion.
        root_access: let users run as root. Default: False.
        direct_internet_access: let SageMaker give the instance internet access. Default: False; True requires an
            explicit `network` so that traffic to your VPC still passes its security group.
        platform_identifier: one of PLATFORM_IDENTIFIERS. Default: "notebook-al2023-v1".
        default_code_repository / additional_code_repositories: CodeRepository constructs (their credentials are
            granted to the role) or https:// URLs of public repositories. At most 3 additional ones.
        role: an execution role of your own. Default: a new least-privilege role.
        notebook_instance_name: a fixed name. Default: a lower-case name derived from the construct path (the
            stop permission needs the name at synth; IAM matches ARNs case-sensitively).
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance_type: str = "ml.t3.medium",
        network: ModelNetwork | None = None,
        bucket: ArtifactBucket | None = None,
        bucket_prefixes: Sequence[str] = ("notebooks/",),
        read_only_prefixes: Sequence[str] = (),
        idle_minutes: int | None = 60,
        pip_index_url: str | None = None,
        packages: Sequence[str] = (),
        volume_size_gb: int = 20,
        encryption_key: kms.IKey | None = None,
        root_access: bool = False,
        direct_internet_access: bool = False,
        platform_identifier: str = PLATFORM_IDENTIFIERS[0],
        default_code_repository: CodeRepository | str | None = None,
        additional_code_repositories: Sequence[CodeRepository | str] = (),
        role: iam.IRole | None = None,
        notebook_instance_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"NotebookInstance {self.node.path}")
        if not is_token(instance_type) and errors.expect_type("instance_type", instance_type, str, "a string"):
            errors.check(
                bool(_INSTANCE_TYPE.match(instance_type)),
                f"instance_type ({instance_type!r}) is not an ML instance type: e.g. 'ml.t3.medium'",
            )
        if network is not None and not isinstance(network, ModelNetwork):
            errors.add(f"network must be a sagemaker_cdk.ModelNetwork, got {network!r}", type_error=True)
        if bucket is not None and not isinstance(bucket, ArtifactBucket):
            errors.add(f"bucket must be a sagemaker_cdk.ArtifactBucket, got {bucket!r}", type_error=True)
        for prop, prefixes in (("bucket_prefixes", bucket_prefixes), ("read_only_prefixes", read_only_prefixes)):
            if isinstance(prefixes, str) or not isinstance(prefixes, (list, tuple)):
                errors.add(f"{prop} must be a list of key prefixes such as ['notebooks/'], got {prefixes!r}",
                           type_error=True)
                continue
            for prefix in prefixes:
                if not is_token(prefix) and errors.expect_type(prop, prefix, str, "a list of strings"):
                    errors.check(
                        bool(prefix) and not prefix.startswith("/") and "*" not in prefix,
                        f"{prop} entry {prefix!r} must be a non-empty key prefix without a leading '/' or '*': "
                        "e.g. 'notebooks/'",
                    )
        if idle_minutes is not None:
            errors.number_in_range("idle_minutes", idle_minutes, MIN_IDLE_MINUTES, MAX_IDLE_MINUTES, integer=True)
        errors.number_in_range("volume_size_gb", volume_size_gb, MIN_VOLUME_GB, MAX_VOLUME_GB, integer=True)
        if pip_index_url is not None and not is_token(pip_index_url):
            if errors.expect_type("pip_index_url", pip_index_url, str, "a string"):
                errors.check(
                    pip_index_url.startswith("https://") and not re.search(r"\s|'|\"", pip_index_url),
                    f"pip_index_url ({pip_index_url!r}) must be an https:// URL without spaces or quotes: e.g. "
                    "'https://my-domain-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/my-repo/simple/'",
                )
        if isinstance(packages, str) or not isinstance(packages, (list, tuple)):
            errors.add(f"packages must be a list of requirement specifiers, got {packages!r}", type_error=True)
            packages = ()
        for package in packages:
            if errors.expect_type("packages", package, str, "a list of strings"):
                errors.check(
                    bool(_REQUIREMENT.match(package)),
                    f"packages entry {package!r} is not a plain requirement specifier: e.g. 'pandas==2.2.3' "
                    "(no spaces, quotes, options or URLs)",
                )
        if packages and pip_index_url is None and not direct_internet_access:
            errors.add(
                "packages are set but the notebook has no internet access and no pip_index_url: set pip_index_url "
                "to your private index (e.g. CodeArtifact), or drop packages"
            )
        for prop, flag in (("root_access", root_access), ("direct_internet_access", direct_internet_access)):
            errors.expect_type(prop, flag, bool, "True or False")
        if direct_internet_access is True and network is None:
            errors.add(
                "direct_internet_access=True without a network: pass network=ModelNetwork(...) (or your VPC through "
                "ModelNetwork(vpc=...)) so traffic to your VPC still passes the notebook's security group, or keep "
                "direct_internet_access=False and reach AWS through the VPC endpoints"
            )
        one_of(errors, "platform_identifier", platform_identifier, PLATFORM_IDENTIFIERS)
        additional = list(additional_code_repositories) if isinstance(additional_code_repositories,
                                                                      (list, tuple)) else []
        errors.check(
            len(additional) <= MAX_ADDITIONAL_REPOSITORIES,
            f"additional_code_repositories has {len(additional)} entries: SageMaker allows at most "
            f"{MAX_ADDITIONAL_REPOSITORIES}; keep the others in one repository or clone them from a terminal",
        )
        for repo in ([default_code_repository] if default_code_repository is not None else []) + additional:
            if isinstance(repo, str) and not is_token(repo):
                errors.check(
                    repo.startswith("https://"),
                    f"code repository {repo!r} must be a CodeRepository construct or an https:// URL",
                )
            elif not isinstance(repo, (CodeRepository, str)):
                errors.add(f"code repositories must be CodeRepository or str, got {repo!r}", type_error=True)
        if notebook_instance_name is not None and not is_token(notebook_instance_name):
            if errors.expect_type("notebook_instance_name", notebook_instance_name, str, "a string"):
                errors.check(
                    bool(re.match(r"^[a-z0-9](-*[a-z0-9]){0,62}$", notebook_instance_name)),
                    f"notebook_instance_name ({notebook_instance_name!r}) must be at most 63 lower-case letters, "
                    "digits and hyphens (IAM matches the instance ARN case-sensitively)",
                )
        errors.raise_if_any()

        stack = Stack.of(self)
        self.instance_name: str = notebook_instance_name or _generated_name(self)
        self.idle_minutes = idle_minutes
        self.network: ModelNetwork = network or ModelNetwork.default(self)
        self.endpoints = self.network.add_workspace_endpoints()
        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            description=f"Encrypts the ML storage volume of notebook instance {self.node.path}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.network.vpc,
            description="SageMaker notebook instance: no ingress; HTTPS egress to VPC endpoints and the package index",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS (VPC endpoints, index)")
        self.notebook_arn: str = stack.format_arn(
            service="sagemaker", resource="notebook-instance", resource_name=self.instance_name
        )

        # ------------------------------------------------------------------ execution role
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of notebook instance {self.instance_name}",
        )
        self._owns_role = role is None
        self.bucket = bucket
        if bucket is not None:
            for prefix in bucket_prefixes:
                bucket.grant_read_write(self.role, prefix)
            for prefix in read_only_prefixes:
                bucket.grant_read(self.role, prefix)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="StopOnlyThisNotebookWhenIdle",
                actions=["sagemaker:StopNotebookInstance", "sagemaker:DescribeNotebookInstance"],
                resources=[self.notebook_arn],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="NotebookLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[_notebook_log_group_arn(self)],
            )
        )
        repositories = [r for r in [default_code_repository, *additional] if isinstance(r, CodeRepository)]
        for repo in repositories:
            repo.grant_read_credentials(self.role)

        # ------------------------------------------------------------------ lifecycle configuration
        self.on_start_script: str = render_on_start_script(
            idle_minutes=idle_minutes or 0, pip_index_url=pip_index_url or "", packages=list(packages)
        )
        encoded_length = 4 * ((len(self.on_start_script.encode()) + 2) // 3)
        if encoded_length > MAX_SCRIPT_CHARS:
            raise ValueError(
                f"NotebookInstance {self.node.path}: invalid props:\n  - the on-start script is {encoded_length} "
                f"base64 characters, over SageMaker's {MAX_SCRIPT_CHARS}: shorten packages (use a requirements "
                "package in your index)"
            )
        self.lifecycle_config = sagemaker.CfnNotebookInstanceLifecycleConfig(
            self,
            "LifecycleConfig",
            notebook_instance_lifecycle_config_name=f"{self.instance_name[:56]}-config",
            on_start=[
                sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty(
                    content=Fn.base64(self.on_start_script)
                )
            ],
        )

        def repo_ref(repo: CodeRepository | str | None) -> str | None:
            return repo.code_repository_name if isinstance(repo, CodeRepository) else repo

        self.resource = sagemaker.CfnNotebookInstance(
            self,
            "Resource",
            notebook_instance_name=self.instance_name,
            instance_type=instance_type,
            role_arn=self.role.role_arn,
            subnet_id=self.network.subnet_ids[0],
            security_group_ids=[self.security_group.security_group_id],
            direct_internet_access="Enabled" if direct_internet_access else "Disabled",
            root_access="Enabled" if root_access else "Disabled",
            kms_key_id=self.encryption_key.key_id,
            volume_size_in_gb=volume_size_gb,
            platform_identifier=platform_identifier,
            instance_metadata_service_configuration=(
                sagemaker.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
                    minimum_instance_metadata_service_version="2"
                )
            ),
            lifecycle_config_name=self.lifecycle_config.attr_notebook_instance_lifecycle_config_name,
            default_code_repository=repo_ref(default_code_repository),
            additional_code_repositories=[r for r in map(repo_ref, additional) if r is not None] or None,
        )
        # The role's policy must exist before the instance starts (the on-start script and the repositories use it).
        if self._owns_role:
            policy = self.role.node.try_find_child("DefaultPolicy")
            if policy is not None:
                self.resource.node.add_dependency(policy)
        for endpoint in self.endpoints:
            self.resource.node.add_dependency(endpoint)
        self._acknowledge(bucket_prefixes, read_only_prefixes, direct_internet_access, root_access)

    # ---------------------------------------------------------------------------------------------------- public API
    @property
    def notebook_instance_name(self) -> str:
        return self.instance_name

    def grant_presigned_url(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a person (or their role) open this notebook: CreatePresignedNotebookInstanceUrl on it only."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:DescribeNotebookInstance"],
            resource_arns=[self.notebook_arn],
        )

    def grant_start_stop(self, grantee: iam.IGrantable) -> iam.Grant:
        """Start, stop and describe this notebook instance only."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "sagemaker:StartNotebookInstance",
                "sagemaker:StopNotebookInstance",
                "sagemaker:DescribeNotebookInstance",
            ],
            resource_arns=[self.notebook_arn],
        )

    def _acknowledge(
        self, prefixes: Sequence[str], read_only: Sequence[str], internet: bool, root: bool
    ) -> None:
        if self._owns_role:
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, _notebook_log_group_arn(self))}]",
                "SageMaker names the notebook's log streams after the instance at run time; the grant stays inside "
                "the /aws/sagemaker/NotebookInstances log group.",
            )
            if self.bucket is not None:
                for prefix in (*prefixes, *read_only):
                    objects = self.bucket.bucket.arn_for_objects(prefix.rstrip("/") + "/*")
                    acknowledge(
                        self.role,
                        f"AwsSolutions-IAM5[Resource::{nag_resource(self, objects)}]",
                        f"Notebook users create and read objects whose keys are chosen interactively; access is "
                        f"limited to the {prefix!r} prefix of the team's bucket.",
                    )
                for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*",
                               "kms:GenerateDataKey*", "kms:ReEncrypt*"):
                    acknowledge(
                        self.role,
                        f"AwsSolutions-IAM5[Action::{action}]",
                        "CDK's standard S3 read/write grant (Bucket.grant_read / grant_read_write) on the team's "
                        "bucket prefixes and its KMS key; the wildcard only spans one action family's variants.",
                    )
        if internet:
            for finding in (
                "AwsSolutions-SM3",
                "HIPAA.Security-SageMakerNotebookNoDirectInternetAccess",
                "NIST.800.53.R5-SageMakerNotebookNoDirectInternetAccess",
            ):
                acknowledge(
                    self.resource,
                    finding,
                    "Direct internet access was opted into explicitly (direct_internet_access=True), with the "
                    "instance still in the given VPC and its security group.",
                )
        if root:
            for pack in ("HIPAA.Security", "NIST.800.53.R5"):
                acknowledge(
                    self.resource,
                    f"{pack}-SageMakerNotebookInstanceRootAccessDisabled",
                    "Root access was opted into explicitly (root_access=True).",
                )


def render_on_start_script(*, idle_minutes: int, pip_index_url: str, packages: list[str]) -> str:
    """The on-start lifecycle script: idle auto-stop (0 = off) and packages from a private index."""
    autostop = (SCRIPTS / "notebook_autostop.sh").read_text().rstrip("\n")
    return (
        (SCRIPTS / "notebook_on_start.sh")
        .read_text()
        .replace("__IDLE_MINUTES__", str(int(idle_minutes)))
        .replace("__PIP_INDEX_URL__", pip_index_url)
        .replace("__PACKAGES__", " ".join(packages))
        .replace("__AUTOSTOP_SCRIPT__", autostop)
    )


def _generated_name(scope: Construct) -> str:
    name = Names.unique_resource_name(scope, max_length=63, separator="-").lower()
    name = re.sub(r"[^a-z0-9-]", "-", name).strip("-")
    return re.sub(r"-{2,}", "-", name)[:63].strip("-")


def _notebook_log_group_arn(scope: Construct) -> str:
    return Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name="/aws/sagemaker/NotebookInstances*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
