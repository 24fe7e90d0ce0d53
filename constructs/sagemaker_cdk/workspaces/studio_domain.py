"""StudioDomain: a SageMaker Studio domain in VpcOnly mode, with persona-based execution roles and a teardown that
lets the stack be deleted.

Secure defaults (checked against cdk-nag's SageMaker rules and checkov's CKV_AWS_187 domain encryption check):
- `AppNetworkAccessType: VpcOnly` over the network's subnets (at least two, in two AZs), with the interface
  endpoints VpcOnly needs added to the network (SageMaker API and runtime, STS, ECR, CloudWatch Logs; S3 through
  the gateway endpoint);
- a KMS key (rotation on) for the home EFS and the spaces' EBS volumes; IAM authentication (or IAM Identity Center
  with `auth_mode="SSO"`);
- the new Studio experience (web portal, JupyterLab and Code Editor) with idle shutdown for both apps;
- a domain security group whose only rules are what Studio needs inside the group: NFS (TCP 2049) to the home
  EFS and TCP 8192-65535 between apps, plus HTTPS egress to the VPC endpoints;
- execution roles built from personas ("data-scientist", "mlops"), never AmazonSageMakerFullAccess.

Deleting the stack: `StudioTeardown` deletes every app, then the spaces users created, then CloudFormation deletes
the user profiles, shared spaces and the domain. The home EFS file system is retained (CloudFormation's
AWS::SageMaker::Domain has no retention property); its ID is `home_efs_file_system_id`.

Cost: the domain itself is free; users pay for running apps (per instance-hour, stopped by idle shutdown), EBS of
their spaces, the home EFS storage, and the network's interface endpoints (about $0.01/hour each per AZ).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal, Sequence

from aws_cdk import (
    Aws,
    CfnOutput,
    CfnResource,
    Duration,
    Names,
    RemovalPolicy,
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
from .studio_lifecycle_config import StudioLifecycleConfig
from .studio_persona import (
    PERSONAS,
    StudioPersona,
    persona_statements,
    sagemaker_arn,
    sagemaker_log_groups_arn,
    studio_log_group_arn,
)
from .studio_teardown import MAX_TIMEOUT, StudioTeardown

if TYPE_CHECKING:  # pragma: no cover - the modules import this one
    from .shared_space import SharedSpace
    from .user_profile import UserProfile

AUTH_MODES = ("IAM", "SSO")  # AWS::SageMaker::Domain AuthMode enum (cfn-lint schema)
# IdleSettings.IdleTimeoutInMinutes / Min / Max: minimum 60, maximum 525600 (cfn-lint schema).
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 60, 525600
# SpaceEbsVolumeSizeInGb: minimum 5, maximum 16384 (cfn-lint schema).
MIN_EBS_GB, MAX_EBS_GB = 5, 16384
# Studio's intra-group traffic (developer guide, "Connect Amazon SageMaker Studio in a VPC to external resources"):
# NFS to the home EFS, and TCP 8192-65535 between the apps of a domain.
NFS_PORT = 2049
APP_PORTS = (8192, 65535)
_DOMAIN_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class StudioDomain(Construct):
    """A VpcOnly SageMaker Studio domain.

    Keyword-only props:
        bucket: the team's ArtifactBucket; every persona reads and writes `bucket_prefixes` with its key.
        bucket_prefixes: key prefixes Studio users work in. Default: ("studio/",).
        network: the VPC placement (>= 2 subnets in 2 AZs). Default: the stack's shared `ModelNetwork.default`.
        domain_name: Default: derived from the construct path.
        auth_mode: "IAM" (default) or "SSO" (IAM Identity Center; give each UserProfile its SSO user name).
        default_persona: the persona of users without their own: "data-scientist" (default) or "mlops".
        idle_minutes: JupyterLab and Code Editor apps shut down after this many idle minutes (60-525600); users
            may choose a shorter time, never a longer one. Default: 60.
        default_ebs_size_gb / max_ebs_size_gb: each space's EBS volume (5-16384). Default: 5 and 100.
        lifecycle_configs: StudioLifecycleConfig constructs users can run (defaults run for every app).
        encryption_key: KMS key for the home EFS and EBS volumes. Default: a new key with rotation, retained.
        home_efs_retention: what happens to the home EFS when the domain is deleted. Only RemovalPolicy.RETAIN:
            AWS::SageMaker::Domain has no property to delete it (delete it with `aws efs delete-file-system`).
        teardown: delete apps and user spaces on stack deletion (StudioTeardown). Default: True.
        teardown_timeout: how long the teardown waits (app deletion takes up to 20 minutes). Default: 45 minutes.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: ArtifactBucket,
        bucket_prefixes: Sequence[str] = ("studio/",),
        network: ModelNetwork | None = None,
        domain_name: str | None = None,
        auth_mode: str = "IAM",
        default_persona: Literal["data-scientist", "mlops"] = "data-scientist",
        idle_minutes: int = 60,
        default_ebs_size_gb: int = 5,
        max_ebs_size_gb: int = 100,
        lifecycle_configs: Sequence[StudioLifecycleConfig] = (),
        encryption_key: kms.IKey | None = None,
        home_efs_retention: RemovalPolicy = RemovalPolicy.RETAIN,
        teardown: bool = True,
        teardown_timeout: Duration = Duration.minutes(45),
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"StudioDomain {self.node.path}")
        if not isinstance(bucket, ArtifactBucket):
            errors.add(f"bucket must be a sagemaker_cdk.ArtifactBucket, got {bucket!r}", type_error=True)
        if isinstance(bucket_prefixes, str) or not isinstance(bucket_prefixes, (list, tuple)) or not bucket_prefixes:
            errors.add(f"bucket_prefixes must be a non-empty list of key prefixes such as ['studio/'], got "
                       f"{bucket_prefixes!r}", type_error=not isinstance(bucket_prefixes, (list, tuple)))
            bucket_prefixes = ()
        for prefix in bucket_prefixes:
            if not is_token(prefix) and errors.expect_type("bucket_prefixes", prefix, str, "a list of strings"):
                errors.check(
                    bool(prefix) and not prefix.startswith("/") and "*" not in prefix,
                    f"bucket_prefixes entry {prefix!r} must be a key prefix without a leading '/' or '*': 'studio/'",
                )
        if network is not None and not isinstance(network, ModelNetwork):
            errors.add(f"network must be a sagemaker_cdk.ModelNetwork, got {network!r}", type_error=True)
        if domain_name is not None and not is_token(domain_name):
            if errors.expect_type("domain_name", domain_name, str, "a string"):
                errors.check(bool(_DOMAIN_NAME.match(domain_name)),
                             f"domain_name ({domain_name!r}) must be at most 63 letters, digits and hyphens")
        one_of(errors, "auth_mode", auth_mode, AUTH_MODES)
        one_of(errors, "default_persona", default_persona, PERSONAS)
        errors.number_in_range("idle_minutes", idle_minutes, MIN_IDLE_MINUTES, MAX_IDLE_MINUTES, integer=True)
        errors.number_in_range("default_ebs_size_gb", default_ebs_size_gb, MIN_EBS_GB, MAX_EBS_GB, integer=True)
        errors.number_in_range("max_ebs_size_gb", max_ebs_size_gb, MIN_EBS_GB, MAX_EBS_GB, integer=True)
        if isinstance(default_ebs_size_gb, int) and isinstance(max_ebs_size_gb, int) and not is_token(
            default_ebs_size_gb
        ):
            errors.check(
                default_ebs_size_gb <= max_ebs_size_gb,
                f"default_ebs_size_gb ({default_ebs_size_gb}) exceeds max_ebs_size_gb ({max_ebs_size_gb}): raise "
                "max_ebs_size_gb or lower default_ebs_size_gb",
            )
        for config in lifecycle_configs:
            if not isinstance(config, StudioLifecycleConfig):
                errors.add(f"lifecycle_configs must hold StudioLifecycleConfig, got {config!r}", type_error=True)
        if home_efs_retention is not RemovalPolicy.RETAIN:
            errors.add(
                f"home_efs_retention ({home_efs_retention}) is not supported: AWS::SageMaker::Domain has no "
                "property to delete the home EFS, so it is always retained; keep RemovalPolicy.RETAIN and delete "
                "the file system (output HomeEfsFileSystemId) with `aws efs delete-file-system` after the stack"
            )
        if not isinstance(teardown_timeout, Duration):
            errors.add(f"teardown_timeout must be an aws_cdk.Duration, got {teardown_timeout!r}", type_error=True)
        elif not teardown_timeout.is_unresolved():
            minutes = teardown_timeout.to_seconds() / 60
            errors.check(
                25 <= minutes <= MAX_TIMEOUT.to_minutes(),
                f"teardown_timeout ({minutes:g} minutes) must be between 25 and {int(MAX_TIMEOUT.to_minutes())} "
                "minutes: deleting an app takes up to 20 minutes, and the Provider framework waits at most 2 hours",
            )
        resolved_network = network
        if network is None and not errors.messages:
            resolved_network = ModelNetwork.default(self)
        if resolved_network is not None:
            # ModelNetwork itself rejects subnets in a single AZ; the domain needs two subnets on top.
            errors.check(
                len(resolved_network.subnet_ids) >= 2,
                f"network has {len(resolved_network.subnet_ids)} subnet(s): a VpcOnly domain needs subnets in at "
                "least two Availability Zones; pass ModelNetwork(vpc=..., subnets=...) selecting two AZs",
            )
        errors.raise_if_any()
        assert resolved_network is not None
        self.network: ModelNetwork = resolved_network

        self.bucket = bucket
        self.bucket_prefixes = list(bucket_prefixes)
        self.idle_minutes = idle_minutes
        self.auth_mode = auth_mode
        self._ebs = (default_ebs_size_gb, max_ebs_size_gb)
        # Roles are made before the domain (its settings name them); their policies, which name the domain, after.
        self._deferred: list[tuple[iam.Role, StudioPersona]] = []
        self.endpoints = self.network.add_workspace_endpoints()
        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            description=f"Encrypts the home EFS and space volumes of Studio domain {self.node.path}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        # ------------------------------------------------------------------ security group: intra-group only
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.network.vpc,
            description="SageMaker Studio domain: NFS and app traffic within this group; HTTPS to VPC endpoints",
            allow_all_outbound=False,
        )
        group = self.security_group
        for port, why in (
            (ec2.Port.tcp(NFS_PORT), "NFS between Studio apps and the domain's home EFS"),
            (ec2.Port.tcp_range(*APP_PORTS), "Studio apps of this domain talk to each other"),
        ):
            group.add_ingress_rule(group, port, why)
            group.add_egress_rule(group, port, why)
        group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the VPC endpoints and the S3 gateway endpoint"
        )

        # ------------------------------------------------------------------ roles
        self.job_role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Training, processing, tuning and model role passed by Studio users of {self.node.path}",
        )
        for prefix in self.bucket_prefixes:
            bucket.grant_read_write(self.job_role, prefix)
        self.network.grant_network_interfaces(self.job_role)
        self.job_role.add_to_policy(
            iam.PolicyStatement(
                sid="JobLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[sagemaker_log_groups_arn(self)],
            )
        )
        self.job_role.add_to_policy(
            iam.PolicyStatement(
                sid="JobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
            )
        )
        self.job_role.add_to_policy(
            iam.PolicyStatement(
                sid="PullImages",
                actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                # Any account (SageMaker's built-in images live in regional AWS accounts), this partition and region.
                resources=[f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:*:repository/*"],
            )
        )
        self.job_role.add_to_policy(
            iam.PolicyStatement(sid="EcrAuthorization", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )
        self._roles: dict[StudioPersona, iam.Role] = {}
        self._profiles: list[sagemaker.CfnUserProfile] = []
        self._lifecycle_configs = list(lifecycle_configs)

        # ------------------------------------------------------------------ the domain
        self.domain_name: str = domain_name or _generated_name(self)
        default_role = self.execution_role(default_persona)
        self.resource = sagemaker.CfnDomain(
            self,
            "Resource",
            domain_name=self.domain_name,
            auth_mode=auth_mode,
            app_network_access_type="VpcOnly",
            vpc_id=self.network.vpc.vpc_id,
            subnet_ids=self.network.subnet_ids,
            kms_key_id=self.encryption_key.key_arn,
            tag_propagation="ENABLED",
            default_user_settings=self.user_settings(default_role),
            default_space_settings=sagemaker.CfnDomain.DefaultSpaceSettingsProperty(
                execution_role=default_role.role_arn,
                security_groups=[group.security_group_id],
                jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                    lifecycle_config_arns=self._config_arns("JupyterLab"),
                )
                if self._config_arns("JupyterLab")
                else None,
            ),
        )
        for endpoint in self.endpoints:
            self.resource.node.add_dependency(endpoint)
        for role, persona in self._deferred:
            self.grant_persona(role, persona)
        self._deferred.clear()
        self.teardown: StudioTeardown | None = None
        if teardown:
            self.teardown = StudioTeardown(
                self,
                "Teardown",
                domain_id=self.domain_id,
                domain_arn=self.domain_arn,
                timeout=teardown_timeout,
                encryption_key=self.encryption_key,
            )
        CfnOutput(self, "HomeEfsFileSystemId", value=self.resource.attr_home_efs_file_system_id,
                  description="Retained when the domain is deleted; delete it yourself when no longer needed")
        self._acknowledge_job_role()

    # ---------------------------------------------------------------------------------------------------- public API
    @property
    def domain_id(self) -> str:
        return self.resource.attr_domain_id

    @property
    def domain_arn(self) -> str:
        return self.resource.attr_domain_arn

    @property
    def url(self) -> str:
        return self.resource.attr_url

    @property
    def home_efs_file_system_id(self) -> str:
        return self.resource.attr_home_efs_file_system_id

    def execution_role(self, persona: StudioPersona) -> iam.Role:
        """The execution role of `persona` in this domain (created on first use)."""
        if persona not in PERSONAS:
            raise ValueError(
                f"StudioDomain {self.node.path}: invalid props:\n  - persona ({persona!r}) is not supported: use one "
                f"of {', '.join(map(repr, PERSONAS))}"
            )
        if persona not in self._roles:
            role = iam.Role(
                self,
                f"{_pascal(persona)}Role",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                description=f"Studio execution role, persona {persona}, domain {self.node.path}",
            )
            if hasattr(self, "resource"):
                self.grant_persona(role, persona)
            else:
                self._deferred.append((role, persona))
            self._roles[persona] = role
        return self._roles[persona]

    def grant_persona(self, role: iam.IRole, persona: StudioPersona) -> None:
        """Give `role` (e.g. a per-user role) what `persona` may do in this domain."""
        statements = persona_statements(self, persona, domain_id=self.domain_id, job_role=self.job_role)
        for statement in statements:
            role.add_to_principal_policy(statement)
        for prefix in self.bucket_prefixes:
            self.bucket.grant_read_write(role, prefix)
        self.encryption_key.grant_encrypt_decrypt(role)
        self.encryption_key.grant(role, "kms:CreateGrant", "kms:DescribeKey")
        if isinstance(role, iam.Role):
            self._acknowledge_persona(role, persona)

    def user_settings(self, role: iam.IRole) -> sagemaker.CfnDomain.UserSettingsProperty:
        """The domain's user settings with `role` as the execution role."""
        idle = sagemaker.CfnDomain.AppLifecycleManagementProperty(
            idle_settings=sagemaker.CfnDomain.IdleSettingsProperty(
                lifecycle_management="ENABLED",
                idle_timeout_in_minutes=self.idle_minutes,
                min_idle_timeout_in_minutes=MIN_IDLE_MINUTES,
                max_idle_timeout_in_minutes=self.idle_minutes,
            )
        )
        return sagemaker.CfnDomain.UserSettingsProperty(
            execution_role=role.role_arn,
            security_groups=[self.security_group.security_group_id],
            studio_web_portal="ENABLED",
            default_landing_uri="studio::",
            jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                app_lifecycle_management=idle,
                lifecycle_config_arns=self._config_arns("JupyterLab") or None,
                default_resource_spec=self._default_spec("JupyterLab"),
            ),
            code_editor_app_settings=sagemaker.CfnDomain.CodeEditorAppSettingsProperty(
                app_lifecycle_management=idle,
                lifecycle_config_arns=self._config_arns("CodeEditor") or None,
                default_resource_spec=self._default_spec("CodeEditor"),
            ),
            space_storage_settings=sagemaker.CfnDomain.DefaultSpaceStorageSettingsProperty(
                default_ebs_storage_settings=sagemaker.CfnDomain.DefaultEbsStorageSettingsProperty(
                    default_ebs_volume_size_in_gb=self._ebs[0], maximum_ebs_volume_size_in_gb=self._ebs[1]
                )
            ),
            sharing_settings=sagemaker.CfnDomain.SharingSettingsProperty(notebook_output_option="Disabled"),
        )

    def add_user_profile(
        self,
        id: str,
        *,
        user_profile_name: str,
        persona: Literal["data-scientist", "mlops"] | None = None,
        role: iam.IRole | None = None,
        single_sign_on_user_value: str | None = None,
    ) -> "UserProfile":
        """A UserProfile of this domain (see UserProfile for the props)."""
        from .user_profile import UserProfile

        return UserProfile(
            self,
            id,
            domain=self,
            user_profile_name=user_profile_name,
            persona=persona,
            role=role,
            single_sign_on_user_value=single_sign_on_user_value,
        )

    def add_shared_space(
        self,
        id: str,
        *,
        space_name: str,
        owner: "UserProfile",
        app_type: str = "JupyterLab",
        ebs_size_gb: int = 10,
        instance_type: str = "ml.t3.medium",
        display_name: str | None = None,
    ) -> "SharedSpace":
        """A SharedSpace of this domain (see SharedSpace for the props)."""
        from .shared_space import SharedSpace

        return SharedSpace(
            self,
            id,
            domain=self,
            space_name=space_name,
            owner=owner,
            app_type=app_type,
            ebs_size_gb=ebs_size_gb,
            instance_type=instance_type,
            display_name=display_name,
        )

    def grant_presigned_url(self, grantee: iam.IGrantable, user_profile_name: str = "*") -> iam.Grant:
        """Let a person open Studio as `user_profile_name` (CreatePresignedDomainUrl on that profile only)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:CreatePresignedDomainUrl"],
            resource_arns=[sagemaker_arn(self, "user-profile", f"{self.domain_id}/{user_profile_name}")],
        )

    # ---------------------------------------------------------------------------------------------------- internals
    def _config_arns(self, app_type: str) -> list[str]:
        return [c.arn for c in self._lifecycle_configs if c.app_type == app_type]

    def _default_spec(self, app_type: str) -> sagemaker.CfnDomain.ResourceSpecProperty | None:
        defaults = [c for c in self._lifecycle_configs if c.app_type == app_type and c.default]
        if not defaults:
            return None
        return sagemaker.CfnDomain.ResourceSpecProperty(lifecycle_config_arn=defaults[0].arn)

    def _register(self, resource: CfnResource, space_name: str | None = None) -> None:
        if self.teardown is not None:
            self.teardown.protect(resource, space_name)

    def _acknowledge_persona(self, role: iam.Role, persona: StudioPersona) -> None:
        for kind in ("app", "space", "user-profile"):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, sagemaker_arn(self, kind, f'{self.domain_id}/*'))}]",
                f"Studio users create and open {kind}s named at run time; the grant is limited to this domain's "
                f"{kind}s (the domain ID is part of the ARN).",
            )
        names = ["training-job", "processing-job", "hyper-parameter-tuning-job", "model-package-group",
                 "model-package"]
        if persona == "mlops":
            names += ["model", "endpoint-config", "endpoint"]
        for kind in names:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, sagemaker_arn(self, kind, '*'))}]",
                f"The {persona} persona names its {kind}s at run time; the actions are only this "
                "activity's (no '*' action), and jobs can only use the domain's job role (iam:PassRole).",
            )
        self._acknowledge_common(role, "Studio apps")

    def _acknowledge_job_role(self) -> None:
        self._acknowledge_common(self.job_role, "SageMaker jobs")
        acknowledge(
            self.job_role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:*:repository/*]",
            "Training and processing images come from SageMaker's regional accounts or the team's repositories, "
            "chosen per job; only the three image pull actions are granted.",
        )
        eni = nag_resource(self, self.network.vpc.stack.format_arn(
            service="ec2", resource="network-interface", resource_name="*"))
        acknowledge(
            self.job_role,
            f"AwsSolutions-IAM5[Resource::{eni}]",
            "SageMaker creates the network interfaces of jobs at run time, so their IDs cannot be known; creation "
            "is limited to the network's own subnets and security group.",
        )

    def _acknowledge_common(self, role: iam.Role, who: str) -> None:
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only calls without resource-level permissions use '*' (Service Authorization Reference): List* "
            "calls, ecr:GetAuthorizationToken, EC2 Describe* and cloudwatch:PutMetricData (pinned to SageMaker "
            "namespaces by condition).",
        )
        for arn in (sagemaker_log_groups_arn(self), studio_log_group_arn(self)):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, arn)}]",
                f"{who} write and read log streams named at run time inside SageMaker's /aws/sagemaker log groups.",
            )
        for prefix in self.bucket_prefixes:
            objects = self.bucket.bucket.arn_for_objects(prefix.rstrip("/") + "/*")
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, objects)}]",
                f"{who} read and write objects named at run time; access is limited to the {prefix!r} prefix.",
            )
        for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*",
                       "kms:GenerateDataKey*", "kms:ReEncrypt*"):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Action::{action}]",
                "CDK's standard S3 read/write and KMS encrypt/decrypt grants on one bucket prefix and one key; the "
                "wildcard only spans one action family's variants.",
            )


def _generated_name(scope: Construct) -> str:
    name = Names.unique_resource_name(scope, max_length=63, separator="-")
    name = re.sub(r"[^a-zA-Z0-9-]", "-", name).strip("-")
    return re.sub(r"-{2,}", "-", name)[:63].strip("-")


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]", text) if part)
