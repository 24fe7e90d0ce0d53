"""The consumer pipeline and the README examples run as background jobs (tests/background.py), once per test run;
the fixtures below wait for them and hand their results to the tests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

import background


@pytest.fixture(scope="session")
def readme_example(request: pytest.FixtureRequest) -> Any:
    """readme_example(name) -> (work directory, returncode, stdout, stderr) of a README example."""

    def result(name: str) -> tuple[Path, int, str, str]:
        work, returncode = background.wait(request.config, name)
        return work, returncode, (work / "stdout.txt").read_text(), (work / "stderr.txt").read_text()

    return result


@pytest.fixture(scope="session")
def consumer_result(request: pytest.FixtureRequest) -> Any:
    """The pipeline's result (see pipeline.run): what each step returned and printed, and where it put things."""
    started = time.monotonic()
    work, returncode = background.wait(request.config, "consumer")
    if not (work / "result.json").exists():
        pytest.fail(f"the consumer pipeline exited {returncode} without a result:\n"
                    + (work / "stderr.txt").read_text()[-4000:])
    result = json.loads((work / "result.json").read_text())
    result["waited_seconds"] = round(time.monotonic() - started, 1)
    return result
