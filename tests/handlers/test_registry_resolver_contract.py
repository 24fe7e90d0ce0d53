"""registry_resolver's contract, request by request: the exact SageMaker calls (botocore Stubber `expected_params`),
the exact response CloudFormation receives (body, method, headers, timeout), and the exact reasons a deployment fails
with. Complements test_registry_resolver.py (moto over HTTP), which cannot see request fields or the PUT itself.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber

from invoke_helpers import SentResponses
from moto_server import FAKE_CREDENTIALS, FAKE_ENV

with mock.patch.dict(os.environ, FAKE_ENV):
    import registry_resolver as rr  # noqa: E402

GROUP = "Churn-Models"
FALLBACK = "s3://cdk-assets/fallback/model.tar.gz"
STACK_ID = "arn:aws-us-gov:cloudformation:us-gov-west-1:210987654321:stack/Inference/0f8fad5b"
URL = "https://cloudformation-custom-resource-response-usgovwest1.s3.amazonaws.com/x?X-Amz-Signature=abc"
PKG = "arn:aws-us-gov:sagemaker:us-gov-west-1:210987654321:model-package/churn-models/{}"
LIST = {"ModelPackageGroupName": GROUP, "ModelApprovalStatus": "Approved", "SortBy": "CreationTime",
        "SortOrder": "Descending", "MaxResults": 100}


def summary(version: int, status: str = "Approved") -> dict[str, Any]:
    return {"ModelPackageGroupName": GROUP, "ModelPackageVersion": version, "ModelPackageArn": PKG.format(version),
            "CreationTime": "2026-11-30T10:00:00Z", "ModelApprovalStatus": status, "ModelPackageStatus": "Completed"}


def package(version: int, status: str = "Approved", **container: Any) -> dict[str, Any]:
    return {"ModelPackageName": GROUP, "ModelPackageArn": PKG.format(version), "CreationTime": "2026-11-30T10:00:00Z",
            "ModelPackageStatus": "Completed", "ModelApprovalStatus": status,
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "InferenceSpecification": {"Containers": [{"Image": "img", **container}]}}


def props(version: str = "") -> dict[str, str]:
    return {"ServiceToken": "arn:aws:lambda:x", "GroupName": GROUP, "Version": version,
            "FallbackModelDataUrl": FALLBACK, "ResolveToken": "t"}


def event(request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    return {"RequestType": request_type, "ResponseURL": URL, "StackId": STACK_ID, "RequestId": "req-1",
            "LogicalResourceId": "Resolver", "ResourceType": "Custom::RegistryModelData",
            "ResourceProperties": props(), **extra}


@pytest.fixture
def stub() -> Iterator[Stubber]:
    client = boto3.client("sagemaker", **FAKE_CREDENTIALS)
    with mock.patch.object(rr, "_CLIENT", client), Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def sent() -> Iterator[SentResponses]:
    capture = SentResponses()
    with mock.patch.object(rr.urllib.request, "urlopen", capture):
        yield capture


# -- the client ------------------------------------------------------------------------------------------------------
def test_the_client_is_sagemaker_built_once_with_the_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEMAKER_ENDPOINT_URL", "http://127.0.0.1:5000")
    with mock.patch.object(rr, "_CLIENT", None), mock.patch.object(rr.boto3, "client") as client:
        assert rr._sagemaker() is client.return_value
        assert rr._sagemaker() is client.return_value
    client.assert_called_once_with("sagemaker", endpoint_url="http://127.0.0.1:5000")


def test_without_the_override_the_client_uses_the_default_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEMAKER_ENDPOINT_URL", "")
    with mock.patch.object(rr, "_CLIENT", None), mock.patch.object(rr.boto3, "client") as client:
        rr._sagemaker()
    client.assert_called_once_with("sagemaker", endpoint_url=None)


def test_an_existing_client_is_reused() -> None:
    existing = object()
    with mock.patch.object(rr, "_CLIENT", existing), mock.patch.object(rr.boto3, "client") as client:
        assert rr._sagemaker() is existing
    client.assert_not_called()


# -- the newest approved version -------------------------------------------------------------------------------------
def test_the_listing_asks_for_approved_versions_newest_first_and_follows_every_page(stub: Stubber) -> None:
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(3), summary(2)], "NextToken": "p2"},
                      LIST)
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(7), summary(1)]},
                      {**LIST, "NextToken": "p2"})
    assert rr.newest_approved(GROUP) == summary(7)


def test_the_highest_version_wins_whatever_the_listing_order(stub: Stubber) -> None:
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(2), summary(10), summary(9)]}, LIST)
    assert rr.newest_approved(GROUP)["ModelPackageVersion"] == 10


def test_a_summary_that_is_not_approved_is_skipped_even_if_listed(stub: Stubber) -> None:
    stub.add_response("list_model_packages",
                      {"ModelPackageSummaryList": [summary(4, "Rejected"), summary(2),
                                                   summary(5, "PendingManualApproval")]},
                      LIST)
    assert rr.newest_approved(GROUP)["ModelPackageVersion"] == 2


def test_no_approved_summary_means_none(stub: Stubber) -> None:
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(1, "Rejected")]}, LIST)
    assert rr.newest_approved(GROUP) is None


def listed(*pages: dict[str, Any]) -> mock.Mock:
    """A client whose ListModelPackages answers these pages once each (a further call fails the test)."""
    fake = mock.Mock()
    fake.list_model_packages.side_effect = list(pages)
    return fake


def test_an_empty_page_means_none() -> None:
    with mock.patch.object(rr, "_CLIENT", listed({})):
        assert rr.newest_approved(GROUP) is None


def test_summaries_without_a_status_or_version_count_as_approved_version_zero() -> None:
    with mock.patch.object(rr, "_CLIENT", listed({"ModelPackageSummaryList": [
            {"ModelPackageArn": "no-version"}, {"ModelPackageArn": "v1", "ModelPackageVersion": 1}]})):
        assert rr.newest_approved(GROUP) == {"ModelPackageArn": "v1", "ModelPackageVersion": 1}
    with mock.patch.object(rr, "_CLIENT", listed({"ModelPackageSummaryList": [
            {"ModelPackageArn": "no-version"}, {"ModelPackageArn": "v0", "ModelPackageVersion": 0}]})):
        assert rr.newest_approved(GROUP) == {"ModelPackageArn": "no-version"}
    with mock.patch.object(rr, "_CLIENT", listed({"ModelPackageSummaryList": [
            {"ModelPackageArn": "v0", "ModelPackageVersion": 0}, {"ModelPackageArn": "no-version"}]})):
        assert rr.newest_approved(GROUP) == {"ModelPackageArn": "v0", "ModelPackageVersion": 0}


def test_a_version_without_a_number_loses_to_version_one() -> None:
    with mock.patch.object(rr, "_CLIENT", listed({"ModelPackageSummaryList": [
            {"ModelPackageArn": "v1", "ModelPackageVersion": 1}, {"ModelPackageArn": "no-version"}]})):
        assert rr.newest_approved(GROUP)["ModelPackageArn"] == "v1"


def test_the_listing_stops_after_the_page_without_a_next_token() -> None:
    fake = listed({"ModelPackageSummaryList": [summary(1)]})
    with mock.patch.object(rr, "_CLIENT", fake):
        assert rr.newest_approved(GROUP) == summary(1)
    fake.list_model_packages.assert_called_once_with(**LIST)


# -- the artifact ----------------------------------------------------------------------------------------------------
def test_the_artifact_is_the_first_containers_model_data_url() -> None:
    pkg = package(1, ModelDataUrl="s3://a/first.tar.gz")
    pkg["InferenceSpecification"]["Containers"].append({"Image": "img", "ModelDataUrl": "s3://a/second.tar.gz"})
    assert rr._artifact(pkg) == "s3://a/first.tar.gz"


def test_the_artifact_may_come_from_model_data_source() -> None:
    pkg = package(1, ModelDataSource={"S3DataSource": {"S3Uri": "s3://a/uncompressed/", "S3DataType": "S3Prefix",
                                                       "CompressionType": "None"}})
    assert rr._artifact(pkg) == "s3://a/uncompressed/"


def test_a_package_without_containers_fails_with_its_arn() -> None:
    with pytest.raises(rr.ResolveError) as raised:
        rr._artifact({"ModelPackageArn": "arn:pkg/1"})
    assert str(raised.value) == "arn:pkg/1 has no inference containers to take an artifact from"


def test_a_container_without_an_artifact_fails_with_its_arn() -> None:
    with pytest.raises(rr.ResolveError) as raised:
        rr._artifact({"ModelPackageArn": "arn:pkg/1", "InferenceSpecification": {"Containers": [{"Image": "i"}]}})
    assert str(raised.value) == "arn:pkg/1 has no ModelDataUrl in its first container"
    with pytest.raises(rr.ResolveError, match="has no ModelDataUrl"):
        rr._artifact({"ModelPackageArn": "a", "InferenceSpecification": {"Containers": [{"ModelDataSource": {}}]}})


# -- resolve ---------------------------------------------------------------------------------------------------------
def test_a_pinned_version_is_described_by_an_arn_from_the_stack_partition_region_account_and_lower_case_group(
    stub: Stubber,
) -> None:
    stub.add_response("describe_model_package", package(3, ModelDataUrl="s3://a/3.tar.gz"),
                      {"ModelPackageName": PKG.format(3)})
    assert rr.resolve(props(" 3 "), STACK_ID) == {"ModelDataUrl": "s3://a/3.tar.gz", "ModelPackageArn": PKG.format(3),
                                                 "ModelPackageVersion": "3", "Source": "pinned"}


def test_arn_parts() -> None:
    assert rr._arn_parts(STACK_ID) == ("aws-us-gov", "us-gov-west-1", "210987654321")


def test_a_pinned_version_that_cannot_be_read_fails_with_the_error_and_the_fix(stub: Stubber) -> None:
    stub.add_client_error("describe_model_package", service_error_code="ValidationException",
                          service_message="Model package not found", http_status_code=400)
    with pytest.raises(rr.ResolveError) as raised:
        rr.resolve(props("9"), STACK_ID)
    assert str(raised.value) == (
        "version 9 of model package group Churn-Models cannot be read (An error occurred (ValidationException) when "
        "calling the DescribeModelPackage operation: Model package not found): pin an existing version, or remove "
        "the pin to follow the newest approved one")


def test_a_pinned_version_not_approved_fails_with_its_status_and_the_fix(stub: Stubber) -> None:
    stub.add_response("describe_model_package", package(2, "Rejected", ModelDataUrl="s3://a/2.tar.gz"),
                      {"ModelPackageName": PKG.format(2)})
    with pytest.raises(rr.ResolveError) as raised:
        rr.resolve(props("2"), STACK_ID)
    assert str(raised.value) == (
        "version 2 of model package group Churn-Models is Rejected, not Approved: approve it (Studio, or aws "
        "sagemaker update-model-package --model-approval-status Approved) or pin another version")


def test_no_version_resolves_the_newest_approved_and_describes_it_by_its_arn(stub: Stubber) -> None:
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(4)]}, LIST)
    stub.add_response("describe_model_package", package(4, ModelDataUrl="s3://a/4.tar.gz"),
                      {"ModelPackageName": PKG.format(4)})
    assert rr.resolve(props(), STACK_ID) == {"ModelDataUrl": "s3://a/4.tar.gz", "ModelPackageArn": PKG.format(4),
                                            "ModelPackageVersion": "4", "Source": "registry"}


def test_a_missing_version_property_follows_the_registry(stub: Stubber) -> None:
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": []}, LIST)
    properties = props()
    del properties["Version"]
    assert rr.resolve(properties, STACK_ID) == {"ModelDataUrl": FALLBACK, "ModelPackageArn": "",
                                                "ModelPackageVersion": "0", "Source": "fallback"}


def test_a_summary_without_a_version_reports_an_empty_version() -> None:
    fake = listed({"ModelPackageSummaryList": [{"ModelPackageArn": "arn:x"}]})
    fake.describe_model_package.return_value = package(1, ModelDataUrl="s3://a/x.tar.gz")
    with mock.patch.object(rr, "_CLIENT", fake):
        assert rr.resolve(props(), STACK_ID)["ModelPackageVersion"] == ""


# -- what CloudFormation receives ------------------------------------------------------------------------------------
def test_create_puts_the_whole_response_to_the_presigned_url(stub: Stubber, sent: SentResponses) -> None:
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(4)]}, LIST)
    stub.add_response("describe_model_package", package(4, ModelDataUrl="s3://a/4.tar.gz"),
                      {"ModelPackageName": PKG.format(4)})
    data = {"ModelDataUrl": "s3://a/4.tar.gz", "ModelPackageArn": PKG.format(4), "ModelPackageVersion": "4",
            "Source": "registry"}
    result = rr.handler(event(), None)
    assert result == {"Status": "SUCCESS", "Reason": "registry: s3://a/4.tar.gz", "Data": data}
    (request,) = sent.requests
    assert request.full_url == URL and request.get_method() == "PUT"
    assert request.get_header("Content-type") == ""
    assert request.get_header("Content-length") == str(len(request.data))
    assert sent.timeouts == [30]
    assert sent.body == {"Status": "SUCCESS", "Reason": "registry: s3://a/4.tar.gz",
                         "PhysicalResourceId": "Churn-Models-model-data", "StackId": STACK_ID, "RequestId": "req-1",
                         "LogicalResourceId": "Resolver", "NoEcho": False, "Data": data}


def test_update_keeps_the_physical_id_cloudformation_sent(stub: Stubber, sent: SentResponses) -> None:
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": []}, LIST)
    rr.handler(event("Update", PhysicalResourceId="kept-id"), None)
    assert sent.body["PhysicalResourceId"] == "kept-id" and sent.body["Status"] == "SUCCESS"
    assert sent.body["Reason"] == f"fallback: {FALLBACK}"


def test_delete_calls_nothing_and_answers_success(stub: Stubber, sent: SentResponses) -> None:
    result = rr.handler(event("Delete", PhysicalResourceId="kept-id"), None)
    assert result == {"Status": "SUCCESS", "Reason": "", "Data": {}}
    assert sent.body["Status"] == "SUCCESS" and sent.body["Data"] == {} and sent.body["Reason"] == ""


def test_a_resource_without_a_group_name_still_gets_a_physical_id(sent: SentResponses) -> None:
    request = event("Delete")
    request["ResourceProperties"] = {}
    rr.handler(request, None)
    assert sent.body["PhysicalResourceId"] == "registry-model-data"


def test_a_resolve_error_fails_with_its_message_only(stub: Stubber, sent: SentResponses) -> None:
    stub.add_response("describe_model_package", package(2, "PendingManualApproval"),
                      {"ModelPackageName": PKG.format(2)})
    request = event()
    request["ResourceProperties"] = props("2")
    result = rr.handler(request, None)
    assert result["Status"] == "FAILED" and result["Data"] == {}
    assert result["Reason"].startswith("version 2 of model package group Churn-Models is PendingManualApproval")
    assert sent.body["Status"] == "FAILED" and sent.body["Reason"] == result["Reason"]


def test_an_unexpected_error_fails_with_its_type_and_a_reason_cut_to_3000_characters(sent: SentResponses) -> None:
    with mock.patch.object(rr, "resolve", side_effect=KeyError("x" * 4000)):
        result = rr.handler(event(), None)
    assert result["Status"] == "FAILED" and result["Reason"].startswith("KeyError: 'xxx")
    assert sent.body["Status"] == "FAILED" and sent.body["Reason"] == result["Reason"][:3000]
    assert len(sent.body["Reason"]) == 3000
