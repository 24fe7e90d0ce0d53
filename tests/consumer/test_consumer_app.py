"""The library works in a user's app: built as a wheel, installed outside the repository, synthesized by the CLI.

tests/consumer/pipeline.py does what a user does (its docstring has the steps) in the background; these tests check
its result: the wheel's content and metadata, that `sagemaker_cdk` resolves to the installed wheel, and that the
`cdk init`-shaped app using every public construct synthesizes with the pinned CLI, cdk-nag and cfn-lint clean.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import pipeline
import support

pytestmark = pytest.mark.integration

HANDLERS = sorted(p.name for p in (support.ROOT / "lambda").iterdir() if (p / f"{p.name}.py").is_file())
# Import name -> distribution, for the packages the library may import (everything else must be the stdlib).
DISTRIBUTIONS = {"aws_cdk": "aws-cdk-lib", "constructs": "constructs", "cdk_nag": "cdk-nag",
                 "botocore": "botocore", "boto3": "boto3", "jsii": "jsii"}


def _passed(result: dict[str, Any], *steps: str) -> None:
    for name in steps:
        step = result["steps"].get(name)
        assert step is not None, f"the pipeline stopped before {name}: {json.dumps(result['steps'])[-4000:]}"
        assert step["returncode"] == 0, f"{name} failed:\n{step['stdout']}\n{step['stderr']}"


def _run(result: dict[str, Any], code: str) -> str:
    _passed(result, "install")
    python = Path(result["python"])
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False,
                          env=pipeline.clean_env(**pipeline.SILENCE_NODE_BANNER), cwd=python.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_wheel_and_sdist_build_and_pass_twine_check(consumer_result: dict[str, Any]) -> None:
    _passed(consumer_result, "build", "twine")


def test_wheel_holds_handlers_registry_data_and_py_typed(consumer_result: dict[str, Any]) -> None:
    _passed(consumer_result, "build")
    names = set(zipfile.ZipFile(consumer_result["wheel"]).namelist())
    assert "sagemaker_cdk/py.typed" in names
    assert "sagemaker_cdk/core/data/image_registry.json" in names
    for script in ("notebook_on_start", "notebook_autostop"):  # the notebook lifecycle scripts read at synth
        assert f"sagemaker_cdk/workspaces/scripts/{script}.sh" in names
    for handler in HANDLERS:
        assert f"sagemaker_cdk/_lambda/{handler}/{handler}.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_sagemaker_cdk_resolves_to_the_installed_wheel(consumer_result: dict[str, Any]) -> None:
    report = json.loads(_run(consumer_result, (
        "import json, importlib.util, sagemaker_cdk; "
        "from sagemaker_cdk.core._functions import handler_directory; "
        "print(json.dumps({'file': sagemaker_cdk.__file__, 'version': sagemaker_cdk.__version__, "
        "'handler': str(handler_directory('invoke_endpoint')), "
        "'stacks': importlib.util.find_spec('stacks') is not None}))"
    )))
    venv_root = Path(consumer_result["python"]).parent.parent
    assert not venv_root.is_relative_to(support.ROOT)
    assert Path(report["file"]).is_relative_to(venv_root), report
    assert Path(report["handler"]).is_relative_to(venv_root), report
    assert not Path(report["file"]).is_relative_to(support.ROOT)
    assert report["version"] == "0.2.0"
    assert report["stacks"] is False  # the reference app's packages are not importable


def test_wheel_declares_every_package_the_library_imports(consumer_result: dict[str, Any]) -> None:
    site = Path(_run(consumer_result, "import sagemaker_cdk, os; print(os.path.dirname(sagemaker_cdk.__file__))"))
    imported: set[str] = set()
    for path in site.rglob("*.py"):
        if "_lambda" in path.relative_to(site).parts:
            continue  # handlers run on Lambda (standard library + the runtime's boto3), not at synth
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(imported - set(sys.stdlib_module_names) - {"sagemaker_cdk"})
    unknown = [name for name in third_party if name not in DISTRIBUTIONS]
    assert unknown == [], f"map these imports to their distribution in DISTRIBUTIONS: {unknown}"
    requires = json.loads(_run(consumer_result, (
        "import json, importlib.metadata as m; print(json.dumps(m.requires('sagemaker-cdk')))"
    )))
    declared = {r.split(";")[0].split("[")[0].strip().split("<")[0].split(">")[0].split("=")[0].split("!")[0]
                .strip().lower() for r in requires}
    missing = sorted(DISTRIBUTIONS[name] for name in third_party if DISTRIBUTIONS[name] not in declared)
    assert missing == [], f"pyproject.toml [project] dependencies must list {missing}"


def test_consumer_app_synthesizes_with_the_pinned_cli(consumer_result: dict[str, Any]) -> None:
    # All four cdk-nag packs run in the app: any unacknowledged finding fails the synth.
    _passed(consumer_result, "synth")
    assert "Validation failed" not in consumer_result["steps"]["synth"]["stderr"]
    report = json.loads((Path(consumer_result["out"]) / "validation-report.json").read_text())
    findings = {plugin["pluginName"]: len(plugin.get("violations", [])) for plugin in report["pluginReports"]}
    assert findings == {"AwsSolutions": 0, "Serverless": 0, "HIPAA.Security": 0, "NIST.800.53.R5": 0}


def test_handler_assets_are_in_cdk_out(consumer_result: dict[str, Any]) -> None:
    _passed(consumer_result, "synth")
    out = Path(consumer_result["out"])
    for handler in HANDLERS:
        assert list(out.glob(f"asset.*/{handler}.py")), f"no asset holds {handler}.py in {sorted(p.name for p in out.iterdir())}"


def test_consumer_templates_are_cfn_lint_clean(consumer_result: dict[str, Any]) -> None:
    _passed(consumer_result, "synth")
    templates = sorted(Path(consumer_result["out"]).glob("*.template.json"))
    assert [t.name for t in templates] == [
        "ChurnServing.template.json", "ChurnTraining.template.json", "ChurnWorkspaces.template.json"]
    problems = [p for t in templates for p in support.lint(json.loads(t.read_text()), t.name)]
    assert problems == []
