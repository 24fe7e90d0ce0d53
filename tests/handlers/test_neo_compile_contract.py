"""neo_compile's contract, pinned as literals: job names, the exact CreateCompilationJob requests, the results and the
error texts a state machine or an operator sees.

Job names are the idempotency key across deploys: a change to one makes a redelivered event start a second job. They
are golden literals here, so a naming change is a visible, deliberate break (CHANGELOG), never a side effect. The
requests are pinned with botocore's Stubber `expected_params`; moto would accept a wrong request silently.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import sys
from typing import Any, Iterator
from unittest import mock

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from moto_server import ACCOUNT_ID, FAKE_ENV, REGION

import test_neo_compile as neo_events  # its S3 event and Lambda context  # noqa: E402

from test_neo_compile import BUCKET, ENV, KEY, KMS_KEY_ARN, ROLE_ARN, neo_compile  # noqa: E402, F401

URI = f"s3://{BUCKET}/{KEY}"
VERSION_ID = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
ETAG = "d41d8cd98f00b204e9800998ecf8427e"
UNSET = ("TARGET_PLATFORM", "COMPILER_OPTIONS", "VPC_SUBNETS", "VPC_SECURITY_GROUPS", "EVENTBRIDGE_KEYS_URL_ENCODED",
         "FRAMEWORK_VERSION", "LOG_LEVEL")
_MODEL = botocore.session.get_session().get_service_model("sagemaker")

# Golden job names (see the module docstring). Computed once from the released naming; never from the handler.
NAME_VERSIONED = "neo-8f3a2b1c-xgboost-208ae68b0ba5e563"  # KEY, version VERSION_ID, ENV
NAME_ETAG = "neo-8f3a2b1c-xgboost-a77133385808bf3d"  # KEY, no version id: the ETag
NAME_UNVERSIONED = "neo-8f3a2b1c-xgboost-ae8b2c648f9e63c8"  # KEY, neither
NAME_DEFAULT_PREFIX = "neo-xgboost-ae8b2c648f9e63c8"  # KEY, neither, JOB_NAME_PREFIX unset
NAME_NO_DATA_INPUT = "neo-8f3a2b1c-xgboost-79f668685af9ab13"  # KEY, neither, DATA_INPUT_CONFIG unset


def enum(shape: str) -> str:
    return ", ".join(_MODEL.shape_for(shape).enum)


def s3_event(key: str = KEY, version: str | None = VERSION_ID, etag: str | None = ETAG, bucket: str = BUCKET) -> dict:
    return neo_events.s3_event(key, version, bucket, etag)


Context = neo_events.Context


def arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:compilation-job/{name}"


def base_request(name: str) -> dict:
    return {
        "CompilationJobName": name,
        "RoleArn": ROLE_ARN,
        "InputConfig": {"S3Uri": URI, "Framework": "XGBOOST", "DataInputConfig": '{"data": [1, 5]}'},
        "OutputConfig": {
            "S3OutputLocation": f"s3://{BUCKET}/neo/output/{name}/", "TargetDevice": "ml_c5", "KmsKeyId": KMS_KEY_ARN,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
    }


def settings(**extra: str | None) -> Any:
    env = {**ENV, **extra}
    return neo_compile.load_settings({k: v for k, v in env.items() if v is not None})


def name_for(event: dict, **extra: str | None) -> str:
    s = settings(**extra)
    return neo_compile.job_name(neo_compile.parse(event, s), s)


def misconfigured(env: dict) -> str:
    with pytest.raises(neo_compile.Misconfigured) as raised:
        neo_compile.load_settings(env)
    return str(raised.value)


def invalid(event: Any, **extra: str | None) -> str:
    with pytest.raises(neo_compile.InvalidInput) as raised:
        neo_compile.parse(event, settings(**extra))
    return str(raised.value)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    yield from neo_events.quiet_env(monkeypatch, ENV, UNSET)


@pytest.fixture
def stub(env: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = neo_compile.make_client()
    monkeypatch.setattr(neo_compile, "CLIENT", client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def expect_create(stub: Stubber, request: dict) -> None:
    stub.add_response("create_compilation_job", {"CompilationJobArn": arn(request["CompilationJobName"])}, request)


# -- golden names ------------------------------------------------------------------------------------------------------


def test_golden_names_for_each_way_of_naming_the_same_artifact(env: dict) -> None:
    assert name_for(s3_event()) == NAME_VERSIONED
    assert name_for({"key": KEY, "version_id": VERSION_ID}) == NAME_VERSIONED
    assert name_for({"s3_uri": URI, "version_id": VERSION_ID}) == NAME_VERSIONED
    assert name_for(s3_event(version=None)) == NAME_ETAG  # an unversioned bucket: the ETag identifies the object
    assert name_for({"key": KEY, "version_id": ETAG}) == NAME_ETAG
    assert name_for(s3_event(version=None, etag=None)) == NAME_UNVERSIONED
    assert name_for({"key": KEY}) == NAME_UNVERSIONED
    assert name_for({"s3_uri": URI}) == NAME_UNVERSIONED
    assert name_for({"key": KEY}, JOB_NAME_PREFIX=None) == NAME_DEFAULT_PREFIX
    assert name_for({"key": KEY}, JOB_NAME_PREFIX="") == NAME_DEFAULT_PREFIX
    assert name_for({"key": KEY}, DATA_INPUT_CONFIG=None) == NAME_NO_DATA_INPUT
    assert name_for({"key": KEY}, DATA_INPUT_CONFIG="") == NAME_NO_DATA_INPUT


@pytest.mark.parametrize(
    "key, extra, golden",
    [
        # the readable part: a folder for ".../model.tar.gz", else the file stem, lower case, runs of others as "-"
        ("neo/input/" + "deeply-nested-folder/" * 8 + "My Model_v2.final.tar.gz", {},
         "neo-8f3a2b1c-my-model-v2-final-bda3c7169018e17a"),
        # room for the readable part: 63 - 12 (prefix) - 16 (digest) - 2 hyphens = 33 characters
        ("neo/input/ResNet50ImageNetClassifierForEdgeDevices.tar.gz", {},
         "neo-8f3a2b1c-resnet50imagenetclassifierforedge-0d6cce600c77c0de"),
        # cut at a hyphen: the hyphen goes too
        ("neo/input/" + "a" * 32 + "_b.tar.gz", {}, "neo-8f3a2b1c-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-8605e95d6611bab3"),
        ("neo/input/__My Model__.tar.gz", {}, "neo-8f3a2b1c-my-model-0e331ab0a0f94087"),
        # a leading symbol goes before the cut: all 33 characters stay readable
        ("neo/input/_" + "a" * 40 + ".tar.gz", {}, "neo-8f3a2b1c-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1ff777ce16fff60e"),
        ("neo/input/___.tar.gz", {}, "neo-8f3a2b1c-4277144ef46e6cac"),  # nothing readable: prefix and digest only
        ("neo/input/resnet/.tar.gz", {}, "neo-8f3a2b1c-resnet-a6d3437482ec368f"),  # an empty stem reads as its folder
        ("model.tar.gz", {"INPUT_PREFIX": "mod"}, "neo-8f3a2b1c-model-910ef48866930fef"),  # no folder to read
        ("neo/model.tar.gz", {"INPUT_PREFIX": "neo/"}, "neo-8f3a2b1c-neo-d7378fff38f0c21c"),
        ("neo/input/xgboost/model.tar.gz", {"JOB_NAME_PREFIX": "a" * 24},
         "aaaaaaaaaaaaaaaaaaaaaaaa-xgboost-6b832309c4ca67c9"),
    ],
)
def test_golden_names_for_awkward_keys(env: dict, key: str, extra: dict, golden: str) -> None:
    name = name_for({"key": key, "version_id": "v1"}, **extra)
    assert name == golden
    assert len(name) <= 63


def test_the_name_covers_every_compilation_setting(env: dict) -> None:
    golden = {
        "neo-8f3a2b1c-xgboost-6b832309c4ca67c9": {},
        "neo-8f3a2b1c-xgboost-d799881bc201d7e5": {"TARGET_DEVICE": "ml_m5"},
        "neo-8f3a2b1c-xgboost-11fe484f32685ba6": {"COMPILER_OPTIONS": '{"dtype": "float32"}'},
        "neo-8f3a2b1c-xgboost-fcf1f8786c50891d": {"FRAMEWORK": "PYTORCH"},
        "neo-8f3a2b1c-xgboost-46b2ea62efdbf748": {"FRAMEWORK": "PYTORCH", "FRAMEWORK_VERSION": "1.13"},
        "neo-8f3a2b1c-xgboost-46f01213e1112915": {"DATA_INPUT_CONFIG": '{"data": [1, 6]}'},
        "neo-8f3a2b1c-xgboost-98f51c68c50cb8ca": {"TARGET_DEVICE": None, "TARGET_PLATFORM": '{"Os": "LINUX", "Arch": "ARM64"}'},
        "neo-8f3a2b1c-xgboost-e33e6bcdf43a6b74": {"TARGET_DEVICE": None,
                                                  "TARGET_PLATFORM": '{"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}'},
    }
    assert {name_for({"key": KEY, "version_id": "v1"}, **extra): extra for extra in golden.values()} == golden
    # settings that do not change the compiled model do not change the name
    assert name_for({"key": KEY, "version_id": "v1"}, KMS_KEY_ID=None, MAX_RUNTIME_SECONDS="60",
                    OUTPUT_PREFIX="elsewhere/") == "neo-8f3a2b1c-xgboost-6b832309c4ca67c9"


def test_a_hand_built_settings_with_a_bad_prefix_fails_loudly(env: dict) -> None:
    s = neo_compile.Settings(**{**settings().__dict__, "job_name_prefix": "Bad_Prefix"})
    with pytest.raises(neo_compile.Misconfigured) as raised:
        neo_compile.job_name(neo_compile.Artifact(BUCKET, KEY, None), s)
    assert str(raised.value) == (
        "derived job name 'Bad_Prefix-xgboost-ae8b2c648f9e63c8' is not a valid SageMaker name"
    )


# -- exact requests and results ----------------------------------------------------------------------------------------


def test_eventbridge_event_sends_the_exact_request_and_returns_the_result(stub: Stubber) -> None:
    expect_create(stub, base_request(NAME_VERSIONED))
    result = neo_compile.handler(s3_event(), Context())
    assert result == {
        "job_name": NAME_VERSIONED,
        "job_arn": arn(NAME_VERSIONED),
        "status": "created",
        "artifact": URI,
        "output_location": f"s3://{BUCKET}/neo/output/{NAME_VERSIONED}/",
        "target": "ml_c5",
    }


def test_every_optional_setting_reaches_the_request(stub: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "FRAMEWORK": "pytorch",  # case-insensitive: SageMaker's enum is upper case
        "FRAMEWORK_VERSION": "1.13",
        "TARGET_PLATFORM": '{"Os": "LINUX", "Arch": "ARM64"}',
        "COMPILER_OPTIONS": '{"dtype": "float32"}',
        "MAX_RUNTIME_SECONDS": "1200",
        "VPC_SUBNETS": "subnet-a,,subnet-b,",
        "VPC_SECURITY_GROUPS": "sg-1,sg-2",
        "OUTPUT_PREFIX": "compiled/",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("TARGET_DEVICE", "KMS_KEY_ID", "DATA_INPUT_CONFIG"):
        monkeypatch.delenv(key)
    name = "neo-8f3a2b1c-xgboost-f602881945a4cb91"
    expect_create(stub, {
        "CompilationJobName": name,
        "RoleArn": ROLE_ARN,
        "InputConfig": {"S3Uri": URI, "Framework": "PYTORCH", "FrameworkVersion": "1.13"},
        "OutputConfig": {
            "S3OutputLocation": f"s3://{BUCKET}/compiled/{name}/",
            "TargetPlatform": {"Os": "LINUX", "Arch": "ARM64"},
            "CompilerOptions": '{"dtype": "float32"}',
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 1200},
        "VpcConfig": {"Subnets": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1", "sg-2"]},
    })
    result = neo_compile.handler({"key": KEY, "version_id": "v1"}, Context())
    assert (result["job_name"], result["target"], result["status"]) == (name, "LINUX/ARM64", "created")


def test_defaults_reach_the_request(stub: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("MAX_RUNTIME_SECONDS", "JOB_NAME_PREFIX", "KMS_KEY_ID"):
        monkeypatch.delenv(key)
    request = base_request(NAME_DEFAULT_PREFIX)
    del request["OutputConfig"]["KmsKeyId"]
    expect_create(stub, request)
    assert neo_compile.handler({"key": KEY}, Context())["job_name"] == NAME_DEFAULT_PREFIX


@pytest.mark.parametrize("framework", ["MXNET", "PYTORCH", "TENSORFLOW", "TFLITE"])
def test_framework_version_is_sent_for_each_framework_that_takes_it(env: dict, framework: str) -> None:
    s = settings(FRAMEWORK=framework, FRAMEWORK_VERSION="2.0")
    request = neo_compile.build_request(neo_compile.Artifact(BUCKET, KEY, None), s, "n")
    assert request["InputConfig"] == {
        "S3Uri": URI, "Framework": framework, "FrameworkVersion": "2.0", "DataInputConfig": '{"data": [1, 5]}',
    }


@pytest.mark.parametrize(
    "platform, target",
    [
        ('{"Os": "LINUX", "Arch": "ARM64"}', "LINUX/ARM64"),
        ('{"Os": "ANDROID", "Arch": "ARM64", "Accelerator": "MALI"}', "ANDROID/ARM64/MALI"),
    ],
)
def test_platform_targets_are_reported_os_arch_accelerator(env: dict, platform: str, target: str) -> None:
    s = settings(TARGET_DEVICE=None, TARGET_PLATFORM=platform)
    assert s.target == target
    request = neo_compile.build_request(neo_compile.Artifact(BUCKET, KEY, None), s, "n")
    assert request["OutputConfig"]["TargetPlatform"] == json.loads(platform)
    assert "TargetDevice" not in request["OutputConfig"]


def test_max_runtime_of_one_second_is_accepted(env: dict) -> None:
    assert settings(MAX_RUNTIME_SECONDS="1").max_runtime == 1


# -- EventBridge keys ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, key",
    [
        (None, "neo/input/my model/model.tar.gz"),
        ("true", "neo/input/my model/model.tar.gz"),
        ("false", "neo/input/my+model/model.tar.gz"),
        ("FALSE", "neo/input/my+model/model.tar.gz"),
        ("False", "neo/input/my+model/model.tar.gz"),
    ],
)
def test_eventbridge_key_decoding_follows_the_flag(env: dict, flag: str | None, key: str) -> None:
    s = settings(EVENTBRIDGE_KEYS_URL_ENCODED=flag)
    assert neo_compile.parse(s3_event(key="neo/input/my+model/model.tar.gz"), s).key == key


def test_on_demand_keys_are_never_decoded(env: dict) -> None:
    assert neo_compile.parse({"key": "neo/input/a+b/model.tar.gz"}, settings()).key == "neo/input/a+b/model.tar.gz"


def test_an_event_is_s3_only_with_the_s3_source_and_a_detail_object(env: dict) -> None:
    other = {"source": "aws.other", "detail": {"bucket": {"name": "x"}, "object": {"key": "y"}}, "key": KEY}
    assert neo_compile.parse(other, settings()) == neo_compile.Artifact(BUCKET, KEY, None)
    not_a_detail = {"source": "aws.s3", "detail": "nope", "key": KEY}
    assert neo_compile.parse(not_a_detail, settings()) == neo_compile.Artifact(BUCKET, KEY, None)


# -- duplicates and errors from SageMaker ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, message",
    [
        ("ResourceInUse", "busy"),
        ("ValidationException", "Compilation job names must be unique within an AWS account and region"),
        ("ValidationException", "A JOB WITH THIS NAME ALREADY EXISTS"),
    ],
)
def test_duplicates_are_reported_with_the_existing_jobs_arn(stub: Stubber, code: str, message: str) -> None:
    stub.add_client_error("create_compilation_job", service_error_code=code, service_message=message,
                          http_status_code=400, expected_params=base_request(NAME_VERSIONED))
    stub.add_response(
        "describe_compilation_job",
        {
            "CompilationJobName": NAME_VERSIONED, "CompilationJobArn": arn(NAME_VERSIONED),
            "CompilationJobStatus": "INPROGRESS", "StoppingCondition": {"MaxRuntimeInSeconds": 900},
            "CreationTime": 0, "LastModifiedTime": 0, "FailureReason": "",
            "ModelArtifacts": {"S3ModelArtifacts": "s3://b/k"}, "RoleArn": ROLE_ARN,
            "InputConfig": {"S3Uri": URI, "Framework": "XGBOOST"},
            "OutputConfig": {"S3OutputLocation": f"s3://{BUCKET}/neo/output/"},
        },
        {"CompilationJobName": NAME_VERSIONED},
    )
    result = neo_compile.handler(s3_event(), Context())
    assert result == {
        "job_name": NAME_VERSIONED,
        "job_arn": arn(NAME_VERSIONED),
        "status": "duplicate",
        "artifact": URI,
        "output_location": f"s3://{BUCKET}/neo/output/{NAME_VERSIONED}/",
        "target": "ml_c5",
    }


def test_a_duplicate_whose_description_fails_is_still_a_duplicate(stub: Stubber) -> None:
    stub.add_client_error("create_compilation_job", service_error_code="ResourceInUse", http_status_code=400)
    stub.add_client_error("describe_compilation_job", service_error_code="AccessDeniedException",
                          http_status_code=400, expected_params={"CompilationJobName": NAME_VERSIONED})
    result = neo_compile.handler(s3_event(), Context())
    assert (result["status"], result["job_arn"]) == ("duplicate", None)


@pytest.mark.parametrize("status", [400, 404, 499])
def test_client_errors_are_rejections_with_code_and_message(stub: Stubber, status: int) -> None:
    stub.add_client_error("create_compilation_job", service_error_code="ResourceLimitExceeded",
                          service_message="too many jobs", http_status_code=status)
    with pytest.raises(neo_compile.CompilationRejected) as raised:
        neo_compile.handler(s3_event(), Context())
    assert str(raised.value) == "ResourceLimitExceeded: too many jobs"


@pytest.mark.parametrize("code, status", [("ThrottlingException", 400), ("InternalFailure", 500),
                                          ("ServiceUnavailable", 503), ("Weird", 399)])
def test_throttling_and_server_errors_are_raised_as_botocore_errors(stub: Stubber, code: str, status: int) -> None:
    stub.add_client_error("create_compilation_job", service_error_code=code, service_message="later",
                          http_status_code=status)
    with pytest.raises(ClientError) as raised:
        neo_compile.handler(s3_event(), Context())
    assert not isinstance(raised.value, neo_compile.CompilationRejected)
    assert raised.value.response["Error"]["Code"] == code


@pytest.mark.parametrize("response", [{"Error": {"Code": "Odd", "Message": "m"}},
                                      {"Error": {"Code": "Odd", "Message": "m"}, "ResponseMetadata": {}}])
def test_an_error_without_an_http_status_is_raised_unchanged(env: dict, monkeypatch: pytest.MonkeyPatch,
                                                             response: dict) -> None:
    error = ClientError(response, "CreateCompilationJob")
    configured = settings()
    monkeypatch.setattr(neo_compile, "CLIENT", mock.Mock(**{"create_compilation_job.side_effect": error}))
    with pytest.raises(ClientError) as raised:
        neo_compile.start(neo_compile.Artifact(BUCKET, KEY, None), configured)
    assert raised.value is error


def test_only_the_documented_errors_count_as_duplicates() -> None:
    def error(response: dict) -> ClientError:
        return ClientError(response, "CreateCompilationJob")

    assert neo_compile._is_duplicate(error({})) is False
    assert neo_compile._is_duplicate(error({"Error": {"Code": "ValidationException"}})) is False
    assert neo_compile._is_duplicate(error({"Error": {"Code": "ResourceInUse"}})) is True
    assert neo_compile._is_duplicate(error({"Error": {"Code": "ConflictException", "Message": "already exists"}})) is False


# -- error texts -------------------------------------------------------------------------------------------------------


def test_an_empty_environment_lists_every_missing_setting() -> None:
    assert misconfigured({}) == (
        "BUCKET is required; INPUT_PREFIX is required; OUTPUT_PREFIX is required; ROLE_ARN is required; "
        "FRAMEWORK is required; one of TARGET_DEVICE (e.g. 'ml_c5') or TARGET_PLATFORM (JSON {\"Os\", \"Arch\"}) "
        "is required"
    )


@pytest.mark.parametrize("missing", ["BUCKET", "INPUT_PREFIX", "OUTPUT_PREFIX", "ROLE_ARN", "FRAMEWORK"])
def test_each_required_setting_is_named_when_absent(missing: str) -> None:
    assert misconfigured({k: v for k, v in ENV.items() if k != missing}) == f"{missing} is required"


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"TARGET_PLATFORM": '{"Os": "LINUX", "Arch": "ARM64"}'},
         "TARGET_DEVICE and TARGET_PLATFORM are both set: a compilation targets one of them; unset one"),
        ({"FRAMEWORK": "caffe"}, f"FRAMEWORK ('CAFFE') is not supported: use one of {enum('Framework')}"),
        ({"TARGET_DEVICE": "ml_z9"}, f"TARGET_DEVICE ('ml_z9') is not a Neo target: use one of {enum('TargetDevice')}"),
        ({"FRAMEWORK_VERSION": "1.7"},
         "FRAMEWORK_VERSION ('1.7') is set for XGBOOST: CreateCompilationJob accepts FrameworkVersion only for MXNET, "
         "PYTORCH, TENSORFLOW, TFLITE; unset it"),
        ({"DATA_INPUT_CONFIG": "{data: [1, 5]}"},
         "DATA_INPUT_CONFIG ('{data: [1, 5]}') is not valid JSON (Expecting property name enclosed in double quotes: "
         "line 1 column 2 (char 1)): e.g. {\"data\": [1, 5]}"),
        ({"COMPILER_OPTIONS": "dtype=float32"},
         "COMPILER_OPTIONS ('dtype=float32') is not valid JSON (Expecting value: line 1 column 1 (char 0)): "
         "e.g. {\"dtype\": \"float32\"}"),
        ({"MAX_RUNTIME_SECONDS": "0"}, "MAX_RUNTIME_SECONDS ('0') must be a positive integer"),
        ({"MAX_RUNTIME_SECONDS": "-5"}, "MAX_RUNTIME_SECONDS ('-5') must be a positive integer"),
        ({"MAX_RUNTIME_SECONDS": "ten"}, "MAX_RUNTIME_SECONDS ('ten') must be a positive integer"),
        ({"JOB_NAME_PREFIX": "a" * 25},
         f"JOB_NAME_PREFIX ('{'a' * 25}') must be at most 24 lower-case letters and digits with single hyphens"),
        ({"JOB_NAME_PREFIX": "Neo"},
         "JOB_NAME_PREFIX ('Neo') must be at most 24 lower-case letters and digits with single hyphens"),
        ({"VPC_SUBNETS": "subnet-a"}, "VPC_SUBNETS and VPC_SECURITY_GROUPS go together: set both or neither"),
        ({"VPC_SECURITY_GROUPS": "sg-1"}, "VPC_SUBNETS and VPC_SECURITY_GROUPS go together: set both or neither"),
    ],
)
def test_bad_settings_say_what_to_change(extra: dict, message: str) -> None:
    assert misconfigured({**ENV, **extra}) == message


@pytest.mark.parametrize(
    "platform, message",
    [
        ('{"Os": "LINUX"}', None),
        ('{"Arch": "ARM64"}', None),
        ('{"Os": "LINUX", "Arch": "ARM64", "Gpu": "yes"}', None),
        ("LINUX/ARM64", None),
        ("5", None),
        ("null", None),
        ('["Os", "Arch"]', None),
        ('{"Os": "BEOS", "Arch": "ARM64"}', f"TARGET_PLATFORM.Os ('BEOS') must be one of {enum('TargetPlatformOs')}"),
        ('{"Os": "LINUX", "Arch": "Z80"}', f"TARGET_PLATFORM.Arch ('Z80') must be one of {enum('TargetPlatformArch')}"),
        ('{"Os": "LINUX", "Arch": "ARM64", "Accelerator": "TPU"}',
         f"TARGET_PLATFORM.Accelerator ('TPU') must be one of {enum('TargetPlatformAccelerator')}"),
    ],
)
def test_bad_target_platforms_say_what_to_change(platform: str, message: str | None) -> None:
    expected = message or (
        f"TARGET_PLATFORM ({platform!r}) must be JSON with Os, Arch and optionally Accelerator: "
        'e.g. {"Os": "LINUX", "Arch": "ARM64"}'
    )
    assert misconfigured({**ENV, "TARGET_DEVICE": "", "TARGET_PLATFORM": platform}) == expected


def test_empty_optional_settings_are_unset(env: dict) -> None:
    s = settings(DATA_INPUT_CONFIG="", COMPILER_OPTIONS="", KMS_KEY_ID="", FRAMEWORK_VERSION="", VPC_SUBNETS="",
                 VPC_SECURITY_GROUPS="", MAX_RUNTIME_SECONDS="", EVENTBRIDGE_KEYS_URL_ENCODED="")
    assert (s.data_input_config, s.compiler_options, s.kms_key_id, s.framework_version) == (None, None, None, None)
    assert (s.subnets, s.security_groups, s.max_runtime, s.eventbridge_keys_encoded) == ((), (), 900, True)
    assert (s.target_device, s.target_platform) == ("ml_c5", None)  # Settings.target_platform: dict | None


@pytest.mark.parametrize(
    "event, message",
    [
        (["not", "an", "object"], "the event must be a JSON object, got list"),
        ({"hello": "world"},
         'the event names no artifact: send {"key": "<input prefix>.../model.tar.gz"} or {"s3_uri": "s3://..."}, '
         "or an EventBridge S3 Object Created event"),
        ({"s3_uri": "https://example.com/model.tar.gz"},
         "s3_uri ('https://example.com/model.tar.gz') must look like s3://<bucket>/<key>"),
        ({"s3_uri": f"s3://{BUCKET}/"}, f"s3_uri ('s3://{BUCKET}/') must look like s3://<bucket>/<key>"),
        ({"key": 5}, "key and version_id must be strings"),
        ({"key": KEY, "version_id": 5}, "key and version_id must be strings"),
        ({"s3_uri": f"s3://{BUCKET}/{KEY}", "version_id": ["v1"]}, "key and version_id must be strings"),
        (s3_event(bucket="someone-elses"), f"bucket ('someone-elses') is not the artifact bucket ('{BUCKET}')"),
        ({"s3_uri": f"s3://someone-elses/{KEY}"}, f"bucket ('someone-elses') is not the artifact bucket ('{BUCKET}')"),
        ({"key": "neo/input/x/model.zip"},
         "key ('neo/input/x/model.zip') must be a .tar.gz object under 'neo/input/' (the compilation role reads only "
         "there): e.g. 'neo/input/xgboost/model.tar.gz'"),
        ({"key": "neo/output/x/model.tar.gz"},
         "key ('neo/output/x/model.tar.gz') must be a .tar.gz object under 'neo/input/' (the compilation role reads "
         "only there): e.g. 'neo/input/xgboost/model.tar.gz'"),
        ({"source": "aws.s3", "detail": {"bucket": {"name": BUCKET}}},
         "the S3 event has no detail.bucket.name or detail.object.key"),
        ({"source": "aws.s3", "detail": {"object": {"key": KEY}}},
         "the S3 event has no detail.bucket.name or detail.object.key"),
        ({"source": "aws.s3", "detail": {"bucket": {"name": BUCKET}, "object": {"key": 7}}},
         "the S3 event has no detail.bucket.name or detail.object.key"),
    ],
)
def test_bad_events_say_what_to_change(env: dict, event: Any, message: str) -> None:
    assert invalid(event) == message


def test_the_artifact_uri_may_be_1024_characters_and_no_more(env: dict) -> None:
    fits = "neo/input/" + "a" * (1024 - len(f"s3://{BUCKET}/neo/input/.tar.gz")) + ".tar.gz"
    assert len(neo_compile.parse({"key": fits}, settings()).uri) == 1024
    assert invalid({"key": "neo/input/a" + fits[len("neo/input/"):]}) == (
        "the artifact URI is 1025 characters; SageMaker accepts 1024"
    )


# -- the client, the logs --------------------------------------------------------------------------------------------


def test_the_client_retries_in_standard_mode_with_short_timeouts(env: dict) -> None:
    client = neo_compile.make_client(region_name="eu-west-1")
    config = client.meta.config
    assert client.meta.service_model.service_name == "sagemaker"
    assert client.meta.region_name == "eu-west-1"
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert (config.connect_timeout, config.read_timeout, config.tcp_keepalive) == (3, 20, True)


def test_log_lines_are_one_json_object_with_the_request_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(neo_compile._STATE, "request_id", "req-9")
    record = logging.LogRecord("neo_compile", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.created = 1700000000.123456
    when = datetime.date(2024, 6, 1)
    record.fields = {"job_name": "j", "when": when}
    assert json.loads(neo_compile._JsonFormatter().format(record)) == {
        "level": "WARNING", "timestamp": 1700000000.123, "message": "hello world", "logger": "neo_compile",
        "request_id": "req-9", "job_name": "j", "when": "2024-06-01",
    }
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("neo_compile", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(neo_compile._JsonFormatter().format(failed))
    assert line["exception"].startswith("Traceback") and line["exception"].endswith("ValueError: boom")


def test_the_handler_logs_under_the_lambda_request_id_or_a_random_one(env: dict) -> None:
    with pytest.raises(neo_compile.InvalidInput):
        neo_compile.handler({}, Context())
    assert neo_compile._STATE["request_id"] == "req-1"
    with pytest.raises(neo_compile.InvalidInput):
        neo_compile.handler({}, None)
    first = neo_compile._STATE["request_id"]
    with pytest.raises(neo_compile.InvalidInput):
        neo_compile.handler({}, None)
    assert len(first) == 16 and int(first, 16) >= 0 and neo_compile._STATE["request_id"] != first


@pytest.mark.parametrize(
    "level, expected",
    [(None, "INFO"), ("debug", "DEBUG"), ("INFO", "INFO"), ("Warning", "WARNING"), ("ERROR", "ERROR"),
     ("critical", "CRITICAL"), ("verbose", "INFO")],
)
def test_log_level_comes_from_log_level(monkeypatch: pytest.MonkeyPatch, level: str | None, expected: str) -> None:
    logger = neo_compile.LOGGER
    previous, handlers = logger.level, list(logger.handlers)
    if level is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", level)
    try:
        built = neo_compile._build_logger()
        assert built is logging.getLogger("neo_compile")
        assert logging.getLevelName(built.level) == expected
        assert built.propagate is False
        assert built.handlers == handlers  # one JSON handler, however often the module is set up
    finally:
        logger.setLevel(previous)


def test_the_logger_writes_json_to_stdout() -> None:
    logger = neo_compile.LOGGER
    handlers = list(logger.handlers)
    logger.handlers.clear()
    try:
        built = neo_compile._build_logger()
        [stream] = built.handlers
        assert isinstance(stream, logging.StreamHandler) and stream.stream is sys.stdout
        assert isinstance(stream.formatter, neo_compile._JsonFormatter)
    finally:
        logger.handlers[:] = handlers


def test_the_result_is_logged_as_one_json_line(stub: Stubber) -> None:
    buffer = io.StringIO()
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(neo_compile._JsonFormatter())
    neo_compile.LOGGER.addHandler(capture)
    neo_compile.LOGGER.setLevel("INFO")
    try:
        expect_create(stub, base_request(NAME_VERSIONED))
        neo_compile.handler(s3_event(), Context())
    finally:
        neo_compile.LOGGER.removeHandler(capture)
    line = json.loads(buffer.getvalue())
    assert (line["message"], line["job_name"], line["request_id"]) == ("compilation job created", NAME_VERSIONED, "req-1")
    assert isinstance(line["latency_ms"], float)
