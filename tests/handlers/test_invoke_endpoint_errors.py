"""invoke_endpoint error mapping (botocore Stubber, one test per row of the table) and request validation."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from invoke_helpers import ENDPOINT_NAME, LambdaContext, api_event

LOG_STREAM = (
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/churn-endpoint"
    ":log-stream:champion/i-0abc"
)


def error_of(response: dict) -> dict:
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"}
    assert {"code", "message", "request_id"} <= set(body["error"])
    assert "Traceback" not in response["body"]
    return body["error"]


def ok_answer(body: bytes = b"[0.5]", content_type: str = "application/json") -> dict:
    return {
        "Body": StreamingBody(io.BytesIO(body), len(body)),
        "ContentType": content_type,
        "InvokedProductionVariant": "champion",
    }


# ------------------------------------------------------------------------------------------- SageMaker error table


@pytest.mark.parametrize(
    "code, http_status, modeled, expected_status, retry_after",
    [
        pytest.param("ValidationError", 400, None, 400, None, id="ValidationError-400"),
        pytest.param(
            "ModelError",
            424,
            {"OriginalStatusCode": 500, "OriginalMessage": "predictor crashed", "LogStreamArn": LOG_STREAM},
            502,
            None,
            id="ModelError-502",
        ),
        pytest.param(
            "ModelError",
            424,
            {"OriginalStatusCode": 422, "OriginalMessage": "feature 3 missing", "LogStreamArn": LOG_STREAM},
            422,
            None,
            id="ModelError-4xx-passes-through",
        ),
        pytest.param("ModelNotReadyException", 429, None, 503, "5", id="ModelNotReady-503"),
        pytest.param("ServiceUnavailable", 503, None, 503, "5", id="ServiceUnavailable-503"),
        pytest.param("ThrottlingException", 400, None, 503, "1", id="Throttling-503"),
        pytest.param("InternalFailure", 500, None, 502, None, id="other-502"),
    ],
)
def test_sagemaker_error_mapping(
    handler: Any,
    stubbed: Stubber,
    code: str,
    http_status: int,
    modeled: dict | None,
    expected_status: int,
    retry_after: str | None,
) -> None:
    stubbed.add_client_error(
        "invoke_endpoint",
        service_error_code=code,
        service_message=f"{code} happened",
        http_status_code=http_status,
        modeled_fields=modeled,
        expected_params={"EndpointName": ENDPOINT_NAME, "Body": b"1,2", "ContentType": "text/csv"},
    )

    response = handler.handler(api_event("1,2", content_type="text/csv"), LambdaContext("req-err"))

    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == expected_status
    assert response["headers"].get("Retry-After") == retry_after
    error = error_of(response)
    assert error["code"] == code
    assert error["request_id"] == "req-err"
    if modeled:
        assert error["original_status_code"] == modeled["OriginalStatusCode"]
        assert error["original_message"] == modeled["OriginalMessage"]
        assert error["log_stream_arn"] == LOG_STREAM


@pytest.mark.parametrize("code", ["Throttling", "TooManyRequestsException", "RequestLimitExceeded"])
def test_botocore_throttling_codes_are_503(handler: Any, stubbed: Stubber, code: str) -> None:
    stubbed.add_client_error("invoke_endpoint", service_error_code=code, http_status_code=400)

    response = handler.handler(api_event(), LambdaContext())

    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"


def _raise_on_send(exc: Exception):
    def hook(**_: Any) -> None:
        raise exc

    return hook


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore sleeps between retries; the tests only care how many attempts were made."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)


@pytest.mark.parametrize(
    "exc",
    [
        ReadTimeoutError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/x/invocations"),
        EndpointConnectionError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com"),
    ],
    ids=["read-timeout", "connection-error"],
)
def test_transport_errors_are_502_after_retries(
    handler: Any, monkeypatch: pytest.MonkeyPatch, no_backoff: None, exc: Exception
) -> None:
    client = handler.make_client()
    attempts = []
    client.meta.events.register("before-send.sagemaker-runtime", lambda **kw: attempts.append(1))
    client.meta.events.register("before-send.sagemaker-runtime", _raise_on_send(exc))
    monkeypatch.setattr(handler, "CLIENT", client)

    response = handler.handler(api_event(), LambdaContext(remaining_ms=900_000))

    assert len(attempts) == 4  # botocore's max_attempts counts retries: 1 attempt + 3 retries
    assert response["statusCode"] == 502
    assert error_of(response)["code"] in {"UpstreamTimeout", "UpstreamError"}


def test_no_retry_that_would_outlive_the_function(
    handler: Any, monkeypatch: pytest.MonkeyPatch, no_backoff: None
) -> None:
    client = handler.make_client()
    attempts = []
    client.meta.events.register("before-send.sagemaker-runtime", lambda **kw: attempts.append(1))
    client.meta.events.register("before-send.sagemaker-runtime", _raise_on_send(ReadTimeoutError(endpoint_url="x")))
    monkeypatch.setattr(handler, "CLIENT", client)
    # Less time left than one more read timeout: the first attempt runs, the retry is refused.
    remaining_ms = int(handler.READ_TIMEOUT_SECONDS * 1000) + 200

    response = handler.handler(api_event(), LambdaContext(remaining_ms=remaining_ms))

    assert len(attempts) == 1
    assert response["statusCode"] == 502
    assert error_of(response)["code"] == "UpstreamTimeout"


def test_unexpected_bug_is_500_without_details(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def invoke_endpoint(self, **_: Any) -> dict:
            raise KeyError("secret internals")

    monkeypatch.setattr(handler, "CLIENT", Broken())

    response = handler.handler(api_event(), LambdaContext())

    assert response["statusCode"] == 500
    assert "secret internals" not in response["body"]
    assert error_of(response)["code"] == "InternalError"


def test_binary_answer_is_base64(handler: Any, stubbed: Stubber) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    stubbed.add_response("invoke_endpoint", ok_answer(png, "image/png"))

    response = handler.handler(api_event(), LambdaContext())

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == png


# ------------------------------------------------------------------------------------------------ request checks


@pytest.mark.parametrize(
    "event_kwargs, status, code",
    [
        ({"body": None}, 400, "EmptyBody"),
        ({"body": ""}, 400, "EmptyBody"),
        ({"body": "{not json"}, 400, "InvalidJson"),
        ({"body": "%%%not base64", "base64": True}, 400, "InvalidBase64"),
        ({"body": "", "base64": True}, 400, "EmptyBody"),
        ({"content_type": "application/xml"}, 415, "UnsupportedMediaType"),
        ({"content_type": None}, 415, "UnsupportedMediaType"),
        ({"path": "/predict"}, 404, "NotFound"),
        ({"headers": {"X-Target-Variant": "é"}}, 400, "BadRequest"),
        ({"headers": {"X-Inference-Id": "x" * 2000}}, 400, "BadRequest"),
    ],
)
def test_bad_requests(handler: Any, stubbed: Stubber, event_kwargs: dict, status: int, code: str) -> None:
    calls: list[str] = []
    handler.CLIENT.meta.events.register("before-call.sagemaker-runtime", lambda model, **_: calls.append(model.name))

    response = handler.handler(api_event(**event_kwargs), LambdaContext())

    assert response["statusCode"] == status
    assert error_of(response)["code"] == code
    assert calls == []  # rejected before any SageMaker call


def test_get_is_405(handler: Any, stubbed: Stubber) -> None:
    event = api_event()
    event["httpMethod"] = "GET"

    response = handler.handler(event, LambdaContext())

    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "POST"


def test_missing_endpoint_name_is_500_json(handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENDPOINT_NAME")

    response = handler.handler(api_event(), LambdaContext())

    assert response["statusCode"] == 500
    assert error_of(response)["code"] == "Misconfigured"


def test_allowed_content_types_from_env(handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_CONTENT_TYPES", "application/x-npy, text/csv")
    expected = {"EndpointName": ENDPOINT_NAME, "Body": b"\x93NUMPY", "ContentType": "application/x-npy"}
    stubbed.add_response("invoke_endpoint", ok_answer(), expected)

    ok = handler.handler(
        api_event(base64.b64encode(b"\x93NUMPY").decode(), content_type="application/x-npy", base64=True),
        LambdaContext(),
    )
    json_now_refused = handler.handler(api_event(), LambdaContext())

    assert ok["statusCode"] == 200
    assert json_now_refused["statusCode"] == 415


def test_null_headers_are_tolerated(handler: Any, stubbed: Stubber) -> None:
    event = api_event(content_type=None)
    event["headers"] = None
    event["multiValueHeaders"] = {"content-type": ["text/csv"]}
    stubbed.add_response("invoke_endpoint", ok_answer(b"1", "text/csv"))

    response = handler.handler(dict(event, body="1,2"), LambdaContext())

    assert response["statusCode"] == 200


# -------------------------------------------------------------------------------------------------- 413 boundary


def test_largest_allowed_body_is_sent(handler: Any, stubbed: Stubber) -> None:
    body = "1" * handler.MAX_SYNC_BODY_BYTES
    stubbed.add_response("invoke_endpoint", ok_answer(b"1", "text/csv"))

    response = handler.handler(api_event(body, content_type="text/csv"), LambdaContext())

    assert response["statusCode"] == 200


@pytest.mark.parametrize("as_base64", [False, True], ids=["text", "base64"])
def test_body_over_6_mb_is_413_pointing_to_async(handler: Any, stubbed: Stubber, as_base64: bool) -> None:
    raw = b"1" * (handler.MAX_SYNC_BODY_BYTES + 1)
    body = base64.b64encode(raw).decode() if as_base64 else raw.decode()

    response = handler.handler(api_event(body, content_type="text/csv", base64=as_base64), LambdaContext())

    assert response["statusCode"] == 413
    error = error_of(response)
    assert error["code"] == "PayloadTooLarge"
    assert "/async-invocations" in error["message"]


# ------------------------------------------------------------------------------------------------- async checks


@pytest.mark.parametrize(
    "body, status",
    [
        ({"input_location": "s3://other-bucket/async-input/x.json"}, 403),
        ({"input_location": "s3://async-inputs/private/x.json"}, 403),
        ({"input_location": "s3://async-inputs/async-input/"}, 403),
        ({"input_location": "../private/x.json"}, 403),
        ({"input_location": "https://example.com/x.json"}, 400),
        ({"input_location": 7}, 400),
        ({"location": "x.json"}, 400),
        ([1, 2], 400),
        ({"input_location": "x.json", "request_ttl_seconds": "soon"}, 400),
    ],
)
def test_async_bad_requests(handler: Any, stubbed: Stubber, body: Any, status: int) -> None:
    response = handler.handler(api_event(json.dumps(body), path="/async-invocations"), LambdaContext())

    assert response["statusCode"] == status
    error_of(response)


def test_async_without_bucket_is_404(handler: Any, stubbed: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASYNC_INPUT_BUCKET")

    response = handler.handler(api_event('{"input_location": "x.json"}', path="/async-invocations"), LambdaContext())

    assert response["statusCode"] == 404
    assert error_of(response)["code"] == "AsyncNotConfigured"


def test_async_validation_error_is_400(handler: Any, stubbed: Stubber) -> None:
    stubbed.add_client_error("invoke_endpoint_async", service_error_code="ValidationError", http_status_code=400)

    response = handler.handler(api_event('{"input_location": "x.json"}', path="/async-invocations"), LambdaContext())

    assert response["statusCode"] == 400
