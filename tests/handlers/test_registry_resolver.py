"""registry_resolver handler: the CloudFormation custom resource behind ModelData.from_registry.

Runs over real HTTP against a moto server (moto 5 emulates model package groups, CreateModelPackage,
ListModelPackages with its status filter and sort, DescribeModelPackage and UpdateModelPackage), and answers
CloudFormation on a local HTTP server standing in for the pre-signed response URL. Cases: nothing approved (the
declared fallback serves), one approved, several versions, a rejected newest, a pinned version (approved, and
not approved: the deployment fails with the fix), Delete, and an unexpected error (CloudFormation still hears back).
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from typing import Any, Iterator
from unittest import mock

import boto3
import pytest

from moto_server import ACCOUNT_ID, FAKE_CREDENTIALS, FAKE_ENV, REGION, reset

with mock.patch.dict(os.environ, FAKE_ENV):
    import registry_resolver  # noqa: E402

GROUP = "churn-models"
FALLBACK = "s3://cdk-assets/fallback/model.tar.gz"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/Inference/0f8fad5b-d9cb-469f-a165-70867728950e"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


class _Responses(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Responses.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def response_url() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Responses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/response?X-Amz-Signature=abc"
    server.shutdown()


@pytest.fixture
def sagemaker(moto_url: str) -> Iterator[Any]:
    reset(moto_url)
    client = boto3.client("sagemaker", endpoint_url=moto_url, **FAKE_CREDENTIALS)
    client.create_model_package_group(ModelPackageGroupName=GROUP)
    previous = registry_resolver._CLIENT
    registry_resolver._CLIENT = client
    _Responses.received.clear()
    yield client
    registry_resolver._CLIENT = previous


def register(client: Any, status: str, artifact: str) -> str:
    return client.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": artifact}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]


def event(url: str, request_type: str = "Create", version: str = "") -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": url,
        "StackId": STACK_ID,
        "RequestId": "8d1f0c2e-1111-2222-3333-444455556666",
        "LogicalResourceId": "ChallengerRegistryResolver",
        "ResourceType": "Custom::RegistryModelData",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:x", "GroupName": GROUP, "Version": version,
                               "FallbackModelDataUrl": FALLBACK, "ResolveToken": "resolve-2026-11-30T15:00:00Z"},
        **({"PhysicalResourceId": f"{GROUP}-model-data"} if request_type != "Create" else {}),
    }


def answer(url: str, **kwargs: Any) -> dict[str, Any]:
    registry_resolver.handler(event(url, **kwargs), None)
    (sent,) = _Responses.received[-1:]
    assert sent["StackId"] == STACK_ID and sent["LogicalResourceId"] == "ChallengerRegistryResolver"
    assert sent["PhysicalResourceId"] == f"{GROUP}-model-data"  # stable: an update never replaces the resource
    return sent


def test_nothing_approved_serves_the_declared_fallback(sagemaker: Any, response_url: str) -> None:
    register(sagemaker, "PendingManualApproval", "s3://artifacts/models/job-1/output/model.tar.gz")
    sent = answer(response_url)
    assert sent["Status"] == "SUCCESS"
    assert sent["Data"] == {"ModelDataUrl": FALLBACK, "ModelPackageArn": "", "ModelPackageVersion": "0",
                            "Source": "fallback"}


def test_one_approved_version_serves(sagemaker: Any, response_url: str) -> None:
    arn = register(sagemaker, "Approved", "s3://artifacts/models/job-1/output/model.tar.gz")
    sent = answer(response_url)
    assert sent["Status"] == "SUCCESS"
    assert sent["Data"]["ModelDataUrl"] == "s3://artifacts/models/job-1/output/model.tar.gz"
    assert sent["Data"]["ModelPackageArn"] == arn and sent["Data"]["Source"] == "registry"


def test_the_newest_approved_of_several_versions_serves(sagemaker: Any, response_url: str) -> None:
    for i, status in enumerate(["Approved", "Approved", "Approved", "PendingManualApproval"], start=1):
        register(sagemaker, status, f"s3://artifacts/models/job-{i}/output/model.tar.gz")
    sent = answer(response_url, request_type="Update")
    assert sent["Data"]["ModelDataUrl"] == "s3://artifacts/models/job-3/output/model.tar.gz"
    assert sent["Data"]["ModelPackageVersion"] == "3"


def test_a_rejected_newest_version_is_skipped(sagemaker: Any, response_url: str) -> None:
    register(sagemaker, "Approved", "s3://artifacts/models/job-1/output/model.tar.gz")
    newest = register(sagemaker, "Approved", "s3://artifacts/models/job-2/output/model.tar.gz")
    sagemaker.update_model_package(ModelPackageArn=newest, ModelApprovalStatus="Rejected")
    sent = answer(response_url, request_type="Update")
    assert sent["Data"]["ModelDataUrl"] == "s3://artifacts/models/job-1/output/model.tar.gz"
    assert sent["Data"]["ModelPackageVersion"] == "1"


def test_a_pinned_approved_version_serves_even_when_newer_ones_exist(sagemaker: Any, response_url: str) -> None:
    register(sagemaker, "Approved", "s3://artifacts/models/job-1/output/model.tar.gz")
    register(sagemaker, "Approved", "s3://artifacts/models/job-2/output/model.tar.gz")
    sent = answer(response_url, version="1")
    assert sent["Status"] == "SUCCESS", sent["Reason"]
    assert sent["Data"]["ModelDataUrl"] == "s3://artifacts/models/job-1/output/model.tar.gz"
    assert sent["Data"]["Source"] == "pinned"


def test_a_pinned_version_that_is_not_approved_fails_with_the_fix(sagemaker: Any, response_url: str) -> None:
    register(sagemaker, "PendingManualApproval", "s3://artifacts/models/job-1/output/model.tar.gz")
    sent = answer(response_url, version="1")
    assert sent["Status"] == "FAILED"
    assert "PendingManualApproval, not Approved" in sent["Reason"] and "update-model-package" in sent["Reason"]


def test_a_pinned_version_that_does_not_exist_fails_with_the_fix(sagemaker: Any, response_url: str) -> None:
    sent = answer(response_url, version="7")
    assert sent["Status"] == "FAILED" and "pin an existing version" in sent["Reason"]


def test_delete_does_nothing_and_succeeds(sagemaker: Any, response_url: str) -> None:
    register(sagemaker, "Approved", "s3://artifacts/models/job-1/output/model.tar.gz")
    sent = answer(response_url, request_type="Delete")
    assert sent["Status"] == "SUCCESS" and sent["Data"] == {}
    assert len(sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]) == 1


def test_an_unexpected_error_still_answers_cloudformation(sagemaker: Any, response_url: str) -> None:
    with mock.patch.object(registry_resolver, "newest_approved", side_effect=RuntimeError("boom")):
        sent = answer(response_url)
    assert sent["Status"] == "FAILED" and sent["Reason"] == "RuntimeError: boom"


def test_pinned_arn_is_built_from_the_stack_partition_region_and_account(response_url: str) -> None:
    assert registry_resolver._arn_parts("arn:aws-cn:cloudformation:cn-north-1:210987654321:stack/x/y") == (
        "aws-cn", "cn-north-1", "210987654321")


# -- property-based: whatever CloudFormation sends, it hears back exactly once, and never waits for a timeout --------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


class _FakeSageMaker:
    """Holds approved versions; answers the two calls the resolver makes."""

    class exceptions:  # noqa: N801 - mirrors boto3's client.exceptions
        from botocore.exceptions import ClientError

    def __init__(self, versions: list[int]) -> None:
        self.versions = versions

    def list_model_packages(self, **kwargs: Any) -> dict[str, Any]:
        return {"ModelPackageSummaryList": [
            {"ModelPackageVersion": v, "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:model-package/g/{v}",
             "ModelApprovalStatus": "Approved"} for v in self.versions]}

    def describe_model_package(self, ModelPackageName: str) -> dict[str, Any]:  # noqa: N803 - boto3's casing
        version = int(ModelPackageName.rsplit("/", 1)[1])
        if version not in self.versions:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ValidationException", "Message": "not found"}}, "DescribeModelPackage")
        return {"ModelPackageArn": ModelPackageName, "ModelApprovalStatus": "Approved",
                "InferenceSpecification": {"Containers": [{"ModelDataUrl": f"s3://a/{version}/model.tar.gz"}]}}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    request_type=st.sampled_from(["Create", "Update", "Delete"]),
    group=st.text(min_size=1, max_size=63),
    version=st.one_of(st.just(""), st.integers(min_value=1, max_value=50).map(str), st.text(max_size=5)),
    versions=st.lists(st.integers(min_value=1, max_value=50), unique=True, max_size=6),
)
def test_cloudformation_always_hears_back_once(request_type: str, group: str, version: str, versions: list[int]) -> None:
    sent: list[dict[str, Any]] = []
    fake = _FakeSageMaker(versions)
    request = event("https://cloudformation-custom-resource-response.example/x", request_type=request_type,
                    version=version)
    request["ResourceProperties"]["GroupName"] = group
    with mock.patch.object(registry_resolver, "_CLIENT", fake), \
            mock.patch.object(registry_resolver, "_respond", lambda e, s, r, d: sent.append({"Status": s, "Data": d})):
        registry_resolver.handler(request, None)
    (answer,) = sent
    assert answer["Status"] in ("SUCCESS", "FAILED")
    if request_type == "Delete":
        assert answer == {"Status": "SUCCESS", "Data": {}}
    elif answer["Status"] == "SUCCESS" and not version:
        expected = f"s3://a/{max(versions)}/model.tar.gz" if versions else FALLBACK
        assert answer["Data"]["ModelDataUrl"] == expected
