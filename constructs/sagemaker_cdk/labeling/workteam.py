"""LabelingWorkteam: a private Ground Truth work team, backed by Amazon Cognito (or your OIDC identity provider).

An AWS account has ONE private workforce per region. CloudFormation has no workforce resource
(`AWS::SageMaker::Workteam` only): the first work team created with a Cognito member definition creates the
region's workforce, bound to that team's user pool and app client, and every later team in the region must use the
same user pool (each with its own user group). An OIDC workforce is created once with the CreateWorkforce API (its
client secret must not sit in a template), then teams reference its groups. So:

- one stack owns the workforce: `LabelingWorkteam(...)` creates the hardened user pool, its domain, the app client,
  a group for the team and the team itself;
- more teams in the same app share that pool: `LabelingWorkteam(..., user_pool=first.user_pool,
  user_pool_client=first.user_pool_client)`;
- other stacks and apps reuse a team: `LabelingWorkteam.from_workteam_arn(...)`.

The construct records a warning when one app declares two workforces for one region (two new user pools, or Cognito
and OIDC teams side by side): the second deployment would fail.

The user pool follows cdk-nag's Cognito rules: TOTP MFA required, a strong password policy, the Plus feature plan with
threat protection enforced (AwsSolutions-COG3), no self sign-up (Ground Truth invites workers by e-mail), deletion
protection and RETAIN. The app client is the one Ground Truth needs for its labeling portal: a client secret, the
OAuth authorization-code and implicit flows, the email/openid/profile scopes, and the portal's
`https://<subdomain>/oauth2/idpresponse` callback and `/logout` URLs. The portal's subdomain is only known once the
workforce exists, so a custom resource reads it (DescribeWorkforce) after the team is created and sets those URLs on
the client (UpdateUserPoolClient, repeating the client's settings). Work-item notifications go to a KMS-encrypted,
SSL-only SNS topic that workers can subscribe to.
Cost: the Plus feature plan bills per monthly active worker ($0.02 per MAU at the time of writing; set
`feature_plan=cognito.FeaturePlan.ESSENTIALS` to trade threat protection for cost), the KMS key ($1/month); work teams
themselves are free.
"""

from __future__ import annotations

import hashlib
import re
import typing
from typing import Any, Sequence

from aws_cdk import (
    Annotations,
    Aws,
    Fn,
    RemovalPolicy,
    Stack,
    Token,
    aws_cognito as cognito,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sagemaker as sagemaker,
    aws_sns as sns,
    custom_resources as cr,
)
from constructs import Construct

from ..core._types import typed
from ..core._validation import NAME_PATTERN, NAME_RULE, PropErrors, acknowledge, is_token

