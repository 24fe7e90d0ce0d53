"""`make rehearse` end to end: scripts/rehearse.py against throwaway apps (tests/integration/rehearse_apps/) and the
repository's own app, each on a private moto server that must be gone when the rehearsal ends.

Each rehearsal runs the real CDK CLI (bootstrap, synth, deploy, diff, destroy), 15-30 s apiece on 2 cores.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "rehearse.py"
APPS = Path(__file__).resolve().parent / "rehearse_apps"
VENV_BIN = Path(sys.executable).parent
CDK = REPO / "node_modules" / ".bin" / "cdk"

_MISSING = "needs the CDK CLI (npm ci) and moto[server] in the venv: run `make setup`"
if not CDK.exists() or not (VENV_BIN / "moto_server").exists():
    if os.environ.get("CI"):  # in CI a missing tool is a broken set-up, never a silent green
        raise RuntimeError(f"rehearsal tests cannot run: {_MISSING}")
    pytest.skip(_MISSING, allow_module_level=True)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), str(CDK.parent), env.get("PATH", "/usr/bin:/bin")])
    env.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="18,20", CDK_DISABLE_CLI_TELEMETRY="true")
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not a leak: it is gone as soon as its parent reaps it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _kill_leftover(state: Path) -> None:
    pid_file = state / "moto.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def rehearse(tmp_path: Path, app_dir: Path, *extra: str, timeout: float = 400):
    """Run a rehearsal; return (exit code, output, JSON report), after checking it left no moto server behind."""
    state, report_file = tmp_path / "state", tmp_path / "report.json"
    cmd = [sys.executable, str(SCRIPT), "--app-dir", str(app_dir), "--state-dir", str(state),
           "--report", str(report_file), *extra]
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=timeout)
    finally:
        _kill_leftover(state)
    output = proc.stdout + proc.stderr
    print(output)  # shown by pytest on failure
    print(f"rehearsal of {app_dir.name}: {time.monotonic() - started:.1f}s")
    report = json.loads(report_file.read_text())
    pid = report["emulator"]["pid"]
    assert pid and not _alive(pid), f"moto_server {pid} outlived the rehearsal"
    assert not (state / "moto.pid").exists()
    return proc.returncode, output, report


def _stack(report, name):
    return next(s for s in report["stacks"] if s["stack"] == name)


def _smoke(report, handler):
    return next(s for s in report["smoke"] if s.get("handler") == handler)


def test_good_app_passes_and_reports_what_moto_skipped(tmp_path):
    rc, out, report = rehearse(tmp_path, APPS / "good")
    assert rc == 0, out
    assert report["ok"] and "REHEARSAL PASSED" in out

    stack = _stack(report, "RehearseGood")
    assert stack["status"] == "CREATE_COMPLETE"
    assert {"AWS::S3::Bucket", "AWS::Lambda::Function", "AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig",
            "AWS::SageMaker::Endpoint", "AWS::Events::Rule"} <= set(stack["created_types"])
    # What the emulator did not create is listed, never hidden.
    assert {"AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
            "AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy", "AWS::CDK::Metadata",
            "Custom::S3BucketNotifications"} <= set(stack["not_rehearsed_types"])
    assert "NOT REHEARSED" in out
    assert not set(stack["created_types"]) & set(stack["not_rehearsed_types"])

    (endpoint,) = report["endpoints"]
    assert endpoint["status"] == "InService"
    variants = {v["variant"]: v for v in endpoint["variants"]}
    assert (variants["Blue"]["initial_weight"], variants["Blue"]["initial_instance_count"]) == (0.75, 1)
    assert (variants["Green"]["initial_weight"], variants["Green"]["initial_instance_count"]) == (0.25, 2)

    invoke = _smoke(report, "invoke_endpoint.handler")
    assert invoke["result"] == "passed" and invoke["status_code"] == 200
    assert "0.9" in invoke["result_preview"]  # the runtime answer scripted through moto's API
    batch = _smoke(report, "batch_transform_trigger.handler")
    assert batch["result"] == "passed" and "rehearsal-" in batch["note"]
    unlisted = _smoke(report, "unlisted.handler")
    assert unlisted["result"] == "skipped" and "no smoke event" in unlisted["reason"]
    internal = [s for s in report["smoke"] if "BucketNotificationsHandler" in s["cdk_path"]]
    assert internal and all(s["result"] == "skipped" and "CDK-internal" in s["reason"] for s in internal)

    assert report["diff"]["exit_code"] == 0 and report["diff"]["stacks_with_differences"] == 0
    assert report["destroy"]["exit_code"] == 0


def test_failed_stack_fails_loudly(tmp_path):
    rc, out, report = rehearse(tmp_path, APPS / "failed_stack")
    assert rc != 0
    assert "STACK DEPLOYMENT FAILED" in out and "REHEARSAL FAILED" in out
    assert "Could not find endpoint configuration" in out
    stack = _stack(report, "RehearseFailedStack")
    assert stack["status"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
    assert any("RehearseFailedStack" in f for f in report["failures"])


def test_missing_dependency_fails_naming_the_import_error(tmp_path):
    rc, out, report = rehearse(tmp_path, APPS / "missing_dependency")
    assert rc != 0
    assert "HANDLER PACKAGE DOES NOT IMPORT" in out
    assert "No module named 'yaml'" in out  # installed in the venv, yet absent from the package and the runtime
    assert _smoke(report, "needs_yaml.handler")["result"] == "failed"


def test_smoke_5xx_fails(tmp_path):
    app = APPS / "smoke_5xx"
    rc, out, report = rehearse(tmp_path, app, "--smoke-events", str(app / "rehearse_smoke_events.json"))
    assert rc != 0
    assert "SMOKE CHECK RETURNED 5xx" in out and "statusCode 500" in out
    entry = _smoke(report, "always_500.handler")
    assert entry["result"] == "failed" and entry["status_code"] == 500
    assert "MODE=broken" in entry["reason"]  # the handler ran with the environment the emulator stores


def test_server_stopped_on_sigterm_and_on_cli_failure(tmp_path):
    """No CDK needed: a fake CLI that hangs (then SIGTERM) or fails; the moto server must go either way."""
    hang = tmp_path / "hang_cdk"
    hang.write_text("#!/bin/sh\nexec sleep 120\n")
    fail = tmp_path / "fail_cdk"
    fail.write_text("#!/bin/sh\necho 'fake failure' >&2\nexit 3\n")
    for f in (hang, fail):
        f.chmod(0o755)

    state = tmp_path / "term"
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--app-dir", str(APPS / "good"), "--state-dir", str(state),
         "--report", str(tmp_path / "term.json"), "--cdk", str(hang)],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (state / "logs" / "bootstrap.log").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        moto_pid = int((state / "moto.pid").read_text())
        assert _alive(moto_pid)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        _kill_leftover(state)
    assert proc.returncode != 0, out
    assert not _alive(moto_pid) and not (state / "moto.pid").exists()
    assert "terminated by signal" in out

    rc, out, report = rehearse(tmp_path / "fail", APPS / "good", "--cdk", str(fail))
    assert rc != 0 and "STEP FAILED: cdk bootstrap" in out and "fake failure" in out


def test_repository_app_rehearses(tmp_path):
    rc, out, report = rehearse(tmp_path, REPO)
    assert rc == 0, out
    assert report["stacks"] and all(s["status"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE") for s in report["stacks"])
    assert report["diff"]["stacks_with_differences"] == 0
    assert not [s for s in report["smoke"] if s["result"] == "failed"]
    # The project's own handler runs against every deployed API function: sync route 200, async route 202.
    invokes = [s for s in report["smoke"] if s.get("module") == "invoke_endpoint"]
    assert all(s["result"] == "passed" and s["status_code"] in (200, 202) for s in invokes), invokes
    # Ground Truth: moto creates the labeling workflow but not the work team, its Cognito pool or the custom resources
    # that point the app client at the portal; the report says so, and the manifest function runs on the emulator's S3.
    labeling = next(s for s in report["stacks"] if s["stack"] == "SageMakerCdkLabeling")
    assert {"AWS::SageMaker::Workteam", "AWS::Cognito::UserPool", "Custom::AWS"} <= set(labeling["not_rehearsed_types"])
    assert "AWS::StepFunctions::StateMachine" in labeling["created_types"]
    manifests = [s for s in report["smoke"] if s.get("module") == "labeling_manifest"]
    assert manifests and all(s["result"] == "passed" for s in manifests), manifests
