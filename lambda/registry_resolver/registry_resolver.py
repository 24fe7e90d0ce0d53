"""CloudFormation custom resource: the model artifact of the newest approved version in a model package group.

Properties (all strings):
    GroupName      the model package group.
    Version        a pinned version number, or "" for the newest approved one.
    FallbackModelDataUrl  the artifact to serve while no version is approved (the one the stack declares).
    ResolveToken   changes on every synthesis, so that CloudFormation calls this handler on every deployment and a
                   later `cdk deploy` serves what is approved then, instead of what was approved at the last change.
Attributes (Data): ModelDataUrl, ModelPackageArn ("" on fallback), ModelPackageVersion ("0" on fallback),
Source ("registry", "pinned" or "fallback").

A pinned version that is not Approved fails the deployment with a reason that says so. Delete does nothing (the
registry and its versions outlive the stack). Standard library and the runtime's boto3 only.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

import boto3

LOG = logging.getLogger()
LOG.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
_CLIENT: Any = None


def _sagemaker() -> Any:
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = boto3.client("sagemaker", endpoint_url=os.environ.get("SAGEMAKER_ENDPOINT_URL") or None)
    return _CLIENT


class ResolveError(Exception):
    """A reason to fail the deployment, written for the person running `cdk deploy`."""


def _arn_parts(stack_id: str) -> tuple[str, str, str]:
    """(partition, region, account) from the event's StackId (arn:<partition>:cloudformation:<region>:<account>:..)."""
    parts = stack_id.split(":")
    return parts[1], parts[3], parts[4]


def _artifact(package: dict[str, Any]) -> str:
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    if not containers:
        raise ResolveError(f"{package.get('ModelPackageArn')} has no inference containers to take an artifact from")
    container = containers[0]
    url = container.get("ModelDataUrl") or container.get("ModelDataSource", {}).get("S3DataSource", {}).get("S3Uri")
    if not url:
        raise ResolveError(f"{package.get('ModelPackageArn')} has no ModelDataUrl in its first container")
    return str(url)


def newest_approved(group: str) -> dict[str, Any] | None:
    """The summary of the highest approved version of `group`, or None."""
    client, best, token = _sagemaker(), None, None
    while True:
        kwargs: dict[str, Any] = {"ModelPackageGroupName": group, "ModelApprovalStatus": "Approved",
                                  "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = client.list_model_packages(**kwargs)
        for summary in page.get("ModelPackageSummaryList", []):
            if summary.get("ModelApprovalStatus", "Approved") != "Approved":
                continue
            if best is None or int(summary.get("ModelPackageVersion", 0)) > int(best.get("ModelPackageVersion", 0)):
                best = summary
        token = page.get("NextToken")
        if not token:
            return best


def resolve(properties: dict[str, Any], stack_id: str) -> dict[str, str]:
    group = str(properties["GroupName"])
    version = str(properties.get("Version") or "").strip()
    fallback = str(properties["FallbackModelDataUrl"])
    client = _sagemaker()
    if version:
        partition, region, account = _arn_parts(stack_id)
        arn = f"arn:{partition}:sagemaker:{region}:{account}:model-package/{group.lower()}/{version}"
        try:
            package = client.describe_model_package(ModelPackageName=arn)
        except client.exceptions.ClientError as err:
            raise ResolveError(f"version {version} of model package group {group} cannot be read ({err}): pin an "
                               "existing version, or remove the pin to follow the newest approved one") from err
        status = package.get("ModelApprovalStatus")
        if status != "Approved":
            raise ResolveError(f"version {version} of model package group {group} is {status}, not Approved: "
                               "approve it (Studio, or aws sagemaker update-model-package --model-approval-status "
                               "Approved) or pin another version")
        return {"ModelDataUrl": _artifact(package), "ModelPackageArn": package["ModelPackageArn"],
                "ModelPackageVersion": version, "Source": "pinned"}
    summary = newest_approved(group)
    if summary is None:
        LOG.info("no approved version in %s: serving the declared fallback %s", group, fallback)
        return {"ModelDataUrl": fallback, "ModelPackageArn": "", "ModelPackageVersion": "0", "Source": "fallback"}
    package = client.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    return {"ModelDataUrl": _artifact(package), "ModelPackageArn": summary["ModelPackageArn"],
            "ModelPackageVersion": str(summary.get("ModelPackageVersion", "")), "Source": "registry"}


def _respond(event: dict[str, Any], status: str, reason: str, data: dict[str, str]) -> None:
    body = json.dumps({
        "Status": status,
        "Reason": reason[:3000],
        "PhysicalResourceId": event.get("PhysicalResourceId")
        or f"{event['ResourceProperties'].get('GroupName', 'registry')}-model-data",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": False,
        "Data": data,
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - CloudFormation's pre-signed URL
        LOG.info("CloudFormation answered %s", response.status)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    LOG.info("request %s for %s", event.get("RequestType"), event.get("LogicalResourceId"))
    status, reason, data = "SUCCESS", "", {}
    try:
        if event.get("RequestType") in ("Create", "Update"):
            data = resolve(event["ResourceProperties"], event["StackId"])
            reason = f"{data['Source']}: {data['ModelDataUrl']}"
            LOG.info("resolved %s", json.dumps(data))
    except ResolveError as err:
        status, reason = "FAILED", str(err)
    except Exception as err:  # noqa: BLE001 - CloudFormation must hear back, or it waits an hour
        LOG.exception("resolution failed")
        status, reason = "FAILED", f"{type(err).__name__}: {err}"
    _respond(event, status, reason, data)
    return {"Status": status, "Reason": reason, "Data": data}
