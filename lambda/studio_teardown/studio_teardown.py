"""Studio domain teardown: before CloudFormation deletes user profiles, spaces and the domain, delete what users
created inside it: every app first (JupyterLab, Code Editor, ...), then the spaces CloudFormation does not own.

Runs under aws-cdk-lib's custom-resource Provider framework as both the `onEvent` and the `isComplete` handler
(one function: `isComplete` events carry the `TeardownPhase` key that `onEvent` returns, since the framework merges
onEvent's result into the isComplete event). Deleting an app can take up to 20 minutes, longer than one Lambda
invocation, so `isComplete` issues deletions and reports progress until nothing is left; past the deadline it fails
with a message naming what is stuck. Standard library + the runtime's boto3 only.

Resource properties: DomainId, KeepSpaces (names of the spaces the stack itself manages), TimeoutSeconds.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Iterator

import boto3
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

# botocore AppStatus: Deleted | Deleting | Failed | InService | Pending. SpaceStatus: Deleting | Failed | InService |
# Pending | Updating | Update_Failed | Delete_Failed (service-2.json of sagemaker 2017-07-24).
APP_GONE = {"Deleted"}
APP_DELETING = {"Deleting"}
SPACE_DELETING = {"Deleting"}
DEFAULT_TIMEOUT_SECONDS = 45 * 60
_GONE_CODES = {"ResourceNotFound", "ResourceNotFoundException"}
# DeleteApp/DeleteSpace on something still starting or already being deleted: wait and look again.
_RETRY_CODES = {"ResourceInUse", "ValidationException", "ConflictException", "ThrottlingException"}


class TeardownTimeout(RuntimeError):
    """The domain still holds apps or spaces at the deadline."""


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    LOG.info(json.dumps({"request": event.get("RequestType"), "phase": event.get("TeardownPhase")}))
    if "TeardownPhase" in event:
        return is_complete(event)
    return on_event(event)


def on_event(event: dict[str, Any]) -> dict[str, Any]:
    props = event.get("ResourceProperties") or {}
    domain_id = _required(props, "DomainId")
    physical_id = f"studio-teardown-{domain_id}"
    if event.get("RequestType") != "Delete":
        return {"PhysicalResourceId": physical_id, "TeardownPhase": "none"}
    timeout = int(props.get("TimeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
    return {
        "PhysicalResourceId": event.get("PhysicalResourceId") or physical_id,
        "TeardownPhase": "delete",
        "TeardownDeadline": str(int(time.time()) + timeout),
    }


def is_complete(event: dict[str, Any], client: Any = None) -> dict[str, Any]:
    if event.get("RequestType") != "Delete" or event.get("TeardownPhase") == "none":
        return {"IsComplete": True}
    props = event.get("ResourceProperties") or {}
    domain_id = _required(props, "DomainId")
    keep = set(props.get("KeepSpaces") or [])
    deadline = float(event.get("TeardownDeadline") or time.time() + DEFAULT_TIMEOUT_SECONDS)
    client = client or boto3.client("sagemaker")

    if not _domain_exists(client, domain_id):
        LOG.info(json.dumps({"domain": domain_id, "result": "domain already deleted"}))
        return {"IsComplete": True}

    waiting = teardown_apps(client, domain_id)
    if not waiting:
        waiting = teardown_spaces(client, domain_id, keep)
    if not waiting:
        LOG.info(json.dumps({"domain": domain_id, "result": "no apps or user spaces left"}))
        return {"IsComplete": True}
    if time.time() >= deadline:
        raise TeardownTimeout(_timeout_message(domain_id, waiting, props))
    LOG.info(json.dumps({"domain": domain_id, "waiting_for": waiting}))
    return {"IsComplete": False}


def teardown_apps(client: Any, domain_id: str) -> list[str]:
    """Delete every app of the domain that is not being deleted; return what is still there."""
    waiting = []
    for app in _pages(client.list_apps, "Apps", DomainIdEquals=domain_id):
        status = app.get("Status")
        if status in APP_GONE:
            continue
        owner = {"SpaceName": app["SpaceName"]} if app.get("SpaceName") else {
            "UserProfileName": app.get("UserProfileName", "")
        }
        label = _app_label(app)
        waiting.append(f"{label} is {status}")
        if status in APP_DELETING:
            continue
        try:
            client.delete_app(DomainId=domain_id, AppType=app["AppType"], AppName=app["AppName"], **owner)
            LOG.info(json.dumps({"deleted_app": label, "was": status}))
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in _GONE_CODES:
                waiting.pop()
            elif code not in _RETRY_CODES:
                raise
            else:
                LOG.info(json.dumps({"app": label, "retry_later": code}))
    return waiting


def teardown_spaces(client: Any, domain_id: str, keep: set[str]) -> list[str]:
    """Delete the spaces users created (not those in `keep`); return the ones still there."""
    waiting = []
    for space in _pages(client.list_spaces, "Spaces", DomainIdEquals=domain_id):
        name = space["SpaceName"]
        if name in keep:
            continue
        status = space.get("Status")
        waiting.append(f"space {name!r} is {status}")
        if status in SPACE_DELETING:
            continue
        try:
            client.delete_space(DomainId=domain_id, SpaceName=name)
            LOG.info(json.dumps({"deleted_space": name, "was": status}))
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in _GONE_CODES:
                waiting.pop()
            elif code not in _RETRY_CODES:
                raise
    return waiting


def _domain_exists(client: Any, domain_id: str) -> bool:
    try:
        client.describe_domain(DomainId=domain_id)
    except ClientError as err:
        error = err.response.get("Error", {})
        if error.get("Code", "") in _GONE_CODES:
            return False
        # Some implementations (moto among them) answer a missing domain with a ValidationException.
        if error.get("Code") == "ValidationException" and "not find" in str(error.get("Message", "")).lower():
            return False
        raise
    return True


def _pages(method: Any, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = method(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _app_label(app: dict[str, Any]) -> str:
    owner = f"space {app['SpaceName']!r}" if app.get("SpaceName") else f"user {app.get('UserProfileName')!r}"
    return f"app {app.get('AppName')!r} ({app.get('AppType')}, {owner})"


def _timeout_message(domain_id: str, waiting: list[str], props: dict[str, Any]) -> str:
    minutes = int(props.get("TimeoutSeconds") or DEFAULT_TIMEOUT_SECONDS) // 60
    return (
        f"Studio teardown of domain {domain_id} timed out after {minutes} minutes; still present: "
        + "; ".join(waiting)
        + ". Delete them in the SageMaker console (or with `aws sagemaker delete-app` / `delete-space`), then "
        "delete the stack again."
    )


def _required(props: dict[str, Any], key: str) -> str:
    value = props.get(key)
    if not value:
        raise ValueError(f"resource property {key} is required")
    return str(value)
