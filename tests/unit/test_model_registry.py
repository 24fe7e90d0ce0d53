"""ModelRegistry, ModelRegistration, ApprovalDeployment and ModelData.from_registry.

Layers: nag-clean and lint-clean synthesis; every prop and default in the template; bad props raise with the fix;
the registration and approval state machines *run* (test_training_requests' interpreter) with sample responses, and
every request they send (CreateModelPackage, s3 PutObject, ListModelPackages, CreateModel, CreateEndpointConfig,
UpdateEndpoint, SNS Publish) validates against botocore's service model; IAM is exact; and a second synthesis
after an approval keeps serving the approved model (the custom resource's answer stubbed with botocore's Stubber).
"""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import RemovalPolicy, aws_iam as iam
from aws_cdk.assertions import Match, Template
from botocore.stub import Stubber
from constructs import Construct

import support
from moto_server import FAKE_ENV
from sagemaker_cdk import (
    ApprovalDeployment,
    ArtifactBucket,
    AutoScaling,
    ContainerImage,
    MetricGate,
    Model,
    ModelData,
    ModelRegistration,
    ModelRegistry,
    RealtimeEndpoint,
    Variant,
)
from sagemaker_cdk.training.model_registry import IModelRegistry
from sagemaker_cdk.training.registry_model_data import RESOLVE_TOKEN_CONTEXT
from sagemaker_cdk.training.training_job import TrainingJob
from sagemaker_cdk.training.training_props import Algorithm, Channel
from sagemaker_cdk.training.tuning_job import IntegerRange, Objective, TuningJob
from test_training_requests import ACCOUNT, REGION, SAMPLE_UUID, definition_of, operation_of, run, sample_response, shape_problems

with mock.patch.dict(os.environ, FAKE_ENV):
    import registry_resolver  # noqa: E402

GIT = "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"


def _job(stack: cdk.Stack, bucket: ArtifactBucket) -> TrainingJob:
    return TrainingJob(
        stack, "Job", bucket=bucket, algorithm=Algorithm.built_in("xgboost", "1.7-1"),
        hyperparameters={"objective": "binary:logistic", "num_round": 50},
        channels=[Channel("train", content_type="text/csv"), Channel("validation", content_type="text/csv")],
    )


def _endpoint(stack: cdk.Stack) -> RealtimeEndpoint:
    return RealtimeEndpoint(stack, "Endpoint", variants=[
        Variant(model=support.xgboost_model(stack, "Champion"), name="champion", weight=9,
                autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=20)),
        Variant(model=support.xgboost_model(stack, "Challenger"), name="challenger", weight=1),
    ])


@pytest.fixture(scope="module")
def synthesized() -> tuple[dict[str, Any], dict[str, Any]]:
    app = support.new_app()
    stack = cdk.Stack(app, "Registry")
    bucket = ArtifactBucket(stack, "Bucket")
    job = _job(stack, bucket)
    tuning = TuningJob(stack, "Tune", training=job, objective=Objective("validation:auc"),
                       ranges=[IntegerRange("max_depth", 3, 9)])
    registry = ModelRegistry(stack, "Registry", description="Churn models", tags={"team": "ml"},
                             read_accounts=["210987654321"])
    registration = ModelRegistration(
        stack, "Registration", job=tuning, registry=registry, metric_gate=MetricGate(0.8),
        approval_status="Approved", git_revision=GIT, instance_types=["ml.m5.large"],
        schedule=cdk.aws_events.Schedule.cron(hour="3", minute="0"),
    )
    approval = ApprovalDeployment(stack, "Approval", registration=registration, endpoint=_endpoint(stack))
    plain_stack = cdk.Stack(app, "Plain")
    plain = ModelRegistration(plain_stack, "Registration", job=_job(plain_stack, ArtifactBucket(plain_stack, "Bucket")),
                              registry=ModelRegistry.from_model_package_group_name(plain_stack, "Imported", "churn"))
    assembly = support.synth_nag_clean(app)
    objects = {"registry": registry, "registration": registration, "approval": approval, "plain": plain}
    return {n: assembly.get_stack_by_name(n).template for n in ("Registry", "Plain")}, objects


