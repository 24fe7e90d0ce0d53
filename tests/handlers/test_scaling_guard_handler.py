"""lambda/scaling_guard against moto's Application Auto Scaling API over real HTTP (moto_server on 127.0.0.1).

The endpoint update sequence CloudFormation runs when an autoscaled variant changes instance type, or disappears:
Release (Update) deregisters its target, the endpoint updates, Restore (Update) registers the declared targets
again. The response goes to CloudFormation's pre-signed URL, here a local HTTP server that records it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Iterator

import pytest
from hypothesis import given, settings, strategies as st

import scaling_guard
from moto_server import FAKE_CREDENTIALS, reset

RESPONSES: list[dict[str, Any]] = []


class _CloudFormation(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        RESPONSES.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def response_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _CloudFormation)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/response"
    server.shutdown()


@pytest.fixture
def aas(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    reset(moto_url)
    RESPONSES.clear()
    client = scaling_guard.make_client(endpoint_url=moto_url, **FAKE_CREDENTIALS)
    monkeypatch.setattr(scaling_guard, "CLIENT", client)
    return client


def _target(variant: str, instance_type: str = "ml.m5.large", endpoint: str = "churn") -> dict[str, str]:
    return {"ResourceId": f"endpoint/{endpoint}/variant/{variant}", "InstanceType": instance_type,
            "MinCapacity": "2", "MaxCapacity": "4"}


def _event(action: str, request: str, new: list[dict], old: list[dict] | None, url: str) -> dict[str, Any]:
    event = {"RequestType": request, "ResponseURL": url, "StackId": "arn:aws:cloudformation:us-east-1:1:stack/s/1",
             "RequestId": "r-1", "LogicalResourceId": f"Guard{action}", "PhysicalResourceId": f"Guard{action}",
             "ResourceProperties": {"ServiceToken": "arn", "Action": action, "EndpointName": "churn", "Targets": new}}
    if old is not None:
        event["OldResourceProperties"] = {**event["ResourceProperties"], "Targets": old}
    return event


def _registered(client: Any) -> dict[str, tuple[int, int]]:
    found = client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    return {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found}


def _register(client: Any, *variants: str) -> None:
    for variant in variants:
        client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=f"endpoint/churn/variant/{variant}",
                                        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                                        MinCapacity=2, MaxCapacity=4)
    client.put_scaling_policy(
        PolicyName="invocations", ServiceNamespace="sagemaker", ResourceId=f"endpoint/churn/variant/{variants[0]}",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 600.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})


def test_an_instance_type_change_releases_then_restores_the_target(aas: Any, response_url: str) -> None:
    _register(aas, "champion", "challenger")
    old = [_target("champion"), _target("challenger")]
    new = [_target("champion", "ml.c5.xlarge"), _target("challenger")]

    scaling_guard.handler(_event("release", "Update", new, old, response_url), None)
    assert RESPONSES[-1]["Status"] == "SUCCESS" and RESPONSES[-1]["Data"] == {"Changed": "endpoint/churn/variant/champion"}
    assert set(_registered(aas)) == {"endpoint/churn/variant/challenger"}  # the changed variant is out: UpdateEndpoint may run
    # On AWS, deregistering also deletes the target's policies (DeregisterScalableTarget's reference); moto keeps
    # them, so that half is covered by the template test (the policy names change with the instance type).

    scaling_guard.handler(_event("restore", "Update", new, old, response_url), None)
    assert RESPONSES[-1]["Status"] == "SUCCESS"
    assert _registered(aas) == {"endpoint/churn/variant/champion": (2, 4), "endpoint/churn/variant/challenger": (2, 4)}


def test_a_removed_variant_is_released_and_not_restored(aas: Any, response_url: str) -> None:
    _register(aas, "champion", "challenger")
    old, new = [_target("champion"), _target("challenger")], [_target("champion")]
    scaling_guard.handler(_event("release", "Update", new, old, response_url), None)
    scaling_guard.handler(_event("restore", "Update", new, old, response_url), None)
    assert set(_registered(aas)) == {"endpoint/churn/variant/champion"}


def test_weight_or_capacity_changes_release_nothing(aas: Any, response_url: str) -> None:
    _register(aas, "champion")
    old = [_target("champion")]
    new = [{**_target("champion"), "MaxCapacity": "6"}]
    scaling_guard.handler(_event("release", "Update", new, old, response_url), None)
    assert RESPONSES[-1]["Data"] == {"Changed": ""}
    assert set(_registered(aas)) == {"endpoint/churn/variant/champion"}


def test_a_target_already_gone_is_not_an_error(aas: Any, response_url: str) -> None:
    old, new = [_target("champion")], [_target("champion", "ml.c5.xlarge")]
    scaling_guard.handler(_event("release", "Update", new, old, response_url), None)
    assert RESPONSES[-1]["Status"] == "SUCCESS"


@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_create_and_delete_touch_nothing(aas: Any, response_url: str, request_type: str) -> None:
    _register(aas, "champion")
    old = [_target("champion")] if request_type == "Delete" else None
    scaling_guard.handler(_event("release", request_type, [_target("champion", "ml.c5.xlarge")], old, response_url), None)
    assert RESPONSES[-1]["Status"] == "SUCCESS" and set(_registered(aas)) == {"endpoint/churn/variant/champion"}


def test_failures_are_reported_to_cloudformation(aas: Any, response_url: str) -> None:
    event = _event("explode", "Update", [], [], response_url)
    scaling_guard.handler(event, None)
    assert RESPONSES[-1]["Status"] == "FAILED" and "Action ('explode')" in RESPONSES[-1]["Reason"]
    assert RESPONSES[-1]["PhysicalResourceId"] == "Guardexplode"


def test_a_renamed_endpoint_releases_nothing() -> None:
    old = {"EndpointName": "a", "Targets": [_target("v", endpoint="a")]}
    new = {"EndpointName": "b", "Targets": [_target("v", "ml.c5.xlarge", endpoint="b")]}
    assert scaling_guard.to_release(old, new) == []


_TARGETS = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["ml.m5.large", "ml.c5.xlarge"])),
                    unique_by=lambda t: t[0], max_size=4)


@settings(max_examples=200, deadline=None)
@given(before=_TARGETS, after=_TARGETS)
def test_release_is_exactly_the_changed_or_removed_variants(before: list, after: list) -> None:
    old = {"EndpointName": "e", "Targets": [_target(v, t, endpoint="e") for v, t in before]}
    new = {"EndpointName": "e", "Targets": [_target(v, t, endpoint="e") for v, t in after]}
    now = dict(after)
    expected = sorted(f"endpoint/e/variant/{v}" for v, t in before if now.get(v) != t)
    assert scaling_guard.to_release(old, new) == expected
