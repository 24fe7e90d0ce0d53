"""The README's quick start and "Use it in your own CDK app" examples run as written, and print what it says.

The quick start runs in a scratch directory that links the repository's .venv, node_modules, models and cdk.json, so
its output directory never lands in the working tree, from an environment with no JSII_* variable and no venv on
PATH, as a new shell would be.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import support

pytestmark = pytest.mark.integration

README = support.ROOT / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def fresh_shell_env() -> dict[str, str]:
    """The environment of a new terminal: no JSII_* silencing, no venv active, nothing of this repo on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JSII_") and k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env["PATH"] = os.pathsep.join(p for p in os.environ.get("PATH", os.defpath).split(os.pathsep)
                                  if p and not Path(p).resolve().is_relative_to(support.ROOT))
    return env


def test_quick_start_synthesizes_quietly_into_its_own_directory(tmp_path: Path) -> None:
    quick_start = section("Quick start")
    (app,) = code_blocks(quick_start, "python")
    commands = [block for block in code_blocks(quick_start, "bash") if "cdk synth" in block]
    assert len(commands) == 1, "the quick start has one bash block that runs cdk synth"
    for name in (".venv", "node_modules", "models", "cdk.json"):
        (tmp_path / name).symlink_to(support.ROOT / name)
    (tmp_path / "churn.py").write_text(app)

    result = subprocess.run(["bash", "-e", "-c", commands[0]], cwd=tmp_path, env=fresh_shell_env(),
                            capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stderr == "\n"  # the CDK CLI's empty line; no jsii banner, no notices, no nag report
    assert result.stdout == "cdk.out.churn/Churn.template.json\n"
    assert f"It prints one line, `{result.stdout.strip()}`" in " ".join(quick_start.split())
    assert (tmp_path / "cdk.out.churn" / "Churn.template.json").is_file()
    report = (tmp_path / "cdk.out.churn" / "validation-report.json").read_text()
    assert '"violations": []' in report or '"violations":[]' in report.replace(" ", "")


def test_own_app_example_synthesizes_nag_clean(tmp_path: Path) -> None:
    (app,) = code_blocks(section("Use it in your own CDK app"), "python")
    (tmp_path / "model").symlink_to(support.ROOT / "models" / "xgboost")
    (tmp_path / "app.py").write_text(app)
    env = {**fresh_shell_env(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
           "CDK_OUTDIR": str(tmp_path / "cdk.out")}
    result = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]  # cdk-nag fails the synth on any finding
    assert result.stderr == ""
    assert (tmp_path / "cdk.out" / "Churn.template.json").is_file()


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
