"""Targeted assertions for behaviour the error table and docstring promise, at its boundaries.

Each test here was written against a specific small bug (a mutant) that the broader tests let through.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from invoke_helpers import ENDPOINT_NAME, LambdaContext, api_event


def _error(response: dict) -> dict:
    return json.loads(response["body"])["error"]


@pytest.mark.parametrize(
    "original, expected",
    [(400, 400), (404, 404), (499, 499), (399, 502), (500, 502), (503, 502), (None, 502)],
)
def test_model_error_status_passes_through_exactly_for_4xx(
    handler: Any, stubbed: Stubber, original: Any, expected: int
) -> None:
    modeled = {"OriginalMessage": "model said no"}
    if original is not None:
        modeled["OriginalStatusCode"] = original
    stubbed.add_client_error(
        "invoke_endpoint", service_error_code="ModelError", http_status_code=424, modeled_fields=modeled
    )
    response = handler.handler(api_event(), LambdaContext())
    stubbed.assert_no_pending_responses()  # the stubbed error was consumed: the handler did call SageMaker
    assert response["statusCode"] == expected
    assert _error(response)["code"] == "ModelError"


def test_param_validation_error_is_a_400_not_a_502(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # SageMaker's RequestTTLSeconds has a minimum of 60 in botocore's model; botocore rejects 5 before sending.
    # The client points at a closed port: had the request gone out, the answer would be a 502.
    monkeypatch.setattr(handler, "CLIENT", handler.make_client(endpoint_url="http://127.0.0.1:9"))
    body = json.dumps({"input_location": "s3://async-inputs/async-input/x.csv", "request_ttl_seconds": 5})
    response = handler.handler(api_event(body, path="/async-invocations"), LambdaContext())
    assert response["statusCode"] == 400
    error = _error(response)
    assert error["code"] == "ValidationError"
    assert "RequestTTLSeconds" in error["message"]


def test_single_value_headers_win_over_multi_value_headers(handler: Any, stubbed: Stubber) -> None:
    event = api_event("1,2", content_type=None)
    event["headers"] = {"Content-Type": "text/csv"}
    event["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    body = b"[0.5]"
    stubbed.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "application/json"},
        {"EndpointName": ENDPOINT_NAME, "Body": b"1,2", "ContentType": "text/csv"},
    )
    response = handler.handler(event, LambdaContext())
    stubbed.assert_no_pending_responses()
    assert response["statusCode"] == 200


def test_multi_value_headers_are_used_when_single_values_are_absent(handler: Any) -> None:
    headers = handler._headers({"headers": None, "multiValueHeaders": {"Accept": ["a/b", "text/csv"]}})
    assert headers == {"accept": "text/csv"}
    headers = handler._headers({"headers": {"Accept": "x/y"}, "multiValueHeaders": {"Accept": ["a/b"], "X": ["1"]}})
    assert headers == {"accept": "x/y", "x": "1"}
