"""studio_teardown's contract with the Provider framework and SageMaker: the exact onEvent answers (PhysicalResourceId,
TeardownPhase, TeardownDeadline), IsComplete, the exact requests (botocore Stubber `expected_params`), which errors
mean "gone", "wait" or "fail", and the exact timeout message. Complements test_studio_teardown.py.
"""

from __future__ import annotations

import time
from typing import Any, Iterator
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import studio_teardown as st
from moto_server import FAKE_CREDENTIALS

DOMAIN = "d-abc123"
NOW = 1_800_000_000


def delete_event(**extra: Any) -> dict[str, Any]:
    event = {
        "RequestType": "Delete",
        "PhysicalResourceId": f"studio-teardown-{DOMAIN}",
        "ResourceProperties": {"DomainId": DOMAIN, "KeepSpaces": ["team", "shared"], "TimeoutSeconds": "600"},
        "TeardownPhase": "delete",
        "TeardownDeadline": str(int(time.time()) + 600),
    }
    event.update(extra)
    return event


def app(name: str, status: str, *, space: str | None = None, user: str | None = "alice",
        kind: str = "JupyterLab") -> dict[str, Any]:
    details = {"DomainId": DOMAIN, "AppType": kind, "AppName": name, "Status": status}
    if space:
        details["SpaceName"] = space
    elif user is not None:
        details["UserProfileName"] = user
    return details


def space(name: str, status: str) -> dict[str, Any]:
    return {"DomainId": DOMAIN, "SpaceName": name, "Status": status}


@pytest.fixture
def stub() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("sagemaker", **FAKE_CREDENTIALS)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def described(stubber: Stubber) -> None:
    stubber.add_response("describe_domain", {"DomainId": DOMAIN}, {"DomainId": DOMAIN})


# -- onEvent ---------------------------------------------------------------------------------------------------------
def test_the_handler_routes_isComplete_events_by_their_teardown_phase() -> None:
    with mock.patch.object(st, "is_complete", return_value={"IsComplete": True}) as done, \
            mock.patch.object(st, "on_event", return_value={"PhysicalResourceId": "p"}) as started:
        assert st.handler({"RequestType": "Delete", "TeardownPhase": "none"}) == {"IsComplete": True}
        assert st.handler({"RequestType": "Delete"}) == {"PhysicalResourceId": "p"}
    done.assert_called_once_with({"RequestType": "Delete", "TeardownPhase": "none"})
    started.assert_called_once_with({"RequestType": "Delete"})


def test_delete_answers_the_physical_id_cloudformation_sent_and_an_exact_deadline() -> None:
    event = {"RequestType": "Delete", "PhysicalResourceId": "old-physical-id",
             "ResourceProperties": {"DomainId": DOMAIN, "TimeoutSeconds": "900"}}
    with mock.patch.object(st.time, "time", return_value=NOW + 0.9):
        assert st.on_event(event) == {"PhysicalResourceId": "old-physical-id", "TeardownPhase": "delete",
                                      "TeardownDeadline": str(NOW + 900)}


def test_delete_without_a_physical_id_or_timeout_uses_the_domain_and_45_minutes() -> None:
    event = {"RequestType": "Delete", "ResourceProperties": {"DomainId": DOMAIN, "TimeoutSeconds": ""}}
    with mock.patch.object(st.time, "time", return_value=NOW):
        assert st.on_event(event) == {"PhysicalResourceId": f"studio-teardown-{DOMAIN}", "TeardownPhase": "delete",
                                      "TeardownDeadline": str(NOW + 2700)}


def test_update_answers_the_domain_physical_id_even_if_cloudformation_sent_another() -> None:
    event = {"RequestType": "Update", "PhysicalResourceId": "old", "ResourceProperties": {"DomainId": "d-new"}}
    assert st.on_event(event) == {"PhysicalResourceId": "studio-teardown-d-new", "TeardownPhase": "none"}


@pytest.mark.parametrize("props", [None, {}, {"DomainId": ""}])
def test_a_missing_domain_id_names_the_property(props: Any) -> None:
    with pytest.raises(ValueError) as raised:
        st.on_event({"RequestType": "Create", "ResourceProperties": props})
    assert str(raised.value) == "resource property DomainId is required"
    with pytest.raises(ValueError, match="^resource property DomainId is required$"):
        st.is_complete({"RequestType": "Delete", "TeardownPhase": "delete", "ResourceProperties": props})


