"""batch_transform_trigger without a network: duplicates, errors, the DLQ, event shapes, filtering, bad events.

SageMaker and SQS sit behind botocore Stubbers. Moto silently overwrites a transform job of the same name, so
duplicate delivery is checked here, with SageMaker's real answers to a second CreateTransformJob of one name.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from conftest_batch import (  # noqa: F401  (fixtures)
    BUCKET,
    DLQ_URL,
    LambdaContext,
    bt,
    bt_env,
    bt_stubbed,
    eventbridge_event,
    expected_job_name,
    expected_request,
    s3_event,
    s3_record,
    sqs_event,
)

EMPTY = {"submitted": 0, "duplicate": 0, "skipped": 0, "rejected": 0, "failed": 0, "jobs": []}
KEY = "batch/input/scores.csv"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:transform-job/{}"


def created(stub: Stubber, key: str, **overrides: Any) -> None:
    request = expected_request(key, **overrides)
    stub.add_response(
        "create_transform_job", {"TransformJobArn": ARN.format(request["TransformJobName"])}, request
    )


def dlq_message(sqs_stub: Stubber) -> None:
    sqs_stub.add_response("send_message", {"MessageId": "m-1", "MD5OfMessageBody": "x"}, {"QueueUrl": DLQ_URL,
                                                                                        "MessageBody": ANY})


# ------------------------------------------------------------------------------------------------- duplicates


def test_same_event_delivered_twice_yields_one_job(bt: Any, bt_stubbed: tuple[Stubber, Stubber]) -> None:
    sm, _ = bt_stubbed
    created(sm, KEY)
    # The redelivery asks for the very same name; SageMaker refuses it.
    sm.add_client_error(
        "create_transform_job",
        service_error_code="ResourceInUse",
        service_message=f"Transform job with name {expected_job_name(KEY)} already exists",
        http_status_code=400,
        expected_params=expected_request(KEY),
    )
    event = eventbridge_event(KEY)

    first = bt.handler(event, LambdaContext("req-1"))
    second = bt.handler(json.loads(json.dumps(event)), LambdaContext("req-2"))

    name = expected_job_name(KEY)
    assert first == {**EMPTY, "submitted": 1, "jobs": [name]}
    assert second == {**EMPTY, "duplicate": 1, "jobs": [name]}


def test_eventbridge_and_classic_deliveries_of_one_upload_share_a_name(bt: Any) -> None:
    from_eventbridge = bt.parse(eventbridge_event("batch/input/a b.csv"))[0]
    from_notification = bt.parse(s3_event(s3_record("batch/input/a b.csv")))[0]
    names = {bt.job_name("p", o.bucket, o.key, o.version) for o in (from_eventbridge, from_notification)}
    assert len(names) == 1


@pytest.mark.parametrize(
    "message",
    [
        "Job name must be unique within an AWS account and region, and a job with this name already exists",
        "Transform job names must be unique within an AWS account and region",
    ],
)
def test_validation_exception_about_an_existing_name_counts_as_submitted(
    bt: Any, bt_stubbed: tuple[Stubber, Stubber], message: str
) -> None:
    sm, _ = bt_stubbed
    sm.add_client_error("create_transform_job", "ValidationException", message, 400)

    assert bt.handler(eventbridge_event(KEY), LambdaContext()) == {
        **EMPTY, "duplicate": 1, "jobs": [expected_job_name(KEY)]
    }


# ----------------------------------------------------------------------------------------------------- failures


def test_throttling_left_after_retries_goes_to_the_dlq(bt: Any, bt_stubbed: tuple[Stubber, Stubber]) -> None:
    """A Stubber answers once, bypassing botocore's retries (the HTTP test covers those): the final error is what
    the handler sees after its retries are spent."""
    sm, sqs = bt_stubbed
    sm.add_client_error("create_transform_job", "ThrottlingException", "Rate exceeded", 400)
    sent: list[dict[str, Any]] = []
    bt.SQS.meta.events.register("before-parameter-build.sqs.SendMessage", lambda params, **_: sent.append(params))
    dlq_message(sqs)

    summary = bt.handler(eventbridge_event(KEY), LambdaContext("req-throttled"))

    assert summary == {**EMPTY, "failed": 1}
    body = json.loads(sent[0]["MessageBody"])
    assert body["error"] == {"code": "ThrottlingException", "message": "Rate exceeded"}
    assert body["request"] == expected_request(KEY)
    assert body["replay_event"] == eventbridge_event(KEY)
    assert body["request_id"] == "req-throttled"
    errors = bt.test_logs.fields("ERROR")
    assert errors[0]["message"] == "transform job not submitted" and errors[0]["code"] == "ThrottlingException"


def test_one_bad_record_never_loses_the_others(bt: Any, bt_stubbed: tuple[Stubber, Stubber]) -> None:
    sm, sqs = bt_stubbed
    created(sm, "batch/input/one.csv")
    sm.add_client_error("create_transform_job", "ResourceLimitExceeded", "too many concurrent jobs", 400)
    dlq_message(sqs)
    created(sm, "batch/input/three.csv")
    event = s3_event(
        s3_record("batch/input/one.csv"),
        s3_record("batch/input/two.csv"),
        {"eventSource": "aws:dynamodb"},
        s3_record("batch/input/folder/"),
        s3_record("batch/input/upload.csv.tmp"),
        s3_record("elsewhere/data.csv"),
        s3_record("batch/input/gone.csv", event_name="ObjectRemoved:Delete"),
        s3_record("batch/input/three.csv"),
    )

    summary = bt.handler(event, LambdaContext())

    assert summary == {
        "submitted": 2,
        "duplicate": 0,
        "skipped": 4,
        "rejected": 1,
        "failed": 1,
        "jobs": [expected_job_name("batch/input/one.csv"), expected_job_name("batch/input/three.csv")],
    }
    reasons = {f["key"]: f["reason"] for f in bt.test_logs.fields("INFO") if f["message"] == "object skipped"}
    assert reasons == {
        "batch/input/folder/": "folder marker",
        "batch/input/upload.csv.tmp": "ignored suffix '.tmp'",
        "elsewhere/data.csv": "outside INPUT_PREFIX",
        "batch/input/gone.csv": "event 'ObjectRemoved:Delete' is not an object creation",
    }


def test_dlq_unreachable_raises_so_lambda_keeps_the_event(bt: Any, bt_stubbed: tuple[Stubber, Stubber]) -> None:
    sm, sqs = bt_stubbed
    sm.add_client_error("create_transform_job", "InternalFailure", "boom", 500)
    sqs.add_client_error("send_message", "AccessDenied", "no", 403)

    with pytest.raises(RuntimeError, match="could not be sent to the dead-letter queue"):
        bt.handler(eventbridge_event(KEY), LambdaContext())


def test_misconfigured_function_sends_records_to_the_dlq(
    bt: Any, bt_stubbed: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sqs = bt_stubbed
    monkeypatch.delenv("MODEL_NAME")
    monkeypatch.setenv("SPLIT_TYPE", "Lines")
    sent: list[dict[str, Any]] = []
    bt.SQS.meta.events.register("before-parameter-build.sqs.SendMessage", lambda params, **_: sent.append(params))
    dlq_message(sqs)

    assert bt.handler(eventbridge_event(KEY), LambdaContext()) == {**EMPTY, "failed": 1}
    body = json.loads(sent[0]["MessageBody"])
    assert body["reason"] == "Misconfigured"
    assert "MODEL_NAME is not set" in body["error"]["message"] and "SPLIT_TYPE ('Lines')" in body["error"]["message"]


# ------------------------------------------------------------------------------------------------- event shapes


def test_sqs_wrapped_notifications_and_eventbridge_events(bt: Any, bt_stubbed: tuple[Stubber, Stubber]) -> None:
    sm, _ = bt_stubbed
    created(sm, "batch/input/from sqs.csv")
    created(sm, "batch/input/from-eventbridge-via-sqs.csv")
    event = sqs_event(
        s3_event(s3_record("batch/input/from sqs.csv")),
        eventbridge_event("batch/input/from-eventbridge-via-sqs.csv"),
    )

    summary = bt.handler(event, LambdaContext())

    assert summary["submitted"] == 2


def test_sns_wrapped_notification(bt: Any) -> None:
    message = json.dumps(s3_event(s3_record("batch/input/x y.csv")))
    (obj,) = bt.parse({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": message}}]})
    assert obj.key == "batch/input/x y.csv" and obj.bucket == BUCKET


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("batch/input/with space.csv", "batch/input/with+space.csv"),
        ("batch/input/plus+sign.csv", "batch/input/plus%2Bsign.csv"),
        ("batch/input/ünï cødé 日本.csv", "batch/input/%C3%BCn%C3%AF+c%C3%B8d%C3%A9+%E6%97%A5%E6%9C%AC.csv"),
        ("batch/input/a=b;c:d,e?.csv", "batch/input/a%3Db%3Bc%3Ad%2Ce%3F.csv"),
    ],
)
def test_keys_are_url_decoded(bt: Any, key: str, encoded: str) -> None:
    record = s3_record(key)
    assert record["s3"]["object"]["key"] == encoded  # the builder encodes as S3 does
    assert bt.parse(s3_event(record))[0].key == key
    assert bt.parse(eventbridge_event(key))[0].key == key


def test_very_long_unicode_key_gets_a_valid_name(bt: Any) -> None:
    key = "batch/input/" + "é" * 1000
    name = expected_job_name(key)
    assert bt.NAME_PATTERN.match(name) and len(name) <= 63


# ----------------------------------------------------------------------------------------------------- bad events


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (None, "event is not a JSON object"),
        ("not json", "message body is not JSON"),
        ([1, 2], "event is not a JSON object"),
        ({}, "neither an EventBridge event nor a Records list"),
        ({"Records": []}, "Records is empty or not a list"),
        ({"Records": "x"}, "Records is empty or not a list"),
        ({"Records": [None]}, "record is not a JSON object"),
        ({"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]}, "record from 'aws:dynamodb', not aws:s3"),
        ({"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}}}]}, "S3 record without"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "{broken"}]}, "message body is not JSON"),
        ({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}},
         "EventBridge event from 'aws.ec2', not aws.s3"),
        ({"source": "aws.s3", "detail-type": "Object Created", "detail": {"bucket": {"name": "b"}}},
         "EventBridge S3 event without"),
        ({"source": "aws.s3", "detail-type": "Object Created", "detail": "oops"}, "EventBridge event without a detail object"),
        ({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}, "s3:TestEvent"),
    ],
)
def test_bad_events_are_rejected_and_logged_never_raised(
    bt: Any, bt_stubbed: tuple[Stubber, Stubber], event: Any, reason: str
) -> None:
    summary = bt.handler(event, LambdaContext())  # the Stubbers hold no responses: no AWS call may happen

    assert summary == {**EMPTY, "rejected": 1}
    warnings = bt.test_logs.fields("WARNING")
    assert len(warnings) == 1 and warnings[0]["message"] == "event rejected"
    assert warnings[0]["reason"].startswith(reason)


def test_log_lines_are_json(bt: Any, bt_stubbed: tuple[Stubber, Stubber], capsys: pytest.CaptureFixture) -> None:
    import logging
    import sys

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(bt._JsonFormatter())
    bt.LOGGER.addHandler(handler)
    try:
        bt.handler({"Records": []}, LambdaContext("req-json"))
    finally:
        bt.LOGGER.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines] == ["event rejected", "event done"]
    assert all(line["request_id"] == "req-json" for line in lines)
    assert lines[1]["rejected"] == 1 and "latency_ms" in lines[1]
