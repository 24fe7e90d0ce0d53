"""UserProfile: one person's profile in a StudioDomain, with the domain's default role, a persona's, or its own.

No cost of its own; the apps a user runs are billed per instance-hour until idle shutdown stops them.
"""

from __future__ import annotations

import re
from typing import Literal

from aws_cdk import aws_iam as iam, aws_sagemaker as sagemaker
from constructs import Construct

from ..core._validation import PropErrors, is_token, one_of
from ..core._types import typed
from .studio_domain import StudioDomain
from .studio_persona import PERSONAS

# UserProfileName (cfn-lint schema): ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class UserProfile(Construct):
    """A Studio user profile.

    Keyword-only props:
        domain: the StudioDomain.
        user_profile_name: the user's name in Studio (letters, digits, hyphens; at most 63).
        persona: "data-scientist" or "mlops": run with that persona's execution role. Default: the domain's
            default persona.
        role: a role of the user's own (it gets nothing from us; use `domain.grant_persona(role, persona)`).
            Mutually exclusive with `persona`.
        single_sign_on_user_value: the IAM Identity Center user name; required when the domain uses SSO.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain: StudioDomain,
        user_profile_name: str,
        persona: Literal["data-scientist", "mlops"] | None = None,
        role: iam.IRole | None = None,
        single_sign_on_user_value: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"UserProfile {self.node.path}")
        if not isinstance(domain, StudioDomain):
            errors.add(f"domain must be a sagemaker_cdk.StudioDomain, got {domain!r}", type_error=True)
        if not is_token(user_profile_name) and errors.expect_type(
            "user_profile_name", user_profile_name, str, "a string"
        ):
            errors.check(
                bool(_NAME.match(user_profile_name)),
                f"user_profile_name ({user_profile_name!r}) must be at most 63 letters, digits and hyphens, "
                "starting and ending alphanumeric: e.g. 'jane-doe'",
            )
        one_of(errors, "persona", persona, PERSONAS)
        errors.check(
            persona is None or role is None,
            "persona and role are both set: give either a persona (we build its role) or your own role",
        )
        if isinstance(domain, StudioDomain):
            if domain.auth_mode == "SSO":
                errors.check(
                    bool(single_sign_on_user_value),
                    "the domain uses IAM Identity Center (auth_mode='SSO'): set single_sign_on_user_value to the "
                    "user's Identity Center user name",
                )
            else:
                errors.check(
                    single_sign_on_user_value is None,
                    "single_sign_on_user_value is only for auth_mode='SSO' domains: remove it, or create the "
                    "domain with auth_mode='SSO'",
                )
        errors.raise_if_any()

        self.domain = domain
        self.user_profile_name = user_profile_name
        self.persona = persona
        self.role: iam.IRole | None = role or (domain.execution_role(persona) if persona else None)
        self.resource = sagemaker.CfnUserProfile(
            self,
            "Resource",
            domain_id=domain.domain_id,
            user_profile_name=user_profile_name,
            user_settings=sagemaker.CfnUserProfile.UserSettingsProperty(
                execution_role=self.role.role_arn,
                security_groups=[domain.security_group.security_group_id],
            )
            if self.role is not None
            else None,
            single_sign_on_user_identifier="UserName" if single_sign_on_user_value else None,
            single_sign_on_user_value=single_sign_on_user_value,
        )
        if isinstance(self.role, iam.Role):
            # The role's permissions exist before the profile can start apps.
            policy = self.role.node.try_find_child("DefaultPolicy")
            if policy is not None:
                self.resource.node.add_dependency(policy)
        domain._register(self.resource)

    @property
    def arn(self) -> str:
        return self.resource.attr_user_profile_arn

    def grant_presigned_url(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a person (or their role) open Studio as this user: CreatePresignedDomainUrl on this profile."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:CreatePresignedDomainUrl"], resource_arns=[self.arn]
        )