def _machine(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    logical_id = next(k for k, v in template["Resources"].items()
                      if v["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith(prefix))
    return definition_of(template, logical_id)


def _service(resource: str) -> str:
    if ":sns:" in resource:
        return "sns"
    return "s3" if ":s3:" in resource else "sagemaker"


def _assert_valid(result: Any) -> None:
    assert result.calls
    for state, resource, request in result.calls:
        if ":sns:" in resource and isinstance(request.get("Message"), dict):
            request = {**request, "Message": json.dumps(request["Message"])}
        problems = shape_problems(_service(resource), operation_of(resource), request)
        assert problems == [], f"{state} sends an invalid request:\n" + "\n".join(problems)


def _responder(*, newest_approved: int | None = None, **options: Any) -> Any:
    state: dict[str, Any] = {}

    def respond(resource: str, request: dict[str, Any]) -> Any:
        operation = operation_of(resource)
        if operation == "CreateModelPackage":
            return {"ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"}
        if operation == "PutObject":
            return {"ETag": "\"d41d8cd98f00b204e9800998ecf8427e\""}
        if operation == "DescribeTrainingJob":  # the tuning job's best training job
            return {**sample_response(resource, request, state=state, **options),
                    "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/best"}
        if operation == "DescribeEndpoint" and "checked" not in state:  # CheckEndpoint, before any update
            state["checked"] = True
            return {"EndpointName": request["EndpointName"], "EndpointStatus": options.pop("before", "InService"),
                    "EndpointConfigName": "the-previous-config"}
        if operation == "ListModelPackages":
            versions = [] if newest_approved is None else [newest_approved]
            return {"ModelPackageSummaryList": [{"ModelPackageVersion": v, "ModelApprovalStatus": "Approved"}
                                                for v in versions]}
        return sample_response(resource, request, state=state, **options)

    return respond


def _approval_event(status: str = "Approved", version: int = 3) -> dict[str, Any]:
    """The EventBridge event SageMaker sends (detail: the package's DescribeModelPackage fields)."""
    return {
        "version": "0", "id": "5e1b1c2d-0000-1111-2222-333344445555", "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change", "account": ACCOUNT, "region": REGION,
        "time": "2026-11-30T12:00:00Z",
        "resources": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-registry/{version}"],
        "detail": {
            "ModelPackageGroupName": "registry-registry", "ModelPackageVersion": version,
            "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/registry-registry/{version}",
            "ModelPackageName": "registry-registry", "ModelApprovalStatus": status,
            "ModelPackageStatus": "Completed", "CreationTime": 1764500000000,
        },
    }


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    out = []
    for k, v in template["Resources"].items():
        # Library roles keep their grants in customer-managed policies (core/_managed_policies.py).
        if v["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and k.startswith(role_prefix):
            out += v["Properties"]["PolicyDocument"]["Statement"]
    return out


def _actions(statement: dict[str, Any]) -> list[str]:
    a = statement["Action"]
    return a if isinstance(a, list) else [a]


# -- synthesis -------------------------------------------------------------------------------------------------------


def test_templates_lint_clean(synthesized: Any) -> None:
    templates, _ = synthesized
    for name, template in templates.items():
        assert support.lint(template, name) == []


def test_registry_props_and_defaults(synthesized: Any) -> None:
    templates, objects = synthesized
    t = Template.from_json(templates["Registry"])
    t.has_resource("AWS::SageMaker::ModelPackageGroup", {
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {
            "ModelPackageGroupName": "registry-registry",  # "<stack>-<id>", lower-case
            "ModelPackageGroupDescription": "Churn models",
            "Tags": [{"Key": "team", "Value": "ml"}],
            "ModelPackageGroupPolicy": {"Version": "2012-10-17", "Statement": [
                Match.object_like({"Sid": "ReadGroup", "Action": ["sagemaker:DescribeModelPackageGroup"],
                                   "Principal": {"AWS": [Match.object_like({})]}}),
                Match.object_like({"Sid": "ReadVersions",
                                   "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]}),
            ]},
        },
    })
    policy = json.dumps(templates["Registry"]["Resources"])
    assert ":iam::210987654321:root" in policy and "model-package/registry-registry/*" in policy
    assert objects["registry"].model_package_group_name == "registry-registry"


def test_registry_without_optional_props_has_no_policy_and_can_be_destroyed(stack: cdk.Stack) -> None:
    ModelRegistry(stack, "R", model_package_group_name="churn", removal_policy=RemovalPolicy.DESTROY)
    t = Template.from_stack(stack)
    t.has_resource("AWS::SageMaker::ModelPackageGroup", {"DeletionPolicy": "Delete", "Properties": {
        "ModelPackageGroupName": "churn", "ModelPackageGroupPolicy": Match.absent(),
        "ModelPackageGroupDescription": Match.absent(), "Tags": Match.absent()}})


def test_grants_are_exact(stack: cdk.Stack) -> None:
    registry = ModelRegistry(stack, "R", model_package_group_name="churn")
    reader, registrar, approver = (iam.Role(stack, n, assumed_by=iam.AccountRootPrincipal())
                                   for n in ("Reader", "Registrar", "Approver"))
    registry.grant_read(reader)
    registry.grant_register(registrar)
    registry.grant_approve(approver)
    template = Template.from_stack(stack).to_json()
    by_role = {prefix: _statements(template, prefix) for prefix in ("Reader", "Registrar", "Approver")}
    assert [_actions(s) for s in by_role["Reader"]] == [
        ["sagemaker:DescribeModelPackageGroup"], ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]]
    (register,) = by_role["Registrar"]
    assert register["Action"] == "sagemaker:CreateModelPackage"
    assert register["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
    assert "sagemaker:UpdateModelPackage" in [a for s in by_role["Approver"] for a in _actions(s)]
    assert "model-package/churn/*" in json.dumps(by_role["Approver"])
    assert not any(a.endswith(":*") for s in template["Resources"].values() if s["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
                   for st in s["Properties"]["PolicyDocument"]["Statement"] for a in _actions(st))


def test_imports_by_name_and_arn(stack: cdk.Stack) -> None:
    by_name = ModelRegistry.from_model_package_group_name(stack, "ByName", "churn")
    by_arn = ModelRegistry.from_model_package_group_arn(
        stack, "ByArn", "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn")
    assert isinstance(by_name, IModelRegistry) and by_arn.model_package_group_name == "churn"
    assert by_arn.model_package_group_arn == "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn"
    assert "model-package-group/churn" in json.dumps(stack.resolve(by_name.model_package_group_arn))


def test_registration_defaults(synthesized: Any) -> None:
    _, objects = synthesized
    plain = objects["plain"]
    assert plain.approval_status == "PendingManualApproval"
    assert plain.content_types == ["text/csv"] and plain.response_types == ["text/csv"]  # from the channels
    assert plain.instance_types == ["ml.m5.large", "ml.m5.xlarge"]
    assert plain.transform_instance_types == plain.instance_types
    assert plain.metrics_prefix == "model-metrics/plain-registration/"
    assert plain.metric_name is None and plain.git_revision is None
    assert plain.description == "Registered by Plain/Registration"
    assert plain.rules == []


def test_registration_schedule_has_a_dead_letter_queue(synthesized: Any) -> None:
    templates, _ = synthesized
    t = Template.from_json(templates["Registry"])
    t.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "cron(0 3 * * ? *)", "Targets": [
        Match.object_like({"DeadLetterConfig": Match.any_value(), "RetryPolicy": Match.any_value()})]})


def test_approval_rule_matches_this_groups_approvals_and_rejections(synthesized: Any) -> None:
    templates, objects = synthesized
    t = Template.from_json(templates["Registry"])
    t.has_resource_properties("AWS::Events::Rule", {"EventPattern": {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": ["registry-registry"], "ModelApprovalStatus": ["Approved", "Rejected"]},
    }})
    assert objects["approval"].target_variants == ["challenger"]  # the default when the endpoint has one


# -- runs: registration ----------------------------------------------------------------------------------------------


def test_registration_run_registers_a_valid_package(synthesized: Any) -> None:
    templates, objects = synthesized
    result = run(_machine(templates["Registry"], "Registration"), {}, _responder(metric=0.91))
    assert result.status == "Succeeded" and result.path[-1] == "Registered", result.path
    _assert_valid(result)
    (put,) = result.requests("PutObject")
    (package,) = result.requests("CreateModelPackage")
    statistics = json.loads(put["Body"])
    assert statistics["objective_metric"] == {"name": "validation:auc", "value": 0.91, "source": "tuning objective"}
    assert [m["MetricName"] for m in statistics["final_metrics"]] == ["train:auc", "validation:auc"]
    assert put["ContentType"] == "application/json"
    uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert uri == f"s3://{put['Bucket']}/{put['Key']}" and put["Key"].startswith("model-metrics/registry-registration/")
    assert package["ModelApprovalStatus"] == "Approved"  # allowed: behind the MetricGate
    assert package["ModelPackageGroupName"] == "registry-registry"
    spec = package["InferenceSpecification"]
    assert "sagemaker-xgboost:1.7-1" in spec["Containers"][0]["Image"]
    assert spec["Containers"][0]["ModelDataUrl"].endswith("/output/model.tar.gz")
    assert spec["SupportedContentTypes"] == ["text/csv"] and spec["SupportedRealtimeInferenceInstanceTypes"] == ["ml.m5.large"]
    metadata = package["CustomerMetadataProperties"]
    assert metadata["GitRevision"] == GIT and metadata["ObjectiveMetric"] == "validation:auc"
    assert metadata["SourceData-train"].startswith("s3://") and metadata["SourceData-train"].endswith("/train/")
    assert metadata["TrainingJobName"].endswith("-007-1a2b3c4d")  # the tuning job's best training job
    assert package["MetadataProperties"] == {"GeneratedBy": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/best",
                                             "CommitId": GIT}
    assert package["ClientToken"] == SAMPLE_UUID  # the run id: a retried call never registers twice


def test_registration_below_the_gate_registers_nothing(synthesized: Any) -> None:
    templates, _ = synthesized
    result = run(_machine(templates["Registry"], "Registration"), {}, _responder(metric=0.5))
    assert result.status == "Failed" and result.path[-1] == "MetricBelowThreshold"
    assert "not approved" in result.cause and not result.requests("CreateModelPackage")


def test_plain_registration_is_pending_and_records_all_final_metrics(synthesized: Any) -> None:
    templates, _ = synthesized
    result = run(_machine(templates["Plain"], "Registration"), {}, _responder(metric=0.7))
    assert result.status == "Succeeded", result.path
    _assert_valid(result)
    (package,) = result.requests("CreateModelPackage")
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageGroupName"] == "churn"
    assert "GitRevision" not in package["CustomerMetadataProperties"]
    statistics = json.loads(result.requests("PutObject")[0]["Body"])
    assert "objective_metric" not in statistics and len(statistics["final_metrics"]) == 2


def test_registration_role_may_register_only_with_its_approval_status(synthesized: Any) -> None:
    templates, _ = synthesized
    for stack_name, status in (("Registry", "Approved"), ("Plain", "PendingManualApproval")):
        (register,) = [s for s in _statements(templates[stack_name], "RegistrationWorkflowRole")
                       if "sagemaker:CreateModelPackage" in _actions(s)]
        assert register["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": status}}
        (put,) = [s for s in _statements(templates[stack_name], "RegistrationWorkflowRole")
                  if "s3:PutObject" in _actions(s)]
        assert "/model-metrics/" in json.dumps(put["Resource"])


# -- runs: approval deployment ---------------------------------------------------------------------------------------


def test_an_approval_deploys_to_the_challenger_with_the_endpoints_guardrails(synthesized: Any) -> None:
    templates, objects = synthesized
    result = run(_machine(templates["Registry"], "Approval"), _approval_event(), _responder(newest_approved=3))
    assert result.status == "Succeeded" and result.path[-1] == "Deployed", result.path
    _assert_valid(result)
    (model,) = result.requests("CreateModel")
    assert model["PrimaryContainer"] == {"ModelPackageName": _approval_event()["detail"]["ModelPackageArn"]}
    assert model["EnableNetworkIsolation"] is True and "VpcConfig" in model
    (config,) = result.requests("CreateEndpointConfig")
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    assert variants["challenger"]["ModelName"] == model["ModelName"]
    assert variants["champion"]["ModelName"] != model["ModelName"]
    (update,) = result.requests("UpdateEndpoint")
    assert update["EndpointName"] == objects["approval"].endpoint.endpoint_name_value
    assert update["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    assert len(update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]) >= 2
    (report,) = result.requests("Publish")
    assert report["Message"]["outcome"] == "deployed"


def test_a_rejection_deploys_nothing_and_says_why(synthesized: Any) -> None:
    templates, _ = synthesized
    result = run(_machine(templates["Registry"], "Approval"), _approval_event("Rejected"), _responder())
    assert result.status == "Succeeded" and result.path[-1] == "NotDeployed"
    assert not result.requests("CreateModel") and not result.requests("UpdateEndpoint")
    (report,) = result.requests("Publish")
    assert report["Message"]["outcome"] == "rejected" and "rejected" in report["Message"]["reason"]
    _assert_valid(result)


def test_approving_an_older_version_deploys_nothing_and_says_why(synthesized: Any) -> None:
    templates, _ = synthesized
    result = run(_machine(templates["Registry"], "Approval"), _approval_event(version=2),
                 _responder(newest_approved=5))
    assert result.path[-1] == "NotDeployed" and not result.requests("CreateModel")
    (report,) = result.requests("Publish")
    assert report["Message"]["outcome"] == "skipped" and "newer version" in report["Message"]["reason"]
    (listing,) = result.requests("ListModelPackages")
    assert listing["ModelApprovalStatus"] == "Approved" and listing["SortOrder"] == "Descending"
    _assert_valid(result)


def test_an_approval_while_the_endpoint_updates_deploys_nothing_and_says_why(synthesized: Any) -> None:
    templates, _ = synthesized
    result = run(_machine(templates["Registry"], "Approval"), _approval_event(),
                 _responder(newest_approved=3, before="Updating"))
    assert result.path[-1] == "NotDeployed" and not result.requests("CreateModel")
    (report,) = result.requests("Publish")
    assert report["Message"]["outcome"] == "busy"
    _assert_valid(result)


def test_a_rolled_back_approval_fails_and_is_reported(synthesized: Any) -> None:
    templates, _ = synthesized
    result = run(_machine(templates["Registry"], "Approval"), _approval_event(),
                 _responder(newest_approved=3, rolled_back=True))
    assert result.status == "Failed" and result.error == "RolledBack"


def test_approval_iam_is_exact_and_updates_only_its_own_endpoint(synthesized: Any) -> None:
    templates, objects = synthesized
    statements = _statements(templates["Registry"], "ApprovalWorkflowRole")
    actions = {a for s in statements for a in _actions(s)}
    assert not any(a == "sagemaker:*" or a.endswith(":*") for a in actions)
    (update,) = [s for s in statements if "sagemaker:UpdateEndpoint" in _actions(s)]
    endpoint = objects["approval"].endpoint.endpoint_name_value.lower()
    resources = json.dumps(update["Resource"])
    assert f":endpoint/{endpoint}\"" in resources and ":endpoint/*" not in resources
    (pass_role,) = [s for s in statements if "iam:PassRole" in _actions(s)]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    for s in statements:
        if s["Resource"] == "*":
            assert set(_actions(s)) <= {"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
                                        "logs:DescribeResourcePolicies", "logs:GetLogDelivery",
                                        "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                                        "logs:UpdateLogDelivery", "xray:GetSamplingRules",
                                        "xray:GetSamplingTargets", "xray:PutTelemetryRecords",
                                        "xray:PutTraceSegments"}


# -- bad props ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("props, message", [
    ({"model_package_group_name": "Churn"}, "must be lower-case"),
    ({"model_package_group_name": "churn_models"}, "not a valid SageMaker name"),
    ({"description": "x" * 1025}, "at most 1024"),
    ({"read_accounts": ["12345"]}, "12-digit account ID"),
    ({"tags": {"aws:owner": "me"}}, "not starting with 'aws:'"),
])
def test_bad_registry_props_raise_with_the_fix(stack: cdk.Stack, props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ModelRegistry(stack, "R", **props)


def test_wrong_types_are_type_errors(stack: cdk.Stack) -> None:
    with pytest.raises(TypeError, match="read_accounts must be"):
        ModelRegistry(stack, "R", read_accounts="123456789012")  # type: ignore[arg-type]
    bucket = ArtifactBucket(stack, "B")
    job = _job(stack, bucket)
    with pytest.raises(TypeError, match="registry must be an IModelRegistry, got str 'churn'"):
        ModelRegistration(stack, "G", job=job, registry="churn")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="instance_types must be a list of strings"):
        ModelRegistration(stack, "G2", job=job, registry=ModelRegistry(stack, "R3"),
                          instance_types="ml.m5.large")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fallback must be a ModelData"):
        ModelData.from_registry(ModelRegistry(stack, "R2"), fallback="s3://x/model.tar.gz")  # type: ignore[arg-type]


def test_bad_registration_props_raise_with_the_fix(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "B")
    job, registry = _job(stack, bucket), ModelRegistry(stack, "R")
    with pytest.raises(ValueError, match="requires a metric_gate"):
        ModelRegistration(stack, "G1", job=job, registry=registry, approval_status="Approved")
    with pytest.raises(ValueError, match="not supported: use one of 'PendingManualApproval', 'Approved'"):
        ModelRegistration(stack, "G2", job=job, registry=registry, approval_status="Rejected")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="metric_gate.metric_name is required after a TrainingJob"):
        ModelRegistration(stack, "G3", job=job, registry=registry, metric_gate=MetricGate(0.9))
    with pytest.raises(ValueError, match="must be a SageMaker instance type"):
        ModelRegistration(stack, "G4", job=job, registry=registry, instance_types=["m5.large"])
    with pytest.raises(ValueError, match="content_types must not be empty"):
        ModelRegistration(stack, "G5", job=job, registry=registry, content_types=[])
    with pytest.raises(ValueError, match="git_revision .* customer metadata rule"):
        ModelRegistration(stack, "G6", job=job, registry=registry, git_revision="main;rm -rf")


def test_bad_approval_props_raise_with_the_fix(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "B")
    registration = ModelRegistration(stack, "G", job=_job(stack, bucket), registry=ModelRegistry(stack, "R"))
    endpoint = _endpoint(stack)
    with pytest.raises(ValueError, match=r"variants \(\['blue'\]\) must name variants of the endpoint"):
        ApprovalDeployment(stack, "A1", registration=registration, endpoint=endpoint, variants=["blue"])
    with pytest.raises(ValueError, match="at most 26 lower-case characters"):
        ApprovalDeployment(stack, "A2", registration=registration, endpoint=endpoint, name_prefix="Churn")
    with pytest.raises(TypeError, match="registration must be a ModelRegistration"):
        ApprovalDeployment(stack, "A3", registration=None, endpoint=endpoint)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="version .* must be at least 1"):
        ModelData.from_registry(ModelRegistry(stack, "R2"), fallback=ModelData.from_asset(support.MODEL_ARTIFACT),
                                version=0)


# -- no drift: a later `cdk deploy` keeps the approved model ---------------------------------------------------------


def _inference_app(token: str, version: int | None = None) -> dict[str, Any]:
    app = support.new_app(**{RESOLVE_TOKEN_CONTEXT: token})
    stack = cdk.Stack(app, "Inference")
    registry = ModelRegistry(stack, "Registry", model_package_group_name="churn")
    Model(stack, "Challenger", image=ContainerImage.built_in("xgboost", "1.7-1"),
          model_data=ModelData.from_registry(registry, fallback=ModelData.from_asset(support.MODEL_ARTIFACT),
                                             version=version))
    return support.synth_nag_clean(app).get_stack_by_name("Inference").template


def _resolver_answer(properties: dict[str, Any], approved: list[tuple[int, str]]) -> dict[str, str]:
    """What the deployed resolver answers CloudFormation, with SageMaker stubbed to hold `approved` versions."""
    client = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    group = properties["GroupName"]
    arns = {v: f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group}/{v}" for v, _ in approved}
    stubber.add_response("list_model_packages", {"ModelPackageSummaryList": [
        {"ModelPackageGroupName": group, "ModelPackageVersion": v, "ModelPackageArn": arns[v],
         "CreationTime": "2026-11-30T12:00:00Z", "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Approved"}
        for v, _ in sorted(approved, reverse=True)]})
    if approved:
        version, url = max(approved)
        stubber.add_response("describe_model_package", {
            "ModelPackageName": group, "ModelPackageArn": arns[version], "CreationTime": "2026-11-30T12:00:00Z",
            "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Approved",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "InferenceSpecification": {"Containers": [{"Image": "x", "ModelDataUrl": url}]}},
            {"ModelPackageName": arns[version]})
    fallback = "s3://cdk-assets/fallback.tar.gz"
    with stubber, mock.patch.object(registry_resolver, "_CLIENT", client):
        answer = registry_resolver.resolve({**properties, "FallbackModelDataUrl": fallback},
                                           f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/Inference/1")
    stubber.assert_no_pending_responses()
    return answer


def _model_and_resolver(template: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, dict[str, Any]]]:
    (model,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
    ((logical_id, resolver),) = [(k, r) for k, r in template["Resources"].items()
                                 if r["Type"] == "Custom::RegistryModelData"]
    return model, (logical_id, resolver)


def test_a_second_synth_after_an_approval_keeps_the_approved_model() -> None:
    approved_url = "s3://training-artifacts/models/churn-tune-007/output/model.tar.gz"
    first = _inference_app("resolve-2026-11-01T00:00:00Z")
    model, (resolver_id, resolver) = _model_and_resolver(first)
    # The model reads its artifact from the resolver, never from the stack's own artifact directly.
    assert model["Properties"]["PrimaryContainer"]["ModelDataUrl"] == {"Fn::GetAtt": [resolver_id, "ModelDataUrl"]}
    assert resolver["DependsOn"] and any(d.startswith("Registry") for d in resolver["DependsOn"])
    # First deployment: nothing approved yet -> the declared artifact serves.
    assert _resolver_answer(resolver["Properties"], [])["Source"] == "fallback"
    # A version is approved (ApprovalDeployment puts it on the endpoint). Then a routine `cdk deploy` synthesizes
    # again: only the ResolveToken differs, so CloudFormation calls the resolver again...
    second = _inference_app("resolve-2026-12-01T00:00:00Z")
    model2, (resolver_id2, resolver2) = _model_and_resolver(second)
    changed = {k for k in resolver["Properties"] if resolver["Properties"][k] != resolver2["Properties"][k]}
    assert changed == {"ResolveToken"} and resolver_id2 == resolver_id
    assert model2["Properties"] == model["Properties"]
    # ...and its answer is the approved version, which the model keeps serving.
    answer = _resolver_answer(resolver2["Properties"], [(1, "s3://old/model.tar.gz"), (2, approved_url)])
    assert answer["ModelDataUrl"] == approved_url and answer["ModelPackageVersion"] == "2"


def test_the_resolve_token_defaults_to_the_synthesis_time() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "S")
    from sagemaker_cdk.training.registry_model_data import resolve_token

    assert resolve_token(stack).startswith("resolve-20")
    assert support.scrub({"t": resolve_token(stack)}) == {"t": "<resolve-token>"}


def test_a_pinned_version_is_passed_to_the_resolver() -> None:
    template = _inference_app("resolve-2026-11-01T00:00:00Z", version=4)
    _, (_, resolver) = _model_and_resolver(template)
    assert resolver["Properties"]["Version"] == "4"
    assert resolver["Properties"]["GroupName"] == "churn"


def test_register_states_is_a_hook_any_workflow_can_end_with() -> None:
    """E.g. a labeling workflow whose last state leaves an artifact at $.artifact ends by registering it."""
    from aws_cdk import aws_stepfunctions as sfn

    from sagemaker_cdk.training import _workflow
    from sagemaker_cdk.training.model_registration import register_states

    class LabelingWorkflow(Construct):
        """Stands for a labeling construct of the library: its role's grants become managed policies."""

    LabelingWorkflow.__module__ = "sagemaker_cdk.labeling.labeling_workflow"

    app = support.new_app()
    stack = cdk.Stack(app, "Hook")
    registry = ModelRegistry(stack, "Registry", model_package_group_name="labels")
    workflow = LabelingWorkflow(stack, "Labeling")
    resources = _workflow.WorkflowResources(workflow, encryption_key=None, failure_topic=None,
                                            log_retention=cdk.aws_logs.RetentionDays.ONE_YEAR)
    role = _workflow.workflow_role(workflow, resources)
    registry.grant_register(role)
    handler = _workflow.failure_handler(workflow, resources, "Labeling")
    produced = sfn.Pass(workflow, "Labeled", result=sfn.Result.from_object(
        {"artifact": "s3://bucket/labeling/model.tar.gz", "job": "labels-1"}))
    register_states(stack, sfn.Chain.start(produced), handler, registry=registry, request={
        "ModelPackageGroupName": "labels", "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": {"Containers": [{"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
                                                   "ModelDataUrl.$": "$.artifact"}],
                                   "SupportedContentTypes": ["application/json"],
                                   "SupportedResponseMIMETypes": ["application/json"]},
        "CustomerMetadataProperties": {"LabelingJob.$": "$.job"},
    })
    _workflow.state_machine(workflow, definition=produced, role=role, resources=resources, comment="labeling")
    template = support.synth_nag_clean(app).get_stack_by_name("Hook").template
    result = run(definition_of(template), {}, _responder())
    assert result.path[-1] == "Registered"
    _assert_valid(result)
    (package,) = result.requests("CreateModelPackage")
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == "s3://bucket/labeling/model.tar.gz"


def test_the_approval_rule_matches_sagemakers_events_and_nothing_else(synthesized: Any) -> None:
    """The synthesized pattern, evaluated by moto's EventBridge pattern matcher (moto's TestEventPattern answers
    nothing, so its matcher is called directly)."""
    from moto.events.models import EventPattern

    templates, _ = synthesized
    (rule,) = [r for r in templates["Registry"]["Resources"].values()
               if r["Type"] == "AWS::Events::Rule" and "EventPattern" in r["Properties"]]
    pattern = EventPattern.load(json.dumps(rule["Properties"]["EventPattern"]))
    other_group = _approval_event()
    other_group["detail"] = {**other_group["detail"], "ModelPackageGroupName": "another-group"}
    matches = {name: pattern.matches_event(event)
               for name, event in {"approved": _approval_event(), "rejected": _approval_event("Rejected"),
                                   "pending": _approval_event("PendingManualApproval"),
                                   "other group": other_group}.items()}
    assert matches == {"approved": True, "rejected": True, "pending": False, "other group": False}
