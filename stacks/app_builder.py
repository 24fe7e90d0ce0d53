"""Builds the reference app's stacks from configuration (shared by app.py, the tests and the benchmarks)."""

from __future__ import annotations

import aws_cdk as cdk

from .config import AppConfig
from .elastic_stack import ElasticInferenceStack
from .inference_stack import InferenceStack
from .labeling_stack import LabelingStack
from .neo_stack import NeoStack
from .training_stack import TrainingStack
from .workspaces_stack import WorkspacesStack


def build_app(app: cdk.App, config: AppConfig | None = None) -> dict[str, cdk.Stack]:
    config = config or AppConfig.from_context(app.node)
    stacks: dict[str, cdk.Stack] = {}
    stacks["inference"] = InferenceStack(
        app,
        f"{config.stack_prefix}Inference",
        config=config,
        description="sagemaker-cdk reference app: XGBoost real-time endpoint (90/10 variants, 2 AZs)",
    )
    inference = stacks["inference"]
    stacks["elastic"] = ElasticInferenceStack(
        app,
        f"{config.stack_prefix}Elastic",
        config=config,
        network=inference.network,
        description="sagemaker-cdk reference app: the sample model on async (scale to zero) and serverless endpoints",
    )
    stacks["training"] = TrainingStack(
        app,
        f"{config.stack_prefix}Training",
        config=config,
        inference=inference,
        description="sagemaker-cdk reference app: XGBoost training, tuning and rollout workflows",
    )
    stacks["neo"] = NeoStack(
        app,
        f"{config.stack_prefix}Neo",
        config=config,
        description="sagemaker-cdk reference app: the sample XGBoost model compiled by SageMaker Neo for ml_c5",
    )
    stacks["workspaces"] = WorkspacesStack(
        app,
        f"{config.stack_prefix}Workspaces",
        config=config,
        description="sagemaker-cdk reference app: a notebook instance with auto-stop and a VpcOnly Studio domain",
    )
    stacks["labeling"] = LabelingStack(
        app,
        f"{config.stack_prefix}Labeling",
        config=config,
        inference=inference,
        description="sagemaker-cdk reference app: Ground Truth workteam, labeling job with automated labeling, "
        "labeled data -> training",
    )
    cdk.Tags.of(app).add("project", "sagemaker-cdk")
    return stacks
