"""Fixtures and event builders for the batch_transform_trigger handler tests (imported by the test modules).

The handler builds its SageMaker and SQS clients at import, as in Lambda; it is imported here with fake credentials
patched into the environment only for the import. Tests then swap the module's clients for ones built by its own
`make_client` (same retry config) aimed at the moto server of tests/handlers/conftest.py, or behind a Stubber.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Iterator
from unittest import mock
from urllib.parse import quote_plus

import pytest
from botocore.stub import Stubber

from moto_server import ACCOUNT_ID, FAKE_ENV, REGION

with mock.patch.dict(os.environ, FAKE_ENV):
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import batch_transform_trigger  # noqa: E402

BUCKET = "artifacts-bucket"
MODEL_NAME = "churn-model"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
INPUT_PREFIX = "batch/input/"
OUTPUT_URI = f"s3://{BUCKET}/batch/output/"
JOB_PREFIX = "churn-batch"
DLQ_NAME = "batch-dlq"
DLQ_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{DLQ_NAME}"

BASE_ENV = {
    "MODEL_NAME": MODEL_NAME,
    "OUTPUT_S3_URI": OUTPUT_URI,
    "KMS_KEY_ID": KMS_KEY_ARN,
    "INSTANCE_TYPE": "ml.m5.large",
    "INSTANCE_COUNT": "1",
    "SPLIT_TYPE": "Line",
    "BATCH_STRATEGY": "MultiRecord",
    "CONTENT_TYPE": "text/csv",
    "ACCEPT": "text/csv",
    "INPUT_PREFIX": INPUT_PREFIX,
    "IGNORE_SUFFIXES": ".tmp,.manifest",
    "JOB_NAME_PREFIX": JOB_PREFIX,
    "DLQ_URL": DLQ_URL,
}
OPTIONAL_ENV = (
    "MAX_PAYLOAD_MB",
    "MAX_CONCURRENT_TRANSFORMS",
    "JOIN_SOURCE",
    "INPUT_FILTER",
    "OUTPUT_FILTER",
    "BUCKET",
    "OUTPUT_PREFIX",
    "EVENTBRIDGE_KEYS_URL_ENCODED",
)


class LambdaContext:
    def __init__(self, request_id: str = "req-batch-1") -> None:
        self.aws_request_id = request_id
        self.function_name = "batch-transform-trigger"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def eventbridge_event(
    key: str,
    *,
    bucket: str = BUCKET,
    version_id: str | None = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    encode: bool = True,
) -> dict[str, Any]:
    """An S3 "Object Created" event as EventBridge delivers it (key URL-encoded unless encode=False)."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/") if encode else key, "size": 42, "etag": etag,
                           "sequencer": "00617F08299329D189"}
    if version_id is not None:
        obj["version-id"] = version_id
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT_ID,
        "time": "2026-01-12T00:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT_ID,
            "source-ip-address": "192.0.2.10",
            "reason": "PutObject",
        },
    }


def s3_record(
    key: str,
    *,
    bucket: str = BUCKET,
    version_id: str | None = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """One record of a classic S3 event notification (the key URL-encoded, as S3 sends it)."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": 42, "eTag": etag, "sequencer": "0A1B2C3D4E5F678901"}
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "2026-01-12T00:00:00.000Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:EXAMPLE"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "batch-input",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }


def s3_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def sqs_event(*bodies: Any) -> dict[str, Any]:
    """SQS -> Lambda event whose message bodies are the given events (JSON-encoded)."""
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:uploads",
                "body": body if isinstance(body, str) else json.dumps(body),
            }
            for i, body in enumerate(bodies)
        ]
    }


def expected_job_name(key: str, version: str | None = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY") -> str:
    return batch_transform_trigger.job_name(JOB_PREFIX, BUCKET, key, version)


def expected_request(key: str, **overrides: Any) -> dict[str, Any]:
    """The CreateTransformJob parameters BASE_ENV should produce for `key`."""
    name = overrides.pop("name", None) or expected_job_name(key)
    request = {
        "TransformJobName": name,
        "ModelName": MODEL_NAME,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{key}"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": f"{OUTPUT_URI}{name}/",
            "Accept": "text/csv",
            "AssembleWith": "Line",
            "KmsKeyId": KMS_KEY_ARN,
        },
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    request.update(overrides)
    return request


class LogRecords(logging.Handler):
    """Keeps the handler's log records (its logger does not propagate, so caplog cannot see them)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def fields(self, level: str | None = None) -> list[dict[str, Any]]:
        return [
            {"message": r.getMessage(), "level": r.levelname, **(getattr(r, "fields", None) or {})}
            for r in self.records
            if level is None or r.levelname == level
        ]


@pytest.fixture
def bt_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", *OPTIONAL_ENV):
        monkeypatch.delenv(key, raising=False)
    for key, value in BASE_ENV.items():
        monkeypatch.setenv(key, value)
    return dict(BASE_ENV)


@pytest.fixture
def bt(bt_env: dict[str, str]) -> Iterator[Any]:
    """The handler module; its log records collected in `bt.test_logs`, its own output silenced."""
    logger = batch_transform_trigger.LOGGER
    previous = logger.level
    records = LogRecords()
    stream_handlers = list(logger.handlers)
    for h in stream_handlers:
        logger.removeHandler(h)
    logger.addHandler(records)
    logger.setLevel("DEBUG")
    batch_transform_trigger.test_logs = records  # type: ignore[attr-defined]
    yield batch_transform_trigger
    logger.removeHandler(records)
    for h in stream_handlers:
        logger.addHandler(h)
    logger.setLevel(previous)


@pytest.fixture
def bt_moto(bt: Any, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Point the handler's clients at the moto server (reset), with the model and the DLQ created there."""
    import boto3

    from moto_server import FAKE_CREDENTIALS, reset

    reset(moto_url)
    sagemaker = bt.make_client("sagemaker", endpoint_url=moto_url)
    sqs = bt.make_client("sqs", endpoint_url=moto_url)
    monkeypatch.setattr(bt, "SAGEMAKER", sagemaker)
    monkeypatch.setattr(bt, "SQS", sqs)
    sm = boto3.client("sagemaker", endpoint_url=moto_url, **FAKE_CREDENTIALS)
    sm.create_model(
        ModelName=MODEL_NAME,
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/sagemaker-execution",
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "ModelDataUrl": f"s3://{BUCKET}/models/model.tar.gz",
        },
    )
    sqs_admin = boto3.client("sqs", endpoint_url=moto_url, **FAKE_CREDENTIALS)
    queue_url = sqs_admin.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
    monkeypatch.setenv("DLQ_URL", queue_url)
    yield {"sagemaker": sm, "sqs": sqs_admin, "queue_url": queue_url, "client": sagemaker}


@pytest.fixture
def bt_stubbed(bt: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber]]:
    """The handler's SageMaker and SQS clients behind botocore Stubbers (no network)."""
    sagemaker = bt.make_client("sagemaker")
    sqs = bt.make_client("sqs")
    monkeypatch.setattr(bt, "SAGEMAKER", sagemaker)
    monkeypatch.setattr(bt, "SQS", sqs)
    with Stubber(sagemaker) as sm_stub, Stubber(sqs) as sqs_stub:
        yield sm_stub, sqs_stub
        sm_stub.assert_no_pending_responses()
        sqs_stub.assert_no_pending_responses()
