"""The handler's cold-start shortcuts (one-service listing, plain-dict endpoints.json) resolve exactly like botocore."""

from __future__ import annotations

import botocore.session
import pytest


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1", "il-central-1"]
)
def test_client_resolves_like_a_default_botocore_client(handler, region: str, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    ours = handler.make_client(region_name=region)
    theirs = botocore.session.Session().create_client("sagemaker-runtime", region_name=region)
    assert ours.meta.endpoint_url == theirs.meta.endpoint_url
    assert ours.meta.region_name == theirs.meta.region_name
    assert ours.meta.partition == theirs.meta.partition
    assert ours.meta.service_model.operation_names == theirs.meta.service_model.operation_names


def test_endpoints_data_is_identical_to_botocores(handler) -> None:
    ours = handler._OneServiceLoader().load_data("endpoints")
    theirs = botocore.session.Session().get_component("data_loader").load_data("endpoints")
    assert ours == theirs
    assert list(ours["partitions"][0]["regions"]) == list(theirs["partitions"][0]["regions"])  # order kept
