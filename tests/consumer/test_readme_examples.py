"""The README's quick start and "Use it in your own CDK app" examples run as written, and print what it says.

tests/consumer/readme_examples.py runs them (in the background, from tests/consumer/conftest.py).
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

import support
from readme_examples import fresh_shell_env, section

pytestmark = pytest.mark.integration


def test_quick_start_synthesizes_quietly_into_its_own_directory(readme_example: Any) -> None:
    work, returncode, stdout, stderr = readme_example("quick_start")
    assert returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert stderr == "\n"  # the CDK CLI's empty line; no jsii banner, no notices, no nag report
    assert stdout == "cdk.out.churn/Churn.template.json\n"
    assert f"It prints one line, `{stdout.strip()}`" in " ".join(section("Quick start").split())
    assert (work / "cdk.out.churn" / "Churn.template.json").is_file()
    report = json.loads((work / "cdk.out.churn" / "validation-report.json").read_text())
    findings = {plugin["pluginName"]: len(plugin.get("violations", [])) for plugin in report["pluginReports"]}
    assert findings.get("AwsSolutions") == 0 and set(findings.values()) == {0}, findings
    assert "AwsSolutionsChecks(app), ServerlessChecks(app)" in section("Quick start")


def test_own_app_example_synthesizes_nag_clean(readme_example: Any) -> None:
    work, returncode, stdout, stderr = readme_example("own_app")
    assert returncode == 0, stderr[-3000:]  # cdk-nag fails the synth on any finding
    assert (stdout, stderr) == ("", "")
    assert (work / "cdk.out" / "Churn.template.json").is_file()


def test_the_readme_names_the_variable_that_silences_jsiis_node_banner() -> None:
    """jsii's end-of-life box is silenced by the README's variable and value only (not by DEPRECATED or "1")."""
    node_major = subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True,
                                text=True, check=True).stdout.strip()
    (value,) = re.findall(r"export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=(\S+)", section("Quick start"))
    python = str(support.ROOT / ".venv" / "bin" / "python")

    def stderr_of(**variables: str) -> str:
        env = {**fresh_shell_env(), **variables}
        return subprocess.run([python, "-c", "import aws_cdk"], env=env, capture_output=True, text=True,
                              check=True).stderr

    assert stderr_of(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=value) == ""
    if node_major in value.split(","):
        banner = stderr_of(JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
                           JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="1")
        assert banner == "" or "end-of-life" in banner  # empty once jsii stops flagging this Node version
