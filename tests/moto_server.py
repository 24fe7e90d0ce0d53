"""A real moto server for handler tests: `moto_server -H 127.0.0.1 -p <free port>` in a subprocess.

Handlers talk to it over HTTP, so the whole botocore stack (serialisation, signing, retries, parsing) runs as in
Lambda. Use the factory in a conftest.py:

    from moto_server import moto_server_fixture, reset
    moto_url = moto_server_fixture()            # session-scoped fixture named after the variable it is bound to

    def test_something(moto_url):
        reset(moto_url)                          # wipe every backend, queued static results included
        client = boto3.client("sagemaker", endpoint_url=moto_url, **FAKE_CREDENTIALS)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
FAKE_CREDENTIALS = {
    "region_name": REGION,
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
FAKE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def _command(port: int) -> list[str]:
    # The console script next to the running interpreter: the venv's, not whatever is first on PATH.
    script = Path(sys.executable).parent / "moto_server"
    if script.exists():
        return [str(script), "-H", "127.0.0.1", "-p", str(port)]
    found = shutil.which("moto_server")
    if found:
        return [found, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, body: bytes = b"") -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def start(timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Start a moto server on a free port; return the process and its URL once it answers."""
    last_error: Exception | None = None
    for _ in range(3):  # another process may grab the port between probe and bind
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        proc = subprocess.Popen(
            _command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):
                    return proc, url
            except (urllib.error.URLError, ConnectionError, OSError) as err:
                last_error = err
                time.sleep(0.1)
        stop(proc)
    raise RuntimeError(f"moto server did not start: {last_error}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def reset(url: str) -> None:
    """Wipe every moto backend (resources and queued static results)."""
    _post(f"{url}/moto-api/reset")


def queue_sagemaker_results(url: str, results: list[dict[str, Any]], *, asynchronous: bool = False) -> None:
    """Queue InvokeEndpoint answers (Body, ContentType, InvokedProductionVariant, CustomAttributes), or async ones
    ({"data": ..., "is_failure": bool}), through moto's static-results API. A result is bound to the first request
    that takes it; an identical request later gets the same result."""
    import json

    path = "async-endpoint-results" if asynchronous else "endpoint-results"
    body = json.dumps({"account_id": ACCOUNT_ID, "region": REGION, "results": results}).encode()
    _post(f"{url}/moto-api/static/sagemaker/{path}", body)


def moto_server_fixture(scope: str = "session") -> Callable[..., Iterator[str]]:
    """A pytest fixture that yields the URL of a moto server started for its scope and stopped afterwards."""

    @pytest.fixture(scope=scope)
    def _moto_server() -> Iterator[str]:
        shared = os.environ.get("MOTO_SERVER_URL")
        if shared:  # one server for a whole run (make mutation forks a test session per mutant)
            yield shared
            return
        proc, url = start()
        try:
            yield url
        finally:
            stop(proc)

    return _moto_server