_PROVIDER_LOGS = "LabelingWorkteamProviderLogs"
_WORKTEAM_ARN = re.compile(r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:workteam/private-crowd/(.+)$")
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
OAUTH_SCOPES = (cognito.OAuthScope.EMAIL, cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE)


class ImportedWorkteam(Construct):
    """A work team declared elsewhere (another stack, app or the console), known by its ARN."""

    @typed
    def __init__(self, scope: Construct, id: str, *, workteam_arn: str) -> None:
        errors = PropErrors(f"ImportedWorkteam {id}")
        if not is_token(workteam_arn):
            errors.check(
                bool(_WORKTEAM_ARN.match(workteam_arn)),
                f"workteam_arn ({workteam_arn!r}) is not a private work team ARN: use "
                "'arn:aws:sagemaker:<region>:<account>:workteam/private-crowd/<name>'",
            )
        errors.raise_if_any()
        super().__init__(scope, id)
        self.workteam_arn = workteam_arn
        match = _WORKTEAM_ARN.match(workteam_arn) if not is_token(workteam_arn) else None
        self.workteam_name: str = match.group(1) if match else Fn.select(2, Fn.split("/", workteam_arn))
        self.notification_topic: sns.ITopic | None = None


class LabelingWorkteam(Construct):
    """A private work team (and, for the first team of a region, the private workforce).

    Keyword-only props:
        workteam_name: Default: "<stack>-<id>" shortened to 63 characters.
        description: shown to workers. Default: "Private labeling team <name>".
        oidc_groups: use the region's OIDC workforce instead of Cognito: the IdP groups (1 to 10) that make up the
            team. No user pool is created. Default: none (Cognito).
        user_pool / user_pool_client: an existing Cognito pool and app client (the region's workforce pool), to add
            this team to it. Both or neither. Default: a new hardened pool and client.
        domain_prefix: the new pool's Cognito domain prefix, lower-case letters, digits and hyphens. Default:
            "<workteam name>-<account id>" (lower case, at most 63 characters).
        group_name: the team's Cognito group. Default: the work team name.
        notification_topic: receives "new work items" notices. Default: a new KMS-encrypted, SSL-only topic.
        encryption_key: encrypts the new topic. Default: a new key with rotation.
        feature_plan: the new pool's Cognito feature plan. Default: PLUS (threat protection, AwsSolutions-COG3).
        removal_policy: of the new user pool. Default: RETAIN (it holds your workers).
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workteam_name: str | None = None,
        description: str | None = None,
        oidc_groups: Sequence[str] | None = None,
        user_pool: cognito.IUserPool | None = None,
        user_pool_client: cognito.IUserPoolClient | None = None,
        domain_prefix: str | None = None,
        group_name: str | None = None,
        notification_topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        feature_plan: cognito.FeaturePlan = cognito.FeaturePlan.PLUS,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        self._validate(workteam_name, description, oidc_groups, user_pool, user_pool_client, domain_prefix,
                       group_name, notification_topic)
        self.workteam_name: str = workteam_name or _default_name(self)
        self.description = description or f"Private labeling team {self.workteam_name}"
        self.oidc_groups = list(oidc_groups) if oidc_groups is not None else None
        self.user_pool: cognito.IUserPool | None = None
        self.user_pool_client: cognito.IUserPoolClient | None = None
        self.domain: cognito.UserPoolDomain | None = None
        self.group: cognito.CfnUserPoolGroup | None = None
        self.creates_workforce = False

        self.encryption_key: kms.IKey | None = None
        if notification_topic is None:
            if encryption_key is None:
                key = kms.Key(
                    self,
                    "TopicKey",
                    description=f"Encrypts the work-item notifications of {self.node.path}",
                    enable_key_rotation=True,
                    removal_policy=RemovalPolicy.RETAIN,
                )
                # Ground Truth publishes to the encrypted topic: SageMaker needs a data key from this key only.
                key.add_to_resource_policy(
                    iam.PolicyStatement(
                        principals=[iam.ServicePrincipal("sagemaker.amazonaws.com")],
                        actions=["kms:Decrypt", "kms:GenerateDataKey"],
                        resources=["*"],
                        conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                    )
                )
                encryption_key = key
            self.encryption_key = encryption_key
        self.notification_topic: sns.ITopic = notification_topic or sns.Topic(
            self,
            "NotificationTopic",
            display_name=f"Labeling work items of {self.workteam_name}"[:100],
            master_key=self.encryption_key,
            enforce_ssl=True,
        )
        if notification_topic is None:
            self.notification_topic.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("sagemaker.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[self.notification_topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                )
            )

        if self.oidc_groups is not None:
            member: dict[str, Any] = {"oidcMemberDefinition": {"oidcGroups": self.oidc_groups}}
            self._record_workforce("oidc")
        else:
            if user_pool is None:
                self._create_user_pool(domain_prefix, feature_plan, removal_policy)
                self.creates_workforce = True
                self._record_workforce("cognito")
            else:
                self.user_pool, self.user_pool_client = user_pool, user_pool_client
            assert self.user_pool is not None and self.user_pool_client is not None
            self.group = cognito.CfnUserPoolGroup(
                self,
                "Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=group_name or self.workteam_name,
                description=f"Workers of labeling team {self.workteam_name}"[:2048],
            )
            member = {
                "cognitoMemberDefinition": {
                    "cognitoUserPool": self.user_pool.user_pool_id,
                    "cognitoClientId": self.user_pool_client.user_pool_client_id,
                    "cognitoUserGroup": self.group.ref,
                }
            }
        self.resource = sagemaker.CfnWorkteam(
            self,
            "Resource",
            workteam_name=self.workteam_name,
            description=self.description,
            member_definitions=[member],
            notification_configuration={"notificationTopicArn": self.notification_topic.topic_arn},
        )
        if self.domain is not None:
            # The workforce's Cognito config needs the pool's domain to exist first.
            self.resource.node.add_dependency(self.domain)
            self._set_portal_urls()
        self.workteam_arn: str = self.resource.attr_workteam_arn

    @staticmethod
    @typed
    def from_workteam_arn(scope: Construct, id: str, workteam_arn: str) -> ImportedWorkteam:
        """Reuse a work team from another stack or app, e.g.
        "arn:aws:sagemaker:us-east-1:111122223333:workteam/private-crowd/reviewers"."""
        return ImportedWorkteam(scope, id, workteam_arn=workteam_arn)

    @property
    def labeling_portal_url(self) -> str | None:
        """https://<subdomain> of the region's labeling portal (new workforces only; deploy-time value)."""
        return getattr(self, "_portal", None)

    # -- Cognito ----------------------------------------------------------------------------------------------------

    def _create_user_pool(self, domain_prefix: str | None, plan: cognito.FeaturePlan, removal: RemovalPolicy) -> None:
        pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_lowercase=True, require_uppercase=True, require_digits=True,
                require_symbols=True,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=plan,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if plan == cognito.FeaturePlan.PLUS else None
            ),
            deletion_protection=removal == RemovalPolicy.RETAIN,
            removal_policy=removal,
        )
        if plan != cognito.FeaturePlan.PLUS:
            acknowledge(pool, "AwsSolutions-COG3", f"feature_plan={plan} was chosen explicitly for cost; MFA and "
                        "the password policy still protect the workers' sign-in.")
        prefix = domain_prefix or _default_domain_prefix(self.workteam_name)
        self.domain = pool.add_domain("Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix))
        self._callback_placeholder = "https://localhost/oauth2/idpresponse"
        client = pool.add_client(
            "Client",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=True),
                scopes=list(OAUTH_SCOPES),
                callback_urls=[self._callback_placeholder],
                logout_urls=["https://localhost/logout"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
        )
        self.user_pool, self.user_pool_client = pool, client

    def _set_portal_urls(self) -> None:
        """After the workforce exists: point the app client at the labeling portal (DescribeWorkforce ->
        UpdateUserPoolClient). UpdateUserPoolClient resets what it is not given, so every setting is repeated."""
        assert self.user_pool is not None and self.user_pool_client is not None
        stack = Stack.of(self)
        workforce = stack.format_arn(service="sagemaker", resource="workforce", resource_name="default")
        logs_group = _provider_log_group(stack)
        describe = cr.AwsCustomResource(
            self,
            "Workforce",
            on_update=cr.AwsSdkCall(
                service="SageMaker",
                action="describeWorkforce",
                parameters={"WorkforceName": "default"},
                physical_resource_id=cr.PhysicalResourceId.of(f"{self.workteam_name}-workforce"),
                output_paths=["Workforce.SubDomain"],
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["sagemaker:DescribeWorkforce"], resources=[workforce])]
            ),
            install_latest_aws_sdk=False,
            log_group=logs_group,
        )
        _managed_call_policy(describe)
        describe.node.add_dependency(self.resource)
        portal = Fn.join("", ["https://", describe.get_response_field("Workforce.SubDomain")])
        self._portal = portal
        settings = {
            "UserPoolId": self.user_pool.user_pool_id,
            "ClientId": self.user_pool_client.user_pool_client_id,
            "AllowedOAuthFlows": ["code", "implicit"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": [s.scope_name for s in OAUTH_SCOPES],
            "CallbackURLs": [Fn.join("", [portal, "/oauth2/idpresponse"])],
            "LogoutURLs": [Fn.join("", [portal, "/logout"])],
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "SupportedIdentityProviders": ["COGNITO"],
            "PreventUserExistenceErrors": "ENABLED",
        }
        update = cr.AwsCustomResource(
            self,
            "PortalUrls",
            on_update=cr.AwsSdkCall(
                service="CognitoIdentityServiceProvider",
                action="updateUserPoolClient",
                parameters=settings,
                physical_resource_id=cr.PhysicalResourceId.of(f"{self.workteam_name}-portal-urls"),
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["cognito-idp:UpdateUserPoolClient"],
                                     resources=[self.user_pool.user_pool_arn])]
            ),
            install_latest_aws_sdk=False,
            log_group=logs_group,
        )
        _managed_call_policy(update)
        update.node.add_dependency(describe)
        update.node.add_dependency(self.user_pool_client)
        _acknowledge_custom_resources(self)

    def _record_workforce(self, kind: str) -> None:
        """One private workforce per region per account: warn when this app declares a second one."""
        stack = Stack.of(self)
        region = stack.region if not Token.is_unresolved(stack.region) else "(the deploy-time region)"
        account = stack.account if not Token.is_unresolved(stack.account) else "(the deploy-time account)"
        root = self.node.root
        seen: dict[str, list[str]] = getattr(root, "_sagemaker_cdk_workforces", None) or {}
        key = f"{account}/{region}"
        paths = seen.setdefault(key, [])
        others = list(paths)
        paths.append(f"{kind}:{self.node.path}")
        setattr(root, "_sagemaker_cdk_workforces", seen)
        if others:
            Annotations.of(self).add_warning_v2(
                "sagemaker-cdk:one-workforce-per-region",
                f"{self.node.path} declares a {kind} workforce, but {others[0].split(':', 1)[1]} already declares "
                f"one for account {account} in region {region}. An account has ONE private workforce per region: "
                "the second deployment fails. Share the first team's pool (user_pool=..., user_pool_client=...), "
                "or reuse a team with LabelingWorkteam.from_workteam_arn(...).",
            )

    # -- validation -------------------------------------------------------------------------------------------------

    def _validate(self, name: Any, description: Any, oidc_groups: Any, pool: Any, client: Any, domain_prefix: Any,
                  group_name: Any, topic: Any) -> None:
        errors = PropErrors(f"LabelingWorkteam {self.node.path}")
        errors.name("workteam_name", name)
        if description is not None and not is_token(description):
            if errors.expect_type("description", description, str, "a string"):
                errors.check(0 < len(description) <= 200,
                             f"description ({len(description)} characters) must be 1 to 200 characters")
        if oidc_groups is not None:
            groups = list(oidc_groups) if isinstance(oidc_groups, (list, tuple)) else None
            if groups is None:
                errors.add(f"oidc_groups must be a list of IdP group names, got {type(oidc_groups).__name__}",
                           type_error=True)
            else:
                errors.check(1 <= len(groups) <= 10,
                             f"oidc_groups has {len(groups)} entries: a work team takes 1 to 10 OIDC groups")
                for i, g in enumerate(groups):
                    if not is_token(g) and errors.expect_type(f"oidc_groups[{i}]", g, str, "a group name"):
                        errors.check(0 < len(g) <= 63, f"oidc_groups[{i}] ({g!r}) must be 1 to 63 characters")
            if pool is not None or client is not None or domain_prefix is not None:
                errors.add("oidc_groups is set together with user_pool, user_pool_client or domain_prefix: an OIDC "
                           "team has no Cognito pool; drop the Cognito props or oidc_groups")
        if (pool is None) != (client is None):
            errors.add("user_pool and user_pool_client go together: give both (the region's workforce pool and its "
                       "app client) or neither (a new pool)")
        if domain_prefix is not None and not is_token(domain_prefix):
            if errors.expect_type("domain_prefix", domain_prefix, str, "a string"):
                errors.check(
                    bool(_DOMAIN_PREFIX.match(domain_prefix)) and not re.search("aws|amazon|cognito", domain_prefix),
                    f"domain_prefix ({domain_prefix!r}) must be 1 to 63 lower-case letters, digits and hyphens, "
                    "without 'aws', 'amazon' or 'cognito': e.g. 'acme-labeling'",
                )
            if pool is not None:
                errors.add("domain_prefix is set with an existing user_pool: the existing pool keeps its domain; "
                           "remove domain_prefix")
        if group_name is not None and not is_token(group_name):
            if errors.expect_type("group_name", group_name, str, "a string"):
                errors.check(0 < len(group_name) <= 128, f"group_name ({group_name!r}) must be 1 to 128 characters")
        errors.raise_if_any()


