"""scaling_guard's contract, request by request: the client's configuration, the exact Application Auto Scaling calls
(botocore Stubber `expected_params`), which errors mean "already gone", and the exact response CloudFormation
receives (body, method, headers, timeout). Complements test_scaling_guard_handler.py (moto over HTTP).
"""

from __future__ import annotations

import json
from typing import Any, Iterator
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import scaling_guard as sg
from invoke_helpers import SentResponses
from moto_server import FAKE_CREDENTIALS

DIMENSION = "sagemaker:variant:DesiredInstanceCount"
URL = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc"


def target(variant: str, instance_type: str = "ml.m5.large", low: str = "1", high: str = "4") -> dict[str, str]:
    return {"ResourceId": f"endpoint/churn/variant/{variant}", "InstanceType": instance_type,
            "MinCapacity": low, "MaxCapacity": high}


def properties(action: str, *targets: dict[str, str], endpoint: str = "churn") -> dict[str, Any]:
    return {"ServiceToken": "arn", "Action": action, "EndpointName": endpoint, "Targets": list(targets)}


def event(action: str, request: str, new: list[dict], old: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    result = {"RequestType": request, "ResponseURL": URL, "StackId": "arn:aws:cloudformation:us-east-1:1:stack/s/1",
              "RequestId": "r-1", "LogicalResourceId": "GuardRelease", "PhysicalResourceId": "guard-physical",
              "ResourceProperties": properties(action, *new)}
    if old is not None:
        result["OldResourceProperties"] = properties(action, *old)
    result.update(extra)
    return result


@pytest.fixture
def stub() -> Iterator[Stubber]:
    client = sg.make_client(**FAKE_CREDENTIALS)
    with mock.patch.object(sg, "CLIENT", client), Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def sent() -> Iterator[SentResponses]:
    capture = SentResponses()
    with mock.patch.object(sg.urllib.request, "urlopen", capture):
        yield capture


def deregister(variant: str) -> dict[str, str]:
    return {"ServiceNamespace": "sagemaker", "ResourceId": f"endpoint/churn/variant/{variant}",
            "ScalableDimension": DIMENSION}


# -- the client ------------------------------------------------------------------------------------------------------
def test_the_client_is_application_autoscaling_with_standard_retries_and_short_timeouts() -> None:
    client = sg.make_client(**FAKE_CREDENTIALS)
    assert client.meta.service_model.service_name == "application-autoscaling"
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert client.meta.config.connect_timeout == 3 and client.meta.config.read_timeout == 20


def test_the_client_is_built_on_first_use_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sg, "CLIENT", None)
    with mock.patch.object(sg, "make_client") as make:
        assert sg._client() is make.return_value
        assert sg._client() is make.return_value
    make.assert_called_once_with()


# -- what is released ------------------------------------------------------------------------------------------------
def test_targets_ignores_missing_and_malformed_entries() -> None:
    assert sg._targets(None) == {}
    assert sg._targets({}) == {}
    assert sg._targets({"Targets": None}) == {}
    good = target("a")
    assert sg._targets({"Targets": ["x", {"ResourceId": ""}, {"InstanceType": "ml.m5.large"}, good]}) == {
        good["ResourceId"]: good}


def test_release_list_is_sorted_and_covers_changes_and_removals() -> None:
    old = properties("release", target("c"), target("a"), target("b"))
    new = properties("release", target("a", "ml.c5.xlarge"), target("b"))
    assert sg.to_release(old, new) == ["endpoint/churn/variant/a", "endpoint/churn/variant/c"]


def test_nothing_is_released_without_old_properties_and_everything_old_without_new() -> None:
    assert sg.to_release(None, properties("release", target("a"))) == []
    old = properties("release", target("a"))
    assert sg.to_release(old, {"EndpointName": "churn"}) == ["endpoint/churn/variant/a"]
    assert sg.to_release({"Targets": [target("a")]}, None) == ["endpoint/churn/variant/a"]


# -- release and restore, request by request -------------------------------------------------------------------------
def test_release_deregisters_each_target_by_namespace_id_and_dimension(stub: Stubber) -> None:
    stub.add_response("deregister_scalable_target", {}, deregister("a"))
    stub.add_response("deregister_scalable_target", {}, deregister("b"))
    assert sg.release(["endpoint/churn/variant/a", "endpoint/churn/variant/b"]) == [
        "endpoint/churn/variant/a", "endpoint/churn/variant/b"]


@pytest.mark.parametrize(
    ("code", "message"),
    [("ObjectNotFoundException", "whatever"),
     ("ValidationException", "No scalable target registered for service namespace: sagemaker")],
)
def test_a_target_already_gone_is_skipped_and_not_reported_as_released(stub: Stubber, code: str, message: str) -> None:
    stub.add_client_error("deregister_scalable_target", service_error_code=code, service_message=message,
                          http_status_code=400, expected_params=deregister("a"))
    stub.add_response("deregister_scalable_target", {}, deregister("b"))
    assert sg.release(["endpoint/churn/variant/a", "endpoint/churn/variant/b"]) == ["endpoint/churn/variant/b"]


@pytest.mark.parametrize(
    ("code", "message"),
    [("ValidationException", "Unsupported service namespace"), ("AccessDeniedException", "no scalable target"),
     ("ConcurrentUpdateException", "busy")],
)
def test_other_errors_stop_the_release(stub: Stubber, code: str, message: str) -> None:
    stub.add_client_error("deregister_scalable_target", service_error_code=code, service_message=message,
                          http_status_code=400, expected_params=deregister("a"))
    with pytest.raises(ClientError, match=code):
        sg.release(["endpoint/churn/variant/a", "endpoint/churn/variant/b"])


