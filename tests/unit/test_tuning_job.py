"""TuningJob: request shape (run through the definition, checked against botocore), ranges, strategies, limits."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

import support
from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.training.training_job import TrainingJob
from sagemaker_cdk.training.training_props import Algorithm, MetricDefinition
from sagemaker_cdk.training.tuning_job import (
    CategoricalRange,
    ContinuousRange,
    Hyperband,
    IntegerRange,
    Objective,
    TuningJob,
    WarmStart,
)
from test_training_requests import SAMPLE_UUID, assert_valid_requests, definition_of, responder, run

RANGES = [
    ContinuousRange("eta", 0.01, 0.5, "Logarithmic"),
    ContinuousRange("subsample", 0.5, 0.95, "ReverseLogarithmic"),
    IntegerRange("max_depth", 3, 10),
    CategoricalRange("tree_method", ["auto", "hist"]),
]


def _training(stack: cdk.Stack, **kwargs: Any) -> TrainingJob:
    return TrainingJob(
        stack,
        "Train",
        bucket=ArtifactBucket(stack, "Bucket"),
        algorithm=Algorithm.built_in("xgboost", "1.7-1"),
        hyperparameters={"objective": "binary:logistic", "num_round": 50, "eta": 0.2, "max_depth": 5},
        **kwargs,
    )


@pytest.fixture(scope="module")
def tuned() -> tuple[dict[str, Any], TuningJob]:
    app = support.new_app()
    stack = cdk.Stack(app, "TuneTest")
    tuning = TuningJob(
        stack,
        "Tune",
        training=_training(stack),
        objective=Objective("validation:auc", "Maximize"),
        ranges=RANGES,
        max_jobs=12,
        max_parallel_jobs=3,
        early_stopping=True,
        warm_start=WarmStart(["previous-tuning-1"]),
    )
    assembly = support.synth_nag_clean(app)
    return assembly.get_stack_by_name("TuneTest").template, tuning


def _tuning_machine(template: dict[str, Any]) -> str:
    return next(k for k, v in template["Resources"].items()
                if v["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith("Tune"))


def test_tuning_request_is_valid_and_named_within_32_characters(tuned: Any) -> None:
    template, tuning = tuned
    result = run(definition_of(template, _tuning_machine(template)), {}, responder(metric=0.93))
    assert result.status == "Succeeded", result
    assert_valid_requests(result)
    (request,) = result.requests("CreateHyperParameterTuningJob")
    name = request["HyperParameterTuningJobName"]
    assert name == f"{tuning.job_name_prefix}-{SAMPLE_UUID.split('-')[-1]}" and len(name) <= 32
    config = request["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Bayesian"
    assert config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 12, "MaxParallelTrainingJobs": 3}
    assert config["TrainingJobEarlyStoppingType"] == "Auto"
    assert config["ParameterRanges"]["ContinuousParameterRanges"][0] == {
        "Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
    assert config["ParameterRanges"]["IntegerParameterRanges"] == [
        {"Name": "max_depth", "MinValue": "3", "MaxValue": "10", "ScalingType": "Auto"}]
    # Tuned names are removed from the static hyperparameters.
    assert request["TrainingJobDefinition"]["StaticHyperParameters"] == {"objective": "binary:logistic", "num_round": "50"}
    assert request["WarmStartConfig"]["ParentHyperParameterTuningJobs"] == [{"HyperParameterTuningJobName": "previous-tuning-1"}]
    (describe,) = result.requests("DescribeTrainingJob")
    assert describe == {"TrainingJobName": f"{name}-007-1a2b3c4d"}
    assert result.output["ModelArtifacts"]["S3ModelArtifacts"].endswith("/output/model.tar.gz")


def test_uses_the_optimized_sync_integration_with_retry_and_catch(tuned: Any) -> None:
    template, _ = tuned
    tune = definition_of(template, _tuning_machine(template))["States"]["Tune"]
    assert tune["Resource"] == "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync"
    assert tune["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    assert "SageMaker.ThrottlingException" in tune["Retry"][0]["ErrorEquals"]


def test_a_tuned_hyperparameter_cannot_be_overridden_at_run_time(tuned: Any) -> None:
    template, _ = tuned
    result = run(definition_of(template, _tuning_machine(template)), {"hyperparameters": {"eta": "0.3"}}, responder())
    assert result.status == "Failed" and result.error == "InvalidInput"
    assert "is tuned by this workflow" in result.cause


def test_template_lints_clean(tuned: Any) -> None:
    template, _ = tuned
    assert support.lint(template, "TuneTest") == []


@pytest.mark.parametrize(
    ("strategy", "extra", "ranges"),
    [
        ("Random", {}, RANGES),
        ("Grid", {}, [CategoricalRange("max_depth", [3, 5, 7]), CategoricalRange("eta", [0.1, 0.2])]),
        ("Hyperband", {"hyperband": Hyperband(1, 20), "early_stopping": False}, RANGES),
    ],
)
def test_every_strategy_sends_a_valid_request(strategy: str, extra: dict[str, Any], ranges: list[Any]) -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Strategies")
    TuningJob(stack, "Tune", training=_training(stack), objective=Objective("validation:rmse", "Minimize"),
              ranges=ranges, strategy=strategy, **extra)
    template = app.synth().get_stack_by_name("Strategies").template
    result = run(definition_of(template, _tuning_machine(template)), {}, responder())
    assert_valid_requests(result)
    (request,) = result.requests("CreateHyperParameterTuningJob")
    assert request["HyperParameterTuningJobConfig"]["Strategy"] == strategy


# -- bad props ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ContinuousRange("eta", 0.5, 0.1), r"min_value \(0\.5\) must be less than max_value \(0\.1\)"),
        (lambda: IntegerRange("depth", 4, 4), r"min_value \(4\) must be less than max_value \(4\)"),
        (lambda: ContinuousRange("eta", 0, 1, "Logarithmic"), r"Logarithmic scaling needs min_value > 0 \(got 0\)"),
        (lambda: ContinuousRange("s", 0.5, 1.0, "ReverseLogarithmic"), r"needs 0 <= min_value < max_value < 1"),
        (lambda: IntegerRange("d", 1, 9, "ReverseLogarithmic"), r"applies to continuous ranges only"),
        (lambda: ContinuousRange("eta", 0.1, 0.2, "Exponential"), r"scaling \('Exponential'\) is not supported"),
        (lambda: CategoricalRange("m", []), r"values has 0 entries: give 1 to 30 values"),
        (lambda: CategoricalRange("m", ["a", "a"]), r"has duplicates"),
        (lambda: Objective("validation:auc", "Maximise"), r"type \('Maximise'\) is not supported"),
        (lambda: Hyperband(10, 2), r"min_resource \(10\) cannot exceed max_resource \(2\)"),
        (lambda: WarmStart(["x" * 33]), r"is not a tuning job name: use at most 32 characters"),
    ],
)
def test_bad_ranges_and_settings(make: Any, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"strategy": "Genetic"}, r"strategy \('Genetic'\) is not supported: use one of 'Bayesian', 'Random'"),
        ({"strategy": "Grid"}, r"strategy 'Grid' searches categorical ranges only, but 'eta', 'subsample', 'max_depth'"),
        ({"strategy": "Hyperband"}, r"strategy 'Hyperband' needs hyperband=Hyperband"),
        ({"hyperband": Hyperband(1, 9)}, r"hyperband is set but strategy is 'Bayesian'"),
        ({"max_jobs": 2, "max_parallel_jobs": 5}, r"max_parallel_jobs \(5\) cannot exceed max_jobs \(2\)"),
        ({"max_jobs": 0}, r"max_jobs \(0\) must be at least 1"),
        ({"job_name_prefix": "a-twenty-char-prefix"}, r"at most 32 characters, so use at most 19 characters"),
        ({"ranges": [IntegerRange("d", 1, 3), IntegerRange("d", 2, 4)]}, r"ranges name 'd' appears more than once"),
        ({"ranges": []}, r"ranges \(\[\]\) is empty"),
    ],
)
def test_bad_tuning_props(stack: cdk.Stack, kwargs: dict[str, Any], match: str) -> None:
    props = {"objective": Objective("validation:auc"), "ranges": RANGES, **kwargs}
    with pytest.raises(ValueError, match=match):
        TuningJob(stack, "Tune", training=_training(stack), **props)


def test_objective_must_be_a_defined_metric_for_own_images(stack: cdk.Stack) -> None:
    from aws_cdk import aws_ecr as ecr

    from sagemaker_cdk import ContainerImage

    repo = ecr.Repository.from_repository_name(stack, "Repo", "my-trainer")
    training = TrainingJob(stack, "Train", bucket=ArtifactBucket(stack, "Bucket"),
                           algorithm=Algorithm.from_image(ContainerImage.from_ecr_repository(repo, "1.0")),
                           metric_definitions=[MetricDefinition("val:loss", r"val_loss=([0-9.]+)")])
    with pytest.raises(ValueError, match=r"objective.metric_name \('val:acc'\) is not among the training job's"):
        TuningJob(stack, "Tune", training=training, objective=Objective("val:acc"), ranges=RANGES[:1])
