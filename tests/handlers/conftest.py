"""Fixtures for Lambda handler tests.

The invoke_endpoint module builds its SageMaker client at import, as in Lambda; it is imported here with fake
credentials and a region patched into the environment only for the duration of the import. Tests then swap the
module's `CLIENT` for one built by the module's own `make_client` (same config, same hooks) aimed at a moto server
or wrapped in a botocore Stubber.
"""

from __future__ import annotations

import os
from typing import Any, Iterator
from unittest import mock

import pytest
from botocore.stub import Stubber

from invoke_helpers import ASYNC_BUCKET, ASYNC_PREFIX, ENDPOINT_NAME, Captured
from moto_server import FAKE_ENV, moto_server_fixture

with mock.patch.dict(os.environ, FAKE_ENV):
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import invoke_endpoint  # noqa: E402

moto_url = moto_server_fixture()


@pytest.fixture
def handler_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT_NAME)
    monkeypatch.delenv("ALLOWED_CONTENT_TYPES", raising=False)
    monkeypatch.setenv("ASYNC_INPUT_BUCKET", ASYNC_BUCKET)
    monkeypatch.setenv("ASYNC_INPUT_PREFIX", ASYNC_PREFIX)


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def handler(handler_env: None, fake_aws_env: None) -> Any:
    """The handler module, its logs silenced below WARNING."""
    previous = invoke_endpoint.LOGGER.level
    invoke_endpoint.LOGGER.setLevel("WARNING")
    yield invoke_endpoint
    invoke_endpoint.LOGGER.setLevel(previous)


@pytest.fixture
def moto_client(handler: Any, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    """Point the handler at the moto server; yield the capture of what it sent."""
    from moto_server import reset

    reset(moto_url)
    client = handler.make_client(endpoint_url=moto_url)
    captured = Captured()
    client.meta.events.register("before-send.sagemaker-runtime", captured)
    monkeypatch.setattr(handler, "CLIENT", client)
    yield captured


@pytest.fixture
def stubbed(handler: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The handler's client behind a botocore Stubber (no network)."""
    client = handler.make_client()
    monkeypatch.setattr(handler, "CLIENT", client)
    with Stubber(client) as stubber:
        yield stubber
