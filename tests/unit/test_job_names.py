"""One lower-case naming rule: the names a workflow sends and the IAM resources scoped to them match exactly.

IAM compares ARNs case-sensitively, and SageMaker keeps the case of job ARNs, so a job named with capitals under a
lower-cased IAM pattern is denied at run time (issue 11, item 1). The stack names here are mixed case on purpose.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest

import support
from sagemaker_cdk import ArtifactBucket, BatchTransformPipeline
from sagemaker_cdk.inference.neo_compilation import NeoCompilation
from sagemaker_cdk.training.rollout_pipeline import RolloutPipeline
from sagemaker_cdk.training.training_job import TrainingJob
from sagemaker_cdk.training.training_props import Algorithm
from sagemaker_cdk.training.tuning_job import IntegerRange, Objective, TuningJob
from test_training_pipeline import _endpoint
from test_training_requests import SAMPLE_UUID, definition_of, responder, run


@pytest.fixture(scope="module")
def mixed_case() -> tuple[dict[str, Any], dict[str, Any]]:
    app = support.new_app()
    stack = cdk.Stack(app, "SageMakerCdkTrain")
    bucket = ArtifactBucket(stack, "Bucket")
    training = TrainingJob(stack, "TrainJob", bucket=bucket, algorithm=Algorithm.built_in("xgboost", "1.7-1"),
                           hyperparameters={"objective": "binary:logistic", "num_round": 10})
    tuning = TuningJob(stack, "Tune", training=training, objective=Objective("validation:auc", "Maximize"),
                       ranges=[IntegerRange("max_depth", 3, 6)], max_jobs=2, max_parallel_jobs=1)
    given = TrainingJob(stack, "Given", bucket=bucket, algorithm=Algorithm.built_in("xgboost", "1.7-1"),
                        hyperparameters={"num_round": 10}, job_name_prefix="Team-Churn")
    rollout = RolloutPipeline(stack, "Rollout", job=training, endpoint=_endpoint(stack))
    batch = BatchTransformPipeline(stack, "Batch", model=support.xgboost_model(stack, "BatchModel"), bucket=bucket)
    neo = NeoCompilation(stack, "NeoCompile", bucket=bucket, framework="xgboost", target_device="ml_c5")
    constructs = {"training": training, "tuning": tuning, "given": given, "rollout": rollout, "batch": batch,
                  "neo": neo}
    return app.synth().get_stack_by_name("SageMakerCdkTrain").template, constructs


def _iam_resources(template: dict[str, Any]) -> list[str]:
    """Every IAM resource of the template, tokens rendered as '<token>' (the literal parts are what IAM matches)."""
    out = []

    def text(node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and "Fn::Join" in node:
            return node["Fn::Join"][0].join(text(p) for p in node["Fn::Join"][1])
        return "<token>"

    for resource in template["Resources"].values():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):  # library grants are managed
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement.get("Resource", [])
            for item in listed if isinstance(listed, list) else [listed]:
                out.append(text(item))
    return out


def _machine(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    logical_id = next(k for k, v in template["Resources"].items()
                      if v["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith(prefix))
    return definition_of(template, logical_id)


def test_generated_prefixes_are_the_lower_cased_stack_and_id(mixed_case: Any) -> None:
    _, c = mixed_case
    assert c["training"].job_name_prefix == "sagemakercdktrain-trainjob"
    # Too long for a tuning job's 19 characters: shortened, with 6 hex of the construct path.
    assert re.fullmatch(r"sagemakercdk-[0-9a-f]{6}", c["tuning"].job_name_prefix)
    assert c["given"].job_name_prefix == "team-churn"  # a prefix the user gives is lower-cased too
    assert c["rollout"].name_prefix == "sagemakercdktrain-rollout"
    assert re.fullmatch(r"batch-[0-9a-f]{8}", c["batch"].job_name_prefix)
    assert re.fullmatch(r"neocompile-[0-9a-f]{8}", c["neo"].job_name_prefix)


def test_training_job_name_and_iam_resource_match_character_for_character(mixed_case: Any) -> None:
    template, c = mixed_case
    result = run(_machine(template, "TrainJob"), {}, responder())
    (request,) = result.requests("CreateTrainingJob")
    assert request["TrainingJobName"] == f"sagemakercdktrain-trainjob-{SAMPLE_UUID}"
    assert "arn:<token>:sagemaker:<token>:<token>:training-job/sagemakercdktrain-trainjob-*" in _iam_resources(
        template)
    given = run(_machine(template, "Given"), {}, responder()).requests("CreateTrainingJob")[0]
    assert given["TrainingJobName"] == f"team-churn-{SAMPLE_UUID}"
    assert "arn:<token>:sagemaker:<token>:<token>:training-job/team-churn-*" in _iam_resources(template)


def test_tuning_job_name_and_iam_resource_match_character_for_character(mixed_case: Any) -> None:
    template, c = mixed_case
    prefix = c["tuning"].job_name_prefix
    result = run(_machine(template, "Tune"), {}, responder(metric=0.9))
    (request,) = result.requests("CreateHyperParameterTuningJob")
    assert request["HyperParameterTuningJobName"] == f"{prefix}-{SAMPLE_UUID.split('-')[-1]}"
    resources = _iam_resources(template)
    assert f"arn:<token>:sagemaker:<token>:<token>:hyper-parameter-tuning-job/{prefix}-*" in resources
    # The training jobs a tuning job launches are named "<tuning job name>-<NNN>-<hash>" by SageMaker.
    assert f"arn:<token>:sagemaker:<token>:<token>:training-job/{prefix}-*" in resources


def test_rollout_batch_and_neo_names_match_their_iam_resources(mixed_case: Any) -> None:
    template, c = mixed_case
    resources = _iam_resources(template)
    for kind in ("model", "endpoint-config"):
        assert f"arn:<token>:sagemaker:<token>:<token>:{kind}/sagemakercdktrain-rollout-*" in resources
    assert f"arn:<token>:sagemaker:<token>:<token>:transform-job/{c['batch'].job_name_prefix}-*" in resources
    assert f"arn:<token>:sagemaker:<token>:<token>:compilation-job/{c['neo'].job_name_prefix}-*" in resources
    environments = json.dumps([r["Properties"].get("Environment") for r in template["Resources"].values()
                                if r["Type"] == "AWS::Lambda::Function"])
    for prefix in (c["batch"].job_name_prefix, c["neo"].job_name_prefix):
        assert f'"JOB_NAME_PREFIX": "{prefix}"' in environments


def test_no_sagemaker_iam_resource_has_capitals(mixed_case: Any) -> None:
    template, _ = mixed_case
    for resource in _iam_resources(template):
        if ":sagemaker:" in resource:
            name = resource.split(":sagemaker:", 1)[1].split("/", 1)[-1]
            assert name == name.lower(), resource
