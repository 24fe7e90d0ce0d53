"""neo_compile handler: against a moto server over HTTP, behind a Stubber for duplicates, and its bad inputs.

Every CreateCompilationJob request the handler builds is also checked against botocore's service model (ParamValidator
plus the length, pattern and enum constraints the validator leaves to the service).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator
from unittest import mock

import botocore.session
import pytest
from botocore.stub import Stubber
from botocore.validate import ParamValidator

from moto_server import ACCOUNT_ID, FAKE_ENV, REGION, reset

with mock.patch.dict(os.environ, FAKE_ENV):
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import neo_compile  # noqa: E402

BUCKET = "artifacts-bucket"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/neo-compilation"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = "neo/input/xgboost/model.tar.gz"
ENV = {
    "BUCKET": BUCKET,
    "INPUT_PREFIX": "neo/input/",
    "OUTPUT_PREFIX": "neo/output/",
    "ROLE_ARN": ROLE_ARN,
    "FRAMEWORK": "XGBOOST",
    "DATA_INPUT_CONFIG": '{"data": [1, 5]}',
    "TARGET_DEVICE": "ml_c5",
    "KMS_KEY_ID": KMS_KEY_ARN,
    "MAX_RUNTIME_SECONDS": "900",
    "JOB_NAME_PREFIX": "neo-8f3a2b1c",
}
OPTIONAL = ("TARGET_PLATFORM", "COMPILER_OPTIONS", "VPC_SUBNETS", "VPC_SECURITY_GROUPS",
            "EVENTBRIDGE_KEYS_URL_ENCODED")
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_MODEL = botocore.session.get_session().get_service_model("sagemaker")


def s3_event(key: str = KEY, version: str | None = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", bucket: str = BUCKET,
             etag: str | None = "d41d8cd98f00b204e9800998ecf8427e") -> dict:
    """An EventBridge "Object Created" event as S3 sends it (test_neo_compile_contract.py uses it too)."""
    obj: dict[str, Any] = {"key": key, "size": 1024}
    if etag:
        obj["etag"] = etag
    if version:
        obj["version-id"] = version
    return {
        "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
        "source": "aws.s3", "account": ACCOUNT_ID, "time": "2024-06-01T12:00:00Z", "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": obj, "reason": "PutObject"},
    }


class Context:
    aws_request_id = "req-1"


def quiet_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], unset: Any) -> Iterator[dict[str, str]]:
    """The handler's environment (fake credentials, `env`, none of `unset`), with its logger quiet meanwhile."""
    for key, value in {**FAKE_ENV, **env}.items():
        monkeypatch.setenv(key, value)
    for key in (*unset, "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    previous = neo_compile.LOGGER.level
    neo_compile.LOGGER.setLevel("ERROR")
    yield env
    neo_compile.LOGGER.setLevel(previous)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    yield from quiet_env(monkeypatch, ENV, OPTIONAL)


@pytest.fixture
def moto(env: dict, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    reset(moto_url)
    client = neo_compile.make_client(endpoint_url=moto_url)
    monkeypatch.setattr(neo_compile, "CLIENT", client)
    yield client


@pytest.fixture
def stubbed(env: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = neo_compile.make_client()
    monkeypatch.setattr(neo_compile, "CLIENT", client)
    with Stubber(client) as stubber:
        yield stubber


def request_problems(request: dict[str, Any]) -> list[str]:
    shape = _MODEL.operation_model("CreateCompilationJob").input_shape
    report = ParamValidator().validate(request, shape)
    problems = [report.generate_report()] if report.has_errors() else []

    def walk(s: Any, value: Any, where: str) -> None:
        meta = s.metadata
        if s.type_name == "structure" and isinstance(value, dict):
            for k, v in value.items():
                if k in s.members:
                    walk(s.members[k], v, f"{where}.{k}")
        elif s.type_name == "list" and isinstance(value, list):
            for i, v in enumerate(value):
                walk(s.member, v, f"{where}[{i}]")
        elif s.type_name == "string" and isinstance(value, str):
            if "max" in meta and len(value) > meta["max"]:
                problems.append(f"{where}: longer than {meta['max']}")
            if "pattern" in meta and not re.fullmatch(meta["pattern"], value, flags=re.S):
                problems.append(f"{where}: {value!r} does not match {meta['pattern']}")
            if s.enum and value not in s.enum:
                problems.append(f"{where}: {value!r} not in enum")

    walk(shape, request, "CreateCompilationJob")
    return problems


# -- moto over HTTP ------------------------------------------------------------------------------------------------


def test_eventbridge_event_starts_one_compilation_job(moto: Any) -> None:
    result = neo_compile.handler(s3_event(), Context())
    name = result["job_name"]
    assert result["status"] == "created"
    assert NAME.match(name) and len(name) <= 63 and name == name.lower()
    assert name.startswith("neo-8f3a2b1c-xgboost-")
    assert result["job_arn"].endswith(f":compilation-job/{name}")
    assert result["output_location"] == f"s3://{BUCKET}/neo/output/{name}/"

    job = moto.describe_compilation_job(CompilationJobName=name)
    assert job["RoleArn"] == ROLE_ARN
    assert job["InputConfig"] == {
        "S3Uri": f"s3://{BUCKET}/{KEY}", "Framework": "XGBOOST", "DataInputConfig": '{"data": [1, 5]}',
    }  # no FrameworkVersion: botocore documents it for MXNet, PyTorch, TensorFlow and TensorFlow Lite only
    assert job["OutputConfig"]["TargetDevice"] == "ml_c5"
    assert job["OutputConfig"]["KmsKeyId"] == KMS_KEY_ARN
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 900}


def test_on_demand_key_and_s3_uri_name_the_same_job(moto: Any) -> None:
    by_key = neo_compile.handler({"key": KEY}, Context())
    by_uri = neo_compile.handler({"s3_uri": f"s3://{BUCKET}/{KEY}"}, Context())
    assert by_key["job_name"] == by_uri["job_name"]
    assert len(moto.list_compilation_jobs()["CompilationJobSummaries"]) == 1


def test_names_are_deterministic_and_distinct_per_version_and_target(env: dict, moto: Any, monkeypatch) -> None:
    first = neo_compile.handler(s3_event(version="v1"), Context())["job_name"]
    assert neo_compile.handler(s3_event(version="v1"), Context())["job_name"] == first
    assert neo_compile.handler(s3_event(version="v2"), Context())["job_name"] != first
    monkeypatch.setenv("TARGET_DEVICE", "ml_m5")
    assert neo_compile.handler(s3_event(version="v1"), Context())["job_name"] != first


def test_target_platform_request_is_valid(env: dict, moto: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TARGET_DEVICE")
    monkeypatch.setenv("TARGET_PLATFORM", '{"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}')
    result = neo_compile.handler(s3_event(), Context())
    job = moto.describe_compilation_job(CompilationJobName=result["job_name"])
    assert job["OutputConfig"]["TargetPlatform"] == {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}
    assert result["target"] == "LINUX/ARM64/NVIDIA"


# -- requests against botocore's model --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"TARGET_DEVICE": "", "TARGET_PLATFORM": '{"Os": "ANDROID", "Arch": "ARM64"}', "COMPILER_OPTIONS": '{"ANDROID_PLATFORM": 28}'},
        {"VPC_SUBNETS": "subnet-0123456789abcdef0,subnet-0fedcba9876543210", "VPC_SECURITY_GROUPS": "sg-0123456789abcdef0"},
        {"JOB_NAME_PREFIX": "a" * 24},
    ],
)
def test_requests_match_botocores_model(env: dict, extra: dict[str, str]) -> None:
    settings = neo_compile.load_settings({**ENV, **extra})
    long_key = "neo/input/" + "deeply-nested-folder/" * 8 + "My Model_v2.final.tar.gz"
    for key in (KEY, long_key, "neo/input/model.tar.gz"):
        artifact = neo_compile.parse({"key": key, "version_id": "v1"}, settings)
        name = neo_compile.job_name(artifact, settings)
        request = neo_compile.build_request(artifact, settings, name)
        assert request_problems(request) == [], request


# -- duplicates (moto overwrites a duplicate job silently, so SageMaker's refusal is stubbed) ---------------------


@pytest.mark.parametrize(
    "code, message",
    [
        ("ResourceInUse", "Compilation job with name neo-x already exists"),
        ("ValidationException", "Job name must be unique within an AWS account and region, and a job with this name already exists"),
    ],
)
def test_duplicate_start_is_reported_as_already_running(stubbed: Stubber, code: str, message: str) -> None:
    settings = neo_compile.load_settings()
    name = neo_compile.job_name(neo_compile.parse(s3_event(), settings), settings)
    stubbed.add_client_error("create_compilation_job", service_error_code=code, service_message=message,
                             http_status_code=400)
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:compilation-job/{name}"
    stubbed.add_response(
        "describe_compilation_job",
        {
            "CompilationJobName": name, "CompilationJobArn": arn, "CompilationJobStatus": "INPROGRESS",
            "StoppingCondition": {"MaxRuntimeInSeconds": 900}, "CreationTime": 0, "LastModifiedTime": 0,
            "FailureReason": "", "ModelArtifacts": {"S3ModelArtifacts": "s3://b/k"}, "RoleArn": ROLE_ARN,
            "InputConfig": {"S3Uri": f"s3://{BUCKET}/{KEY}", "Framework": "XGBOOST"},
            "OutputConfig": {"S3OutputLocation": f"s3://{BUCKET}/neo/output/"},
        },
        {"CompilationJobName": name},
    )
    result = neo_compile.handler(s3_event(), Context())
    assert (result["status"], result["job_name"], result["job_arn"]) == ("duplicate", name, arn)
    stubbed.assert_no_pending_responses()


def test_other_validation_errors_are_raised_as_rejections(stubbed: Stubber) -> None:
    stubbed.add_client_error("create_compilation_job", service_error_code="ValidationException",
                             service_message="DataInputConfig is invalid for XGBOOST", http_status_code=400)
    with pytest.raises(neo_compile.CompilationRejected, match=r"ValidationException: DataInputConfig is invalid"):
        neo_compile.handler(s3_event(), Context())


# -- bad input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event, match",
    [
        (s3_event(key="neo/output/x/model.tar.gz"), r"key \('neo/output/x/model.tar.gz'\) must be a \.tar\.gz object under 'neo/input/'"),
        (s3_event(key="neo/input/x/model.zip"), r"must be a \.tar\.gz object under"),
        (s3_event(bucket="someone-elses"), r"bucket \('someone-elses'\) is not the artifact bucket"),
        ({"s3_uri": "https://example.com/model.tar.gz"}, r"s3_uri .* must look like s3://<bucket>/<key>"),
        ({"hello": "world"}, r"the event names no artifact"),
        (["not", "an", "object"], r"the event must be a JSON object"),
    ],
)
def test_bad_events_fail_with_a_clear_error(env: dict, event: Any, match: str) -> None:
    with pytest.raises(neo_compile.InvalidInput, match=match):
        neo_compile.handler(event, Context())


