"""checkov (CloudFormation framework) on the reference app: 0 failed, and every skip carries its reason.

checkov lives in its own venv (.venv-checkov; it pins an older botocore than the tests use), set up by
`make checkov-setup`, which is a no-op once done. It runs once per session, on the templates the session fixture
synthesized, and writes its JSON report next to them (checkov/results_json.json), as `make checkov` does in cdk.out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import support
from scripts import run_checkov


@pytest.fixture(scope="module")
def checkov_report(reference_assembly: Any) -> dict[str, Any]:
    subprocess.run(["make", "--no-print-directory", "-s", "checkov-setup"], cwd=support.ROOT, check=True)
    assembly, _ = reference_assembly
    return run_checkov.run(assembly.directory, Path(assembly.directory) / "checkov")


def test_checkov_finds_nothing_unexplained(checkov_report: dict[str, Any]) -> None:
    assert run_checkov.problems(checkov_report) == []
    summary = checkov_report["summary"]
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0
    assert summary["passed"] > 500 and summary["resource_count"] > 200  # it really scanned the four templates


def test_every_skip_is_a_library_acknowledgement_with_its_reason(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    assert skipped, "the reference app acknowledges findings, so checkov must report skips"
    for check in skipped:
        comment = check["check_result"]["suppress_comment"]
        assert len(comment) >= 20, (check["check_id"], check["resource"], comment)
    # The scanners agree: what cdk-nag accepts as LambdaDLQ/S1/..., checkov sees skipped with the same reason.
    ids = {check["check_id"] for check in skipped}
    assert {"CKV_AWS_18", "CKV_AWS_116", "CKV_AWS_117"} <= ids
