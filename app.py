#!/usr/bin/env python3
"""The reference app: `make synth` writes its templates to cdk.out; `npx cdk deploy --all` ships them.

Stacks are environment-agnostic (no account or region at synth), so synth needs no AWS credentials. Configuration
comes from CDK context (cdk.json or `-c key=value`); see stacks/config.py for every knob. cdk-nag's AwsSolutions,
Serverless, HIPAA.Security and NIST.800.53.R5 packs run on every synth and fail it on any unacknowledged finding
(their report, acknowledged findings and reasons included, is cdk.out/validation-report.json).
"""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "18,20")

import aws_cdk as cdk  # noqa: E402
from cdk_nag import (  # noqa: E402
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    ServerlessChecks,
)

from stacks.app_builder import build_app  # noqa: E402

app = cdk.App()
build_app(app)
cdk.Validations.of(app).add_plugins(
    AwsSolutionsChecks(app), ServerlessChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app)
)
app.synth()