# -- isComplete ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [{"RequestType": "Create", "TeardownPhase": "delete"},
                                   {"RequestType": "Update", "TeardownPhase": "delete"},
                                   {"RequestType": "Delete", "TeardownPhase": "none"}])
def test_is_complete_touches_nothing_outside_a_delete_teardown(extra: dict) -> None:
    client = mock.Mock()
    assert st.is_complete({**delete_event(), **extra}, client) == {"IsComplete": True}
    assert client.mock_calls == []


def test_is_complete_builds_a_sagemaker_client_when_none_is_given() -> None:
    with mock.patch.object(st.boto3, "client") as make:
        make.return_value.describe_domain.side_effect = ClientError(
            {"Error": {"Code": "ResourceNotFound", "Message": "gone"}}, "DescribeDomain")
        make.return_value.list_apps.side_effect = AssertionError("a deleted domain has nothing to list")
        assert st.is_complete(delete_event()) == {"IsComplete": True}
    make.assert_called_once_with("sagemaker")


def test_a_deleted_domain_completes_without_listing(stub: Any) -> None:
    client, stubber = stub
    stubber.add_client_error("describe_domain", service_error_code="ResourceNotFound", service_message="x",
                             http_status_code=400, expected_params={"DomainId": DOMAIN})
    assert st.is_complete(delete_event(), client) == {"IsComplete": True}


@pytest.mark.parametrize(
    ("code", "message", "exists"),
    [("ResourceNotFound", "", False), ("ResourceNotFoundException", "", False),
     ("ValidationException", "Could NOT FIND domain d-abc123", False)],
)
def test_domain_exists_reads_gone_codes_and_moto_style_validation(code: str, message: str, exists: bool) -> None:
    client = mock.Mock()
    client.describe_domain.side_effect = ClientError({"Error": {"Code": code, "Message": message}}, "DescribeDomain")
    assert st._domain_exists(client, DOMAIN) is exists
    client.describe_domain.assert_called_once_with(DomainId=DOMAIN)


@pytest.mark.parametrize(
    "error", [{"Code": "ValidationException", "Message": "bad id"},
              {"Code": "AccessDeniedException", "Message": "not find"},
              {"Message": "not find"}, {"Code": "ValidationException"}],
)
def test_domain_exists_raises_every_other_error(error: dict) -> None:
    client = mock.Mock()
    client.describe_domain.side_effect = ClientError({"Error": error}, "DescribeDomain")
    with pytest.raises(ClientError):
        st._domain_exists(client, DOMAIN)


def test_domain_exists_raises_an_error_without_details() -> None:
    client = mock.Mock()
    client.describe_domain.side_effect = ClientError({}, "DescribeDomain")
    with pytest.raises(ClientError):
        st._domain_exists(client, DOMAIN)


def test_spaces_are_not_touched_while_apps_remain_and_kept_spaces_never(stub: Any) -> None:
    client, stubber = stub
    described(stubber)
    stubber.add_response("list_apps", {"Apps": [app("a", "Deleted")]}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("list_spaces", {"Spaces": [space("team", "InService"), space("shared", "Failed"),
                                                    space("mine", "InService")]}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "mine"})
    assert st.is_complete(delete_event(), client) == {"IsComplete": False}


def test_no_keep_spaces_property_deletes_every_space(stub: Any) -> None:
    client, stubber = stub
    described(stubber)
    stubber.add_response("list_apps", {"Apps": []}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("list_spaces", {"Spaces": [space("team", "InService")]}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "team"})
    event = delete_event()
    del event["ResourceProperties"]["KeepSpaces"]
    assert st.is_complete(event, client) == {"IsComplete": False}


def test_is_complete_exactly_at_the_deadline_fails(stub: Any) -> None:
    client, stubber = stub
    described(stubber)
    stubber.add_response("list_apps", {"Apps": [app("a", "Deleting")]}, {"DomainIdEquals": DOMAIN})
    with mock.patch.object(st.time, "time", return_value=float(NOW)), pytest.raises(st.TeardownTimeout):
        st.is_complete(delete_event(TeardownDeadline=str(NOW)), client)


def test_is_complete_just_before_the_deadline_waits(stub: Any) -> None:
    client, stubber = stub
    described(stubber)
    stubber.add_response("list_apps", {"Apps": [app("a", "Deleting")]}, {"DomainIdEquals": DOMAIN})
    with mock.patch.object(st.time, "time", return_value=NOW - 0.5):
        assert st.is_complete(delete_event(TeardownDeadline=str(NOW)), client) == {"IsComplete": False}


