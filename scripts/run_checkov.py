#!/usr/bin/env python3
"""Run checkov (its own venv, .venv-checkov) on a cloud assembly's templates and check the result.

    python scripts/run_checkov.py cdk.out --output cdk.out/checkov

Scans every `*.template.json` of the assembly (nested Stage assemblies included) with the CloudFormation framework, offline (`--skip-download`), and
writes checkov's machine-readable report to `<output>/results_json.json` (`make review` reads it). Exits 1 when a
check failed or a skip has no comment, printing each; prints the counts either way. The tests import `run` and
`problems` from here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
RESULTS = "results_json.json"


def run(assembly_dir: Path | str, output_dir: Path | str, checkov: Path = CHECKOV) -> dict[str, Any]:
    """Run checkov on the assembly's templates; return its JSON report (also written to output_dir)."""
    # Nested assemblies (a Stage's stacks) live in assembly-*/ folders; asset folders hold no templates.
    templates = sorted(str(p) for p in Path(assembly_dir).rglob("*.template.json") if "/asset." not in str(p))
    if not templates:
        raise FileNotFoundError(f"no *.template.json in {assembly_dir}: synthesize first (make synth)")
    if not checkov.exists():
        raise FileNotFoundError(f"{checkov} is missing: run `make checkov-setup`")
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LOG_LEVEL": "WARNING", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    completed = subprocess.run(
        [str(checkov), "--framework", "cloudformation", "--skip-download",
         "--output", "json", "--output-file-path", str(output), "--file", *templates],
        capture_output=True, text=True, env=env, cwd=str(Path(assembly_dir).resolve().parent),
    )
    report_file = output / RESULTS
    if completed.returncode not in (0, 1) or not report_file.exists():  # 1 = some check failed
        raise RuntimeError(f"checkov exited {completed.returncode}:\n{completed.stderr[-4000:]}")
    report = json.loads(report_file.read_text())
    # One framework gives one report; several give a list of them.
    return report[0] if isinstance(report, list) and len(report) == 1 else report


def problems(report: dict[str, Any]) -> list[str]:
    """Every failed check, and every skip without a comment (a reason), as one line each."""
    results = report.get("results", {})
    lines = [
        f"FAILED {c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in results.get("failed_checks", [])
    ]
    for c in results.get("skipped_checks", []):
        comment = (c.get("check_result") or {}).get("suppress_comment") or ""
        if not comment.strip() or comment.strip() == "No comment provided":
            lines.append(f"SKIPPED WITHOUT A REASON {c['check_id']} {c['resource']} ({c['file_path']})")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assembly", nargs="?", default="cdk.out")
    parser.add_argument("--output", default="cdk.out/checkov")
    args = parser.parse_args()
    started = time.monotonic()
    report = run(args.assembly, args.output)
    summary = report.get("summary", {})
    found = problems(report)
    for line in found:
        print(line)
    print(
        f"checkov {summary.get('checkov_version')}: {summary.get('passed')} passed, {summary.get('failed')} failed, "
        f"{summary.get('skipped')} skipped with a reason, {summary.get('resource_count')} resources "
        f"({time.monotonic() - started:.1f} s); report: {Path(args.output) / RESULTS}"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
