"""Starts the consumer pipeline and the README examples in the background as soon as pytest has collected them.

They are other processes (setuptools, pip, the CDK CLI, Python apps and their jsii runtime), so they run on the second
core while pytest works through the rest of the suite; the fixtures below wait for them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
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
import readme_examples  # noqa: E402

_JOB: dict[str, Any] = {}
# name -> (work directory, process) of the README examples
_EXAMPLES: dict[str, tuple[Path, subprocess.Popen[bytes]]] = {}
_STARTERS = {"quick_start": readme_examples.start_quick_start, "own_app": readme_examples.start_own_app}


def _start_example(name: str) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"sagemaker-cdk-{name}-"))
    _EXAMPLES[name] = (work, _STARTERS[name](work))


def pytest_collection_finish(session: pytest.Session) -> None:
    files = {item.path.name for item in session.items if Path(item.path).parent == HERE}
    if "test_consumer_app.py" in files:
        work = Path(tempfile.mkdtemp(prefix="sagemaker-cdk-consumer-"))
        _JOB.update(work=work, process=pipeline.start(work))
    if "test_readme_examples.py" in files:
        for name in _STARTERS:
            _start_example(name)


@pytest.fixture(scope="session")
def readme_example() -> Any:
    """readme_example(name) -> (work directory, returncode, stdout, stderr) of a README example (see above)."""

    def result(name: str) -> tuple[Path, int, str, str]:
        if name not in _EXAMPLES:
            _start_example(name)
        work, process = _EXAMPLES[name]
        returncode = process.wait(timeout=900)
        return work, returncode, (work / "stdout.txt").read_text(), (work / "stderr.txt").read_text()

    return result


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
    jobs = list(_EXAMPLES.values())
    if _JOB:
        jobs.append((_JOB["work"], _JOB["process"]))
    for work, process in jobs:
        if process.poll() is None:  # e.g. the session stopped early (-x): stop the job and what it started
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(work, ignore_errors=True)
