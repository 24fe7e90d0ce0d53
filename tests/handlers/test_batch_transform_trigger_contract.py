"""batch_transform_trigger's contract, pinned with literals: golden job names, every setting and its error message,
the exact CreateTransformJob request (botocore Stubber `expected_params`), the DLQ record, the summary and the log
fields operators alert on.

Golden job names are the idempotency key across releases: a redelivered event, or the same object after an
upgrade, must ask SageMaker for the same name. A change to one of them is a deliberate break for the CHANGELOG.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import types
from typing import Any, Iterator
from unittest import mock

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError, UnknownServiceError
from botocore.stub import ANY, Stubber

from conftest_batch import (  # noqa: F401  (fixtures)
    BUCKET,
    DLQ_URL,
    KMS_KEY_ARN,
    MODEL_NAME,
    OUTPUT_URI,
    LambdaContext,
    bt,
    bt_env,
    eventbridge_event,
    expected_request,
    s3_event,
    s3_record,
    sqs_event,
)
from moto_server import FAKE_ENV

VERSION = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
ETAG = "d41d8cd98f00b204e9800998ecf8427e"
KEY = "batch/input/scores.csv"
NAME = "churn-batch-scores-8c0e7ebfe3da8a02f879"  # golden: JOB_PREFIX, BUCKET, KEY, VERSION
EMPTY = {"submitted": 0, "duplicate": 0, "skipped": 0, "rejected": 0, "failed": 0, "jobs": []}
MINIMAL_ENV = {"MODEL_NAME": "m", "OUTPUT_S3_URI": "s3://out/p/"}


def request(key: str, name: str, **overrides: Any) -> dict[str, Any]:
    """The CreateTransformJob request BASE_ENV gives for `key`, under the golden `name` written in the test."""
    return expected_request(key, name=name, **overrides)


@pytest.fixture(scope="module")
def clients() -> tuple[Any, Any]:
    """One SageMaker and one SQS client for the module (building a client costs about a second on 2 busy cores)."""
    from conftest_batch import batch_transform_trigger as module

    with mock.patch.dict(os.environ, FAKE_ENV):
        return module.make_client("sagemaker"), module.make_client("sqs")


@pytest.fixture
def stubbed(bt: Any, clients: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber]]:
    """bt_stubbed over the module's clients: fresh Stubbers each test, no network."""
    sagemaker, sqs = clients
    monkeypatch.setattr(bt, "SAGEMAKER", sagemaker)
    monkeypatch.setattr(bt, "SQS", sqs)
    try:
        with Stubber(sagemaker) as sm_stub, Stubber(sqs) as sqs_stub:
            yield sm_stub, sqs_stub
            sm_stub.assert_no_pending_responses()
            sqs_stub.assert_no_pending_responses()
    finally:
        sqs.meta.events.unregister("before-parameter-build.sqs.SendMessage", unique_id="capture-dlq")


def capture_dlq(bt: Any, sqs: Stubber, count: int = 1) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    bt.SQS.meta.events.register("before-parameter-build.sqs.SendMessage", lambda params, **_: sent.append(params),
                                unique_id="capture-dlq")
    for _ in range(count):
        sqs.add_response("send_message", {"MessageId": "m-1", "MD5OfMessageBody": "x"},
                         {"QueueUrl": DLQ_URL, "MessageBody": ANY})
    return sent


def client_error(code: str | None, message: str | None) -> ClientError:
    error = {k: v for k, v in (("Code", code), ("Message", message)) if v is not None}
    return ClientError({"Error": error}, "CreateTransformJob")


# ----------------------------------------------------------------------------------------------- golden job names


@pytest.mark.parametrize(
    ("prefix", "key", "version", "name"),
    [
        ("churn-batch", KEY, VERSION, NAME),
        ("churn-batch", KEY, None, "churn-batch-scores-307da53d38c003b7c9e7"),
        ("batch", "batch/input/2026/Q1 Report.final.CSV", ETAG, "batch-q1-report-final-4aa038f68d4e8108a48c"),
        ("batch", "batch/input/.csv", None, "batch-0ab065af2303b3ee11ca"),
        ("batch", "batch/input/folder/", None, "batch-folder-a8f56c0252a10ddf540c"),
        ("batch", "README", None, "batch-readme-106d6f42c3a93b6bd367"),
        ("batch", "batch/input/TAX", None, "batch-tax-c79714f221839b214287"),
        ("a" * 24, "batch/input/" + "x" * 40 + ".csv", None,
         "aaaaaaaaaaaaaaaaaaaaaaaa-xxxxxxxxxxxxxxxxx-e7e9b0792445f771754d"),  # exactly 63 characters
        ("My_Prefix!!", KEY, VERSION, "my-prefix-scores-8c0e7ebfe3da8a02f879"),
        ("batch", "batch/input/ünï cødé.csv", None, "batch-n-c-d-908441439b4c4e2ee5b3"),
        ("batch", "batch/input/\ud800.csv", None, "batch-d2d207c0a205cb27e6ac"),  # lone surrogate from JSON
    ],
)
def test_golden_job_names(bt: Any, prefix: str, key: str, version: str | None, name: str) -> None:
    assert bt.job_name(prefix, BUCKET, key, version) == name


@pytest.mark.parametrize(
    ("prefix", "sanitized"),
    [
        ("My_Prefix!!", "my-prefix"),
        ("Churn Model v2", "churn-model-v2"),
        ("", "batch"),
        ("---", "batch"),
        ("a" * 30, "a" * 24),
        ("-" + "a" * 30, "a" * 23),
        ("a" * 23 + "-b", "a" * 23),  # cut to 24 first, then the trailing hyphen goes
        (42, "42"),
    ],
)
def test_sanitize_prefix(bt: Any, prefix: Any, sanitized: str) -> None:
    assert bt.sanitize_prefix(prefix) == sanitized


