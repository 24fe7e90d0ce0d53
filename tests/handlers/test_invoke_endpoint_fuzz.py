"""Property: whatever API Gateway (or a broken caller) hands the handler, it answers a well-formed proxy response.

Events are generated with missing fields, None values, wrong types, random header casing and values, broken
isBase64Encoded flags and random bodies. SageMaker is replaced by a botocore `before-call` hook that answers any
InvokeEndpoint/InvokeEndpointAsync that gets through parameter validation, so a 2xx is only possible when the request
legitimately reached (stubbed) SageMaker. The 6 MB boundary has dedicated tests in test_invoke_endpoint_errors.py.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from invoke_helpers import ASYNC_BUCKET, ASYNC_PREFIX, LambdaContext

FUZZ_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)


class AlwaysAnswers:
    """`before-call` hook: SageMaker accepts every request that botocore would send."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, model: Any, params: dict, **_: Any) -> tuple[AWSResponse, dict]:
        self.calls.append((model.name, params))
        if model.name == "InvokeEndpointAsync":
            return AWSResponse(None, 202, {}, None), {
                "InferenceId": "inf-1",
                "OutputLocation": "s3://out/response.json",
                "FailureLocation": "s3://out/failure.json",
            }
        data = b"[0.5]"
        return AWSResponse(None, 200, {}, None), {
            "Body": StreamingBody(io.BytesIO(data), len(data)),
            "ContentType": "application/json",
            "InvokedProductionVariant": "champion",
        }


@pytest.fixture
def always_answers(handler: Any, monkeypatch: pytest.MonkeyPatch) -> AlwaysAnswers:
    client = handler.make_client()
    hook = AlwaysAnswers()
    client.meta.events.register("before-call.sagemaker-runtime", hook)
    monkeypatch.setattr(handler, "CLIENT", client)
    return hook


def random_case(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(name, flips))
    )


anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
header_values = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "text/csv",
            "text/csv; charset=utf-8",
            "APPLICATION/JSON",
            "application/xml",
            "image/png",
            "",
            ";",
            "champion",
            "challenger",
        ]
    ),
    st.text(max_size=40),
    st.text(max_size=1100),
    anything,
)
known_headers = ["Content-Type", "Accept", "X-Target-Variant", "X-Inference-Id", "X-Amzn-SageMaker-Custom-Attributes"]
header_names = st.one_of(st.sampled_from(known_headers).flatmap(random_case), st.text(max_size=20))
headers = st.one_of(st.none(), anything, st.dictionaries(header_names, header_values, max_size=6))
multi_headers = st.one_of(
    st.none(), anything, st.dictionaries(header_names, st.one_of(st.lists(header_values, max_size=3), anything))
)
valid_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
).map(json.dumps)
async_bodies = st.fixed_dictionaries(
    {},
    optional={
        "input_location": st.one_of(
            st.sampled_from(
                [
                    f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}in.json",
                    f"s3://{ASYNC_BUCKET}/other/in.json",
                    "s3://elsewhere/async-input/in.json",
                    "in.json",
                    "../in.json",
                    "s3://",
                ]
            ),
            st.text(max_size=30),
            anything,
        ),
        "content_type": st.one_of(st.sampled_from(["text/csv", ""]), anything),
        "accept": anything,
        "inference_id": anything,
        "request_ttl_seconds": st.one_of(st.integers(), anything),
        "invocation_timeout_seconds": st.one_of(st.integers(), anything),
    },
).map(json.dumps)
bodies = st.one_of(
    st.none(),
    st.text(max_size=200),
    valid_json,
    async_bodies,
    st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
    st.sampled_from(["1,2,3", "1.5,2.5\n3.5,4.5", "", " ", "====", "e30=", "%%%"]),
    st.integers(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.binary(max_size=20),
)
base64_flags = st.one_of(
    st.none(), st.booleans(), st.sampled_from(["true", "false", "TRUE", "yes", ""]), st.integers(-1, 2), anything
)
paths = st.one_of(
    st.sampled_from(["/invocations", "/async-invocations", "/", "", "/predict", "invocations", "/async-invocations/"]),
    st.none(),
    anything,
)
query = st.one_of(
    st.none(),
    anything,
    st.dictionaries(st.sampled_from(["variant", "Variant", "x"]), st.one_of(st.text(max_size=70), anything)),
)
event_fields = {
    "resource": paths,
    "path": paths,
    "httpMethod": st.one_of(st.sampled_from(["POST", "POST", "GET", "PUT", "post"]), st.none(), anything),
    "headers": headers,
    "multiValueHeaders": multi_headers,
    "queryStringParameters": query,
    "multiValueQueryStringParameters": st.one_of(st.none(), anything),
    "requestContext": st.one_of(st.none(), anything, st.fixed_dictionaries({"requestId": anything})),
    "body": bodies,
    "isBase64Encoded": base64_flags,
}
# Close to what API Gateway sends, so that a fair share of examples gets through to SageMaker.
plausible_events = st.fixed_dictionaries(
    {
        "resource": st.sampled_from(["/invocations", "/async-invocations"]),
        "httpMethod": st.just("POST"),
        "headers": st.fixed_dictionaries(
            {"Content-Type": st.sampled_from(["application/json", "text/csv; charset=utf-8", "text/plain"])},
            optional={name: header_values for name in known_headers[1:]},
        ),
        "body": st.one_of(valid_json, async_bodies, st.sampled_from(["1,2,3", "{"])),
        "isBase64Encoded": st.one_of(st.just(False), st.none()),
    },
    optional={"queryStringParameters": query, "multiValueHeaders": multi_headers},
)
events = st.one_of(
    plausible_events,
    st.fixed_dictionaries({}, optional=event_fields),
    st.none(),
    st.integers(),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=2),
)
contexts = st.one_of(
    st.none(), st.just(LambdaContext()), st.just(object()), st.builds(LambdaContext, st.text(max_size=5))
)


def assert_well_formed(response: Any) -> None:
    assert isinstance(response, dict)
    assert type(response["statusCode"]) is int
    assert isinstance(response["headers"], dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response["headers"].items())
    assert isinstance(response["body"], str)
    assert isinstance(response.get("isBase64Encoded", False), bool)
    if response["statusCode"] >= 400:
        error = json.loads(response["body"])["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        assert isinstance(error["request_id"], str) and error["request_id"]
        assert "Traceback" not in response["body"]


@FUZZ_SETTINGS
@given(api_event=events, context=contexts)
def test_any_event_gets_a_well_formed_response(
    handler: Any, always_answers: AlwaysAnswers, api_event: Any, context: Any
) -> None:
    calls_before = len(always_answers.calls)

    response = handler.handler(api_event, context)

    assert_well_formed(response)
    reached_sagemaker = len(always_answers.calls) > calls_before
    status = response["statusCode"]
    event(f"status {status}")  # shown by --hypothesis-show-statistics
    assert 200 <= status < 600
    assert status != 500, response  # 500 means an unhandled bug (ENDPOINT_NAME is set)
    if 200 <= status < 300:
        assert reached_sagemaker
        assert status in (200, 202)
    else:
        assert 400 <= status < 600


@FUZZ_SETTINGS
@given(
    headers=st.dictionaries(header_names, st.text(max_size=80), max_size=6),
    body=st.one_of(st.text(min_size=1, max_size=100), valid_json),
)
def test_well_formed_requests_with_random_headers(
    handler: Any, always_answers: AlwaysAnswers, headers: dict, body: str
) -> None:
    request = {"resource": "/invocations", "httpMethod": "POST", "headers": headers, "body": body}

    response = handler.handler(request, LambdaContext())

    assert_well_formed(response)
    assert response["statusCode"] in (200, 400, 415)
