"""invoke_endpoint happy paths over real HTTP against a moto server.

Moto does not record what it received, so each test checks both sides: the request the handler's client put on the
wire (captured with botocore's `before-send` hook: URL, headers, body as SageMaker would see them) and the proxy
response built from moto's scripted answer.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

from invoke_helpers import ASYNC_BUCKET, ASYNC_PREFIX, ENDPOINT_NAME, LambdaContext, api_event
from moto_server import FAKE_CREDENTIALS, queue_sagemaker_results

pytestmark = pytest.mark.integration


@pytest.fixture
def endpoint(moto_url: str, moto_client: Any) -> str:
    """A model, config and endpoint in moto (two variants), as the stack would deploy them."""
    sm = boto3.client("sagemaker", endpoint_url=moto_url, **FAKE_CREDENTIALS)
    for name in ("champion", "challenger"):
        sm.create_model(
            ModelName=f"model-{name}",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-execution",
            PrimaryContainer={
                "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "ModelDataUrl": f"s3://artifacts/{name}/model.tar.gz",
            },
        )
    sm.create_endpoint_config(
        EndpointConfigName="churn-config",
        ProductionVariants=[
            {"VariantName": v, "ModelName": f"model-{v}", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
            for v in ("champion", "challenger")
        ],
    )
    sm.create_endpoint(EndpointName=ENDPOINT_NAME, EndpointConfigName="churn-config")
    assert sm.describe_endpoint(EndpointName=ENDPOINT_NAME)["EndpointStatus"] == "InService"
    return ENDPOINT_NAME


def test_csv_round_trip(handler: Any, endpoint: str, moto_url: str, moto_client: Any) -> None:
    queue_sagemaker_results(
        moto_url,
        [{"Body": "0.87\n", "ContentType": "text/csv", "InvokedProductionVariant": "champion"}],
    )

    response = handler.handler(api_event("5.1,3.5,1.4,0.2", content_type="text/csv"), LambdaContext("req-csv"))

    assert moto_client.last.method == "POST"
    assert moto_client.last.url == f"{moto_url}/endpoints/{ENDPOINT_NAME}/invocations"
    assert moto_client.last.body == b"5.1,3.5,1.4,0.2"
    assert moto_client.header("Content-Type") == "text/csv"
    assert response == {
        "statusCode": 200,
        "headers": {
            "Content-Type": "text/csv",
            "X-Invoked-Production-Variant": "champion",
            "X-Request-Id": "req-csv",
        },
        "body": "0.87\n",
        "isBase64Encoded": False,
    }


def test_json_with_charset_and_accept(handler: Any, endpoint: str, moto_url: str, moto_client: Any) -> None:
    answer = json.dumps({"predictions": [{"score": 0.12}]})
    queue_sagemaker_results(
        moto_url, [{"Body": answer, "ContentType": "application/json", "InvokedProductionVariant": "champion"}]
    )
    event = api_event(
        '{"instances": [[1, 2, 3]]}',
        content_type="application/json; charset=utf-8",
        headers={"accept": "application/json"},
    )

    response = handler.handler(event, LambdaContext())

    assert moto_client.header("Content-Type") == "application/json; charset=utf-8"
    assert moto_client.header("Accept") == "application/json"
    assert json.loads(moto_client.last.body) == {"instances": [[1, 2, 3]]}
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"predictions": [{"score": 0.12}]}
    assert response["headers"]["Content-Type"] == "application/json"


def test_base64_body_is_decoded_before_sending(handler: Any, endpoint: str, moto_url: str, moto_client: Any) -> None:
    queue_sagemaker_results(
        moto_url, [{"Body": "1", "ContentType": "text/csv", "InvokedProductionVariant": "champion"}]
    )
    raw = "1.0,2.0,3.0\n4.0,5.0,6.0\n".encode()
    event = api_event(base64.b64encode(raw).decode(), content_type="text/csv", base64=True)

    response = handler.handler(event, LambdaContext())

    assert moto_client.last.body == raw
    assert response["statusCode"] == 200


@pytest.mark.parametrize(
    "headers, query",
    [
        ({"X-Target-Variant": "challenger"}, None),
        ({"x-target-variant": "challenger"}, None),  # API Gateway keeps the client's casing
        ({}, {"variant": "challenger"}),
    ],
    ids=["header", "lower-case-header", "query-parameter"],
)
def test_target_variant(
    handler: Any, endpoint: str, moto_url: str, moto_client: Any, headers: dict, query: dict | None
) -> None:
    queue_sagemaker_results(
        moto_url, [{"Body": "[0.4]", "ContentType": "application/json", "InvokedProductionVariant": "challenger"}]
    )

    response = handler.handler(api_event(headers=headers, query=query), LambdaContext())

    assert moto_client.header("X-Amzn-SageMaker-Target-Variant") == "challenger"
    assert response["statusCode"] == 200
    assert response["headers"]["X-Invoked-Production-Variant"] == "challenger"


def test_inference_id_and_custom_attributes(handler: Any, endpoint: str, moto_url: str, moto_client: Any) -> None:
    queue_sagemaker_results(
        moto_url,
        [
            {
                "Body": "[0.9]",
                "ContentType": "application/json",
                "InvokedProductionVariant": "champion",
                "CustomAttributes": "model-version=42",
            }
        ],
    )
    event = api_event(
        headers={"X-Inference-Id": "order-7781", "X-AMZN-SAGEMAKER-CUSTOM-ATTRIBUTES": "trace=abc,tenant=t1"}
    )

    response = handler.handler(event, LambdaContext())

    assert moto_client.header("X-Amzn-SageMaker-Inference-Id") == "order-7781"
    assert moto_client.header("X-Amzn-SageMaker-Custom-Attributes") == "trace=abc,tenant=t1"
    assert "X-Amzn-SageMaker-Target-Variant" not in moto_client.last.headers
    assert response["statusCode"] == 200
    assert response["headers"]["X-Amzn-SageMaker-Custom-Attributes"] == "model-version=42"


def test_non_ascii_text_answer_stays_text(handler: Any, endpoint: str, moto_url: str, moto_client: Any) -> None:
    queue_sagemaker_results(moto_url, [{"Body": "é,ü", "ContentType": "text/csv"}])

    response = handler.handler(api_event("1,2", content_type="text/csv"), LambdaContext())

    assert response["statusCode"] == 200
    assert response["body"] == "é,ü"
    assert response["isBase64Encoded"] is False


@pytest.mark.parametrize(
    "location",
    [f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}batch-1/payload.json", "batch-1/payload.json"],
    ids=["s3-url", "relative-key"],
)
def test_async_route(handler: Any, endpoint: str, moto_url: str, moto_client: Any, location: str) -> None:
    queue_sagemaker_results(moto_url, [{"data": json.dumps({"score": 0.3})}], asynchronous=True)
    body = json.dumps({"input_location": location, "content_type": "application/json", "request_ttl_seconds": 3600})
    event = api_event(body, path="/async-invocations", headers={"X-Inference-Id": "async-42"})

    response = handler.handler(event, LambdaContext())

    sent = moto_client.last
    assert sent.url == f"{moto_url}/endpoints/{ENDPOINT_NAME}/async-invocations"
    expected_input = f"s3://{ASYNC_BUCKET}/{ASYNC_PREFIX}batch-1/payload.json"
    assert moto_client.header("X-Amzn-SageMaker-InputLocation") == expected_input
    assert moto_client.header("X-Amzn-SageMaker-Content-Type") == "application/json"
    assert moto_client.header("X-Amzn-SageMaker-Inference-Id") == "async-42"
    assert moto_client.header("X-Amzn-SageMaker-RequestTTLSeconds") == "3600"
    assert response["statusCode"] == 202
    result = json.loads(response["body"])
    assert result["inference_id"] == "async-42"
    assert result["output_location"].startswith("s3://sagemaker-output-")
    assert result["failure_location"].startswith("s3://sagemaker-output-")
    # moto wrote the (scripted) model output where SageMaker says it will be.
    s3 = boto3.client("s3", endpoint_url=moto_url, **FAKE_CREDENTIALS)
    bucket, key = result["output_location"][5:].split("/", 1)
    assert json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) == {"score": 0.3}


def test_async_route_rejects_location_outside_prefix(handler: Any, moto_client: Any) -> None:
    body = json.dumps({"input_location": f"s3://{ASYNC_BUCKET}/elsewhere/payload.json"})

    response = handler.handler(api_event(body, path="/async-invocations"), LambdaContext())

    assert response["statusCode"] == 403
    assert moto_client.requests == []
