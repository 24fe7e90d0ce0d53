"""Session-wide fixtures: the reference app is synthesized once (with the gating cdk-nag packs) and shared."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "18,20")

from typing import Any  # noqa: E402

import pytest  # noqa: E402

import support  # noqa: E402


@pytest.fixture(scope="session")
def reference_assembly() -> Any:
    """The reference app as `make synth` builds it, nag-checked (AwsSolutions + Serverless)."""
    from stacks.app_builder import build_app

    app = support.new_app(validation=True)
    stacks = build_app(app)
    assembly = support.synth_nag_clean(app)
    return assembly, {key: stack.stack_name for key, stack in stacks.items()}


@pytest.fixture(scope="session")
def reference_templates(reference_assembly: Any) -> dict[str, dict[str, Any]]:
    assembly, names = reference_assembly
    return {key: assembly.get_stack_by_name(name).template for key, name in names.items()}


@pytest.fixture()
def stack() -> Any:
    """A fresh stack named "Test" in an app with the project's feature flags."""
    import aws_cdk as cdk

    return cdk.Stack(support.new_app(), "Test")