@pytest.mark.parametrize(
    "extra, match",
    [
        ({"TARGET_PLATFORM": '{"Os": "LINUX", "Arch": "ARM64"}'}, r"TARGET_DEVICE and TARGET_PLATFORM are both set"),
        ({"FRAMEWORK": "CAFFE"}, r"FRAMEWORK \('CAFFE'\) is not supported: use one of TENSORFLOW, .*XGBOOST"),
        ({"DATA_INPUT_CONFIG": "{data: [1, 5]}"}, r"DATA_INPUT_CONFIG \('\{data: \[1, 5\]\}'\) is not valid JSON"),
        ({"TARGET_DEVICE": "ml_z9"}, r"TARGET_DEVICE \('ml_z9'\) is not a Neo target"),
        ({"TARGET_DEVICE": "", "TARGET_PLATFORM": '{"Os": "BEOS", "Arch": "ARM64"}'}, r"TARGET_PLATFORM.Os \('BEOS'\)"),
        ({"JOB_NAME_PREFIX": "Has_Upper"}, r"JOB_NAME_PREFIX"),
        ({"ROLE_ARN": ""}, r"ROLE_ARN is required"),
        ({"FRAMEWORK_VERSION": "1.7"},
         r"FRAMEWORK_VERSION \('1\.7'\) is set for XGBOOST: CreateCompilationJob accepts FrameworkVersion only for "
         r"MXNET, PYTORCH, TENSORFLOW, TFLITE"),
    ],
)
def test_bad_configuration_fails_with_a_clear_error(env: dict, extra: dict, match: str) -> None:
    with pytest.raises(neo_compile.Misconfigured, match=match):
        neo_compile.load_settings({**ENV, **extra})


def test_framework_version_is_sent_for_a_framework_that_takes_it(env: dict) -> None:
    settings = neo_compile.load_settings({**ENV, "FRAMEWORK": "PYTORCH", "FRAMEWORK_VERSION": "1.13"})
    assert settings.framework_version == "1.13"


def test_url_encoded_eventbridge_keys_are_decoded(moto: Any) -> None:
    result = neo_compile.handler(s3_event(key="neo/input/my+model/model.tar.gz"), Context())
    job = moto.describe_compilation_job(CompilationJobName=result["job_name"])
    assert job["InputConfig"]["S3Uri"] == f"s3://{BUCKET}/neo/input/my model/model.tar.gz"
    assert "-my-model-" in result["job_name"]


def test_the_handler_module_imports_no_heavy_packages() -> None:
    source = open(neo_compile.__file__).read()
    assert not re.search(r"^\s*import (boto3|aws_cdk|sagemaker)\b", source, flags=re.M)
    assert ENV and all(isinstance(k, str) and isinstance(v, str) for k, v in ENV.items())  # Lambda env: strings only
