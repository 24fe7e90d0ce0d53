"""Starts the consumer pipeline (tests/consumer/pipeline.py) in the background as soon as a test needs it.

The pipeline is mostly other processes (setuptools, pip, the CDK CLI and the app's jsii runtime), so it runs on the
second core while pytest works through the rest of the suite; the `consumer_result` fixture waits for it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pipeline  # noqa: E402

_JOB: dict[str, Any] = {}


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(Path(item.path).parent == HERE and item.path.name == "test_consumer_app.py" for item in session.items):
        work = Path(tempfile.mkdtemp(prefix="sagemaker-cdk-consumer-"))
        _JOB.update(work=work, process=pipeline.start(work))


@pytest.fixture(scope="session")
def consumer_result() -> Any:
    """The pipeline's result (see pipeline.run), from the background job or, if none was started, run now."""
    if not _JOB:
        work = Path(tempfile.mkdtemp(prefix="sagemaker-cdk-consumer-"))
        _JOB.update(work=work, process=pipeline.start(work))
    process: subprocess.Popen[bytes] = _JOB["process"]
    started = time.monotonic()
    process.wait(timeout=900)
    result = json.loads((_JOB["work"] / "result.json").read_text())
    result["waited_seconds"] = round(time.monotonic() - started, 1)
    yield result
    shutil.rmtree(_JOB["work"], ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    process = _JOB.get("process")
    if process is not None and process.poll() is None:  # e.g. the consumer tests were deselected by -x
        process.kill()
        process.wait()
    if _JOB.get("work"):
        shutil.rmtree(_JOB["work"], ignore_errors=True)
