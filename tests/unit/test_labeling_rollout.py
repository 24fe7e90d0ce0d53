"""Labeled data feeds training: a Channel reads a LabelingJob's augmented manifest, and a RolloutPipeline runs
label -> train -> gate -> roll out. The run is simulated by the States Language interpreter of
test_training_requests; every SageMaker request is validated against botocore's model."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

import support
from sagemaker_cdk import (
    Algorithm,
    ArtifactBucket,
    Channel,
    LabelingJob,
    LabelingWorkteam,
    MetricGate,
    RolloutPipeline,
    TaskType,
    TrainingJob,
)
from test_labeling_requests import _respond as labeling_respond, _with_function_arns
from test_training_pipeline import _endpoint
from test_training_requests import assert_valid_requests, definition_of, run, sample_response

TEAM_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:workteam/private-crowd/reviewers"


def _labeling(stack: cdk.Stack, bucket: ArtifactBucket) -> LabelingJob:
    return LabelingJob(stack, "Labels", bucket=bucket, workteam=LabelingWorkteam.from_workteam_arn(stack, "T", TEAM_ARN),
                       task_type=TaskType.image_classification(), labels=["square", "circle"],
                       task_title="Square or circle?", task_description="Pick the shape", automated_labeling=True)


@pytest.fixture(scope="module")
def pipeline() -> tuple[dict[str, Any], RolloutPipeline]:
    app = support.new_app()
    stack = cdk.Stack(app, "LabelTrain")
    bucket = ArtifactBucket(stack, "Bucket")
    labeling = _labeling(stack, bucket)
    training = TrainingJob(
        stack, "Train", bucket=bucket, algorithm=Algorithm.built_in("image-classification", "1"),
        hyperparameters={"num_classes": 2, "num_training_samples": 300, "image_shape": "3,32,32", "epochs": 2},
        channels=[Channel.from_labeling_job(labeling, "train"), Channel.from_labeling_job(labeling, "validation")],
        instance_type="ml.p3.2xlarge",
    )
    rollout = RolloutPipeline(stack, "Rollout", job=training, endpoint=_endpoint(stack), variants=["challenger"],
                              metric_gate=MetricGate(0.8, metric_name="validation:accuracy"), labeling=labeling)
    assembly = support.synth_nag_clean(app)
    return assembly.get_stack_by_name("LabelTrain").template, rollout


def test_channel_from_labeling_job_renders_an_augmented_manifest(pipeline: Any) -> None:
    _, rollout = pipeline
    channel = rollout.training.training_request()["InputDataConfig"][0]
    source = channel["DataSource"]["S3DataSource"]
    assert source["S3DataType"] == "AugmentedManifestFile"
    assert source["AttributeNames"] == ["source-ref", "label"]
    assert channel["RecordWrapperType"] == "RecordIO" and channel["InputMode"] == "Pipe"
    assert channel["ContentType"] == "application/x-recordio"


def test_label_then_train_then_roll_out(pipeline: Any) -> None:
    template, rollout = pipeline
    state: dict[str, Any] = {}

    def respond(resource: str, request: dict[str, Any]) -> Any:
        if ":lambda:" in resource and ":states:::" not in resource or "createLabelingJob" in resource:
            return labeling_respond(resource, request)
        response = sample_response(resource, request, state=state)
        if "createTrainingJob" in resource:  # the image classifier reports accuracy
            response["FinalMetricDataList"].append({"MetricName": "validation:accuracy", "Value": 0.93, "Timestamp": 0})
        return response

    definition = definition_of(_with_function_arns(template), next(
        k for k, v in template["Resources"].items()
        if v["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith("Rollout")))
    result = run(definition, {}, respond)
    assert result.status == "Succeeded", (result.error, result.cause, result.path)
    assert result.path.index("Label") < result.path.index("UseLabels") < result.path.index("Train")
    calls = [c for c in result.calls if ":states:::" in c[1] or ":sns:" in c[1]]
    result.calls = calls
    assert_valid_requests(result)
    (labeling,) = result.requests("CreateLabelingJob")
    (training,) = result.requests("CreateTrainingJob")
    uris = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in training["InputDataConfig"]}
    expected = (f"s3://sample-artifact-bucket/{rollout.labeling.output_prefix}{labeling['LabelingJobName']}"
                "/manifests/output/output.manifest")
    assert uris == {"train": expected, "validation": expected}


def test_training_role_reads_the_labeled_objects(pipeline: Any) -> None:
    template, rollout = pipeline
    import json
    text = json.dumps([r for k, r in template["Resources"].items()
                       if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
                           and "TrainRole" in json.dumps(r["Properties"].get("Roles"))])
    assert f"/{rollout.labeling.input_prefix}*" in text and f"/{rollout.labeling.output_prefix}*" in text


def test_rollout_without_a_labeled_channel_says_what_to_add() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "NoChannel")
    bucket = ArtifactBucket(stack, "Bucket")
    labeling = _labeling(stack, bucket)
    training = TrainingJob(stack, "Train", bucket=bucket, algorithm=Algorithm.built_in("xgboost", "1.7-1"))
    with pytest.raises(ValueError, match="Channel.from_labeling_job"):
        RolloutPipeline(stack, "Rollout", job=training, endpoint=_endpoint(stack), labeling=labeling)


def test_record_wrapper_needs_attribute_names() -> None:
    with pytest.raises(ValueError, match="record_wrapper is set without attribute_names"):
        Channel("train", record_wrapper="RecordIO")
