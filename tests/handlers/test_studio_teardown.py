"""The Studio teardown handler: apps first, then user spaces, waited out, with a clear failure past the deadline.

Two layers, because moto 5 emulates SageMaker domains (CreateDomain, DescribeDomain, DeleteDomain) but not apps or
spaces (ListApps answers HTTP 500):
- over real HTTP against a moto server: the Provider-framework events end to end through `handler`, for a domain
  that exists and one already deleted;
- with botocore's Stubber (request parameters validated against the SageMaker service model): apps and spaces in
  every AppStatus and SpaceStatus botocore defines, retries, pagination, errors and the timeout.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings, strategies as st

import studio_teardown
from moto_server import FAKE_CREDENTIALS, reset

DOMAIN = "d-abc123"
APP_STATUSES = ["Deleted", "Deleting", "Failed", "InService", "Pending"]  # botocore AppStatus
SPACE_STATUSES = ["Deleting", "Failed", "InService", "Pending", "Updating", "Update_Failed", "Delete_Failed"]


def delete_event(**extra: Any) -> dict[str, Any]:
    event = {
        "RequestType": "Delete",
        "PhysicalResourceId": f"studio-teardown-{DOMAIN}",
        "ResourceProperties": {"DomainId": DOMAIN, "KeepSpaces": ["team"], "TimeoutSeconds": "2700"},
        "TeardownPhase": "delete",
        "TeardownDeadline": str(int(time.time()) + 600),
    }
    event.update(extra)
    return event


def app(name: str, status: str, *, space: str | None = None, user: str | None = "alice", kind: str = "JupyterLab"):
    details = {"DomainId": DOMAIN, "AppType": kind, "AppName": name, "Status": status}
    details.update({"SpaceName": space} if space else {"UserProfileName": user})
    return details


def space(name: str, status: str) -> dict[str, Any]:
    return {"DomainId": DOMAIN, "SpaceName": name, "Status": status}


@pytest.fixture
def stubbed() -> Any:
    client = boto3.client("sagemaker", **FAKE_CREDENTIALS)
    with Stubber(client) as stubber:
        stubber.add_response("describe_domain", {"DomainId": DOMAIN}, {"DomainId": DOMAIN})
        yield client, stubber
        stubber.assert_no_pending_responses()


# -------------------------------------------------------------------------------------------- onEvent (no AWS calls)
@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_do_nothing_and_complete_at_once(request_type: str) -> None:
    event = {"RequestType": request_type, "ResourceProperties": {"DomainId": DOMAIN}}
    result = studio_teardown.on_event(event)
    assert result == {"PhysicalResourceId": f"studio-teardown-{DOMAIN}", "TeardownPhase": "none"}
    assert studio_teardown.is_complete({**event, **result}) == {"IsComplete": True}


def test_delete_sets_a_deadline_from_the_timeout_property() -> None:
    event = delete_event()
    del event["TeardownPhase"], event["TeardownDeadline"]
    before = time.time()
    result = studio_teardown.on_event(event)
    assert result["TeardownPhase"] == "delete"
    assert int(before) + 2700 <= float(result["TeardownDeadline"]) <= time.time() + 2700


def test_a_missing_domain_id_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="resource property DomainId is required"):
        studio_teardown.on_event({"RequestType": "Delete", "ResourceProperties": {}})


# -------------------------------------------------------------------------------------------- real HTTP against moto
@pytest.fixture
def moto_client(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    reset(moto_url)
    for key, value in {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": moto_url}.items():
        if key.startswith("aws_") or key == "AWS_ENDPOINT_URL":
            monkeypatch.setenv(key.upper(), value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", FAKE_CREDENTIALS["region_name"])
    return boto3.client("sagemaker", endpoint_url=moto_url, **FAKE_CREDENTIALS)


def _moto_domain(client: Any) -> str:
    created = client.create_domain(
        DomainName="team",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/studio"},
        SubnetIds=["subnet-1", "subnet-2"],
        VpcId="vpc-1",
        AppNetworkAccessType="VpcOnly",
    )
    return created["DomainArn"].rsplit("/", 1)[1]


def test_over_http_the_provider_events_complete_when_the_domain_is_already_gone(moto_client: Any) -> None:
    domain_id = _moto_domain(moto_client)
    moto_client.delete_domain(DomainId=domain_id)
    event = {"RequestType": "Delete", "PhysicalResourceId": f"studio-teardown-{domain_id}",
             "ResourceProperties": {"DomainId": domain_id, "TimeoutSeconds": "1500"}}
    started = studio_teardown.handler(event)  # onEvent
    assert started["TeardownPhase"] == "delete"
    assert studio_teardown.handler({**event, **started}) == {"IsComplete": True}  # isComplete, over HTTP


def test_over_http_an_existing_domain_is_described_before_anything_is_deleted(moto_client: Any) -> None:
    domain_id = _moto_domain(moto_client)
    assert studio_teardown._domain_exists(moto_client, domain_id) is True
    assert studio_teardown._domain_exists(moto_client, "d-missing") is False


# -------------------------------------------------------------------------------------------- Stubber: every state
def test_apps_in_every_state_are_deleted_unless_already_deleting_or_deleted(stubbed: Any) -> None:
    client, stubber = stubbed
    apps = [
        app("default", "InService"),
        app("default", "Pending", space="team"),
        app("broken", "Failed", kind="CodeEditor"),
        app("going", "Deleting"),
        app("gone", "Deleted"),
    ]
    stubber.add_response("list_apps", {"Apps": apps}, {"DomainIdEquals": DOMAIN})
    for a in apps[:3]:
        owner = {"SpaceName": a["SpaceName"]} if "SpaceName" in a else {"UserProfileName": a["UserProfileName"]}
        stubber.add_response(
            "delete_app", {}, {"DomainId": DOMAIN, "AppType": a["AppType"], "AppName": a["AppName"], **owner}
        )
    # Spaces wait until every app is gone: no ListSpaces call on this poll.
    assert studio_teardown.is_complete(delete_event(), client) == {"IsComplete": False}


def test_spaces_users_made_are_deleted_once_apps_are_gone_and_stack_spaces_are_kept(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_apps", {"Apps": [app("old", "Deleted")]}, {"DomainIdEquals": DOMAIN})
    spaces = [space("team", "InService")] + [space(f"s-{s.lower().replace('_', '-')}", s) for s in SPACE_STATUSES]
    stubber.add_response("list_spaces", {"Spaces": spaces}, {"DomainIdEquals": DOMAIN})
    for s in spaces[1:]:
        if s["Status"] != "Deleting":
            stubber.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": s["SpaceName"]})
    assert studio_teardown.is_complete(delete_event(), client) == {"IsComplete": False}


def test_complete_when_no_app_and_no_user_space_is_left(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_apps", {"Apps": [app("a", "Deleted")]}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("list_spaces", {"Spaces": [space("team", "InService")]}, {"DomainIdEquals": DOMAIN})
    assert studio_teardown.is_complete(delete_event(), client) == {"IsComplete": True}


def test_pages_of_apps_are_all_read(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_apps", {"Apps": [app("a", "Deleted")], "NextToken": "t1"}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("list_apps", {"Apps": [app("b", "Deleting")]}, {"DomainIdEquals": DOMAIN, "NextToken": "t1"})
    assert studio_teardown.is_complete(delete_event(), client) == {"IsComplete": False}


@pytest.mark.parametrize(
    ("code", "still_waiting"), [("ResourceInUse", True), ("ResourceNotFound", False), ("ValidationException", True)]
)
def test_delete_app_errors_that_mean_wait_or_gone(stubbed: Any, code: str, still_waiting: bool) -> None:
    client, stubber = stubbed
    stubber.add_response("list_apps", {"Apps": [app("default", "Pending")]}, {"DomainIdEquals": DOMAIN})
    stubber.add_client_error("delete_app", service_error_code=code, http_status_code=400)
    if not still_waiting:
        stubber.add_response("list_spaces", {"Spaces": []}, {"DomainIdEquals": DOMAIN})
    assert studio_teardown.is_complete(delete_event(), client) == {"IsComplete": not still_waiting}


def test_access_denied_is_not_swallowed(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_apps", {"Apps": [app("default", "InService")]}, {"DomainIdEquals": DOMAIN})
    stubber.add_client_error("delete_app", service_error_code="AccessDeniedException", http_status_code=403)
    with pytest.raises(Exception, match="AccessDeniedException"):
        studio_teardown.is_complete(delete_event(), client)


def test_an_app_stuck_in_deleting_past_the_deadline_fails_with_what_is_stuck_and_the_fix(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "list_apps", {"Apps": [app("default", "Deleting", space="team")]}, {"DomainIdEquals": DOMAIN}
    )
    event = delete_event(TeardownDeadline=str(int(time.time()) - 1))
    with pytest.raises(studio_teardown.TeardownTimeout) as raised:
        studio_teardown.is_complete(event, client)
    message = str(raised.value)
    assert f"Studio teardown of domain {DOMAIN} timed out after 45 minutes" in message
    assert "app 'default' (JupyterLab, space 'team') is Deleting" in message
    assert "aws sagemaker delete-app" in message and "delete the stack again" in message


def test_a_whole_teardown_over_successive_polls() -> None:
    """Poll 1 deletes the running app, poll 2 sees it Deleting, poll 3 deletes the user's space, poll 4 is done."""
    client = boto3.client("sagemaker", **FAKE_CREDENTIALS)
    with Stubber(client) as stubber:
        polls = [
            ([app("default", "InService", space="mine")], None),
            ([app("default", "Deleting", space="mine")], None),
            ([app("default", "Deleted", space="mine")], [space("mine", "InService")]),
            ([app("default", "Deleted", space="mine")], []),
        ]
        for apps, spaces in polls:
            stubber.add_response("describe_domain", {"DomainId": DOMAIN}, {"DomainId": DOMAIN})
            stubber.add_response("list_apps", {"Apps": apps}, {"DomainIdEquals": DOMAIN})
            if apps[0]["Status"] == "InService":
                stubber.add_response("delete_app", {}, {"DomainId": DOMAIN, "AppType": "JupyterLab",
                                                        "AppName": "default", "SpaceName": "mine"})
            if spaces is not None:
                stubber.add_response("list_spaces", {"Spaces": spaces}, {"DomainIdEquals": DOMAIN})
                if spaces:
                    stubber.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "mine"})
        results = [studio_teardown.is_complete(delete_event(), client)["IsComplete"] for _ in polls]
        stubber.assert_no_pending_responses()
    assert results == [False, False, False, True]


# -------------------------------------------------------------------------------------------- properties
class _FakeClient:
    def __init__(self, apps: list[dict[str, Any]]) -> None:
        self.apps = apps
        self.deleted: list[str] = []

    def list_apps(self, **_: Any) -> dict[str, Any]:
        return {"Apps": self.apps}

    def delete_app(self, **kwargs: Any) -> None:
        self.deleted.append(kwargs["AppName"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(APP_STATUSES), st.booleans()), max_size=12))
def test_exactly_the_apps_not_yet_deleting_are_deleted_and_every_live_app_is_waited_for(
    states: list[tuple[str, bool]],
) -> None:
    apps = [app(f"a{i}", status, space="s" if in_space else None) for i, (status, in_space) in enumerate(states)]
    client = _FakeClient(apps)
    waiting = studio_teardown.teardown_apps(client, DOMAIN)
    assert client.deleted == [a["AppName"] for a in apps if a["Status"] not in ("Deleting", "Deleted")]
    assert len(waiting) == sum(a["Status"] != "Deleted" for a in apps)
