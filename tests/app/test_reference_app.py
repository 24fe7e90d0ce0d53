"""The reference app: nag-clean, lint-clean, snapshot-stable, and configured from CDK context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from syrupy.extensions.json import JSONSnapshotExtension

import support
from stacks.app_builder import build_app
from stacks.config import AppConfig

def test_every_template_lints_clean(reference_templates: dict[str, Any]) -> None:
    problems = [m for name, t in reference_templates.items() for m in support.lint(t, name)]
    assert problems == []


def test_snapshot(reference_templates: dict[str, Any], snapshot: Any) -> None:
    for name, template in sorted(reference_templates.items()):
        assert support.scrub(template) == snapshot(name=name, extension_class=JSONSnapshotExtension)


def test_serves_the_sample_model_with_built_in_xgboost_on_a_90_10_split(reference_templates: dict[str, Any]) -> None:
    template = reference_templates["inference"]
    resources = template["Resources"].values()
    models = [r for r in resources if r["Type"] == "AWS::SageMaker::Model"]  # the inference stack's two
    assert len(models) == 2
    for model in models:
        container = model["Properties"]["PrimaryContainer"]
        assert "sagemaker-xgboost:1.7-1" in str(container["Image"])
        assert "ModelDataUrl" in container
    [config] = [r for r in resources if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    variants = config["Properties"]["ProductionVariants"]
    assert [(v["VariantName"], v["InitialVariantWeight"], v["InitialInstanceCount"]) for v in variants] == [
        ("champion", 9, 2),
        ("challenger", 1, 2),
    ]
    assert sum(r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget" for r in resources) == 2


def test_stacks_are_environment_agnostic(reference_assembly: Any) -> None:
    assembly, names = reference_assembly
    for name in names.values():
        env = assembly.get_stack_by_name(name).environment
        assert (env.account, env.region) == ("unknown-account", "unknown-region")


def test_all_four_nag_packs_gate_the_reference_app(reference_assembly: Any) -> None:
    # The session fixture synthesizes through support.synth_nag_clean, which fails on any unacknowledged finding of
    # AwsSolutions, Serverless, HIPAA.Security and NIST.800.53.R5; here, every pack ran and every suppression has a
    # reason (cdk-nag writes the validation report next to the templates).
    assembly, _ = reference_assembly
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    packs = {p["pluginName"]: p for p in report["pluginReports"]}
    assert {"AwsSolutions", "Serverless", "HIPAA.Security", "NIST.800.53.R5"} <= set(packs)
    for pack in packs.values():
        assert pack["violations"] == []
        assert all(len(v.get("reason", "").strip()) >= 20 for v in pack.get("suppressedViolations", []))


def test_context_knobs_are_parsed_and_validated() -> None:
    app = cdk.App(context={"instance_count": "3", "interface_endpoints": "false", "max_rps_per_instance": "12.5",
                           "alarm_email": "ml@example.com"})
    config = AppConfig.from_context(app.node)
    assert (config.instance_count, config.interface_endpoints, config.max_rps_per_instance) == (3, False, 12.5)
    with pytest.raises(ValueError, match=r"context instance_count='two' is not a valid int"):
        AppConfig.from_context(cdk.App(context={"instance_count": "two"}).node)
    with pytest.raises(ValueError, match=r"context retain_data='maybe' is not a valid bool"):
        AppConfig.from_context(cdk.App(context={"retain_data": "maybe"}).node)


def test_context_reaches_the_template_and_every_knob_stays_nag_and_lint_clean() -> None:
    app = support.new_app(instance_type="ml.c5.large", alarm_email="ml@example.com", deployment_mode="linear",
                          data_capture_percent="20", interface_endpoints="false", retain_data="false")
    stacks = build_app(app)
    assembly = support.synth_nag_clean(app)
    template = assembly.get_stack_by_name(stacks["inference"].stack_name).template
    text = str(template)
    assert "ml.c5.large" in text and "ml@example.com" in text and "'LINEAR'" in text
    assert "'InitialSamplingPercentage': 20" in text and "InterfaceEndpoint" not in text
    for stack in stacks.values():
        assert support.lint(assembly.get_stack_by_name(stack.stack_name).template, stack.stack_name) == []


def test_workspaces_notebook_auto_stops_and_studio_has_two_personas_and_a_shared_space(
    reference_templates: dict[str, Any],
) -> None:
    resources = reference_templates["workspaces"]["Resources"].values()
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["Type"], []).append(resource.get("Properties", {}))
    [notebook] = by_type["AWS::SageMaker::NotebookInstance"]
    assert (notebook["DirectInternetAccess"], notebook["RootAccess"]) == ("Disabled", "Disabled")
    assert "LifecycleConfigName" in notebook
    [domain] = by_type["AWS::SageMaker::Domain"]
    assert domain["AppNetworkAccessType"] == "VpcOnly" and len(domain["SubnetIds"]) == 2
    assert sorted(p["UserProfileName"] for p in by_type["AWS::SageMaker::UserProfile"]) == [
        "data-scientist", "mlops-engineer"]
    [space] = by_type["AWS::SageMaker::Space"]
    assert space["SpaceSharingSettings"] == {"SharingType": "Shared"}
    assert len(by_type["Custom::StudioTeardown"]) == 1
    assert "AmazonSageMakerFullAccess" not in str(reference_templates["workspaces"])