def test_without_a_deadline_the_default_45_minutes_from_now_applies(stub: Any) -> None:
    client, stubber = stub
    described(stubber)
    stubber.add_response("list_apps", {"Apps": [app("a", "Deleting")]}, {"DomainIdEquals": DOMAIN})
    event = delete_event()
    del event["TeardownDeadline"]
    assert st.is_complete(event, client) == {"IsComplete": False}


def test_the_timeout_names_every_app_and_space_still_there() -> None:
    message = st._timeout_message(DOMAIN, ["app 'x' (JupyterLab, user 'alice') is Deleting", "space 's' is Failed"],
                                  {"TimeoutSeconds": "1500"})
    assert message == (
        f"Studio teardown of domain {DOMAIN} timed out after 25 minutes; still present: app 'x' (JupyterLab, user "
        "'alice') is Deleting; space 's' is Failed. Delete them in the SageMaker console (or with `aws sagemaker "
        "delete-app` / `delete-space`), then delete the stack again.")
    assert "after 45 minutes" in st._timeout_message(DOMAIN, [], {})
    assert "after 1 minutes" in st._timeout_message(DOMAIN, [], {"TimeoutSeconds": "119"})


def test_a_space_stuck_past_the_deadline_is_named(stub: Any) -> None:
    client, stubber = stub
    described(stubber)
    stubber.add_response("list_apps", {"Apps": []}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("list_spaces", {"Spaces": [space("mine", "Deleting")]}, {"DomainIdEquals": DOMAIN})
    with pytest.raises(st.TeardownTimeout) as raised:
        st.is_complete(delete_event(TeardownDeadline=str(int(time.time()) - 1)), client)
    assert "timed out after 10 minutes; still present: space 'mine' is Deleting. " in str(raised.value)


# -- apps ------------------------------------------------------------------------------------------------------------
def test_an_app_is_deleted_by_domain_type_name_and_its_user(stub: Any) -> None:
    client, stubber = stub
    stubber.add_response("list_apps", {"Apps": [app("default", "InService", user="bob", kind="CodeEditor")]},
                         {"DomainIdEquals": DOMAIN})
    stubber.add_response("delete_app", {}, {"DomainId": DOMAIN, "AppType": "CodeEditor", "AppName": "default",
                                            "UserProfileName": "bob"})
    assert st.teardown_apps(client, DOMAIN) == ["app 'default' (CodeEditor, user 'bob') is InService"]


def test_an_app_without_owner_is_deleted_with_an_empty_user_name() -> None:
    client = mock.Mock()
    client.list_apps.return_value = {"Apps": [app("x", "Failed", user=None)]}
    assert st.teardown_apps(client, DOMAIN) == ["app 'x' (JupyterLab, user None) is Failed"]
    client.delete_app.assert_called_once_with(DomainId=DOMAIN, AppType="JupyterLab", AppName="x", UserProfileName="")


def test_apps_of_every_page_are_deleted(stub: Any) -> None:
    client, stubber = stub
    stubber.add_response("list_apps", {"Apps": [app("a", "InService")], "NextToken": "t1"}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("delete_app", {}, {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "a",
                                            "UserProfileName": "alice"})
    stubber.add_response("list_apps", {"Apps": [app("b", "Pending", space="s")], "NextToken": "t2"},
                         {"DomainIdEquals": DOMAIN, "NextToken": "t1"})
    stubber.add_response("delete_app", {}, {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "b",
                                            "SpaceName": "s"})
    stubber.add_response("list_apps", {"Apps": []}, {"DomainIdEquals": DOMAIN, "NextToken": "t2"})
    assert st.teardown_apps(client, DOMAIN) == ["app 'a' (JupyterLab, user 'alice') is InService",
                                                "app 'b' (JupyterLab, space 's') is Pending"]


@pytest.mark.parametrize("code", ["ResourceNotFound", "ResourceNotFoundException"])
def test_an_app_gone_meanwhile_is_not_waited_for(code: str) -> None:
    client = mock.Mock()
    client.list_apps.return_value = {"Apps": [app("a", "InService"), app("b", "InService")]}
    client.delete_app.side_effect = [ClientError({"Error": {"Code": code}}, "DeleteApp"), None]
    assert st.teardown_apps(client, DOMAIN) == ["app 'b' (JupyterLab, user 'alice') is InService"]


@pytest.mark.parametrize("code", ["ResourceInUse", "ValidationException", "ConflictException", "ThrottlingException"])
def test_an_app_that_cannot_be_deleted_yet_is_waited_for_and_the_rest_still_deleted(code: str) -> None:
    client = mock.Mock()
    client.list_apps.return_value = {"Apps": [app("a", "Pending"), app("b", "InService")]}
    client.delete_app.side_effect = [ClientError({"Error": {"Code": code}}, "DeleteApp"), None]
    assert st.teardown_apps(client, DOMAIN) == ["app 'a' (JupyterLab, user 'alice') is Pending",
                                                "app 'b' (JupyterLab, user 'alice') is InService"]
    assert client.delete_app.call_count == 2


@pytest.mark.parametrize("error", [{"Code": "AccessDeniedException"}, {}])
def test_any_other_delete_app_error_fails(error: dict) -> None:
    client = mock.Mock()
    client.list_apps.return_value = {"Apps": [app("a", "InService")]}
    client.delete_app.side_effect = ClientError({"Error": error}, "DeleteApp")
    with pytest.raises(ClientError):
        st.teardown_apps(client, DOMAIN)


def test_an_error_without_details_fails_the_app_teardown() -> None:
    client = mock.Mock()
    client.list_apps.return_value = {"Apps": [app("a", "InService")]}
    client.delete_app.side_effect = ClientError({}, "DeleteApp")
    with pytest.raises(ClientError):
        st.teardown_apps(client, DOMAIN)


def test_a_page_without_the_list_key_is_an_empty_page(stub: Any) -> None:
    client, stubber = stub
    stubber.add_response("list_apps", {}, {"DomainIdEquals": DOMAIN})
    stubber.add_response("list_spaces", {}, {"DomainIdEquals": DOMAIN})
    assert st.teardown_apps(client, DOMAIN) == []
    assert st.teardown_spaces(client, DOMAIN, set()) == []


# -- spaces ----------------------------------------------------------------------------------------------------------
def test_spaces_of_every_page_are_deleted_and_waited_for(stub: Any) -> None:
    client, stubber = stub
    stubber.add_response("list_spaces", {"Spaces": [space("a", "InService")], "NextToken": "t1"},
                         {"DomainIdEquals": DOMAIN})
    stubber.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "a"})
    stubber.add_response("list_spaces", {"Spaces": [space("b", "Deleting"), space("keep", "InService")]},
                         {"DomainIdEquals": DOMAIN, "NextToken": "t1"})
    assert st.teardown_spaces(client, DOMAIN, {"keep"}) == ["space 'a' is InService", "space 'b' is Deleting"]