def _default_name(scope: Construct) -> str:
    stack_name = Stack.of(scope).stack_name
    if not isinstance(stack_name, str) or Token.is_unresolved(stack_name):
        stack_name = "labeling"
    base = re.sub(r"[^A-Za-z0-9]+", "-", f"{stack_name}-{scope.node.id}").strip("-") or "labeling"
    if len(base) <= 63:
        return base
    digest = hashlib.sha256(scope.node.path.encode()).hexdigest()[:6]
    return f"{base[:56].rstrip('-')}-{digest}"


def _default_domain_prefix(name: str) -> str:
    """"<name>-<account id>": unique per account, lower case, without the words Cognito forbids."""
    base = re.sub(r"aws|amazon|cognito", "x", re.sub(r"[^a-z0-9]+", "-", name.lower())).strip("-")[:50] or "labeling"
    return Fn.join("-", [base.rstrip("-"), Aws.ACCOUNT_ID])


def _provider_log_group(stack: Stack) -> logs.ILogGroup:
    """The log group of aws-cdk-lib's AwsCustomResource provider, given explicitly (one per stack).

    Without it, whether aws-cdk-lib declares the provider's log group depends on the app's feature flags; with none,
    Lambda creates one that never expires. Given, every app gets the same group with a retention."""
    existing = stack.node.try_find_child(_PROVIDER_LOGS)
    if isinstance(existing, logs.LogGroup):
        return existing
    group = logs.LogGroup(stack, _PROVIDER_LOGS, retention=logs.RetentionDays.ONE_YEAR,
                          removal_policy=RemovalPolicy.RETAIN)
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
        acknowledge(group, f"{pack}-CloudWatchLogGroupEncrypted",
                    "Logs of aws-cdk-lib's AwsCustomResource provider: the deploy-time SDK calls that set the labeling "
                    "work team's portal URLs (the workforce subdomain), never worker data or labels.")
    return group


