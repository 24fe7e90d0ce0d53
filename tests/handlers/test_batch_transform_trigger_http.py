"""batch_transform_trigger over real HTTP against a moto server: the job SageMaker records, the DLQ message, retries.

Each test reads back what moto stored (describe_transform_job, receive_message) and compares it with exactly what
the configuration asks for.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from conftest_batch import (  # noqa: F401  (fixtures)
    BUCKET,
    JOB_PREFIX,
    LambdaContext,
    bt,
    bt_env,
    bt_moto,
    eventbridge_event,
    expected_job_name,
    expected_request,
    s3_event,
    s3_record,
)

pytestmark = pytest.mark.integration


REQUEST_FIELDS = set(expected_request("x")) | {"MaxPayloadInMB", "MaxConcurrentTransforms", "DataProcessing",
                                               "Environment", "ModelClientConfig", "DataCaptureConfig"}


def described(moto: dict[str, Any], name: str) -> dict[str, Any]:
    """The request fields of the job as moto stored it (status and timestamps left out)."""
    job = moto["sagemaker"].describe_transform_job(TransformJobName=name)
    return {k: v for k, v in job.items() if k in REQUEST_FIELDS}


def test_eventbridge_upload_creates_exactly_the_configured_job(bt: Any, bt_moto: dict[str, Any]) -> None:
    key = "batch/input/2026/churn scores.csv"

    summary = bt.handler(eventbridge_event(key), LambdaContext())

    name = expected_job_name(key)
    assert summary == {"submitted": 1, "duplicate": 0, "skipped": 0, "rejected": 0, "failed": 0, "jobs": [name]}
    assert name.startswith(f"{JOB_PREFIX}-churn-scores-")
    assert described(bt_moto, name) == expected_request(key)
    assert bt_moto["sagemaker"].list_transform_jobs()["TransformJobSummaries"][0]["TransformJobName"] == name
    submitted = [f for f in bt.test_logs.fields("INFO") if f["message"] == "transform job submitted"]
    assert submitted and submitted[0]["key"] == key and submitted[0]["job_arn"].endswith(name)


def test_every_option_reaches_the_job(bt: Any, bt_moto: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    options = {
        "INSTANCE_TYPE": "ml.c5.xlarge",
        "INSTANCE_COUNT": "3",
        "SPLIT_TYPE": "RecordIO",
        "BATCH_STRATEGY": "SingleRecord",
        "CONTENT_TYPE": "application/x-recordio-protobuf",
        "ACCEPT": "application/jsonlines",
        "MAX_PAYLOAD_MB": "20",
        "MAX_CONCURRENT_TRANSFORMS": "4",
        "JOIN_SOURCE": "Input",
        "INPUT_FILTER": "$[1:]",
        "OUTPUT_FILTER": "$['id','SageMakerOutput']",
    }
    for k, v in options.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("OUTPUT_S3_URI")
    monkeypatch.setenv("BUCKET", BUCKET)
    monkeypatch.setenv("OUTPUT_PREFIX", "results/")
    key = "batch/input/records.rec"

    bt.handler(eventbridge_event(key), LambdaContext())

    name = expected_job_name(key)
    assert described(bt_moto, name) == {
        "TransformJobName": name,
        "ModelName": "churn-model",
        "BatchStrategy": "SingleRecord",
        "MaxPayloadInMB": 20,
        "MaxConcurrentTransforms": 4,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{key}"}},
            "ContentType": "application/x-recordio-protobuf",
            "SplitType": "RecordIO",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{BUCKET}/results/{name}/",
            "Accept": "application/jsonlines",
            "KmsKeyId": expected_request(key)["TransformOutput"]["KmsKeyId"],
        },
        "TransformResources": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 3},
        "DataProcessing": {"JoinSource": "Input", "InputFilter": "$[1:]", "OutputFilter": "$['id','SageMakerOutput']"},
    }


def test_classic_notification_key_is_url_decoded(bt: Any, bt_moto: dict[str, Any]) -> None:
    key = "batch/input/Q1 report+final (ü).csv"

    summary = bt.handler(s3_event(s3_record(key)), LambdaContext())

    assert summary["submitted"] == 1
    job = bt_moto["sagemaker"].describe_transform_job(TransformJobName=expected_job_name(key))
    assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/{key}"


def test_unencoded_eventbridge_keys_when_configured(
    bt: Any, bt_moto: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTBRIDGE_KEYS_URL_ENCODED", "false")
    key = "batch/input/a+b%20c.csv"  # literal '+' and '%20' in the key

    bt.handler(eventbridge_event(key, encode=False), LambdaContext())

    job = bt_moto["sagemaker"].describe_transform_job(TransformJobName=expected_job_name(key))
    assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/{key}"


def test_unsubmittable_record_lands_in_the_dlq_with_a_replayable_event(bt: Any, bt_moto: dict[str, Any]) -> None:
    long_key = "batch/input/" + "k" * 1010 + ".csv"  # S3Uri over SageMaker's 1024 characters
    event = s3_event(s3_record(long_key), s3_record("batch/input/fine.csv"))

    summary = bt.handler(event, LambdaContext("req-dlq"))

    assert summary["submitted"] == 1 and summary["failed"] == 1
    messages = bt_moto["sqs"].receive_message(QueueUrl=bt_moto["queue_url"], MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["reason"] == "CreateTransformJobFailed"
    assert body["error"]["code"] == "S3UriTooLong" and "at most 1024" in body["error"]["message"]
    assert body["object"] == {
        "bucket": BUCKET,
        "key": long_key,
        "version": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        "event": "ObjectCreated:Put",
    }
    assert body["job_name"] == expected_job_name(long_key) and len(body["job_name"]) <= 63
    assert body["request"]["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"].endswith(long_key)
    assert body["request_id"] == "req-dlq"
    # The replay event is one the handler accepts, holding only the failed record.
    assert bt.parse(body["replay_event"])[0].key == long_key
    assert len(body["replay_event"]["Records"]) == 1


class _Throttled:
    """A raw HTTP body for botocore's AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any):
        yield self.body


def test_throttling_is_retried_by_botocore_standard_mode(bt: Any, bt_moto: dict[str, Any]) -> None:
    """The first two CreateTransformJob attempts answer ThrottlingException on the wire; the third reaches moto."""
    attempts: list[str] = []

    def throttle_twice(request: Any, **_: Any) -> AWSResponse | None:
        if request.headers.get("X-Amz-Target", b"").endswith(b"CreateTransformJob"):
            attempts.append(request.url)
            if len(attempts) <= 2:
                body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
                return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Throttled(body))
        return None

    client = bt_moto["client"]
    client.meta.events.register_first("before-send.sagemaker.CreateTransformJob", throttle_twice)
    key = "batch/input/throttled.csv"

    summary = bt.handler(eventbridge_event(key), LambdaContext())

    assert len(attempts) == 3
    assert summary["submitted"] == 1 and summary["failed"] == 0
    assert bt_moto["sagemaker"].describe_transform_job(TransformJobName=expected_job_name(key))


def test_clients_use_standard_retries() -> None:
    import batch_transform_trigger

    for client in (batch_transform_trigger.SAGEMAKER, batch_transform_trigger.SQS):
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