@pytest.mark.parametrize("code", ["ResourceNotFound", "ResourceNotFoundException"])
def test_a_space_gone_meanwhile_is_not_waited_for(code: str) -> None:
    client = mock.Mock()
    client.list_spaces.return_value = {"Spaces": [space("a", "InService"), space("b", "Failed")]}
    client.delete_space.side_effect = [ClientError({"Error": {"Code": code}}, "DeleteSpace"), None]
    assert st.teardown_spaces(client, DOMAIN, set()) == ["space 'b' is Failed"]


@pytest.mark.parametrize("code", ["ResourceInUse", "ValidationException", "ConflictException", "ThrottlingException"])
def test_a_space_that_cannot_be_deleted_yet_is_waited_for(code: str) -> None:
    client = mock.Mock()
    client.list_spaces.return_value = {"Spaces": [space("a", "Updating"), space("b", "InService")]}
    client.delete_space.side_effect = [ClientError({"Error": {"Code": code}}, "DeleteSpace"), None]
    assert st.teardown_spaces(client, DOMAIN, set()) == ["space 'a' is Updating", "space 'b' is InService"]
    assert client.delete_space.call_count == 2


@pytest.mark.parametrize("error", [{"Code": "AccessDeniedException"}, {}])
def test_any_other_delete_space_error_fails(error: dict) -> None:
    client = mock.Mock()
    client.list_spaces.return_value = {"Spaces": [space("a", "InService")]}
    client.delete_space.side_effect = ClientError({"Error": error}, "DeleteSpace")
    with pytest.raises(ClientError):
        st.teardown_spaces(client, DOMAIN, set())


def test_a_space_error_without_details_fails() -> None:
    client = mock.Mock()
    client.list_spaces.return_value = {"Spaces": [space("a", "InService")]}
    client.delete_space.side_effect = ClientError({}, "DeleteSpace")
    with pytest.raises(ClientError):
        st.teardown_spaces(client, DOMAIN, set())