def _managed_call_policy(resource: cr.AwsCustomResource) -> None:
    """Move the call's permission from aws-cdk-lib's inline policy into a customer-managed one (IAMNoInlinePolicy).

    AwsCustomResource writes its `policy=` statements into an inline AWS::IAM::Policy (`CustomResourcePolicy`) on
    the provider's role, and makes the call depend on it. As `core/_managed_policies.py` does for roles' default
    policies, the same document becomes an AWS::IAM::ManagedPolicy under that construct, attached to the same role,
    and the inline resource is dropped: the grant stays exact and the call still waits for it."""
    policy = resource.node.find_child("CustomResourcePolicy")
    assert isinstance(policy, iam.Policy)
    role = typing.cast(iam.IRole, resource.grant_principal)
    iam.CfnManagedPolicy(
        policy,
        "Managed",
        policy_document=policy.document,
        roles=[role.role_name],
        description=f"The SDK call of {resource.node.path}"[:1000],
    )
    policy.node.try_remove_child("Resource")


def _acknowledge_custom_resources(scope: Construct) -> None:
    stack = Stack.of(scope)
    provider = stack.node.try_find_child("AWS679f53fac002430cb0da5b7982bd2287")
    targets = [t for t in (provider, scope) if t is not None]
    for target in targets:
        for finding, reason in (
            ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
             "aws-cdk-lib's AwsCustomResource provider role; the managed policy only lets it write its own logs."),
            ("AwsSolutions-L1", "The runtime of aws-cdk-lib's AwsCustomResource provider is pinned by aws-cdk-lib and "
             "updated with it."),
            ("Serverless-LambdaDLQ", "The provider is a synchronous CloudFormation custom resource: failures fail the "
             "deployment, so there is no asynchronous event to dead-letter."),
            ("Serverless-LambdaLatestVersion", "The runtime of aws-cdk-lib's AwsCustomResource provider is pinned by "
             "aws-cdk-lib and updated with it."),
            ("Serverless-LambdaTracing", "aws-cdk-lib's AwsCustomResource provider runs only during deployments; "
             "CloudFormation events trace it."),
            ("Serverless-LambdaDefaultMemorySize", "aws-cdk-lib's AwsCustomResource provider makes one SDK call per "
             "deployment; its memory is set by aws-cdk-lib."),
            ("Serverless-LambdaDefaultTimeout",
             "aws-cdk-lib's AwsCustomResource provider timeout is set by aws-cdk-lib for one SDK call."),
            *(
                (f"{pack}-{rule}", why)
                for pack in ("HIPAA.Security", "NIST.800.53.R5")
                for rule, why in (
                    ("LambdaDLQ", "aws-cdk-lib's AwsCustomResource provider is a synchronous CloudFormation custom "
                     "resource: a failure fails the deployment, so there is no asynchronous event to keep."),
                    ("LambdaConcurrency", "aws-cdk-lib's AwsCustomResource provider runs once per deployment that "
                     "changes the work team; CloudFormation serializes those calls."),
                    ("LambdaInsideVPC", "aws-cdk-lib's AwsCustomResource provider calls the SageMaker and Cognito "
                     "APIs at deploy time and holds no data."),
                    ("CloudWatchLogGroupEncrypted", "aws-cdk-lib's AwsCustomResource provider log group records only "
                     "the deploy-time API calls (the workforce subdomain), never worker data."),
                )
            ),
        ):
            acknowledge(target, finding, reason)
