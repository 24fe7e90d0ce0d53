"""StudioLifecycleConfig: a startup script for Studio JupyterLab or Code Editor apps.

`AWS::SageMaker::StudioLifecycleConfig` takes the script base64-encoded (at most 16384 characters). Attach it to a
domain with `StudioDomain(lifecycle_configs=[...])`: it is added to the matching app's LifecycleConfigArns, so users
can pick it, and `default=True` makes it run for every app of that type. No cost of its own.
"""

from __future__ import annotations

import base64
import re

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ..core._validation import PropErrors, is_token, one_of
from ..core._types import typed

# StudioLifecycleConfigAppType (cfn-lint schema): JupyterServer | KernelGateway | CodeEditor | JupyterLab; the new
# Studio experience runs JupyterLab and Code Editor apps.
APP_TYPES = ("JupyterLab", "CodeEditor")
MAX_CONTENT_CHARS = 16384  # StudioLifecycleConfigContent maxLength (base64-encoded)
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class StudioLifecycleConfig(Construct):
    """A lifecycle configuration for Studio apps.

    Keyword-only props:
        app_type: "JupyterLab" or "CodeEditor".
        script: the shell script (plain text; encoded here).
        name: the configuration's name. Default: derived from the construct path.
        default: run it for every app of this type (the app's DefaultResourceSpec). Default: False.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        app_type: str,
        script: str,
        name: str | None = None,
        default: bool = False,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"StudioLifecycleConfig {self.node.path}")
        one_of(errors, "app_type", app_type, APP_TYPES)
        if errors.expect_type("script", script, str, "a shell script string"):
            encoded = 4 * ((len(script.encode()) + 2) // 3)
            errors.check(bool(script.strip()), "script is empty: give the shell script to run at app start")
            errors.check(
                encoded <= MAX_CONTENT_CHARS,
                f"script is {encoded} characters once base64-encoded, over SageMaker's {MAX_CONTENT_CHARS}: "
                "move the bulk into a file in S3 or an image and fetch it from a short script",
            )
        if name is not None and not is_token(name) and errors.expect_type("name", name, str, "a string"):
            errors.check(bool(_NAME.match(name)), f"name ({name!r}) must be at most 63 letters, digits and hyphens")
        errors.expect_type("default", default, bool, "True or False")
        errors.raise_if_any()

        self.app_type = app_type
        self.default = default
        self.script = script
        generated = re.sub(r"[^a-zA-Z0-9-]", "-", self.node.path)[-63:].strip("-")
        self.resource = sagemaker.CfnStudioLifecycleConfig(
            self,
            "Resource",
            studio_lifecycle_config_app_type=app_type,
            studio_lifecycle_config_content=base64.b64encode(script.encode()).decode(),
            studio_lifecycle_config_name=name or re.sub(r"-{2,}", "-", generated),
        )

    @property
    def arn(self) -> str:
        return self.resource.attr_studio_lifecycle_config_arn
