"""A JSON body nested thousands of levels deep is the client's mistake: 400 JsonTooDeep, never a 500.

json's decoder recurses once per level of nesting, so `[[[[...` about a thousand levels deep raises RecursionError,
which is not a ValueError. Both routes decode JSON; both must answer 400 and never call SageMaker.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from invoke_helpers import LambdaContext, api_event

DEPTHS = [1_000, 5_000, 100_000]


def _nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def _error(response: dict) -> dict:
    body = json.loads(response["body"])
    assert "Traceback" not in response["body"]
    return body["error"]


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("path", ["/invocations", "/async-invocations"])
def test_deeply_nested_json_is_a_400(handler: Any, stubbed: Stubber, path: str, depth: int) -> None:
    response = handler.handler(api_event(_nested(depth), path=path), LambdaContext())

    assert response["statusCode"] == 400
    error = _error(response)
    assert error["code"] == "JsonTooDeep"
    assert "nested too deeply" in error["message"]
    stubbed.assert_no_pending_responses()  # SageMaker was never called


def test_deeply_nested_objects_too(handler: Any, stubbed: Stubber) -> None:
    body = '{"a":' * 50_000 + "1" + "}" * 50_000
    response = handler.handler(api_event(body), LambdaContext())
    assert response["statusCode"] == 400
    assert _error(response)["code"] == "JsonTooDeep"


def test_moderate_nesting_still_reaches_the_model(handler: Any, stubbed: Stubber) -> None:
    import io

    from botocore.response import StreamingBody

    body = _nested(200)
    stubbed.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(b"[1]"), 3), "ContentType": "application/json"},
    )
    response = handler.handler(api_event(body), LambdaContext())
    assert response["statusCode"] == 200


@pytest.mark.integration
def test_deeply_nested_json_over_http_never_reaches_the_endpoint(handler: Any, moto_client: Any) -> None:
    """Over real HTTP against moto: the handler answers 400 itself and puts no request on the wire."""
    response = handler.handler(api_event(_nested(100_000)), LambdaContext("req-deep"))

    assert response["statusCode"] == 400
    assert response["headers"]["Content-Type"] == "application/json"
    error = _error(response)
    assert error == {
        "code": "JsonTooDeep",
        "message": error["message"],
        "request_id": "req-deep",
    }
    assert moto_client.requests == []
