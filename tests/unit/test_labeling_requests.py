"""Every CreateLabelingJob request the LabelingJob state machine sends is valid against botocore's service model.

Each job's definition is resolved with sample values and run by the small States Language interpreter of
test_training_requests (Lambda and `.sync` responses simulated); every SageMaker and SNS request is validated with
botocore's ParamValidator plus the model's length, pattern and enum constraints.
"""

from __future__ import annotations

import copy
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_, aws_sns as sns

import support
from sagemaker_cdk import ArtifactBucket, LabelingJob, LabelingWorkteam, TaskType
from sagemaker_cdk.labeling import registry
from test_training_requests import ACCOUNT, REGION, SAMPLE_UUID, assert_valid_requests, definition_of, run

TEAM_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/reviewers"
BUILT_INS = {
    "ImageMultiClass": TaskType.image_classification,
    "ImageMultiClassMultiLabel": TaskType.image_multi_label,
    "BoundingBox": TaskType.bounding_box,
    "SemanticSegmentation": TaskType.semantic_segmentation,
    "TextMultiClass": TaskType.text_classification,
    "TextMultiClassMultiLabel": TaskType.text_multi_label,
    "NamedEntityRecognition": TaskType.named_entity_recognition,
}
AUTOMATED = ("ImageMultiClass", "BoundingBox", "SemanticSegmentation", "TextMultiClass")


