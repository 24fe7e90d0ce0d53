"""The reference NeoStack: nag-clean (AwsSolutions + Serverless), cfn-lint clean, compiles the sample for ml_c5."""

from __future__ import annotations

import json
from typing import Any

import pytest

import support
from stacks.config import AppConfig
from stacks.neo_stack import NeoStack
from test_training_requests import definition_of


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    app = support.new_app()
    NeoStack(app, "SageMakerCdkNeo", config=AppConfig())
    return support.synth_nag_clean(app).get_stack_by_name("SageMakerCdkNeo").template


def test_compiles_the_sample_xgboost_model_for_ml_c5(template: dict[str, Any]) -> None:
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    env = function["Properties"]["Environment"]["Variables"]
    assert (env["FRAMEWORK"], env["TARGET_DEVICE"]) == ("XGBOOST", "ml_c5")
    # No FrameworkVersion: botocore documents it for MXNet, PyTorch, TensorFlow and TensorFlow Lite only; the
    # artifact (models/xgboost-neo) is XGBoost 1.3.3, the newest Neo compiles for cloud targets.
    assert "FRAMEWORK_VERSION" not in env
    assert json.loads(env["DATA_INPUT_CONFIG"]) == {"data": [1, 5]}
    states = definition_of(template)["States"]
    assert "/xgboost-neo:latest" in states["CreateModel"]["Parameters"]["PrimaryContainer"]["Image"]


def test_outputs_and_bucket_are_in_stack(template: dict[str, Any]) -> None:
    assert {"NeoStateMachineArn", "NeoFunctionName", "NeoUploadUri", "NeoCompiledUri"} <= set(template["Outputs"])
    assert not any("Fn::ImportValue" in json.dumps(v) for v in template["Resources"].values())


def test_cfn_lint_clean(template: dict[str, Any]) -> None:
    assert support.lint(template, "neo") == []
