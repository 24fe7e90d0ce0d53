"""Reserved concurrency is off by default (issue 11 item 5): the reference app used to reserve 37 concurrent
executions, which fails the first deploy on accounts whose Lambda concurrency quota is 10 or 50 ("decreases
account's UnreservedConcurrentExecution below its minimum value"). The `lambda_reserved_concurrency` knob sets it."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

import support
from stacks.app_builder import build_app
from stacks.config import AppConfig


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}


def test_no_function_of_the_reference_app_reserves_concurrency(reference_templates: dict[str, Any]) -> None:
    for name, template in reference_templates.items():
        for logical_id, props in _functions(template).items():
            assert "ReservedConcurrentExecutions" not in props, (name, logical_id)


def test_the_knob_parses_and_zero_means_none() -> None:
    assert AppConfig().reserved_concurrency is None
    config = AppConfig.from_context(cdk.App(context={"lambda_reserved_concurrency": "3"}).node)
    assert config.lambda_reserved_concurrency == 3 and config.reserved_concurrency == 3


def test_the_knob_reaches_every_project_function() -> None:
    app = support.new_app(lambda_reserved_concurrency="3")
    stacks = build_app(app)
    assembly = app.synth()
    reserved = {}
    for key, stack in stacks.items():
        for logical_id, props in _functions(assembly.get_stack_by_name(stack.stack_name).template).items():
            handler = props.get("Handler", "")
            if handler.split(".")[0] in ("invoke_endpoint", "batch_transform_trigger", "neo_compile"):
                reserved[f"{key}/{logical_id}"] = props.get("ReservedConcurrentExecutions")
    assert len(reserved) == 5 and set(reserved.values()) == {3}, reserved