def test_not_found_reads_code_and_message_defensively() -> None:
    assert sg._not_found(ClientError({"Error": {"Code": "ObjectNotFoundException"}}, "op"))
    assert sg._not_found(ClientError({"Error": {"Code": "ValidationException",
                                                "Message": "NO SCALABLE TARGET found"}}, "op"))
    assert not sg._not_found(ClientError({"Error": {"Code": "ValidationException"}}, "op"))
    assert not sg._not_found(ClientError({"Error": {"Message": "no scalable target"}}, "op"))
    assert not sg._not_found(ClientError({}, "op"))


def test_restore_registers_every_target_sorted_with_integer_capacities(stub: Stubber) -> None:
    for variant, low, high in [("a", 2, 8), ("b", 1, 3)]:
        stub.add_response("register_scalable_target", {}, {
            "ServiceNamespace": "sagemaker", "ResourceId": f"endpoint/churn/variant/{variant}",
            "ScalableDimension": DIMENSION, "MinCapacity": low, "MaxCapacity": high})
    assert sg.restore(properties("restore", target("b", low="1", high="3"), target("a", low="2", high="8"))) == [
        "endpoint/churn/variant/a", "endpoint/churn/variant/b"]


# -- act -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("request_type", ["Create", "Delete"])
@pytest.mark.parametrize("action", ["release", "restore"])
def test_create_and_delete_change_nothing(stub: Stubber, request_type: str, action: str) -> None:
    assert sg.act(event(action, request_type, [target("a", "ml.c5.xlarge")], [target("a")])) == {"Changed": ""}


def test_update_release_reports_the_released_ids_comma_separated(stub: Stubber) -> None:
    stub.add_response("deregister_scalable_target", {}, deregister("a"))
    stub.add_response("deregister_scalable_target", {}, deregister("b"))
    result = sg.act(event("release", "Update", [], [target("a"), target("b")]))
    assert result == {"Changed": "endpoint/churn/variant/a,endpoint/churn/variant/b"}


def test_update_restore_reports_the_restored_ids(stub: Stubber) -> None:
    for variant in "ab":
        stub.add_response("register_scalable_target", {}, {
            "ServiceNamespace": "sagemaker", "ResourceId": f"endpoint/churn/variant/{variant}",
            "ScalableDimension": DIMENSION, "MinCapacity": 1, "MaxCapacity": 4})
    result = sg.act(event("restore", "Update", [target("a"), target("b")], [target("a")]))
    assert result == {"Changed": "endpoint/churn/variant/a,endpoint/churn/variant/b"}


@pytest.mark.parametrize("extra", [{}, {"ResourceProperties": None}, {"ResourceProperties": {"Action": "grow"}}])
def test_an_unknown_action_is_a_value_error_naming_it(extra: dict) -> None:
    request = {"RequestType": "Update", **extra}
    action = (extra.get("ResourceProperties") or {}).get("Action")
    with pytest.raises(ValueError) as raised:
        sg.act(request)
    assert str(raised.value) == f"Action ({action!r}) must be 'release' or 'restore'"


# -- what CloudFormation receives ------------------------------------------------------------------------------------
def test_success_puts_the_whole_response_to_the_presigned_url(stub: Stubber, sent: SentResponses) -> None:
    stub.add_response("deregister_scalable_target", {}, deregister("a"))
    context = mock.Mock(log_stream_name="2026/11/30/[$LATEST]abc")
    assert sg.handler(event("release", "Update", [], [target("a")]), context) is None
    (request,) = sent.requests
    assert request.full_url == URL and request.get_method() == "PUT"
    assert request.get_header("Content-type") == ""
    assert request.get_header("Content-length") == str(len(request.data))
    assert sent.timeouts == [30]
    assert sent.body == {"Status": "SUCCESS", "Reason": "See CloudWatch Logs: 2026/11/30/[$LATEST]abc",
                         "PhysicalResourceId": "guard-physical",
                         "StackId": "arn:aws:cloudformation:us-east-1:1:stack/s/1",
                         "RequestId": "r-1", "LogicalResourceId": "GuardRelease",
                         "Data": {"Changed": "endpoint/churn/variant/a"}}


def test_the_physical_id_defaults_to_the_logical_id_then_to_scaling_guard(sent: SentResponses) -> None:
    sg.send({"ResponseURL": URL, "LogicalResourceId": "GuardRestore"}, None, "SUCCESS", {})
    sg.send({"ResponseURL": URL}, None, "SUCCESS", {})
    first, second = (json.loads(r.data) for r in sent.requests)
    assert first["PhysicalResourceId"] == "GuardRestore" and second["PhysicalResourceId"] == "ScalingGuard"
    assert first["Reason"] == "See CloudWatch Logs: "


def test_a_failure_is_reported_with_its_type_and_a_reason_cut_to_1000_characters(stub: Stubber, sent: SentResponses) -> None:
    stub.add_client_error("deregister_scalable_target", service_error_code="AccessDeniedException",
                          service_message="x" * 2000, http_status_code=403)
    sg.handler(event("release", "Update", [], [target("a")]), mock.Mock(log_stream_name="s"))
    body = sent.body
    assert body["Status"] == "FAILED" and body["Data"] == {} and len(body["Reason"]) == 1000
    assert body["Reason"].startswith("ClientError: An error occurred (AccessDeniedException) when calling the "
                                     "DeregisterScalableTarget operation")
    assert body["PhysicalResourceId"] == "guard-physical"