def _job(stack: cdk.Stack, id: str, bucket: ArtifactBucket, team: Any, task_type: TaskType, **kwargs: Any) -> None:
    LabelingJob(stack, id, bucket=bucket, workteam=team, task_type=task_type, labels=kwargs.pop("labels", ["a", "b"]),
                task_title="Label the objects", task_description="Choose the label that fits best", **kwargs)


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    """One env-agnostic stack per job (regional ARNs through CfnMappings) and one pinned to eu-west-1 (literals)."""
    app = support.new_app()
    out: dict[str, str] = {}
    for name, factory in BUILT_INS.items():
        stack = cdk.Stack(app, f"Req{name}")
        bucket = ArtifactBucket(stack, "Bucket")
        team = LabelingWorkteam.from_workteam_arn(stack, "Team", TEAM_ARN)
        _job(stack, "Job", bucket, team, factory(), automated_labeling=name in AUTOMATED,
             task_keywords=["labeling", "images"], max_concurrent_tasks=100, workers_per_object=3,
             max_human_labeled_objects=500, max_percentage_labeled=90)
        out[name] = stack.stack_name
    stack = cdk.Stack(app, "ReqCustom")
    bucket = ArtifactBucket(stack, "Bucket")
    team = LabelingWorkteam.from_workteam_arn(stack, "Team", TEAM_ARN)
    code = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
    pre = lambda_.Function(stack, "Pre", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler", code=code)
    post = lambda_.Function(stack, "Post", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler", code=code)
    _job(stack, "Job", bucket, team, TaskType.custom(template="<crowd-form></crowd-form>", pre_annotation=pre,
                                                     consolidation=post), labels=None)
    out["Custom"] = stack.stack_name
    stack = cdk.Stack(app, "ReqStreaming")
    bucket = ArtifactBucket(stack, "Bucket")
    team = LabelingWorkteam.from_workteam_arn(stack, "Team", TEAM_ARN)
    _job(stack, "Job", bucket, team, TaskType.bounding_box(), input_topic=sns.Topic(stack, "Input"))
    out["Streaming"] = stack.stack_name
    stack = cdk.Stack(app, "ReqPinned", env=cdk.Environment(account=ACCOUNT, region=REGION))
    bucket = ArtifactBucket(stack, "Bucket")
    team = LabelingWorkteam.from_workteam_arn(stack, "Team", TEAM_ARN)
    _job(stack, "Job", bucket, team, TaskType.image_classification(), automated_labeling=True,
         initial_model_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/earlier-active-learning-model",
         manifest_key="labeling/reqpinned-job/input/manifests/first.manifest")
    out["Pinned"] = stack.stack_name
    assembly = app.synth()
    return {key: assembly.get_stack_by_name(name).template for key, name in out.items()}


def _respond(resource: str, request: dict[str, Any]) -> Any:
    if ":lambda:" in resource and ":states:::" not in resource:
        key = request.get("manifest_key") or f"labeling/x/input/_labeling/manifests/{request['job_name']}.manifest"
        return {"manifest_uri": f"s3://sample-artifact-bucket/{key}", "objects": 1500}
    if "createLabelingJob" in resource:
        name = request["LabelingJobName"]
        return {
            "LabelingJobName": name,
            "LabelingJobStatus": "Completed",
            "LabelCounters": {"TotalLabeled": 1500, "HumanLabeled": 400, "MachineLabeled": 1100},
            "LabelingJobOutput": {"OutputDatasetS3Uri": f"{request['OutputConfig']['S3OutputPath']}{name}/manifests/"
                                                         "output/output.manifest"},
        }
    if ":sns:" in resource:
        return {"MessageId": "1"}
    raise AssertionError(f"no sample response for {resource}")


def _with_function_arns(template: dict[str, Any]) -> dict[str, Any]:
    """Our Lambda functions' Fn::GetAtt Arn as real-looking function ARNs (the shared sampler keeps them generic)."""
    functions = {k for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function"}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            att = node.get("Fn::GetAtt")
            if len(node) == 1 and isinstance(att, list) and att[0] in functions and att[1] == "Arn":
                return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{att[0]}"
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(template)


def _run(template: dict[str, Any], execution_input: Any) -> Any:
    return run(definition_of(_with_function_arns(template)), execution_input, _respond)


@pytest.mark.parametrize("kind", [*BUILT_INS, "Custom", "Streaming", "Pinned"])
def test_every_create_labeling_job_request_is_valid(templates: dict[str, Any], kind: str) -> None:
    result = _run(templates[kind], {})
    assert result.status == "Succeeded", (result.error, result.cause, result.path)
    assert_valid_requests(_sagemaker_and_sns(result))
    (request,) = result.requests("CreateLabelingJob")
    assert request["LabelingJobName"].endswith(SAMPLE_UUID) or len(request["LabelingJobName"]) <= 63
    assert request["LabelingJobName"] == request["LabelingJobName"].lower()
    assert request["OutputConfig"]["KmsKeyId"].startswith("arn:aws:kms:")
    human = request["HumanTaskConfig"]
    assert human["WorkteamArn"] == TEAM_ARN
    if kind in BUILT_INS:
        assert human["PreHumanTaskLambdaArn"] == registry.pre_annotation_arn(kind, REGION)
        acs = human["AnnotationConsolidationConfig"]["AnnotationConsolidationLambdaArn"]
        assert acs == registry.consolidation_arn(kind, REGION)
        assert human["NumberOfHumanWorkersPerDataObject"] == 3
        assert human["MaxConcurrentTaskCount"] == 100
        assert request["StoppingConditions"] == {"MaxHumanLabeledObjectCount": 500,
                                                 "MaxPercentageOfInputDatasetLabeled": 90}
        assert ("LabelingJobAlgorithmsConfig" in request) == (kind in AUTOMATED)
    if kind in AUTOMATED:
        algorithms = request["LabelingJobAlgorithmsConfig"]
        algorithm = TaskType(kind).automated_labeling_algorithm
        assert algorithms["LabelingJobAlgorithmSpecificationArn"] == registry.algorithm_arn(algorithm, REGION)
        assert algorithms["LabelingJobResourceConfig"]["VolumeKmsKeyId"].startswith("arn:aws:kms:")
    if kind == "SemanticSegmentation":
        assert request["LabelAttributeName"] == "label-ref"


def _sagemaker_and_sns(result: Any) -> Any:
    """Only the SageMaker and SNS calls are validated (the manifest Lambda's payload is our own contract)."""
    trimmed = copy.copy(result)
    trimmed.calls = [c for c in result.calls if ":states:::" in c[1] or ":sns:" in c[1]]
    return trimmed


def test_streaming_job_reads_the_topic_and_skips_the_manifest(templates: dict[str, Any]) -> None:
    result = _run(templates["Streaming"], {})
    (request,) = result.requests("CreateLabelingJob")
    assert "SnsDataSource" in request["InputConfig"]["DataSource"]
    assert "SnsTopicArn" in request["OutputConfig"]
    assert not any(":lambda:" in c[1] for c in result.calls)


def test_custom_task_type_wires_its_own_functions(templates: dict[str, Any]) -> None:
    (request,) = _run(templates["Custom"], {}).requests("CreateLabelingJob")
    human = request["HumanTaskConfig"]
    assert ":function:Pre" in human["PreHumanTaskLambdaArn"]
    assert ":function:Post" in human["AnnotationConsolidationConfig"]["AnnotationConsolidationLambdaArn"]
    assert "LabelCategoryConfigS3Uri" not in request


def test_pinned_region_renders_literal_arns_and_the_initial_model(templates: dict[str, Any]) -> None:
    result = _run(templates["Pinned"], {})
    lambda_payloads = [c[2] for c in result.calls if ":lambda:" in c[1] and ":states:::" not in c[1]]
    assert lambda_payloads[0]["manifest_key"] == "labeling/reqpinned-job/input/manifests/first.manifest"
    (request,) = result.requests("CreateLabelingJob")
    assert request["LabelingJobAlgorithmsConfig"]["InitialActiveLearningModelArn"].endswith(
        ":model/earlier-active-learning-model")
    assert "Mappings" not in templates["Pinned"] or not any(
        k.startswith("GroundTruth") for k in templates["Pinned"].get("Mappings", {}))


def test_given_manifest_is_checked_and_decoded_by_the_function(templates: dict[str, Any]) -> None:
    key = "labeling/reqimagemulticlass-job/input/manifests/batch%201.manifest"
    result = _run(templates["ImageMultiClass"], {"manifest": key, "encoded": True})
    assert result.status == "Succeeded", (result.error, result.cause)
    (payload,) = [c[2] for c in result.calls if ":lambda:" in c[1] and ":states:::" not in c[1]]
    assert payload["manifest_key"] == key and payload["encoded"] is True
    result = _run(templates["ImageMultiClass"], {"manifest": key})
    (payload,) = [c[2] for c in result.calls if ":lambda:" in c[1] and ":states:::" not in c[1]]
    assert payload["encoded"] is False


@pytest.mark.parametrize(
    "execution_input, state",
    [
        ("not an object", "InvalidInputType"),
        ([1], "InvalidInputType"),
        ({"manifest": "elsewhere/x.manifest"}, "InvalidManifest"),
        ({"manifest": 42}, "InvalidManifest"),
    ],
)
def test_bad_execution_input_fails_before_any_job(templates: dict[str, Any], execution_input: Any, state: str) -> None:
    result = _run(templates["ImageMultiClass"], execution_input)
    assert result.status == "Failed" and result.path[-1] == state and result.error == "InvalidInput"
    assert not result.calls


def test_completion_is_published_with_the_output_manifest(templates: dict[str, Any]) -> None:
    result = _run(templates["ImageMultiClass"], {})
    (publish,) = [c[2] for c in result.calls if ":sns:" in c[1]]
    assert publish["Message"]["outputManifest"].endswith("/manifests/output/output.manifest")
    assert result.output["LabelingJobStatus"] == "Completed"


def test_label_state_retries_throttling_and_reports_failures(templates: dict[str, Any]) -> None:
    label = definition_of(_with_function_arns(templates["ImageMultiClass"]))["States"]["Label"]
    assert label["Resource"] == "arn:aws:states:::sagemaker:createLabelingJob.sync"
    assert "ThrottlingException" in label["Retry"][0]["ErrorEquals"]
    assert label["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}]
