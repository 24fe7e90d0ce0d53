"""CloudFormation custom resource that lets an update change the instance type of, or remove, an autoscaled variant.

SageMaker rejects UpdateEndpoint when the update changes the instance type of a variant that is an Application Auto
Scaling target, or removes such a variant; the SageMaker guide "Update endpoints that use auto scaling" says to
deregister the scalable target first and register it again afterwards. The endpoint constructs deploy two
resources of this type around the endpoint:

    Release   the endpoint depends on it, so CloudFormation updates it first. On Update it deregisters the target of
              every autoscaled variant whose instance type changed or that the new template removes
              (DeregisterScalableTarget also deletes the target's scaling policies). Nothing on Create or Delete.
    Restore   depends on the endpoint and on the scalable targets, and the scaling policies depend on it. On Update
              it registers every declared target again (RegisterScalableTarget creates a deregistered target and is a
              no-op for one that exists). Nothing on Create (CloudFormation has just registered them) or Delete.

The scaling policies' names carry a hash of the variant's instance type, so CloudFormation replaces exactly the
policies that deregistration deleted: the new ones are created once Restore has registered the target again, and
deleting the old ones finds nothing. The targets keep their logical ids, so CloudFormation's view of them stays
true. Variants keep serving throughout; only their autoscaling pauses for the length of the endpoint update.

ResourceProperties (CloudFormation passes every value as a string):
    Action        "release" or "restore"
    EndpointName  the endpoint's name
    Targets       [{"ResourceId": "endpoint/<name>/variant/<variant>", "InstanceType": "ml.m5.large",
                    "MinCapacity": "1", "MaxCapacity": "4"}]

Standard library and botocore only. Errors are reported to CloudFormation as FAILED with the reason, so a stack
update stops with a message instead of waiting an hour for a response.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
LOGGER = logging.getLogger("scaling_guard")
LOGGER.setLevel(os.environ.get("LOG_LEVEL") or "INFO")


def make_client(**client_kwargs):
    """The Application Auto Scaling client (tests aim it at a moto server); standard retries, 5 attempts."""
    return botocore.session.Session().create_client(
        "application-autoscaling",
        config=Config(retries={"mode": "standard", "total_max_attempts": 5}, connect_timeout=3, read_timeout=20),
        **client_kwargs,
    )


CLIENT = None  # built on first use: the module imports without a region (tests, local checks)


def _client():
    global CLIENT
    if CLIENT is None:
        CLIENT = make_client()
    return CLIENT


def _targets(properties: dict | None) -> dict[str, dict]:
    """ResourceId -> target, from the resource properties (missing or malformed lists count as empty)."""
    targets = (properties or {}).get("Targets") or []
    return {t["ResourceId"]: t for t in targets if isinstance(t, dict) and t.get("ResourceId")}


def to_release(old: dict | None, new: dict | None) -> list[str]:
    """Resource ids of the targets an update must deregister before the endpoint update: an autoscaled variant that
    changes instance type or disappears. A renamed endpoint is a new endpoint (CloudFormation replaces it and its
    targets), so nothing is released then."""
    if (old or {}).get("EndpointName") != (new or {}).get("EndpointName"):
        return []
    before, after = _targets(old), _targets(new)
    return sorted(
        resource_id for resource_id, target in before.items()
        if resource_id not in after or after[resource_id].get("InstanceType") != target.get("InstanceType")
    )


def release(resource_ids: list[str]) -> list[str]:
    """Deregister each target (and with it its policies); a target that is already gone is fine."""
    released = []
    for resource_id in resource_ids:
        try:
            _client().deregister_scalable_target(
                ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=DIMENSION
            )
            released.append(resource_id)
        except ClientError as err:
            if not _not_found(err):
                raise
        LOGGER.info(json.dumps({"message": "released", "resource_id": resource_id}))
    return released


def _not_found(err: ClientError) -> bool:
    """The target is already gone: ObjectNotFoundException (the API reference), or a ValidationException saying so."""
    error = err.response.get("Error", {})
    return error.get("Code") == "ObjectNotFoundException" or (
        error.get("Code") == "ValidationException" and "no scalable target" in str(error.get("Message", "")).lower()
    )


def restore(properties: dict) -> list[str]:
    """Register every declared target again (idempotent: an existing target keeps its settings)."""
    restored = []
    for resource_id, target in sorted(_targets(properties).items()):
        _client().register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
            ScalableDimension=DIMENSION,
            MinCapacity=int(target["MinCapacity"]),
            MaxCapacity=int(target["MaxCapacity"]),
        )
        restored.append(resource_id)
        LOGGER.info(json.dumps({"message": "restored", "resource_id": resource_id}))
    return restored


def act(event: dict) -> dict:
    """What the event asks for; returns the response Data. Raises on anything CloudFormation should see fail."""
    request, properties = event.get("RequestType"), event.get("ResourceProperties") or {}
    action = properties.get("Action")
    if action not in ("release", "restore"):
        raise ValueError(f"Action ({action!r}) must be 'release' or 'restore'")
    if request != "Update":
        return {"Changed": ""}
    if action == "release":
        changed = release(to_release(event.get("OldResourceProperties"), properties))
    else:
        changed = restore(properties)
    return {"Changed": ",".join(changed)}


def send(event: dict, context, status: str, data: dict, reason: str = "") -> None:
    """PUT the response to CloudFormation's pre-signed URL."""
    body = json.dumps({
        "Status": status,
        "Reason": (reason or f"See CloudWatch Logs: {getattr(context, 'log_stream_name', '')}")[:1000],
        "PhysicalResourceId": event.get("PhysicalResourceId") or f"{event.get('LogicalResourceId', 'ScalingGuard')}",
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "Data": data,
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - CloudFormation's https URL
        response.read()


def handler(event: dict, context) -> None:
    try:
        data = act(event)
    except Exception as err:  # every failure goes back to CloudFormation, or the stack would wait for an hour
        LOGGER.exception("scaling guard failed")
        send(event, context, "FAILED", {}, f"{type(err).__name__}: {err}")
        return
    send(event, context, "SUCCESS", data)
