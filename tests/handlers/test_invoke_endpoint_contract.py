"""invoke_endpoint's contract, pinned literally: what a client sees, what is sent to SageMaker, what operators query.

Each assertion here is exact (status, error code and message, response headers, request fields via botocore Stubber
`expected_params`, environment variable names and defaults, the structured log line's fields), so that a small change
to any of them fails a test. Written against the mutants `make mutation` found surviving the broader tests.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import types
from typing import Any, Iterator

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.response import StreamingBody
from botocore.stub import Stubber

from invoke_helpers import ASYNC_BUCKET, ASYNC_PREFIX, ENDPOINT_NAME, LambdaContext, api_event

ASYNC_BODY_MESSAGE = 'body must be JSON: {"input_location": "s3://bucket/key"}'


def error_of(response: dict) -> tuple[int, str, str]:
    assert response["headers"]["Content-Type"] == "application/json"
    error = json.loads(response["body"])["error"]
    return response["statusCode"], error["code"], error["message"]


def answer(body: bytes = b"[0.5]", **fields: str) -> dict:
    return {"Body": StreamingBody(io.BytesIO(body), len(body)), **fields}


def sync_params(body: bytes = b'{"instances": [[1, 2, 3]]}', content_type: str = "application/json", **extra) -> dict:
    return {"EndpointName": ENDPOINT_NAME, "Body": body, "ContentType": content_type, **extra}


def async_event(body: Any, **kwargs: Any) -> dict:
    return api_event(json.dumps(body), path="/async-invocations", **kwargs)


ASYNC_ANSWER = {
    "InferenceId": "inf-1",
    "OutputLocation": "s3://outputs/inf-1.out",
    "FailureLocation": "s3://failures/inf-1.out",
}


class FakeTime:
    """The handler module's `time`: a fixed monotonic clock and a perf_counter that advances 12.3456 ms per call."""

    def __init__(self, monotonic: float = 1000.0) -> None:
        self.now = monotonic
        self.perf = 10.0

    def monotonic(self) -> float:
        return self.now

    def perf_counter(self) -> float:
        value = self.perf
        self.perf += 0.0123456
        return value


# ------------------------------------------------------------------------------------------------ structured logs


@pytest.fixture
def restore_logger(handler: Any) -> Iterator[logging.Logger]:
    log = handler.LOGGER
    saved = (log.level, log.propagate, list(log.handlers))
    yield log
    log.setLevel(saved[0])
    log.propagate = saved[1]
    log.handlers[:] = saved[2]


@pytest.fixture
def log_lines(handler: Any) -> Iterator[Any]:
    """The JSON lines the handler's logger writes, parsed."""
    (stream_handler,) = [h for h in handler.LOGGER.handlers if isinstance(h.formatter, handler._JsonFormatter)]
    stream = io.StringIO()
    # Assigned, not setStream(): that flushes the old stream, which a test runner may have closed since the import.
    previous, stream_handler.stream = stream_handler.stream, stream
    handler.LOGGER.setLevel("INFO")  # the `handler` fixture restores the level afterwards
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    stream_handler.stream = previous


