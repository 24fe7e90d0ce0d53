"""Long external jobs (the consumer pipeline, the README examples) started once per test run, in the background.

They are other processes (setuptools, pip, the CDK CLI, Python apps and their jsii runtime), so they run alongside
pytest's own work. Each job is a command in its own directory under one base directory; when it ends, a `returncode`
file appears there. Tests wait for that file (`wait`), whichever process started the job.

- Without pytest-xdist (`make test PYTEST_ARGS=-n0`, a single test file): the pytest process starts the jobs when it
  has collected their tests, and stops and removes them at the end of the session.
- With pytest-xdist (`make test`): the controller owns the jobs. It hands the base directory to every worker
  (`pytest_configure_node`), starts a job once, as soon as the first worker reports that it collected that job's
  tests, and stops and removes them after the workers are done. A job therefore runs once per run, not once per
  worker, and any worker can read its result.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

WORKER_KEY = "sagemaker_cdk_background_jobs"
# The sentinel: the command's exit status, written (atomically) when it ends.
_WRAPPER = 'rc=0; "$@" || rc=$?; echo "$rc" > .returncode.tmp; mv .returncode.tmp returncode'

CONSUMER = Path(__file__).resolve().parent / "consumer"


def _consumer_module(name: str) -> Any:
    """tests/consumer/<name>.py (the controller never collects tests/consumer, so it never imports its conftest)."""
    if str(CONSUMER) not in sys.path:
        sys.path.insert(0, str(CONSUMER))
    return importlib.import_module(name)


# name -> (the test file whose collection starts it, prepare(work) -> (command, environment), run in work).
JOBS: dict[str, tuple[str, Callable[[Path], tuple[list[str], dict[str, str]]]]] = {
    "consumer": ("consumer/test_consumer_app.py", lambda work: _consumer_module("pipeline").command(work)),
    "quick_start": ("consumer/test_readme_examples.py",
                    lambda work: _consumer_module("readme_examples").quick_start(work)),
    "own_app": ("consumer/test_readme_examples.py", lambda work: _consumer_module("readme_examples").own_app(work)),
}


class _State:
    base: Path | None = None
    owner = False  # this process starts, stops and removes the jobs
    processes: dict[str, subprocess.Popen[bytes]] = {}


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_controller(config: pytest.Config) -> bool:
    return not is_worker(config) and bool(getattr(config.option, "numprocesses", None))


def configure(config: pytest.Config) -> None:
    if is_worker(config):
        _State.base = Path(config.workerinput[WORKER_KEY])  # type: ignore[attr-defined]
    else:
        _State.base, _State.owner = Path(tempfile.mkdtemp(prefix="sagemaker-cdk-jobs-")), True


def base() -> Path:
    """The run's shared directory (the same path in the controller and in every worker)."""
    assert _State.base is not None, "background.configure did not run"
    return _State.base


def configure_node(node: Any) -> None:
    node.workerinput[WORKER_KEY] = str(_State.base)


def start_for(nodeids: Iterable[str]) -> None:
    """Start (once) every job whose test file is among the collected node ids. Owner only."""
    if not _State.owner or _State.base is None:
        return
    files = {nodeid.split("::")[0].replace(os.sep, "/") for nodeid in nodeids}
    for name, (test_file, _) in JOBS.items():
        if name not in _State.processes and any(f.endswith(test_file) for f in files):
            _start(name)


def _start(name: str) -> None:
    work = base() / name
    work.mkdir(parents=True)
    command, env = JOBS[name][1](work)
    with (work / "stdout.txt").open("wb") as stdout, (work / "stderr.txt").open("wb") as stderr:
        # A session of its own, so that `finish` can stop the whole process group (CLI, app, jsii runtime).
        _State.processes[name] = subprocess.Popen(["bash", "-c", _WRAPPER, name, *command], cwd=work, env=env,
                                                  stdout=stdout, stderr=stderr, start_new_session=True)


def wait(config: pytest.Config, name: str, timeout: float = 900) -> tuple[Path, int]:
    """(work directory, exit status) of a job, waiting for it to end; started here if nobody started it."""
    work = base() / name
    if _State.owner and name not in _State.processes:
        _start(name)  # e.g. its test was selected by node id after collection
    started = time.monotonic()
    while not (work / "returncode").exists():
        waited = time.monotonic() - started
        if waited > timeout:
            pytest.fail(f"background job {name} did not end within {timeout:.0f} s (its directory: {work})")
        if is_worker(config) and not work.exists() and waited > 120:
            pytest.fail(f"the xdist controller never started background job {name}")
        time.sleep(0.2)
    return work, int((work / "returncode").read_text())


def finish(config: pytest.Config) -> None:
    if not _State.owner:
        return
    for process in _State.processes.values():
        if process.poll() is None:  # e.g. the session stopped early (-x): stop the job and what it started
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    _State.processes.clear()
    if _State.base is not None:
        shutil.rmtree(_State.base, ignore_errors=True)
