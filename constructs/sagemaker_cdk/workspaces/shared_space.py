"""SharedSpace: a Studio space the whole domain can open: a shared JupyterLab or Code Editor with its own EBS volume.

Cost: the space's EBS volume (gp3, per GB-month) while it exists, and its app per instance-hour while it runs (the
domain's idle shutdown applies).
"""

from __future__ import annotations

import re

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ..core._validation import PropErrors, is_token, one_of
from ..core._types import typed
from .studio_domain import MAX_EBS_GB, MIN_EBS_GB, StudioDomain
from .user_profile import UserProfile

APP_TYPES = ("JupyterLab", "CodeEditor")  # the new Studio experience's space apps (AWS::SageMaker::Space AppType)
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")


class SharedSpace(Construct):
    """A shared Studio space.

    Keyword-only props:
        domain: the StudioDomain.
        space_name: the space's name (letters, digits, hyphens; at most 63).
        owner: the UserProfile that owns the space.
        app_type: "JupyterLab" (default) or "CodeEditor".
        ebs_size_gb: the space's EBS volume (5-16384, at most the domain's max_ebs_size_gb). Default: 10.
        instance_type: the app's default instance type. Default: "ml.t3.medium".
        display_name: shown in Studio. Default: space_name.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain: StudioDomain,
        space_name: str,
        owner: UserProfile,
        app_type: str = "JupyterLab",
        ebs_size_gb: int = 10,
        instance_type: str = "ml.t3.medium",
        display_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"SharedSpace {self.node.path}")
        if not isinstance(domain, StudioDomain):
            errors.add(f"domain must be a sagemaker_cdk.StudioDomain, got {domain!r}", type_error=True)
        if not isinstance(owner, UserProfile):
            errors.add(f"owner must be a sagemaker_cdk.UserProfile, got {owner!r}", type_error=True)
        elif isinstance(domain, StudioDomain) and owner.domain is not domain:
            errors.add(f"owner {owner.node.path} belongs to another domain: pick a user profile of {domain.node.path}")
        if not is_token(space_name) and errors.expect_type("space_name", space_name, str, "a string"):
            errors.check(bool(_NAME.match(space_name)),
                         f"space_name ({space_name!r}) must be at most 63 letters, digits and hyphens: e.g. 'team'")
        one_of(errors, "app_type", app_type, APP_TYPES)
        max_gb = domain._ebs[1] if isinstance(domain, StudioDomain) and isinstance(domain._ebs[1], int) else MAX_EBS_GB
        errors.number_in_range("ebs_size_gb", ebs_size_gb, MIN_EBS_GB, min(max_gb, MAX_EBS_GB), integer=True)
        if not is_token(instance_type) and errors.expect_type("instance_type", instance_type, str, "a string"):
            errors.check(bool(_INSTANCE_TYPE.match(instance_type)),
                         f"instance_type ({instance_type!r}) is not an ML instance type: e.g. 'ml.t3.medium'")
        errors.raise_if_any()

        self.domain = domain
        self.space_name = space_name
        self.owner = owner
        spec = sagemaker.CfnSpace.ResourceSpecProperty(instance_type=instance_type)
        self.resource = sagemaker.CfnSpace(
            self,
            "Resource",
            domain_id=domain.domain_id,
            space_name=space_name,
            space_display_name=display_name or space_name,
            ownership_settings=sagemaker.CfnSpace.OwnershipSettingsProperty(
                owner_user_profile_name=owner.user_profile_name
            ),
            space_sharing_settings=sagemaker.CfnSpace.SpaceSharingSettingsProperty(sharing_type="Shared"),
            space_settings=sagemaker.CfnSpace.SpaceSettingsProperty(
                app_type=app_type,
                space_storage_settings=sagemaker.CfnSpace.SpaceStorageSettingsProperty(
                    ebs_storage_settings=sagemaker.CfnSpace.EbsStorageSettingsProperty(ebs_volume_size_in_gb=ebs_size_gb)
                ),
                jupyter_lab_app_settings=sagemaker.CfnSpace.SpaceJupyterLabAppSettingsProperty(
                    default_resource_spec=spec
                )
                if app_type == "JupyterLab"
                else None,
                code_editor_app_settings=sagemaker.CfnSpace.SpaceCodeEditorAppSettingsProperty(
                    default_resource_spec=spec
                )
                if app_type == "CodeEditor"
                else None,
            ),
        )
        self.resource.node.add_dependency(owner.resource)
        domain._register(self.resource, space_name)

    @property
    def arn(self) -> str:
        return self.resource.attr_space_arn
