"""NeoCompilation: template assertions, least privilege, cdk-nag, cfn-lint, snapshot, request shapes and bad props.

Request shapes: the synthesized state machine is run by the small ASL interpreter of test_training_requests with
sample responses; the function's step is answered by the real handler's own `parse` / `job_name` / `build_request`
(configured from the synthesized function environment), so its CreateCompilationJob request and every request the
state machine renders (DescribeCompilationJob, CreateModel, the endpoint calls, SNS Publish) are validated against
botocore's service model.
"""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, assertions
from syrupy.extensions.json import JSONSnapshotExtension

import support
from moto_server import FAKE_ENV
from sagemaker_cdk import ArtifactBucket, ContainerImage, ModelNetwork
from sagemaker_cdk.core.image_registry import neo_lookup
from sagemaker_cdk.inference.neo_compilation import NeoCompilation, NeoEndpoint, TargetPlatform, compilation_enum
from test_training_requests import (
    ACCOUNT,
    REGION,
    _sample_for,
    assert_valid_requests,
    definition_of,
    operation_of,
    run,
    sample_response,
    shape_problems,
)

with mock.patch.dict(os.environ, FAKE_ENV):
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import neo_compile  # noqa: E402

BASE = dict(framework="xgboost", input_shape={"data": [1, 5]}, target_device="ml_c5")


def _synth(**props: Any) -> dict[str, Any]:
    app = support.new_app()
    stack = cdk.Stack(app, "NeoTest", env=cdk.Environment(account=ACCOUNT, region=REGION))
    bucket = ArtifactBucket(stack, "Bucket")
    neo = NeoCompilation(stack, "Neo", bucket=bucket, **{**BASE, **props})
    assembly = support.synth_nag_clean(app)
    return {"template": assembly.get_stack_by_name("NeoTest").template, "construct": neo}


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    return _synth()


@pytest.fixture(scope="module")
def with_endpoint() -> dict[str, Any]:
    return _synth(job_name_prefix="churn-neo", endpoint=NeoEndpoint(endpoint_name="churn-neo"))


def resources(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(template, "AWS::IAM::ManagedPolicy").values():
        roles = [r["Ref"] for r in policy["Properties"]["Roles"]]
        if any(r.startswith(role_prefix) for r in roles):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


# -- template assertions -----------------------------------------------------------------------------------------


def test_function_is_traced_logged_and_capped(synthesized: dict[str, Any]) -> None:
    t = assertions.Template.from_json(synthesized["template"])
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Handler": "neo_compile.handler",
            "TracingConfig": {"Mode": "Active"},
            "Environment": {
                "Variables": assertions.Match.object_like(
                    {
                        "FRAMEWORK": "XGBOOST",
                        "DATA_INPUT_CONFIG": '{"data":[1,5]}',
                        "TARGET_DEVICE": "ml_c5",
                        "INPUT_PREFIX": "neo/input/",
                        "OUTPUT_PREFIX": "neo/output/",
                        "MAX_RUNTIME_SECONDS": "900",
                    }
                )
            },
        },
    )
    (function,) = resources(synthesized["template"], "AWS::Lambda::Function").values()
    assert "FRAMEWORK_VERSION" not in function["Properties"]["Environment"]["Variables"]  # XGBoost takes none
    assert "ReservedConcurrentExecutions" not in function["Properties"]  # off by default (issue 11 item 5)
    groups = resources(synthesized["template"], "AWS::Logs::LogGroup")
    assert len(groups) == 2
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 365
        assert "KmsKeyId" in group["Properties"]


