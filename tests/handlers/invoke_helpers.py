"""Helpers shared by the invoke_endpoint handler tests: API Gateway events, a Lambda context, request capture."""

from __future__ import annotations

from typing import Any

ENDPOINT_NAME = "churn-endpoint"
ASYNC_BUCKET = "async-inputs"
ASYNC_PREFIX = "async-input/"


class LambdaContext:
    """The attributes of Lambda's context object that the handlers read."""

    def __init__(self, request_id: str = "req-0001", remaining_ms: int = 29_000) -> None:
        self.aws_request_id = request_id
        self.function_name = "invoke-endpoint"
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


def api_event(
    body: Any = '{"instances": [[1, 2, 3]]}',
    *,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    path: str = "/invocations",
    query: dict[str, str] | None = None,
    base64: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as API Gateway sends it (headers and multiValueHeaders both present)."""
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": all_headers or None,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()} or None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"requestId": "apigw-req-1", "stage": "prod", "identity": {"sourceIp": "192.0.2.1"}},
        "body": body,
        "isBase64Encoded": base64,
    }


class Captured:
    """Every HTTP request the handler's client put on the wire (botocore `before-send`)."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    def __call__(self, request: Any, **_: Any) -> None:
        self.requests.append(request)

    @property
    def last(self) -> Any:
        assert self.requests, "the handler sent no request"
        return self.requests[-1]

    def header(self, name: str) -> str | None:
        value = self.last.headers.get(name)
        return value.decode() if isinstance(value, bytes) else value


class SentResponses:
    """Stands in for urllib.request.urlopen in the custom-resource handlers: keeps each request (CloudFormation's
    response, PUT to the presigned URL) and its timeout, and answers 200."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.timeouts: list[Any] = []

    def __call__(self, request: Any, timeout: Any = None) -> Any:
        from unittest import mock

        self.requests.append(request)
        self.timeouts.append(timeout)
        response = mock.MagicMock()
        response.__enter__.return_value.status = 200
        return response

    @property
    def body(self) -> dict[str, Any]:
        import json

        (request,) = self.requests
        return json.loads(request.data)