def test_golden_name_end_to_end(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    """The EventBridge event of KEY (URL-encoded) asks SageMaker for exactly NAME and this request."""
    sm, _ = stubbed
    sm.add_response("create_transform_job", {"TransformJobArn": f"arn:aws:sagemaker:us-east-1:1:transform-job/{NAME}"},
                    request(KEY, NAME))

    assert bt.handler(eventbridge_event(KEY), LambdaContext()) == {**EMPTY, "submitted": 1, "jobs": [NAME]}
    submitted = [f for f in bt.test_logs.fields("INFO") if f["message"] == "transform job submitted"]
    assert submitted == [{
        "message": "transform job submitted", "level": "INFO", "bucket": BUCKET, "key": KEY, "version": VERSION,
        "job_name": NAME, "job_arn": f"arn:aws:sagemaker:us-east-1:1:transform-job/{NAME}",
    }]


@pytest.mark.parametrize(
    ("raw", "key", "name"),
    [
        ("batch/input/Q1+report+%28final%29.csv", "batch/input/Q1 report (final).csv",
         "churn-batch-q1-report-final-6d148e172a2c5360e3cd"),
        ("batch/input/a%2Bb.csv", "batch/input/a+b.csv", "churn-batch-a-b-9f0dfbba77b58a0ffb7e"),
    ],
)
def test_eventbridge_key_is_url_decoded_in_the_request(
    bt: Any, stubbed: tuple[Stubber, Stubber], raw: str, key: str, name: str
) -> None:
    sm, _ = stubbed
    sm.add_response("create_transform_job", {"TransformJobArn": "arn"}, request(key, name))
    event = eventbridge_event("unused")
    event["detail"]["object"]["key"] = raw

    assert bt.handler(event, LambdaContext())["jobs"] == [name]


def test_eventbridge_key_kept_raw_when_configured(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTBRIDGE_KEYS_URL_ENCODED", "FALSE")
    sm, _ = stubbed
    key = "batch/input/a+b%20c.csv"
    name = "churn-batch-a-b-20c-740e4bab544a0862ea72"
    sm.add_response("create_transform_job", {"TransformJobArn": "arn"}, request(key, name))

    assert bt.handler(eventbridge_event(key, encode=False), LambdaContext())["jobs"] == [name]


def test_classic_notification_key_is_url_decoded_in_the_request(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTBRIDGE_KEYS_URL_ENCODED", "false")  # classic notifications are decoded regardless
    sm, _ = stubbed
    record = s3_record("unused")
    record["s3"]["object"]["key"] = "batch/input/Q1+report+%28final%29.csv"
    sm.add_response("create_transform_job", {"TransformJobArn": "arn"},
                    request("batch/input/Q1 report (final).csv", "churn-batch-q1-report-final-6d148e172a2c5360e3cd"))

    assert bt.handler(s3_event(record), LambdaContext())["submitted"] == 1


# ------------------------------------------------------------------------------------------------------ settings


def test_defaults(bt: Any) -> None:
    assert bt.load_settings(dict(MINIMAL_ENV)) == bt.Settings(
        model_name="m",
        output_uri="s3://out/p/",
        kms_key_id=None,
        instance_type="ml.m5.large",
        instance_count=1,
        split_type="Line",
        batch_strategy="MultiRecord",
        content_type="text/csv",
        accept="text/csv",
        max_payload_mb=None,
        max_concurrent_transforms=None,
        join_source=None,
        input_filter=None,
        output_filter=None,
        input_prefix="",
        ignore_suffixes=(),
        job_name_prefix="batch",
        dlq_url=None,
        eventbridge_keys_encoded=True,
    )


def test_blank_values_mean_the_default(bt: Any) -> None:
    env = {**MINIMAL_ENV, **{k: "  " for k in ("KMS_KEY_ID", "INSTANCE_TYPE", "INSTANCE_COUNT", "SPLIT_TYPE",
                                                 "BATCH_STRATEGY", "CONTENT_TYPE", "ACCEPT", "MAX_PAYLOAD_MB",
                                                 "MAX_CONCURRENT_TRANSFORMS", "JOIN_SOURCE", "INPUT_FILTER",
                                                 "OUTPUT_FILTER", "JOB_NAME_PREFIX", "DLQ_URL",
                                                 "EVENTBRIDGE_KEYS_URL_ENCODED")}}
    assert bt.load_settings(env) == bt.load_settings(dict(MINIMAL_ENV))


def test_every_setting_is_read_and_stripped(bt: Any) -> None:
    env = {
        "MODEL_NAME": " churn-model ",
        "OUTPUT_S3_URI": " s3://out/results ",
        "KMS_KEY_ID": f" {KMS_KEY_ARN} ",
        "INSTANCE_TYPE": " ml.c5.xlarge ",
        "INSTANCE_COUNT": " 100 ",
        "SPLIT_TYPE": " TFRecord ",
        "BATCH_STRATEGY": " SingleRecord ",
        "CONTENT_TYPE": " application/jsonlines ",
        "ACCEPT": " application/json ",
        "MAX_PAYLOAD_MB": " 100 ",
        "MAX_CONCURRENT_TRANSFORMS": " 1 ",
        "JOIN_SOURCE": " Input ",
        "INPUT_FILTER": " $[1:] ",
        "OUTPUT_FILTER": " $['id','SageMakerOutput'] ",
        "INPUT_PREFIX": "in/ ",  # a prefix is matched as given, spaces included
        "IGNORE_SUFFIXES": " .tmp , ,.manifest,",
        "JOB_NAME_PREFIX": " Churn Model ",
        "DLQ_URL": f" {DLQ_URL} ",
        "EVENTBRIDGE_KEYS_URL_ENCODED": " False ",
    }
    assert bt.load_settings(env) == bt.Settings(
        model_name="churn-model",
        output_uri="s3://out/results/",
        kms_key_id=KMS_KEY_ARN,
        instance_type="ml.c5.xlarge",
        instance_count=100,
        split_type="TFRecord",
        batch_strategy="SingleRecord",
        content_type="application/jsonlines",
        accept="application/json",
        max_payload_mb=100,
        max_concurrent_transforms=1,
        join_source="Input",
        input_filter="$[1:]",
        output_filter="$['id','SageMakerOutput']",
        input_prefix="in/ ",
        ignore_suffixes=(".tmp", ".manifest"),
        job_name_prefix="churn-model",
        dlq_url=DLQ_URL,
        eventbridge_keys_encoded=False,
    )


@pytest.mark.parametrize(
    ("env", "output_uri"),
    [
        ({"BUCKET": " results-bucket ", "OUTPUT_PREFIX": " batch/out "}, "s3://results-bucket/batch/out/"),
        ({"BUCKET": "results-bucket"}, "s3://results-bucket/"),
        ({"BUCKET": "results-bucket", "OUTPUT_PREFIX": " "}, "s3://results-bucket/"),
        ({"OUTPUT_S3_URI": "s3://a/b/", "BUCKET": "ignored", "OUTPUT_PREFIX": "x/"}, "s3://a/b/"),
        ({"OUTPUT_S3_URI": "s3://a"}, "s3://a/"),
    ],
)
def test_output_location(bt: Any, env: dict[str, str], output_uri: str) -> None:
    assert bt.load_settings({"MODEL_NAME": "m", **env}).output_uri == output_uri


@pytest.mark.parametrize(("value", "encoded"), [("true", True), ("TRUE", True), ("false", False), ("False", False)])
def test_eventbridge_encoding_switch(bt: Any, value: str, encoded: bool) -> None:
    assert bt.load_settings({**MINIMAL_ENV, "EVENTBRIDGE_KEYS_URL_ENCODED": value}).eventbridge_keys_encoded is encoded


@pytest.mark.parametrize(
    ("name", "value", "field", "parsed"),
    [
        ("INSTANCE_COUNT", "1", "instance_count", 1),
        ("INSTANCE_COUNT", "100", "instance_count", 100),
        ("MAX_PAYLOAD_MB", "0", "max_payload_mb", 0),
        ("MAX_PAYLOAD_MB", "100", "max_payload_mb", 100),
        ("MAX_CONCURRENT_TRANSFORMS", "1", "max_concurrent_transforms", 1),
        ("MAX_CONCURRENT_TRANSFORMS", "100000", "max_concurrent_transforms", 100000),
        ("INPUT_FILTER", "$" + "x" * 62, "input_filter", "$" + "x" * 62),
        ("OUTPUT_FILTER", "$" + "x" * 62, "output_filter", "$" + "x" * 62),
        ("JOIN_SOURCE", "None", "join_source", "None"),
        ("SPLIT_TYPE", "None", "split_type", "None"),
        ("SPLIT_TYPE", "RecordIO", "split_type", "RecordIO"),
        ("BATCH_STRATEGY", "MultiRecord", "batch_strategy", "MultiRecord"),
    ],
)
def test_limits_accepted(bt: Any, name: str, value: str, field: str, parsed: Any) -> None:
    assert getattr(bt.load_settings({**MINIMAL_ENV, name: value}), field) == parsed


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MODEL_NAME": None}, "MODEL_NAME is not set"),
        ({"MODEL_NAME": " "}, "MODEL_NAME is not set"),
        ({"OUTPUT_S3_URI": None},
         "OUTPUT_S3_URI (or BUCKET and OUTPUT_PREFIX) must give an s3:// location for results"),
        ({"OUTPUT_S3_URI": "https://out/p/"},
         "OUTPUT_S3_URI (or BUCKET and OUTPUT_PREFIX) must give an s3:// location for results"),
        ({"OUTPUT_S3_URI": "s3://"},
         "OUTPUT_S3_URI (or BUCKET and OUTPUT_PREFIX) must give an s3:// location for results"),
        ({"OUTPUT_S3_URI": None, "OUTPUT_PREFIX": "p/"},
         "OUTPUT_S3_URI (or BUCKET and OUTPUT_PREFIX) must give an s3:// location for results"),
        ({"INSTANCE_COUNT": "two"}, "INSTANCE_COUNT ('two') is not an integer"),
        ({"INSTANCE_COUNT": "0"}, "INSTANCE_COUNT (0) must be between 1 and 100"),
        ({"INSTANCE_COUNT": "101"}, "INSTANCE_COUNT (101) must be between 1 and 100"),
        ({"MAX_PAYLOAD_MB": "-1"}, "MAX_PAYLOAD_MB (-1) must be between 0 and 100"),
        ({"MAX_PAYLOAD_MB": "101"}, "MAX_PAYLOAD_MB (101) must be between 0 and 100"),
        ({"MAX_PAYLOAD_MB": "6.5"}, "MAX_PAYLOAD_MB ('6.5') is not an integer"),
        ({"MAX_CONCURRENT_TRANSFORMS": "0"}, "MAX_CONCURRENT_TRANSFORMS (0) must be between 1 and any"),
        ({"SPLIT_TYPE": "Lines"}, "SPLIT_TYPE ('Lines') must be one of None, Line, RecordIO, TFRecord"),
        ({"BATCH_STRATEGY": "multirecord"}, "BATCH_STRATEGY ('multirecord') must be one of MultiRecord, SingleRecord"),
        ({"JOIN_SOURCE": "Output"}, "JOIN_SOURCE ('Output') must be one of Input, None"),
        ({"INPUT_FILTER": "$" + "x" * 63},
         f"INPUT_FILTER ('${'x' * 63}') must be a JSONPath of at most 63 characters, e.g. '$[1:]'"),
        ({"OUTPUT_FILTER": "[1:]"}, "OUTPUT_FILTER ('[1:]') must be a JSONPath of at most 63 characters, e.g. '$[1:]'"),
        ({"EVENTBRIDGE_KEYS_URL_ENCODED": "yes"}, "EVENTBRIDGE_KEYS_URL_ENCODED ('yes') must be 'true' or 'false'"),
        ({"EVENTBRIDGE_KEYS_URL_ENCODED": "No"}, "EVENTBRIDGE_KEYS_URL_ENCODED ('no') must be 'true' or 'false'"),
    ],
)
def test_each_bad_setting_is_named(bt: Any, env: dict[str, str | None], message: str) -> None:
    merged = {**MINIMAL_ENV, **env}
    with pytest.raises(bt.Misconfigured) as raised:
        bt.load_settings({k: v for k, v in merged.items() if v is not None})
    assert str(raised.value) == message


def test_every_problem_is_reported_at_once_in_order(bt: Any) -> None:
    env = {"INSTANCE_COUNT": "x", "SPLIT_TYPE": "y", "INPUT_FILTER": "z", "OUTPUT_FILTER": "w",
           "EVENTBRIDGE_KEYS_URL_ENCODED": "v", "MAX_PAYLOAD_MB": "1000"}
    with pytest.raises(bt.Misconfigured) as raised:
        bt.load_settings(env)
    assert str(raised.value) == "; ".join([
        "MODEL_NAME is not set",
        "OUTPUT_S3_URI (or BUCKET and OUTPUT_PREFIX) must give an s3:// location for results",
        "INPUT_FILTER ('z') must be a JSONPath of at most 63 characters, e.g. '$[1:]'",
        "OUTPUT_FILTER ('w') must be a JSONPath of at most 63 characters, e.g. '$[1:]'",
        "EVENTBRIDGE_KEYS_URL_ENCODED ('v') must be 'true' or 'false'",
        "INSTANCE_COUNT ('x') is not an integer",
        "SPLIT_TYPE ('y') must be one of None, Line, RecordIO, TFRecord",
        "MAX_PAYLOAD_MB (1000) must be between 0 and 100",
    ])


def test_settings_come_from_the_process_environment(bt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTANCE_COUNT", "7")
    assert bt.load_settings().instance_count == 7


# ------------------------------------------------------------------------------------------------- event parsing


def test_eventbridge_object_fields(bt: Any) -> None:
    event = eventbridge_event("batch/input/a b.csv")
    (obj,) = bt.parse(event)
    assert obj == bt.S3Object(bucket=BUCKET, key="batch/input/a b.csv", version=VERSION, event_name="Object Created",
                              replay_event=event)
    assert obj.as_dict() == {"bucket": BUCKET, "key": "batch/input/a b.csv", "version": VERSION,
                             "event": "Object Created"}


def test_classic_record_fields(bt: Any) -> None:
    record = s3_record("batch/input/a b.csv", event_name="ObjectCreated:CompleteMultipartUpload")
    (obj,) = bt.parse(s3_event(record))
    assert obj == bt.S3Object(bucket=BUCKET, key="batch/input/a b.csv", version=VERSION,
                              event_name="ObjectCreated:CompleteMultipartUpload", replay_event={"Records": [record]})


@pytest.mark.parametrize(
    ("fields", "version"),
    [
        ({"version-id": "v1", "etag": "e1", "sequencer": "s1"}, "v1"),
        ({"version-id": "null", "etag": '"e1"', "sequencer": "s1"}, "e1"),  # unversioned bucket: "null"
        ({"version-id": "", "etag": "", "sequencer": "s1"}, "s1"),
        ({"etag": 7, "sequencer": "s1"}, "s1"),
        ({"version-id": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHX"}, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHX"),
        ({}, None),
    ],
)
def test_version_precedence_eventbridge(bt: Any, fields: dict[str, Any], version: str | None) -> None:
    event = eventbridge_event(KEY)
    event["detail"]["object"] = {"key": KEY, **fields}
    assert bt.parse(event)[0].version == version


@pytest.mark.parametrize(
    ("fields", "version"),
    [
        ({"versionId": "v1", "eTag": "e1", "sequencer": "s1"}, "v1"),
        ({"versionId": "null", "eTag": "e1", "sequencer": "s1"}, "e1"),
        ({"sequencer": "s1"}, "s1"),
        ({}, None),
    ],
)
def test_version_precedence_classic(bt: Any, fields: dict[str, Any], version: str | None) -> None:
    record = s3_record(KEY)
    record["s3"]["object"] = {"key": KEY, **fields}
    assert bt.parse(s3_event(record))[0].version == version


def test_eventbridge_detail_type_becomes_the_event_name(bt: Any) -> None:
    event = eventbridge_event(KEY)
    del event["detail-type"]
    assert bt.parse(event)[0].event_name == "None"


def test_eventbridge_missing_source_is_rejected_with_a_sample(bt: Any) -> None:
    event = {"detail": {"bucket": {"name": "b"}, "object": {"key": "k"}}}
    assert bt.parse(event) == [bt.Rejected("EventBridge event from 'None', not aws.s3", json.dumps(event))]


def test_long_sources_are_cut_in_the_reason(bt: Any) -> None:
    event = {"source": "s" * 100, "detail-type": "x", "detail": {}}
    assert bt.parse(event)[0].reason == f"EventBridge event from {'s' * 64!r}, not aws.s3"
    record = {"eventSource": "r" * 100}
    assert bt.parse({"Records": [record]}) == [bt.Rejected(f"record from {'r' * 64!r}, not aws:s3", json.dumps(record))]


@pytest.mark.parametrize(
    "detail",
    [
        {"bucket": "b", "object": {"key": "k"}},
        {"bucket": {"name": ""}, "object": {"key": "k"}},
        {"bucket": {"name": 5}, "object": {"key": "k"}},
        {"bucket": None, "object": {"key": "k"}},
        {"bucket": {}, "object": {"key": "k"}},
        {"bucket": {"name": "b"}, "object": "k"},
        {"bucket": {"name": "b"}, "object": {"key": ""}},
        {"bucket": {"name": "b"}, "object": {"key": 5}},
    ],
)
def test_eventbridge_incomplete_detail_is_rejected(bt: Any, detail: dict[str, Any]) -> None:
    event = {"source": "aws.s3", "detail-type": "Object Created", "detail": detail}
    assert bt.parse(event) == [
        bt.Rejected("EventBridge S3 event without detail.bucket.name and detail.object.key", json.dumps(event))
    ]


@pytest.mark.parametrize(
    "s3",
    [
        None,
        {"bucket": "b", "object": {"key": "k"}},
        {"bucket": {"name": ""}, "object": {"key": "k"}},
        {"bucket": {"name": 5}, "object": {"key": "k"}},
        {"bucket": {}, "object": {"key": "k"}},
        {"bucket": {"name": "b"}, "object": "k"},
        {"bucket": {"name": "b"}, "object": {"key": ""}},
        {"bucket": {"name": "b"}, "object": {"key": 5}},
    ],
)
def test_classic_incomplete_record_is_rejected(bt: Any, s3: Any) -> None:
    record = {"eventSource": "aws:s3", "s3": s3}
    assert bt.parse({"Records": [record]}) == [
        bt.Rejected("S3 record without s3.bucket.name and s3.object.key", json.dumps(record))
    ]


def test_rejections_carry_the_exact_sample(bt: Any) -> None:
    assert bt.parse(None) == [bt.Rejected("event is not a JSON object", "null")]
    assert bt.parse([1, 2]) == [bt.Rejected("event is not a JSON object", "[1, 2]")]
    detail_type_only = {"source": "x", "detail-type": "Object Created"}  # still an EventBridge event
    assert bt.parse(detail_type_only)[0].reason == "EventBridge event from 'x', not aws.s3"
    assert bt.parse("{broken") == [bt.Rejected("message body is not JSON", '"{broken"')]
    assert bt.parse({"a": 1}) == [bt.Rejected("neither an EventBridge event nor a Records list", '{"a": 1}')]
    assert bt.parse({"Records": {}}) == [bt.Rejected("Records is empty or not a list", "{}")]
    assert bt.parse({"Event": "s3:TestEvent"}) == [
        bt.Rejected("s3:TestEvent (sent once when a notification is configured)", "")
    ]
    assert bt.parse({"Records": [3]}) == [bt.Rejected("record is not a JSON object", "3")]
    assert bt.parse({"Records": [{"EventSource": "aws:sns", "Sns": "x"}]}) == [
        bt.Rejected("event is not a JSON object", "null")
    ]


def test_eventbridge_event_without_a_detail_object_is_rejected_with_a_sample(bt: Any) -> None:
    no_detail = {"source": "aws.s3", "detail": 1}
    assert bt.parse(no_detail) == [bt.Rejected("EventBridge event without a detail object", json.dumps(no_detail))]


def test_samples_are_cut_to_300_characters(bt: Any) -> None:
    (rejected,) = bt.parse({"x": "y" * 1000})
    assert rejected.sample == json.dumps({"x": "y" * 1000})[:300] and len(rejected.sample) == 300


def test_unserialisable_samples_fall_back_to_repr(bt: Any) -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert bt._sample(loop) == "[[...]]"
    assert bt._sample({1, 2}) == json.dumps("{1, 2}")  # default=str


def test_string_events_are_json(bt: Any) -> None:
    (obj,) = bt.parse(json.dumps(eventbridge_event(KEY)))
    assert obj.key == KEY


def _wrapped(depth: int) -> Any:
    event: Any = s3_event(s3_record(KEY))
    for i in range(depth):
        event = sqs_event(event) if i % 2 == 0 else {"Records": [{"EventSource": "aws:sns",
                                                                  "Sns": {"Message": json.dumps(event)}}]}
    return event


def test_three_wrappings_are_unwrapped_a_fourth_is_rejected(bt: Any) -> None:
    assert bt.parse(_wrapped(3))[0].key == KEY
    (rejected,) = bt.parse(_wrapped(4))
    assert rejected.reason == "event nested too deeply"
    assert rejected.sample == json.dumps(json.dumps(s3_event(s3_record(KEY))))[:300]


def test_wrapped_events_keep_the_decoding_choice(bt: Any) -> None:
    key = "batch/input/a+b.csv"
    event = sqs_event(eventbridge_event(key, encode=False))
    assert bt.parse(event, False)[0].key == key
    assert bt.parse(event, True)[0].key == "batch/input/a b.csv"
    message = json.dumps(eventbridge_event(key, encode=False))
    sns = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": message}}]}
    assert bt.parse(sns, False)[0].key == key
    assert bt.parse(sns, True)[0].key == "batch/input/a b.csv"


def test_sqs_records_are_replayed_as_their_inner_event(bt: Any) -> None:
    inner = s3_record(KEY)
    (obj,) = bt.parse(sqs_event(s3_event(inner)))
    assert obj.replay_event == {"Records": [inner]}


def test_every_record_of_a_batch_is_kept(bt: Any) -> None:
    items = bt.parse(s3_event(s3_record("batch/input/1.csv"), s3_record("batch/input/2.csv")))
    assert [i.key for i in items] == ["batch/input/1.csv", "batch/input/2.csv"]


# ------------------------------------------------------------------------------------------------------- skipping


def _obj(bt: Any, key: str, event_name: str = "ObjectCreated:Put") -> Any:
    return bt.S3Object(BUCKET, key, "v", event_name, {})


@pytest.mark.parametrize(
    ("key", "event_name", "env", "reason"),
    [
        ("in/a.csv", "Object Created", {}, None),
        ("in/a.csv", "ObjectCreated:Copy", {}, None),
        ("in/a.csv", "", {}, None),
        ("in/a.csv", "Object Deleted", {}, "event 'Object Deleted' is not an object creation"),
        ("in/a.csv", "x" * 100, {}, f"event {'x' * 64!r} is not an object creation"),
        ("in/a.csv", "object created", {}, "event 'object created' is not an object creation"),
        ("in/", "Object Created", {}, "folder marker"),
        ("in/a.csv", "Object Created", {"INPUT_PREFIX": "in/"}, None),
        ("out/a.csv", "Object Created", {"INPUT_PREFIX": "in/"}, "outside INPUT_PREFIX"),
        ("in/a.tmp", "Object Created", {"IGNORE_SUFFIXES": ".tmp,.manifest"}, "ignored suffix '.tmp'"),
        ("in/a.manifest", "Object Created", {"IGNORE_SUFFIXES": ".tmp,.manifest"}, "ignored suffix '.manifest'"),
        ("in/a.tmp.csv", "Object Created", {"IGNORE_SUFFIXES": ".tmp,.manifest"}, None),
    ],
)
def test_skip_reason(bt: Any, key: str, event_name: str, env: dict[str, str], reason: str | None) -> None:
    settings = bt.load_settings({**MINIMAL_ENV, **env})
    assert bt.skip_reason(_obj(bt, key, event_name), settings) == reason


# ------------------------------------------------------------------------------------------------------- request


def test_request_without_optional_fields(bt: Any) -> None:
    settings = bt.load_settings({**MINIMAL_ENV, "SPLIT_TYPE": "None"})
    assert bt.transform_request(_obj(bt, "in/a.csv"), "n", settings) == {
        "TransformJobName": "n",
        "ModelName": "m",
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/in/a.csv"}},
            "ContentType": "text/csv",
            "SplitType": "None",
        },
        "TransformOutput": {"S3OutputPath": "s3://out/p/n/", "Accept": "text/csv"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }


def test_request_with_zero_payload_and_one_filter(bt: Any) -> None:
    settings = bt.load_settings({**MINIMAL_ENV, "MAX_PAYLOAD_MB": "0", "OUTPUT_FILTER": "$[0]",
                                 "MAX_CONCURRENT_TRANSFORMS": "2"})
    params = bt.transform_request(_obj(bt, "in/a.csv"), "n", settings)
    assert params["MaxPayloadInMB"] == 0 and params["MaxConcurrentTransforms"] == 2
    assert params["DataProcessing"] == {"OutputFilter": "$[0]"}
    assert params["TransformOutput"] == {"S3OutputPath": "s3://out/p/n/", "Accept": "text/csv", "AssembleWith": "Line"}


def test_request_with_join_and_input_filter_only(bt: Any) -> None:
    settings = bt.load_settings({**MINIMAL_ENV, "JOIN_SOURCE": "Input", "INPUT_FILTER": "$[1:]"})
    assert bt.transform_request(_obj(bt, "in/a.csv"), "n", settings)["DataProcessing"] == {
        "JoinSource": "Input", "InputFilter": "$[1:]"
    }


# ---------------------------------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    ("code", "message", "duplicate"),
    [
        ("ResourceInUse", None, True),
        ("ResourceInUseException", "whatever", True),
        ("ValidationException", "Job name ALREADY EXISTS", True),
        ("ValidationError", "a job with this name already exist", True),
        ("ValidationException", "names Must Be Unique", True),
        ("ValidationException", "Input filter is not a valid JSONPath", False),
        ("ValidationException", None, False),
        ("ResourceLimitExceeded", "already exists", False),
        (None, "already exists", False),
        ("ResourceInUsed", None, False),
    ],
)
def test_is_duplicate(bt: Any, code: str | None, message: str | None, duplicate: bool) -> None:
    assert bt.is_duplicate(client_error(code, message)) is duplicate


def test_is_duplicate_without_an_error_block(bt: Any) -> None:
    assert bt.is_duplicate(ClientError({}, "CreateTransformJob")) is False


# ------------------------------------------------------------------------------------------ handler and failures

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_duplicate_is_counted_with_its_name(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    sm, _ = stubbed
    sm.add_client_error("create_transform_job", "ResourceInUse", "exists", 400, expected_params=request(KEY, NAME))

    assert bt.handler(eventbridge_event(KEY), LambdaContext()) == {**EMPTY, "duplicate": 1, "jobs": [NAME]}
    logged = [f for f in bt.test_logs.fields("INFO") if f["message"] == "job already submitted"]
    assert logged == [{"message": "job already submitted", "level": "INFO", "bucket": BUCKET, "key": KEY,
                       "version": VERSION, "job_name": NAME}]


def test_failed_record_dlq_body(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    sm, sqs = stubbed
    sm.add_client_error("create_transform_job", "ResourceLimitExceeded", "m" * 3000, 400,
                        expected_params=request(KEY, NAME))
    sent = capture_dlq(bt, sqs)
    event = eventbridge_event(KEY)

    assert bt.handler(event, LambdaContext("req-7")) == {**EMPTY, "failed": 1}

    assert sent[0]["QueueUrl"] == DLQ_URL
    body = json.loads(sent[0]["MessageBody"])
    assert TIMESTAMP.match(body.pop("timestamp"))
    assert body == {
        "reason": "CreateTransformJobFailed",
        "error": {"code": "ResourceLimitExceeded", "message": "m" * 2000},
        "object": {"bucket": BUCKET, "key": KEY, "version": VERSION, "event": "Object Created"},
        "job_name": NAME,
        "request": request(KEY, NAME),
        "replay_event": event,
        "request_id": "req-7",
    }


def test_dlq_timestamp_is_utc(bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch) -> None:
    sm, sqs = stubbed
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    sent = capture_dlq(bt, sqs)
    clock = types.SimpleNamespace(perf_counter=time.perf_counter, strftime=time.strftime,
                                  gmtime=lambda: time.gmtime(1767225600), localtime=lambda: time.gmtime(0))
    monkeypatch.setattr(bt, "time", clock)

    bt.handler(eventbridge_event(KEY), LambdaContext())

    assert json.loads(sent[0]["MessageBody"])["timestamp"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (client_error(None, None), "Unknown", ""),
        (client_error("AccessDenied", None), "AccessDenied", ""),
        (ParamValidationError(report="bad MaxPayloadInMB"), "ParamValidationError",
         "Parameter validation failed:\nbad MaxPayloadInMB"),
        (EndpointConnectionError(endpoint_url="https://sagemaker"), "EndpointConnectionError",
         'Could not connect to the endpoint URL: "https://sagemaker"'),
        (KeyError("boom"), "KeyError", "'boom'"),
    ],
)
def test_failure_codes_and_messages(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch,
    error: Exception, code: str, message: str,
) -> None:
    _, sqs = stubbed
    sent = capture_dlq(bt, sqs)

    def fail(**_: Any) -> None:
        raise error

    monkeypatch.setattr(bt, "SAGEMAKER", types.SimpleNamespace(create_transform_job=fail))

    assert bt.handler(eventbridge_event(KEY), LambdaContext()) == {**EMPTY, "failed": 1}
    body = json.loads(sent[0]["MessageBody"])
    assert body["error"] == {"code": code, "message": message} and body["reason"] == "CreateTransformJobFailed"


@pytest.mark.parametrize(("extra", "outcome"), [(0, "submitted"), (1, "failed")])
def test_s3_uri_limit_is_1024_characters(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch, extra: int, outcome: str
) -> None:
    monkeypatch.delenv("INPUT_PREFIX")
    sm, sqs = stubbed
    key = "k" * (1024 - len(f"s3://{BUCKET}/") + extra)
    name = bt.job_name("churn-batch", BUCKET, key, VERSION)
    sent: list[dict[str, Any]] = []
    if outcome == "submitted":
        sm.add_response("create_transform_job", {"TransformJobArn": "arn"}, request(key, name))
    else:
        sent = capture_dlq(bt, sqs)

    assert bt.handler(eventbridge_event(key), LambdaContext())[outcome] == 1
    if sent:
        assert json.loads(sent[0]["MessageBody"])["error"] == {
            "code": "S3UriTooLong",
            "message": "s3://bucket/key is 1025 characters; SageMaker accepts at most 1024: use a shorter key",
        }


def test_misconfigured_record_dlq_body(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sqs = stubbed
    monkeypatch.delenv("MODEL_NAME")
    monkeypatch.setenv("EVENTBRIDGE_KEYS_URL_ENCODED", "false")  # ignored: the settings are not usable
    sent = capture_dlq(bt, sqs)
    event = eventbridge_event("batch/input/a b.csv")

    assert bt.handler(event, LambdaContext("req-m")) == {**EMPTY, "failed": 1}
    body = json.loads(sent[0]["MessageBody"])
    body.pop("timestamp")
    assert body == {
        "reason": "Misconfigured",
        "error": {"code": "Misconfigured", "message": "MODEL_NAME is not set"},
        "object": {"bucket": BUCKET, "key": "batch/input/a b.csv", "version": VERSION, "event": "Object Created"},
        "job_name": None,
        "request": None,
        "replay_event": event,
        "request_id": "req-m",
    }
    assert bt.test_logs.fields("ERROR")[0] == {"message": "function misconfigured", "level": "ERROR",
                                               "error": "MODEL_NAME is not set"}


def test_misconfigured_without_dlq_raises(bt: Any, stubbed: tuple[Stubber, Stubber],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODEL_NAME")
    monkeypatch.delenv("DLQ_URL")
    with pytest.raises(RuntimeError) as raised:
        bt.handler(eventbridge_event(KEY), LambdaContext())
    assert str(raised.value) == f"1 failed record(s) could not be sent to the dead-letter queue: {[KEY]}"


def test_oversized_replay_event_is_replaced_by_a_sample(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    sm, sqs = stubbed
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    sent = capture_dlq(bt, sqs)
    event = eventbridge_event(KEY)
    event["detail"]["padding"] = "p" * 200_000

    bt.handler(event, LambdaContext())

    body = json.loads(sent[0]["MessageBody"])
    assert body["replay_event"] is None
    assert body["replay_event_truncated"] == json.dumps(event)[:300]
    assert len(sent[0]["MessageBody"]) < 10_000


def test_replay_event_at_the_limit_is_kept(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    sm, sqs = stubbed
    event = eventbridge_event(KEY)
    event["detail"]["padding"] = ""
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    sent = capture_dlq(bt, sqs, 2)
    bt.handler(event, LambdaContext("r"))
    size = len(sent[0]["MessageBody"])
    event["detail"]["padding"] = "p" * (200_000 - size)  # the record is now exactly 200,000 characters

    bt.handler(event, LambdaContext("r"))

    body = json.loads(sent[1]["MessageBody"])
    assert len(sent[1]["MessageBody"]) == 200_000
    assert body["replay_event"] == event and "replay_event_truncated" not in body


def test_records_lost_without_a_dlq_are_named_in_the_error(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DLQ_URL")
    monkeypatch.delenv("INPUT_PREFIX")
    sm, _ = stubbed
    keys = [f"in/{i}-" + "k" * 300 for i in range(6)]
    for _ in keys:
        sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)

    with pytest.raises(RuntimeError) as raised:
        bt.handler(s3_event(*(s3_record(k) for k in keys)), LambdaContext())

    cut = [k[:200] for k in keys]
    assert str(raised.value) == f"6 failed record(s) could not be sent to the dead-letter queue: {cut[:5]}"


def test_dlq_send_failure_names_the_record(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    sm, sqs = stubbed
    key = "batch/input/" + "k" * 300
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    sqs.add_client_error("send_message", "AccessDenied", "no", 403)
    with pytest.raises(RuntimeError) as raised:
        bt.handler(eventbridge_event(key), LambdaContext())
    assert str(raised.value) == f"1 failed record(s) could not be sent to the dead-letter queue: {[key[:200]]}"


def test_event_with_non_json_values_is_still_dead_lettered(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    """A direct invocation from Python may carry values JSON cannot hold; they reach the DLQ as text."""
    sm, sqs = stubbed
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    sent = capture_dlq(bt, sqs)
    event = eventbridge_event(KEY)
    event["time"] = object

    assert bt.handler(event, LambdaContext()) == {**EMPTY, "failed": 1}
    assert json.loads(sent[0]["MessageBody"])["replay_event"]["time"] == str(object)


def test_dlq_connection_failure_names_the_record(bt: Any, stubbed: tuple[Stubber, Stubber],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sm, _ = stubbed
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs")

    monkeypatch.setattr(bt, "SQS", types.SimpleNamespace(send_message=unreachable))
    with pytest.raises(RuntimeError, match=r"^1 failed record"):
        bt.handler(eventbridge_event(KEY), LambdaContext())


def test_summary_counts_every_outcome(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    sm, sqs = stubbed
    one, two, three = "batch/input/1.csv", "batch/input/2.csv", "batch/input/3.csv"
    sm.add_response("create_transform_job", {"TransformJobArn": "a"}, request(one, bt.job_name("churn-batch", BUCKET,
                                                                                                one, VERSION)))
    sm.add_client_error("create_transform_job", "ResourceInUse", "exists", 400)
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    capture_dlq(bt, sqs)
    event = s3_event(s3_record(one), s3_record(two), s3_record(three), s3_record("batch/input/dir/"), {"x": 1})

    summary = bt.handler(event, LambdaContext())

    assert summary == {
        "submitted": 1, "duplicate": 1, "skipped": 1, "rejected": 1, "failed": 1,
        "jobs": [bt.job_name("churn-batch", BUCKET, one, VERSION), bt.job_name("churn-batch", BUCKET, two, VERSION)],
    }
    done = [f for f in bt.test_logs.fields("INFO") if f["message"] == "event done"]
    assert len(done) == 1 and isinstance(done[0].pop("latency_ms"), float)
    assert done[0] == {"message": "event done", "level": "INFO", "submitted": 1, "duplicate": 1, "skipped": 1,
                       "rejected": 1, "failed": 1}
    skipped = [f for f in bt.test_logs.fields("INFO") if f["message"] == "object skipped"]
    assert skipped == [{"message": "object skipped", "level": "INFO", "bucket": BUCKET, "key": "batch/input/dir/",
                        "version": VERSION, "reason": "folder marker"}]


def test_latency_is_reported_in_milliseconds(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = iter([10.0, 10.0123456])
    monkeypatch.setattr(bt, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))
    bt.handler({"Records": []}, LambdaContext())
    (done,) = [f for f in bt.test_logs.fields("INFO") if f["message"] == "event done"]
    assert done["latency_ms"] == 12.35


def test_request_id_comes_from_the_context(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    bt.handler({"Records": []}, LambdaContext("req-ctx"))
    assert bt._STATE["request_id"] == "req-ctx"
    bt.handler({"Records": []}, None)
    first = bt._STATE["request_id"]
    bt.handler({"Records": []}, types.SimpleNamespace(aws_request_id=""))
    assert re.fullmatch(r"[0-9a-f]{16}", first) and re.fullmatch(r"[0-9a-f]{16}", bt._STATE["request_id"])
    assert first != bt._STATE["request_id"]


# --------------------------------------------------------------------------------------- logging and the clients


def test_json_log_line(bt: Any) -> None:
    bt._STATE["request_id"] = "req-log"
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.LogRecord("batch_transform_trigger", logging.ERROR, __file__, 1, "hello %s", ("you",),
                                   sys.exc_info())
    record.created = 1767225600.123456
    record.fields = {"job_name": NAME, "when": time.gmtime(0)[:2], "obj": object}
    line = json.loads(bt._JsonFormatter().format(record))
    exception = line.pop("exception")
    assert exception.startswith("Traceback") and exception.endswith("ValueError: bad")
    assert line == {"level": "ERROR", "timestamp": 1767225600.123, "message": "hello you",
                    "logger": "batch_transform_trigger", "request_id": "req-log", "job_name": NAME,
                    "when": [1970, 1], "obj": str(object)}


def test_json_log_line_without_fields_or_exception(bt: Any) -> None:
    bt._STATE["request_id"] = None
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain", None, None)
    record.created = 5.0
    assert json.loads(bt._JsonFormatter().format(record)) == {
        "level": "INFO", "timestamp": 5.0, "message": "plain", "logger": "x", "request_id": None
    }


@pytest.mark.parametrize(("value", "level"), [(None, logging.INFO), ("debug", logging.DEBUG),
                                              ("WARNING", logging.WARNING), ("error", logging.ERROR),
                                              ("critical", logging.CRITICAL), ("verbose", logging.INFO)])
def test_logger_setup(bt: Any, monkeypatch: pytest.MonkeyPatch, value: str | None, level: int) -> None:
    logger = logging.getLogger("batch_transform_trigger")
    saved = list(logger.handlers), logger.level, logger.propagate
    if value is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", value)
    for h in saved[0]:
        logger.removeHandler(h)
    logger.propagate = True
    try:
        built = bt._build_logger()
        assert built is logger and built.level == level and built.propagate is False
        (stream,) = built.handlers
        assert type(stream) is logging.StreamHandler and stream.stream is sys.stdout
        assert isinstance(stream.formatter, bt._JsonFormatter)
        bt._build_logger()
        assert len(built.handlers) == 1  # a second cold-start call adds no second handler
    finally:
        for h in list(logger.handlers):
            logger.removeHandler(h)
        for h in saved[0]:
            logger.addHandler(h)
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


def test_client_config(bt: Any, bt_env: dict[str, str]) -> None:
    client = bt.make_client("sagemaker", endpoint_url="http://127.0.0.1:1")
    config = client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert (config.connect_timeout, config.read_timeout, config.tcp_keepalive) == (3, 20, True)
    assert client.meta.endpoint_url == "http://127.0.0.1:1"
    assert client.meta.service_model.service_name == "sagemaker"
    assert bt.make_client("sqs").meta.service_model.service_name == "sqs"


def test_clients_load_only_the_two_services(bt: Any, bt_env: dict[str, str]) -> None:
    assert bt._KnownServicesLoader().list_available_services("service-2") == ["sagemaker", "sqs"]
    with pytest.raises(UnknownServiceError):
        bt.make_client("s3")


def test_classic_record_without_an_event_name_starts_a_job(bt: Any) -> None:
    record = s3_record(KEY)
    del record["eventName"]
    (obj,) = bt.parse(s3_event(record))
    assert obj.event_name == ""
    assert bt.skip_reason(obj, bt.load_settings(dict(MINIMAL_ENV))) is None


def test_dlq_url_is_the_configured_one_stripped(
    bt: Any, stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLQ_URL", f"  {DLQ_URL}\n")
    sm, sqs = stubbed
    sm.add_client_error("create_transform_job", "InternalFailure", "x", 500)
    sqs.add_response("send_message", {"MessageId": "m-1", "MD5OfMessageBody": "x"},
                     {"QueueUrl": DLQ_URL, "MessageBody": ANY})

    assert bt.handler(eventbridge_event(KEY), LambdaContext()) == {**EMPTY, "failed": 1}


def test_every_rejected_record_is_counted(bt: Any, stubbed: tuple[Stubber, Stubber]) -> None:
    event = {"Records": [None, {"eventSource": "aws:dynamodb"}, {"eventSource": "aws:sqs", "body": "{"}]}
    assert bt.handler(event, LambdaContext()) == {**EMPTY, "rejected": 3}
    assert [f["reason"] for f in bt.test_logs.fields("WARNING")] == [
        "record is not a JSON object", "record from 'aws:dynamodb', not aws:s3", "message body is not JSON"
    ]
