"""Run the README's quick start and "Use it in your own CDK app" examples exactly as written, as a user would.

tests/background.py runs both in the background, once per test run, as soon as pytest has collected
test_readme_examples.py (their CDK CLI, Python and jsii processes run alongside the suite); the tests read what they
printed (stdout.txt, stderr.txt in the job's directory).

The quick start runs in a scratch directory that links the repository's .venv, node_modules, models and cdk.json, so
its output directory never lands in the working tree, from an environment with no JSII_* variable and no venv on
PATH, as a new terminal would be.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


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
                                  if p and not Path(p).resolve().is_relative_to(ROOT))
    return env


def quick_start(work: Path) -> tuple[list[str], dict[str, str]]:
    """The quick start's churn.py and its `cdk synth` bash block, to run in `work`."""
    quick_start = section("Quick start")
    (app,) = code_blocks(quick_start, "python")
    (commands,) = [block for block in code_blocks(quick_start, "bash") if "cdk synth" in block]
    for name in (".venv", "node_modules", "models", "cdk.json"):
        (work / name).symlink_to(ROOT / name)
    (work / "churn.py").write_text(app)
    return ["bash", "-e", "-c", commands], fresh_shell_env()


def own_app(work: Path) -> tuple[list[str], dict[str, str]]:
    """The app.py of "Use it in your own CDK app", run by Python with its model next to it, in `work`."""
    (app,) = code_blocks(section("Use it in your own CDK app"), "python")
    (work / "model").symlink_to(ROOT / "models" / "xgboost")
    (work / "app.py").write_text(app)
    env = {**fresh_shell_env(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
           "CDK_OUTDIR": str(work / "cdk.out")}
    return [sys.executable, "app.py"], env