def test_logger_writes_json_lines_to_stdout_and_does_not_propagate(
    handler: Any, restore_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    restore_logger.handlers[:] = []

    log = handler._build_logger()

    assert log is handler.LOGGER
    assert log.name == "invoke_endpoint"
    assert log.level == logging.INFO
    assert log.propagate is False
    (stream_handler,) = log.handlers
    assert type(stream_handler) is logging.StreamHandler
    assert stream_handler.stream is sys.stdout
    assert isinstance(stream_handler.formatter, handler._JsonFormatter)
    # A second build (a warm start re-importing nothing, or a test) adds no second handler.
    assert handler._build_logger().handlers == [stream_handler]


@pytest.mark.parametrize(
    "value, level",
    [
        ("debug", logging.DEBUG),
        ("info", logging.INFO),
        ("Warning", logging.WARNING),
        ("error", logging.ERROR),
        ("CRITICAL", logging.CRITICAL),
        ("verbose", logging.INFO),
    ],
)
def test_log_level_from_env(
    handler: Any, restore_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch, value: str, level: int
) -> None:
    monkeypatch.setenv("LOG_LEVEL", value)
    restore_logger.setLevel(logging.CRITICAL)

    assert handler._build_logger().level == level


def test_formatter_fields(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    class Thing:
        def __str__(self) -> str:
            return "<thing>"

    monkeypatch.setitem(handler._STATE, "request_id", "req-fmt")
    record = logging.LogRecord("invoke_endpoint", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.created = 1_700_000_000.123456
    record.fields = {"status": 502, "thing": Thing()}

    line = json.loads(handler._JsonFormatter().format(record))

    assert line == {
        "level": "WARNING",
        "timestamp": 1_700_000_000.123,
        "message": "hello world",
        "logger": "invoke_endpoint",
        "request_id": "req-fmt",
        "status": 502,
        "thing": "<thing>",
    }


def test_formatter_without_fields_and_with_exception(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(handler._STATE, "request_id", None)
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "plain", (), None)
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    plain_line = json.loads(handler._JsonFormatter().format(plain))
    failed_line = json.loads(handler._JsonFormatter().format(failed))

    assert set(plain_line) == {"level", "timestamp", "message", "logger", "request_id"}
    assert plain_line["request_id"] is None
    assert failed_line["exception"].startswith("Traceback")
    assert failed_line["exception"].endswith("ValueError: boom")


def test_request_log_line(
    handler: Any, stubbed: Stubber, log_lines: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler, "time", FakeTime())
    stubbed.add_response(
        "invoke_endpoint",
        answer(ContentType="application/json", InvokedProductionVariant="challenger"),
        sync_params(TargetVariant="challenger"),
    )

    response = handler.handler(api_event(headers={"X-Target-Variant": "challenger"}), LambdaContext("req-log"))

    assert response["statusCode"] == 200
    (line,) = log_lines()
    assert isinstance(line.pop("timestamp"), float)
    assert line == {
        "level": "INFO",
        "message": "request done",
        "logger": "invoke_endpoint",
        "request_id": "req-log",
        "endpoint": ENDPOINT_NAME,
        "route": "sync",
        "target_variant": "challenger",
        "variant": "challenger",
        "status": 200,
        "latency_ms": 12.35,
    }


def test_async_request_log_line(
    handler: Any, stubbed: Stubber, log_lines: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler, "time", FakeTime())
    stubbed.add_response("invoke_endpoint_async", ASYNC_ANSWER)

    handler.handler(async_event({"input_location": "x.json"}), LambdaContext("req-async"))

    (line,) = log_lines()
    del line["timestamp"]
    assert line == {
        "level": "INFO",
        "message": "request done",
        "logger": "invoke_endpoint",
        "request_id": "req-async",
        "endpoint": ENDPOINT_NAME,
        "route": "async",
        "input_location": f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}x.json",
        "status": 202,
        "latency_ms": 12.35,
    }


@pytest.mark.parametrize(
    "original, status, level, message", [(499, 499, "INFO", "request done"), (500, 502, "WARNING", "request failed")]
)
def test_failed_requests_log_a_warning_from_500(
    handler: Any, stubbed: Stubber, log_lines: Any, original: int, status: int, level: str, message: str
) -> None:
    stubbed.add_client_error(
        "invoke_endpoint", service_error_code="ModelError", modeled_fields={"OriginalStatusCode": original}
    )

    response = handler.handler(api_event(), LambdaContext())

    assert response["statusCode"] == status
    line = log_lines()[-1]
    assert (line["level"], line["message"], line["status"]) == (level, message, status)


def test_500_logs_request_failed(
    handler: Any, stubbed: Stubber, log_lines: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENDPOINT_NAME")

    response = handler.handler(api_event(), LambdaContext())

    assert response["statusCode"] == 500
    (line,) = log_lines()
    assert (line["level"], line["message"], line["status"]) == ("WARNING", "request failed", 500)


# --------------------------------------------------------------------------------------- per-invocation state


def test_deadline_attempts_and_request_id_are_reset_per_invocation(
    handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler, "time", FakeTime(monotonic=1000.0))
    monkeypatch.setitem(handler._STATE, "attempts", 5)
    stubbed.add_response("invoke_endpoint", answer())

    handler.handler(api_event(), LambdaContext("req-state", remaining_ms=29_000))

    assert handler._STATE == {"deadline": 1029.0, "attempts": 0, "request_id": "req-state"}  # the Stubber answers before send


@pytest.mark.parametrize("context", [None, types.SimpleNamespace(get_remaining_time_in_millis=lambda: 1 / 0)])
def test_no_usable_clock_means_no_deadline(
    handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setitem(handler._STATE, "deadline", 5.0)
    stubbed.add_response("invoke_endpoint", answer())

    response = handler.handler(api_event(), context)

    assert response["statusCode"] == 200
    assert handler._STATE["deadline"] is None


@pytest.fixture
def clock(handler: Any, monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime(monotonic=100.0)
    monkeypatch.setattr(handler, "time", fake)
    monkeypatch.setattr(handler, "READ_TIMEOUT_SECONDS", 70.0)
    return fake


@pytest.mark.parametrize(
    "attempts, deadline, refused",
    [
        (0, 0.0, False),  # the first attempt always runs
        (1, None, False),  # no deadline known: botocore's own retry limit applies
        (1, 170.5, False),  # exactly a read timeout plus the margin left: the retry runs
        (1, 170.4, True),
        (2, 170.4, True),
    ],
)
def test_check_deadline(
    handler: Any, clock: FakeTime, monkeypatch: pytest.MonkeyPatch, attempts: int, deadline: Any, refused: bool
) -> None:
    monkeypatch.setitem(handler._STATE, "attempts", attempts)
    monkeypatch.setitem(handler._STATE, "deadline", deadline)

    if refused:
        with pytest.raises(handler._DeadlineExceeded, match="^not enough time left for another attempt$"):
            handler._check_deadline(request=None)
    else:
        handler._check_deadline(request=None)
    assert handler._STATE["attempts"] == attempts + 1


# ------------------------------------------------------------------------------------------------- request id


@pytest.mark.parametrize(
    "context, event, expected",
    [
        (LambdaContext("ctx-1"), api_event(), "ctx-1"),
        (None, api_event(), "apigw-req-1"),
        (types.SimpleNamespace(aws_request_id=123), api_event(), "apigw-req-1"),
    ],
)
def test_request_id_sources(handler: Any, context: Any, event: Any, expected: str) -> None:
    assert handler._request_id(event, context) == expected


@pytest.mark.parametrize(
    "context, event",
    [
        (types.SimpleNamespace(aws_request_id=""), api_event()),
        (None, {"requestContext": "x"}),
        (None, {"requestContext": {"requestId": ""}}),
        (None, {}),
        (None, ["not", "a", "dict"]),
    ],
)
def test_request_id_is_random_without_a_usable_one(handler: Any, context: Any, event: Any) -> None:
    request_id = handler._request_id(event, context)
    assert len(request_id) == 32
    int(request_id, 16)
    assert request_id != handler._request_id(event, context)


# ---------------------------------------------------------------------------------------------------- routing


@pytest.mark.parametrize(
    "resource, path",
    [
        ("/invocations", "/invocations"),
        ("/invocations/", None),
        ("invocations", None),
        ("/prod/invocations", None),
        ("/", None),
        ("", ""),
        (None, None),
        (5, None),
    ],
)
def test_sync_route_paths(handler: Any, stubbed: Stubber, resource: Any, path: Any) -> None:
    event = api_event()
    event["resource"], event["path"] = resource, path
    stubbed.add_response("invoke_endpoint", answer(), sync_params())

    response = handler.handler(event, LambdaContext())

    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == 200


@pytest.mark.parametrize(
    "resource, path",
    [
        (None, "/async-invocations"),
        ("/async-invocations", "/v1/anything"),
        ("async-invocations", None),
        ("/prod/async-invocations/", None),
    ],
)
def test_async_route_paths(handler: Any, stubbed: Stubber, resource: Any, path: Any) -> None:
    event = async_event({"input_location": "x.json"})
    event["resource"], event["path"] = resource, path
    stubbed.add_response("invoke_endpoint_async", ASYNC_ANSWER)

    response = handler.handler(event, LambdaContext())

    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == 202


@pytest.mark.parametrize("path", ["/predict", "/invocationsX", "/invocations/extra"])
def test_unknown_path_is_404(handler: Any, stubbed: Stubber, path: str) -> None:
    response = handler.handler(api_event(path=path), LambdaContext())

    assert error_of(response) == (404, "NotFound", "use POST /invocations or POST /async-invocations")


def test_missing_method_is_treated_as_post(handler: Any, stubbed: Stubber) -> None:
    event = api_event()
    del event["httpMethod"]
    stubbed.add_response("invoke_endpoint", answer())

    assert handler.handler(event, LambdaContext())["statusCode"] == 200


def test_method_not_allowed(handler: Any, stubbed: Stubber) -> None:
    event = dict(api_event(), httpMethod="PUT")

    response = handler.handler(event, LambdaContext("req-405"))

    assert error_of(response) == (405, "MethodNotAllowed", "use POST")
    assert response["headers"] == {"Content-Type": "application/json", "Allow": "POST", "X-Request-Id": "req-405"}


def test_non_dict_event_is_400(handler: Any) -> None:
    response = handler.handler(["not", "an", "event"], LambdaContext("req-list"))

    assert error_of(response) == (400, "BadRequest", "event is not an API Gateway proxy event")
    assert json.loads(response["body"])["error"]["request_id"] == "req-list"


def test_missing_endpoint_name(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENDPOINT_NAME")

    response = handler.handler(api_event(), LambdaContext())

    assert error_of(response) == (500, "Misconfigured", "ENDPOINT_NAME is not set on the function")


def test_unexpected_error_answer(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler, "CLIENT", types.SimpleNamespace(invoke_endpoint=lambda **_: {}["Body"]))

    response = handler.handler(api_event(), LambdaContext("req-bug"))

    assert response == {
        "statusCode": 500,
        "headers": {"Content-Type": "application/json", "X-Request-Id": "req-bug"},
        "body": json.dumps({"error": {"code": "InternalError", "message": "internal error", "request_id": "req-bug"}}),
        "isBase64Encoded": False,
    }


# --------------------------------------------------------------------------------------------------- sync route


def test_sync_answer_without_optional_fields(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_response("invoke_endpoint", answer(b"[1]"), sync_params())

    response = handler.handler(api_event(), LambdaContext("req-min"))

    assert response == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/octet-stream", "X-Request-Id": "req-min"},
        "body": "[1]",
        "isBase64Encoded": False,
    }


def test_sync_passthrough_both_ways(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_response(
        "invoke_endpoint",
        answer(b"0.1", ContentType="text/csv", InvokedProductionVariant="challenger", CustomAttributes="v=42"),
        sync_params(
            b"1,2",
            "text/csv",
            TargetVariant="challenger",
            Accept="text/csv",
            InferenceId="inf-9",
            CustomAttributes="trace=1",
        ),
    )
    event = api_event(
        "1,2",
        content_type="text/csv",
        headers={
            "X-Target-Variant": "challenger",
            "Accept": "text/csv",
            "X-Inference-Id": "inf-9",
            "X-Amzn-SageMaker-Custom-Attributes": "trace=1",
        },
        query={"variant": "champion"},  # the header wins over the query string
    )

    response = handler.handler(event, LambdaContext("req-all"))

    stubbed.assert_no_pending_responses()
    assert response["headers"] == {
        "Content-Type": "text/csv",
        "X-Invoked-Production-Variant": "challenger",
        "X-Amzn-SageMaker-Custom-Attributes": "v=42",
        "X-Request-Id": "req-all",
    }


@pytest.mark.parametrize(
    "query, headers, sent",
    [
        ({"variant": "challenger"}, {}, {"TargetVariant": "challenger"}),
        ({"variant": "challenger"}, {"X-Target-Variant": ""}, {"TargetVariant": "challenger"}),
        ({"variant": ["challenger"]}, {}, {}),
        ({"other": "x"}, {"Accept": ""}, {}),
    ],
)
def test_passthrough_sources(handler: Any, stubbed: Stubber, query: dict, headers: dict, sent: dict) -> None:
    stubbed.add_response("invoke_endpoint", answer(), sync_params(**sent))

    response = handler.handler(api_event(headers=headers, query=query), LambdaContext())

    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == 200


def test_passthrough_value_of_1024_characters_is_sent(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_response("invoke_endpoint", answer(), sync_params(CustomAttributes="a" * 1024))

    response = handler.handler(
        api_event(headers={"X-Amzn-SageMaker-Custom-Attributes": "a" * 1024}), LambdaContext()
    )

    assert response["statusCode"] == 200


@pytest.mark.parametrize(
    "headers, param",
    [
        ({"X-Inference-Id": "a" * 1025}, "InferenceId"),
        ({"X-Amzn-SageMaker-Custom-Attributes": "a\tb"}, "CustomAttributes"),
        ({"Accept": "text/é"}, "Accept"),
        ({"X-Target-Variant": "a\nb"}, "TargetVariant"),
    ],
)
def test_passthrough_value_rules(handler: Any, headers: dict, param: str) -> None:
    response = handler.handler(api_event(headers=headers), LambdaContext())

    assert error_of(response) == (400, "BadRequest", f"{param} must be printable ASCII of at most 1024 characters")


def test_413_message(handler: Any) -> None:
    size = handler.MAX_SYNC_BODY_BYTES + 1
    response = handler.handler(api_event("1" * size, content_type="text/csv"), LambdaContext())

    assert error_of(response) == (
        413,
        "PayloadTooLarge",
        f"body is {size} bytes, over SageMaker's real-time limit of 6291456: upload the payload to S3 and use "
        "POST /async-invocations (asynchronous inference) instead",
    )


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=utf-8"])
def test_json_is_checked_for_json_content_types(handler: Any, content_type: str) -> None:
    response = handler.handler(api_event("{oops", content_type=content_type), LambdaContext())

    assert error_of(response) == (
        400, "InvalidJson", "body is not valid JSON but Content-Type is application/json"
    )


def test_non_json_content_types_are_not_parsed(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_response("invoke_endpoint", answer(), sync_params(b"{oops", "text/csv"))

    assert handler.handler(api_event("{oops", content_type="text/csv"), LambdaContext())["statusCode"] == 200


def test_json_nested_too_deeply(handler: Any) -> None:
    depth = 100_000
    response = handler.handler(api_event("[" * depth + "]" * depth), LambdaContext())

    assert error_of(response) == (
        400,
        "JsonTooDeep",
        "body is nested too deeply to decode as JSON: send a document with fewer levels of nested arrays and objects",
    )


# ------------------------------------------------------------------------------------------------- content type


@pytest.mark.parametrize(
    "content_type",
    ["TEXT/CSV", "text/csv ; charset=utf-8", "text/csv;charset=utf-8", "text/csv; charset=utf-8; header=present"],
)
def test_media_type_matching(handler: Any, stubbed: Stubber, content_type: str) -> None:
    stubbed.add_response("invoke_endpoint", answer(), sync_params(b"1,2", content_type))

    response = handler.handler(api_event("1,2", content_type=content_type), LambdaContext())

    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == 200


def test_content_type_required_message(handler: Any) -> None:
    response = handler.handler(api_event(content_type=None), LambdaContext())

    assert error_of(response) == (
        415, "UnsupportedMediaType", "Content-Type is required; allowed: application/json, text/csv"
    )


def test_content_type_not_allowed_message_is_truncated(handler: Any) -> None:
    content_type = "application/" + "x" * 150
    response = handler.handler(api_event(content_type=content_type), LambdaContext())

    assert error_of(response) == (
        415,
        "UnsupportedMediaType",
        f"Content-Type {content_type[:100]!r} is not allowed; allowed: application/json, text/csv",
    )


@pytest.mark.parametrize("content_type", ["application/x-npy", "text/csv"])
def test_allowed_content_types_env_is_normalised(
    handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch, content_type: str
) -> None:
    monkeypatch.setenv("ALLOWED_CONTENT_TYPES", " Application/X-NPY , ,TEXT/CSV ,")
    stubbed.add_response("invoke_endpoint", answer(), sync_params(b"1,2", content_type))

    ok = handler.handler(api_event("1,2", content_type=content_type), LambdaContext())
    refused = handler.handler(api_event(content_type="application/json"), LambdaContext())

    assert ok["statusCode"] == 200
    assert error_of(refused) == (
        415, "UnsupportedMediaType", "Content-Type 'application/json' is not allowed; allowed: application/x-npy, text/csv"
    )


def test_empty_allowed_content_types_env_means_the_default(
    handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOWED_CONTENT_TYPES", "")
    stubbed.add_response("invoke_endpoint", answer())

    assert handler.handler(api_event(), LambdaContext())["statusCode"] == 200


# -------------------------------------------------------------------------------------------------------- body


@pytest.mark.parametrize(
    "body, base64, expected",
    [
        (None, False, (400, "EmptyBody", "request body is empty")),
        ("", False, (400, "EmptyBody", "request body is empty")),
        ({"a": 1}, False, (400, "BadRequest", "body must be a string")),
        ("YQ==!!", True, (400, "InvalidBase64", "isBase64Encoded is true but the body is not valid base64")),
        ("YQ==!!", "TRUE", (400, "InvalidBase64", "isBase64Encoded is true but the body is not valid base64")),
        ("1,\ud800", False, (400, "BadRequest", "body is not valid UTF-8 text")),
    ],
)
def test_body_errors(handler: Any, body: Any, base64: Any, expected: tuple) -> None:
    response = handler.handler(api_event(body, content_type="text/csv", base64=base64), LambdaContext())

    assert error_of(response) == expected


@pytest.mark.parametrize("flag, sent", [("true", b"1,2"), ("false", b"MSwy"), (True, b"1,2"), (False, b"MSwy")])
def test_base64_flag(handler: Any, stubbed: Stubber, flag: Any, sent: bytes) -> None:
    stubbed.add_response("invoke_endpoint", answer(), sync_params(sent, "text/csv"))

    response = handler.handler(api_event("MSwy", content_type="text/csv", base64=flag), LambdaContext())

    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == 200


# -------------------------------------------------------------------------------------------------- async route


def test_async_request_and_answer(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_response(
        "invoke_endpoint_async",
        ASYNC_ANSWER,
        {
            "EndpointName": ENDPOINT_NAME,
            "InputLocation": f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}batch/x.json",
            "ContentType": "text/csv",
            "Accept": "application/json",
            "InferenceId": "inf-1",
            "RequestTTLSeconds": 3600,
            "InvocationTimeoutSeconds": 900,
            "CustomAttributes": "trace=1",
        },
    )
    body = {
        "input_location": "batch/x.json",
        "content_type": "text/csv",
        "accept": "application/json",
        "inference_id": "inf-1",
        "request_ttl_seconds": 3600,
        "invocation_timeout_seconds": 900,
    }
    headers = {
        "X-Target-Variant": "challenger",  # not an InvokeEndpointAsync parameter: dropped
        "X-Amzn-SageMaker-Custom-Attributes": "trace=1",
        "Accept": "text/csv",  # the body's value wins
        "X-Inference-Id": "from-header",  # likewise
    }

    response = handler.handler(async_event(body, headers=headers), LambdaContext("req-202"))

    stubbed.assert_no_pending_responses()
    assert response == {
        "statusCode": 202,
        "headers": {"Content-Type": "application/json", "X-Request-Id": "req-202"},
        "body": json.dumps(
            {
                "inference_id": "inf-1",
                "output_location": "s3://outputs/inf-1.out",
                "failure_location": "s3://failures/inf-1.out",
            }
        ),
        "isBase64Encoded": False,
    }


def test_async_headers_and_nulls(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_response(
        "invoke_endpoint_async",
        {"OutputLocation": "s3://outputs/x.out"},
        {
            "EndpointName": ENDPOINT_NAME,
            "InputLocation": f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}x.json",
            "Accept": "text/csv",
            "InferenceId": "from-header",
        },
    )
    body = {"input_location": "x.json", "content_type": None, "accept": None, "request_ttl_seconds": None}

    response = handler.handler(
        async_event(body, headers={"Accept": "text/csv", "X-Inference-Id": "from-header"}), LambdaContext()
    )

    stubbed.assert_no_pending_responses()
    assert json.loads(response["body"]) == {
        "inference_id": None,
        "output_location": "s3://outputs/x.out",
        "failure_location": None,
    }


@pytest.mark.parametrize("prefix, expected", [(None, "async-input/x.json"), ("tenant-a/", "tenant-a/x.json")])
def test_async_prefix_env_and_default(
    handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch, prefix: str | None, expected: str
) -> None:
    monkeypatch.setenv("ASYNC_INPUT_BUCKET", "other-inputs")
    if prefix is None:
        monkeypatch.delenv("ASYNC_INPUT_PREFIX")
    else:
        monkeypatch.setenv("ASYNC_INPUT_PREFIX", prefix)
    stubbed.add_response(
        "invoke_endpoint_async",
        ASYNC_ANSWER,
        {"EndpointName": ENDPOINT_NAME, "InputLocation": f"s3://other-inputs/{expected}"},
    )

    response = handler.handler(async_event({"input_location": "x.json"}), LambdaContext())

    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == 202


def test_async_not_configured(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNC_INPUT_BUCKET", "")

    response = handler.handler(async_event({"input_location": "x.json"}), LambdaContext())

    assert error_of(response) == (
        404, "AsyncNotConfigured", "asynchronous inference is not configured for this API"
    )


@pytest.mark.parametrize(
    "body, expected",
    [
        ("{oops", (400, "InvalidJson", ASYNC_BODY_MESSAGE)),
        ("[1]", (400, "BadRequest", ASYNC_BODY_MESSAGE)),
        ('{"input_location": 7}', (400, "BadRequest", ASYNC_BODY_MESSAGE)),
        ('{"input_location": "x.json", "content_type": ""}', (400, "BadRequest", "content_type must be a non-empty string")),
        ('{"input_location": "x.json", "accept": 5}', (400, "BadRequest", "accept must be a non-empty string")),
        ('{"input_location": "x.json", "inference_id": ""}', (400, "BadRequest", "inference_id must be a non-empty string")),
        ('{"input_location": "x.json", "request_ttl_seconds": true}', (400, "BadRequest", "request_ttl_seconds must be an integer")),
        (
            '{"input_location": "x.json", "invocation_timeout_seconds": "60"}',
            (400, "BadRequest", "invocation_timeout_seconds must be an integer"),
        ),
        ('{"input_location": "http://x/y.json"}', (400, "BadRequest", "input_location must be s3://bucket/key or a key relative to the prefix")),
        (
            '{"input_location": "s3://elsewhere/async-input/x.json"}',
            (403, "Forbidden", f"input_location must be in s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}"),
        ),
    ],
)
def test_async_request_errors(handler: Any, stubbed: Stubber, body: str, expected: tuple) -> None:
    response = handler.handler(api_event(body, path="/async-invocations"), LambdaContext())

    assert error_of(response) == expected


@pytest.mark.parametrize(
    "value, key",
    [
        (f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}a/b.json", f"{ASYNC_PREFIX}a/b.json"),
        ("a/b.json", f"{ASYNC_PREFIX}a/b.json"),
        ("a..b.json", f"{ASYNC_PREFIX}a..b.json"),
        ("k" * (1000 - len(ASYNC_PREFIX)), ASYNC_PREFIX + "k" * (1000 - len(ASYNC_PREFIX))),
    ],
)
def test_input_location_accepted(handler: Any, value: str, key: str) -> None:
    assert handler._input_location(value, ASYNC_BUCKET, ASYNC_PREFIX) == f"s3://{ASYNC_BUCKET}/{key}"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", (403, "Forbidden", f"input_location must name an object under s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}")),
        (f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}", (403, "Forbidden", f"input_location must name an object under s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}")),
        (f"s3://{ASYNC_BUCKET}", (403, "Forbidden", f"input_location must name an object under s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}")),
        (f"s3://{ASYNC_BUCKET}/private/x", (403, "Forbidden", f"input_location must name an object under s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}")),
        ("dir/", (403, "Forbidden", f"input_location must name an object under s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}")),
        ("a/../b.json", (403, "Forbidden", f"input_location must name an object under s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}")),
        (f"s3://{ASYNC_BUCKET}x/{ASYNC_PREFIX}a", (403, "Forbidden", f"input_location must be in s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}")),
        (f"S3://{ASYNC_BUCKET}/{ASYNC_PREFIX}a", (400, "BadRequest", "input_location must be s3://bucket/key or a key relative to the prefix")),
        ("k" * (1001 - len(ASYNC_PREFIX)), (400, "BadRequest", "input_location is too long")),
    ],
)
def test_input_location_refused(handler: Any, value: str, expected: tuple) -> None:
    with pytest.raises(handler.HttpError) as raised:
        handler._input_location(value, ASYNC_BUCKET, ASYNC_PREFIX)

    assert (raised.value.status, raised.value.code, raised.value.message) == expected


# ------------------------------------------------------------------------------------------------ SageMaker call


def _raising(exc: Exception):
    def operation(**_: Any) -> dict:
        raise exc

    return operation


@pytest.mark.parametrize(
    "exc, expected",
    [
        (
            ReadTimeoutError(endpoint_url="https://x"),
            (502, "UpstreamTimeout", "the endpoint did not answer in time"),
        ),
        (
            ConnectTimeoutError(endpoint_url="https://x"),
            (502, "UpstreamTimeout", "the endpoint did not answer in time"),
        ),
        (
            EndpointConnectionError(endpoint_url="https://x"),
            (502, "UpstreamError", "could not reach SageMaker"),
        ),
    ],
    ids=["read-timeout", "connect-timeout", "connection-error"],
)
def test_call_transport_errors(handler: Any, exc: Exception, expected: tuple) -> None:
    with pytest.raises(handler.HttpError) as raised:
        handler._call(_raising(exc), {})

    assert (raised.value.status, raised.value.code, raised.value.message) == expected
    assert raised.value.headers == {}


def test_call_deadline_exceeded(handler: Any) -> None:
    with pytest.raises(handler.HttpError) as raised:
        handler._call(_raising(handler._DeadlineExceeded("late")), {})

    assert (raised.value.status, raised.value.code, raised.value.message) == (
        502, "UpstreamTimeout", "the endpoint did not answer before the function timeout"
    )


def test_call_param_validation_message_is_cut_at_500(handler: Any) -> None:
    err = ParamValidationError(report="x" * 1000)

    with pytest.raises(handler.HttpError) as raised:
        handler._call(_raising(err), {})

    assert (raised.value.status, raised.value.code, raised.value.message) == (400, "ValidationError", str(err)[:500])
    assert len(raised.value.message) == 500


def test_call_passes_params_and_returns_the_result(handler: Any) -> None:
    assert handler._call(lambda **kw: {"got": kw}, {"EndpointName": "e"}) == {"got": {"EndpointName": "e"}}


@pytest.mark.parametrize(
    "response, expected",
    [
        ({}, (502, "Unknown", "Unknown", {}, {})),
        ({"Error": {"Code": "InternalFailure"}}, (502, "InternalFailure", "InternalFailure", {}, {})),
        ({"Error": {"Code": "Odd", "Message": "odd thing"}}, (502, "Odd", "odd thing", {}, {})),
        ({"Error": {"Code": "ValidationError", "Message": "bad"}}, (400, "ValidationError", "bad", {}, {})),
        (
            {"Error": {"Code": "ModelNotReadyException", "Message": "warming"}},
            (503, "ModelNotReadyException", "warming", {"Retry-After": "5"}, {}),
        ),
        (
            {"Error": {"Code": "ServiceUnavailable", "Message": "busy"}},
            (503, "ServiceUnavailable", "busy", {"Retry-After": "5"}, {}),
        ),
        (
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
            (503, "ThrottlingException", "slow down", {"Retry-After": "1"}, {}),
        ),
        (
            {
                "Error": {"Code": "ModelError", "Message": "raw"},
                "OriginalStatusCode": 404,
                "OriginalMessage": "no such item",
                "LogStreamArn": "arn:log",
            },
            (
                404,
                "ModelError",
                "the model returned an error",
                {},
                {"original_status_code": 404, "original_message": "no such item", "log_stream_arn": "arn:log"},
            ),
        ),
        (
            {"Error": {"Code": "ModelError"}, "OriginalStatusCode": "404"},
            (
                502,
                "ModelError",
                "the model returned an error",
                {},
                {"original_status_code": "404", "original_message": None, "log_stream_arn": None},
            ),
        ),
    ],
)
def test_client_error_mapping(handler: Any, response: dict, expected: tuple) -> None:
    err = handler._client_error(ClientError(response, "InvokeEndpoint"))

    assert (err.status, err.code, err.message, err.headers, err.details) == expected


def test_error_body_carries_details_and_headers(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelNotReadyException",
        service_message="warming up",
        http_status_code=429,
    )

    response = handler.handler(api_event(), LambdaContext("req-503"))

    assert response == {
        "statusCode": 503,
        "headers": {"Content-Type": "application/json", "Retry-After": "5", "X-Request-Id": "req-503"},
        "body": json.dumps(
            {"error": {"code": "ModelNotReadyException", "message": "warming up", "request_id": "req-503"}}
        ),
        "isBase64Encoded": False,
    }


# ------------------------------------------------------------------------------------------------------ client


def test_client_config(handler: Any, fake_aws_env: None) -> None:
    config = handler.make_client().meta.config

    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert config.connect_timeout == 2
    assert config.read_timeout == handler.READ_TIMEOUT_SECONDS
    assert config.tcp_keepalive is True


def test_endpoints_file_is_parsed_into_plain_dicts(handler: Any) -> None:
    data = handler._OneServiceLoader().load_data("endpoints")

    assert type(data) is dict
    assert type(data["partitions"][0]) is dict
    assert handler._PlainEndpointsFileLoader().load_file("/nonexistent/endpoints") is None


def test_client_uses_the_one_service_loader(handler: Any, fake_aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []

    class Spy(handler._OneServiceLoader):
        def load_service_model(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
            loaded.append(service_name)
            return super().load_service_model(service_name, *args, **kwargs)

    monkeypatch.setattr(handler, "_OneServiceLoader", Spy)

    handler.make_client()

    assert "sagemaker-runtime" in loaded


# ------------------------------------------------------------------------------------------------------- utils


def test_headers_ignore_malformed_entries(handler: Any) -> None:
    event = {
        "multiValueHeaders": {"A": [], "B": "text/csv", 5: ["x"], "C": [7], "D": ["one", "two"]},
        "headers": {"E": 5, 6: "x", "F": "f"},
    }

    assert handler._headers(event) == {"d": "two", "f": "f"}


def test_request_id_from_the_event_reaches_the_response(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_response("invoke_endpoint", answer())

    response = handler.handler(api_event(), types.SimpleNamespace(aws_request_id=None))

    assert response["headers"]["X-Request-Id"] == "apigw-req-1"


def test_http_error_is_an_exception_with_the_message(handler: Any) -> None:
    err = handler.HttpError(418, "Teapot", "short and stout")

    assert str(err) == "short and stout"
    assert (err.status, err.code, err.message, err.headers, err.details) == (418, "Teapot", "short and stout", {}, {})