def test_state_machine_logs_all_with_xray(synthesized: dict[str, Any]) -> None:
    (machine,) = resources(synthesized["template"], "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_state_machine_polls_with_wait_and_choice(synthesized: dict[str, Any]) -> None:
    states = definition_of(synthesized["template"])["States"]
    assert states["WaitForCompilation"] == {"Type": "Wait", "Seconds": 30, "Next": "DescribeCompilationJob"}
    assert states["DescribeCompilationJob"]["Resource"].endswith(":states:::aws-sdk:sagemaker:describeCompilationJob")
    choices = {c["StringEquals"]: c["Next"] for c in states["CompilationStatus"]["Choices"]}
    assert choices == {"COMPLETED": "CreateModel", "FAILED": "CompilationFailed", "STOPPED": "CompilationStopped"}
    assert states["CompilationStatus"]["Default"] == "WaitForCompilation"
    assert states["StartCompilation"]["Resource"].endswith(":states:::lambda:invoke")


def test_failure_topic_is_kms_encrypted_and_ssl_only(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    (topic,) = resources(template, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    (policy,) = resources(template, "AWS::SNS::TopicPolicy").values()
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert denies and denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_upload_rule_starts_the_state_machine(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    (rule,) = resources(template, "AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"]["object"] == {"key": [{"wildcard": "neo/input/*.tar.gz"}]}
    (target,) = rule["Properties"]["Targets"]
    assert "DeadLetterConfig" in target
    bucket = next(v for k, v in resources(template, "AWS::S3::Bucket").items() if k.startswith("Bucket") and "Access" not in k)
    assert bucket["Properties"]["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True


def test_function_role_is_least_privilege(synthesized: dict[str, Any]) -> None:
    neo = synthesized["construct"]
    stmts = statements(synthesized["template"], "NeoFunctionRole")
    sagemaker = [s for s in stmts if any(a.startswith("sagemaker:") for a in actions_of(s))]
    assert len(sagemaker) == 1
    assert sorted(actions_of(sagemaker[0])) == ["sagemaker:CreateCompilationJob", "sagemaker:DescribeCompilationJob"]
    resource = json.dumps(sagemaker[0]["Resource"])
    assert f":compilation-job/{neo.job_name_prefix}-*" in resource
    (pass_role,) = [s for s in stmts if "iam:PassRole" in actions_of(s)]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert pass_role["Resource"]["Fn::GetAtt"][0].startswith("NeoCompilationRole")


def test_workflow_role_creates_models_under_its_prefix_only(synthesized: dict[str, Any]) -> None:
    neo = synthesized["construct"]
    stmts = statements(synthesized["template"], "NeoWorkflowRole")
    by_action = {a: s for s in stmts for a in actions_of(s)}
    assert f":model/{neo.job_name_prefix}-*" in json.dumps(by_action["sagemaker:CreateModel"]["Resource"])
    assert f":compilation-job/{neo.job_name_prefix}-*" in json.dumps(by_action["sagemaker:DescribeCompilationJob"]["Resource"])
    assert by_action["iam:PassRole"]["Resource"]["Fn::GetAtt"][0].startswith("NeoModelRole")
    assert by_action["iam:PassRole"]["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert not any(a.startswith("sagemaker:") and "Endpoint" in a for a in by_action)


def test_compilation_role_reads_input_and_writes_output(synthesized: dict[str, Any]) -> None:
    stmts = statements(synthesized["template"], "NeoCompilationRole")
    text = json.dumps(stmts)
    assert "/neo/input/*" in text and "/neo/output/*" in text
    put = [s for s in stmts if "s3:PutObject" in actions_of(s)]
    assert put and all("/neo/output/*" in json.dumps(s["Resource"]) for s in put)


def test_model_image_comes_from_the_neo_region_mapping(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    mapping = template["Mappings"]["SageMakerImageXgboostNeolatest"]
    expected = neo_lookup("xgboost", "ml_c5")
    assert mapping["us-east-1"] == {"account": expected.accounts["us-east-1"]}
    assert len(mapping) == len(expected.accounts)
    container = definition_of(template)["States"]["CreateModel"]["Parameters"]["PrimaryContainer"]
    assert container["Image"] == expected.uri(REGION)


def test_metric_helpers(synthesized: dict[str, Any]) -> None:
    neo = synthesized["construct"]
    assert neo.metric_executions_failed().metric_name == "ExecutionsFailed"
    assert neo.metric_executions_succeeded().metric_name == "ExecutionsSucceeded"
    assert neo.metric_executions_timed_out().metric_name == "ExecutionsTimedOut"
    assert neo.metric_function_errors().metric_name == "Errors"
    assert neo.metric_function_errors().period.to_seconds() == 300
    assert neo.state_machine and neo.function and neo.topic and neo.role


def test_cfn_lint_clean(synthesized: dict[str, Any], with_endpoint: dict[str, Any]) -> None:
    assert support.lint(synthesized["template"], "default") == []
    assert support.lint(with_endpoint["template"], "endpoint") == []


def test_snapshot(synthesized: dict[str, Any], snapshot: Any) -> None:
    assert support.scrub(synthesized["template"]) == snapshot(extension_class=JSONSnapshotExtension)


# -- request shapes: the state machine run with sample responses -------------------------------------------------


def _function_settings(template: dict[str, Any]) -> Any:
    (function,) = resources(template, "AWS::Lambda::Function").values()
    env = {
        k: (v if isinstance(v, str) else _sample_for(template, v))
        for k, v in function["Properties"]["Environment"]["Variables"].items()
    }
    return neo_compile.load_settings(env)


def responder(template: dict[str, Any], *, statuses: list[str], duplicate: bool = False) -> Any:
    settings = _function_settings(template)
    pending = list(statuses)
    state: dict[str, Any] = {}

    def respond(resource: str, request: dict[str, Any]) -> Any:
        if resource.endswith(":states:::lambda:invoke"):
            artifact = neo_compile.parse(request["Payload"], settings)
            name = neo_compile.job_name(artifact, settings)
            create = neo_compile.build_request(artifact, settings, name)
            problems = shape_problems("sagemaker", "CreateCompilationJob", create)
            assert problems == [], problems
            state["output"] = create["OutputConfig"]["S3OutputLocation"]
            return {"StatusCode": 200, "Payload": {
                "job_name": name, "job_arn": None, "status": "duplicate" if duplicate else "created",
                "artifact": artifact.uri, "output_location": state["output"], "target": settings.target}}
        operation = operation_of(resource)
        if operation == "DescribeCompilationJob":
            status = pending.pop(0)
            response = {"CompilationJobName": request["CompilationJobName"], "CompilationJobStatus": status,
                        "ModelArtifacts": {"S3ModelArtifacts": f"{state['output']}model-ml_c5.tar.gz"}}
            if status == "FAILED":
                response["FailureReason"] = "ClientError: InputConfiguration: invalid DataInputConfig"
            return response
        if operation == "CreateEndpoint":
            return {"EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{request['EndpointName']}"}
        return sample_response(resource, request, state=state)

    return respond


EVENT_INPUT = {
    "version": "0", "detail-type": "Object Created", "source": "aws.s3", "account": ACCOUNT, "region": REGION,
    "detail": {"bucket": {"name": "sample-artifact-bucket"},
               "object": {"key": "neo/input/xgboost/model.tar.gz", "version-id": "v1", "etag": "abc"}},
}


@pytest.mark.parametrize("execution_input", [EVENT_INPUT, {"key": "neo/input/xgboost/model.tar.gz"}])
def test_completed_run_creates_the_model_with_valid_requests(synthesized: dict[str, Any], execution_input: Any) -> None:
    template = synthesized["template"]
    result = run(definition_of(template), execution_input,
                 responder(template, statuses=["STARTING", "INPROGRESS", "COMPLETED"]))
    assert result.status == "Succeeded", (result.error, result.cause)
    assert result.path.count("WaitForCompilation") == 3
    (create,) = result.requests("CreateModel")
    assert create["ModelName"] == result.output["job_name"] == result.output["model_name"]
    assert create["EnableNetworkIsolation"] is True
    assert create["PrimaryContainer"]["ModelDataUrl"].endswith("model-ml_c5.tar.gz")
    assert result.output["compiled_model"] == create["PrimaryContainer"]["ModelDataUrl"]
    assert_valid_requests(type(result)(status=result.status, calls=[c for c in result.calls if ":lambda:" not in c[1]]))


def test_failed_compilation_is_notified_then_fails(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    result = run(definition_of(template), EVENT_INPUT, responder(template, statuses=["INPROGRESS", "FAILED"]))
    assert result.status == "Failed" and result.error == "CompilationFailed"
    assert "invalid DataInputConfig" in result.cause
    (publish,) = result.requests("Publish")
    assert publish["Message"]["error"] == "CompilationFailed"
    assert not result.requests("CreateModel")
    assert_valid_requests(type(result)(status=result.status, calls=[c for c in result.calls if ":lambda:" not in c[1]]))


def test_stopped_compilation_fails_with_its_own_error(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    result = run(definition_of(template), EVENT_INPUT, responder(template, statuses=["STOPPED"]))
    assert (result.status, result.error) == ("Failed", "CompilationStopped")


def test_duplicate_start_ends_without_polling(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    result = run(definition_of(template), EVENT_INPUT, responder(template, statuses=[], duplicate=True))
    assert result.status == "Succeeded" and result.path[-1] == "AlreadyStarted"
    assert not result.requests("DescribeCompilationJob")


def test_endpoint_deployment_requests_are_valid(with_endpoint: dict[str, Any]) -> None:
    template = with_endpoint["template"]
    result = run(definition_of(template), EVENT_INPUT, responder(template, statuses=["COMPLETED"]))
    assert result.status == "Succeeded", (result.error, result.cause)
    (config,) = result.requests("CreateEndpointConfig")
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 2
    (update,) = result.requests("UpdateEndpoint")
    assert update == {"EndpointName": "churn-neo", "EndpointConfigName": result.output["job_name"]}
    assert_valid_requests(type(result)(status=result.status, calls=[c for c in result.calls if ":lambda:" not in c[1]]))
    # The create branch (taken when DescribeEndpoint fails) renders the same request shape.
    states = definition_of(template)["States"]
    create = {k.replace(".$", ""): ("churn-neo-0123" if k.endswith(".$") else v)
              for k, v in states["CreateEndpoint"]["Parameters"].items()}
    assert shape_problems("sagemaker", "CreateEndpoint", create) == []
    assert states["DescribeEndpoint"]["Catch"][0]["Next"] == "CreateEndpoint"


def test_endpoint_role_statements_name_one_endpoint(with_endpoint: dict[str, Any]) -> None:
    stmts = statements(with_endpoint["template"], "NeoWorkflowRole")
    by_action = {a: s for s in stmts for a in actions_of(s)}
    assert ":endpoint/churn-neo" in json.dumps(by_action["sagemaker:UpdateEndpoint"]["Resource"])
    assert ":endpoint-config/churn-neo-*" in json.dumps(by_action["sagemaker:CreateEndpointConfig"]["Resource"])
    assert by_action["kms:CreateGrant"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    # DescribeKey has a statement of its own: kms:GrantIsForAWSResource does not apply to it (issue 11 item 4).
    assert actions_of(by_action["kms:CreateGrant"]) == ["kms:CreateGrant"]
    assert "Condition" not in by_action["kms:DescribeKey"]


# -- variants ------------------------------------------------------------------------------------------------------


def test_inferentia_target_uses_the_inferentia_image() -> None:
    out = _synth(framework="pytorch", framework_version="1.9", input_shape='[[1, 3, 224, 224]]',
                 target_device="ml_inf1", trigger_on_upload=False)
    template = out["template"]
    image = definition_of(template)["States"]["CreateModel"]["Parameters"]["PrimaryContainer"]["Image"]
    assert image == neo_lookup("pytorch", "ml_inf1", "1.9").uri(REGION)
    assert image.endswith("/sagemaker-neo-pytorch:1.9-inf-py3")
    assert not resources(template, "AWS::Events::Rule")


def test_edge_target_compiles_without_a_model() -> None:
    out = _synth(framework="tflite", framework_version=None, input_shape=None, target_device=None,
                 target_platform=TargetPlatform(os="LINUX", arch="ARM64", accelerator="NVIDIA"))
    neo = out["construct"]
    assert neo.creates_model is False and neo.model_role is None
    states = definition_of(out["template"])["States"]
    assert "CreateModel" not in states
    choices = {c["StringEquals"]: c["Next"] for c in states["CompilationStatus"]["Choices"]}
    assert choices["COMPLETED"] == "Done"
    (function,) = resources(out["template"], "AWS::Lambda::Function").values()
    assert json.loads(function["Properties"]["Environment"]["Variables"]["TARGET_PLATFORM"]) == {
        "Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}


def test_network_places_jobs_and_model_in_the_vpc() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "NeoNet", env=cdk.Environment(account=ACCOUNT, region=REGION))
    bucket = ArtifactBucket(stack, "Bucket")
    network = ModelNetwork(stack, "Net", interface_endpoints=False)
    NeoCompilation(stack, "Neo", bucket=bucket, network=network, **BASE)
    template = support.synth_nag_clean(app).get_stack_by_name("NeoNet").template
    (function,) = [f for f in resources(template, "AWS::Lambda::Function").values()
                   if f["Properties"].get("Handler") == "neo_compile.handler"]
    assert {"VPC_SUBNETS", "VPC_SECURITY_GROUPS"} <= set(function["Properties"]["Environment"]["Variables"])
    params = definition_of(template)["States"]["CreateModel"]["Parameters"]
    assert len(params["VpcConfig"]["Subnets"]) == 2


# -- bad props -----------------------------------------------------------------------------------------------------


def _build(**overrides: Any) -> None:
    stack = cdk.Stack(support.new_app(), "Bad")
    bucket = ArtifactBucket(stack, "Bucket")
    NeoCompilation(stack, "Neo", bucket=bucket, **{**BASE, **overrides})


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"target_platform": TargetPlatform(os="LINUX", arch="ARM64")},
         r"target_device \('ml_c5'\) and target_platform \(.*\) are both set: .* remove one"),
        ({"target_device": None}, r"neither target_device nor target_platform is set: give one, e\.g\. target_device='ml_c5'"),
        ({"framework": "caffe"}, r"framework \('caffe'\) is not supported by CreateCompilationJob: use one of TENSORFLOW, .*XGBOOST"),
        ({"input_shape": "{data: [1, 5]}"}, r"input_shape \('\{data: \[1, 5\]\}'\) is not valid JSON .*: give e\.g\. '\{\"data\": \[1, 5\]\}'"),
        ({"input_shape": '"data"'}, r"input_shape .* must be a non-empty JSON object or list"),
        ({"input_shape": {"data": [1, -5]}}, r"input_shape .* dimensions that are not positive integers \(-5\)"),
        ({"target_device": "ml_z9"}, r"target_device \('ml_z9'\) is not a Neo target device: use one of lambda, ml_m4"),
        ({"target_device": None, "target_platform": TargetPlatform(os="BEOS", arch="ARM64")},
         r"target_platform\.os \('BEOS'\) is not supported: use one of ANDROID, LINUX"),
        ({"framework_version": "latest"}, r"framework_version \('latest'\) is not a framework version"),
        ({"compiler_options": "not json"}, r"compiler_options \('not json'\) is not valid JSON"),
        ({"output_prefix": "neo/input/out/"}, r"input_prefix \('neo/input/'\) and output_prefix .* overlap"),
        ({"input_prefix": "/neo/input"}, r"input_prefix \('/neo/input'\) must be a non-empty key prefix"),
        ({"max_runtime": Duration.days(30)}, r"max_runtime \(2592000(\.0)? s\) must be between 1 and 2419200 seconds"),
        ({"poll_interval": Duration.seconds(1)}, r"poll_interval \(1(\.0)? s\) must be between 5 and 3600 seconds"),
        ({"job_name_prefix": "Bad_Prefix"}, r"job_name_prefix \('Bad_Prefix'\) must be at most 24 lower-case"),
        ({"framework": "onnx", "create_model": True}, r"create_model \(True\) needs a serving image.*framework \('ONNX'\)"),
        ({"target_device": "ml_inf2", "create_model": True}, r"create_model \(True\) needs a serving image.*Neuron"),
        ({"endpoint": NeoEndpoint(endpoint_name="x", instance_type="ml.m5.large")},
         r"endpoint\.instance_type \('ml\.m5\.large'\) does not match the Neo compilation target \('ml_c5'\)"),
        ({"framework": "pytorch", "framework_version": "1.9", "target_device": "ml_inf1",
          "endpoint": NeoEndpoint(endpoint_name="x", instance_type="ml.inf1.xlarge", instance_count=0)},
         r"endpoint\.instance_count \(0\) must be between 1 and 100"),
        ({"reserved_concurrency": 0}, r"reserved_concurrency \(0\) must be between 1 and 1000"),
    ],
)
def test_bad_props_name_prop_value_and_fix(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        _build(**overrides)


def test_all_errors_are_reported_at_once() -> None:
    with pytest.raises(ValueError) as err:
        _build(framework="caffe", input_shape="{", target_device="nowhere", poll_interval=Duration.seconds(1))
    text = str(err.value)
    assert text.startswith("NeoCompilation Bad/Neo: invalid props:")
    assert text.count("\n  - ") == 4


def test_type_errors_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"target_platform must be a TargetPlatform"):
        _build(target_device=None, target_platform={"Os": "LINUX"})


def test_enums_come_from_botocore() -> None:
    import botocore.loaders

    shapes = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")["shapes"]
    for name in ("Framework", "TargetDevice", "TargetPlatformOs", "TargetPlatformArch", "TargetPlatformAccelerator"):
        assert compilation_enum(name) == tuple(shapes[name]["enum"])


def test_user_image_enables_models_for_frameworks_without_a_neo_image() -> None:
    from aws_cdk import aws_ecr as ecr

    app = support.new_app()
    stack = cdk.Stack(app, "Own", env=cdk.Environment(account=ACCOUNT, region=REGION))
    repo = ecr.Repository.from_repository_name(stack, "Repo", "onnx-runtime")
    neo = NeoCompilation(stack, "Neo", bucket=ArtifactBucket(stack, "Bucket"), framework="onnx",
                         input_shape={"input": [1, 3, 224, 224]}, target_device="ml_c5",
                         inference_image=ContainerImage.from_ecr_repository(repo, "1.0"))
    assert neo.creates_model and neo.serving_image is None


def test_edge_target_with_an_image_still_creates_no_model_by_default() -> None:
    from aws_cdk import aws_ecr as ecr

    stack = cdk.Stack(support.new_app(), "Edge")
    repo = ecr.Repository.from_repository_name(stack, "Repo", "dlr")
    neo = NeoCompilation(stack, "Neo", bucket=ArtifactBucket(stack, "Bucket"), framework="tflite",
                         target_platform=TargetPlatform(os="ANDROID", arch="ARM64"),
                         inference_image=ContainerImage.from_ecr_repository(repo, "1.0"))
    assert neo.creates_model is False
    with pytest.raises(ValueError, match=r"create_model \(True\) with target .*SageMaker hosts only 'ml_\*' targets"):
        NeoCompilation(stack, "Neo2", bucket=ArtifactBucket(stack, "Bucket2"), framework="tflite",
                       target_platform=TargetPlatform(os="ANDROID", arch="ARM64"), create_model=True,
                       inference_image=ContainerImage.from_ecr_repository(repo, "1.0"))
