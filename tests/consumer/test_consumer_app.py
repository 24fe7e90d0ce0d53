"""The library works in a user's app: built as a wheel, installed outside the repository, synthesized by the CLI.

Once per session: `python -m build` makes the sdist and, from it, the wheel; a fresh virtual environment outside the
repository gets the wheel. The heavy dependencies (aws-cdk-lib, cdk-nag, botocore, ...) are reused from the project
venv through a `.pth` line that adds its site-packages directory to sys.path: a directory added that way is not a
"site" directory, so its own `.pth` files, among them the editable install's finder that maps `sagemaker_cdk` to
this repository, are not processed. The test asserts that `sagemaker_cdk` resolves to the installed wheel.

The app is `cdk init app --language python` shaped (app.py, cdk.json with the pinned CLI's recommended feature
flags, requirements.txt) and uses every public construct (tests/consumer/app_template.py), and it is synthesized by
the pinned CLI: `node_modules/.bin/cdk synth -o ...`.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path
from typing import Any

import pytest

import support

pytestmark = pytest.mark.integration

CLI = support.ROOT / "node_modules" / ".bin" / "cdk"
INIT_TEMPLATES = support.ROOT / "node_modules" / "aws-cdk" / "lib" / "init-templates"
APP_TEMPLATE = Path(__file__).with_name("app_template.py")
HANDLERS = sorted(p.name for p in (support.ROOT / "lambda").iterdir() if (p / f"{p.name}.py").is_file())
# Import name -> distribution, for the packages the library may import (everything else must be the stdlib).
DISTRIBUTIONS = {"aws_cdk": "aws-cdk-lib", "constructs": "constructs", "cdk_nag": "cdk-nag",
                 "botocore": "botocore", "boto3": "boto3", "jsii": "jsii"}


def _clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that points Python at this repository or its venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP"}}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`make dist` without isolation (the venv holds the pinned build backend): the sdist, and the wheel from it."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(support.ROOT)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheels[0]), str(sdists[0])],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture(scope="session")
def consumer_venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the repository with the wheel installed; dependencies come from the project venv."""
    root = tmp_path_factory.mktemp("consumer-venv")
    assert support.ROOT not in root.parents
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    python = root / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--disable-pip-version-check",
         str(dist["wheel"])],
        capture_output=True, text=True, check=False, env=_clean_env(), cwd=root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return python


@pytest.fixture(scope="session")
def consumer_app(dist: dict[str, Path], consumer_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The `cdk init`-shaped app, synthesized with the pinned CLI into cdk.out/."""
    app_dir = tmp_path_factory.mktemp("churn-app")
    shutil.copy(APP_TEMPLATE, app_dir / "app.py")
    sample = support.ROOT / "models" / "xgboost"
    (app_dir / "models" / "xgboost" / "sample").mkdir(parents=True)
    shutil.copy(sample / "model.tar.gz", app_dir / "models" / "xgboost" / "model.tar.gz")
    for name in ("train.csv", "validation.csv"):
        shutil.copy(sample / "sample" / name, app_dir / "models" / "xgboost" / "sample" / name)

    cdk_json = json.loads((INIT_TEMPLATES / "app" / "python" / "cdk.template.json").read_text())
    cdk_json["app"] = cdk_json["app"].replace("%python-executable%", "python3")
    cdk_json["context"] = json.loads((INIT_TEMPLATES / ".recommended-feature-flags.json").read_text())
    (app_dir / "cdk.json").write_text(json.dumps(cdk_json, indent=2))
    version = dist["wheel"].name.split("-")[1]
    # What a user's requirements.txt would say (the fixture installs the wheel itself, offline).
    (app_dir / "requirements.txt").write_text(f"sagemaker-cdk=={version}\naws-cdk-lib>=2.275.0,<3.0.0\n"
                                              "constructs>=10.5.0,<11.0.0\n")

    env = _clean_env(
        PATH=f"{consumer_venv.parent}{os.pathsep}{os.environ['PATH']}",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="18,20",
        CDK_DISABLE_CLI_TELEMETRY="true",
    )
    result = subprocess.run(
        [str(CLI), "synth", "--quiet", "--no-notices", "-o", "cdk.out"],
        cwd=app_dir, env=env, capture_output=True, text=True, check=False,
    )
    return {"dir": app_dir, "out": app_dir / "cdk.out", "result": result, "env": env}


def _run(python: Path, code: str) -> str:
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False,
                            env=_clean_env(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="18,20"), cwd=python.parent)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_wheel_holds_handlers_registry_data_and_py_typed(dist: dict[str, Path]) -> None:
    import zipfile

    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    assert "sagemaker_cdk/py.typed" in names
    assert "sagemaker_cdk/core/data/image_registry.json" in names
    for handler in HANDLERS:
        assert f"sagemaker_cdk/_lambda/{handler}/{handler}.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_sagemaker_cdk_resolves_to_the_installed_wheel(consumer_venv: Path) -> None:
    report = json.loads(_run(consumer_venv, (
        "import json, importlib.util, sagemaker_cdk; "
        "from sagemaker_cdk.core._functions import handler_directory; "
        "print(json.dumps({'file': sagemaker_cdk.__file__, 'version': sagemaker_cdk.__version__, "
        "'handler': str(handler_directory('invoke_endpoint')), "
        "'stacks': importlib.util.find_spec('stacks') is not None}))"
    )))
    venv_root = consumer_venv.parent.parent
    assert Path(report["file"]).is_relative_to(venv_root), report
    assert Path(report["handler"]).is_relative_to(venv_root), report
    assert not Path(report["file"]).is_relative_to(support.ROOT)
    assert report["version"] == "0.2.0"
    assert report["stacks"] is False  # the reference app's packages are not importable


def test_wheel_declares_every_package_the_library_imports(consumer_venv: Path) -> None:
    site = Path(_run(consumer_venv, "import sagemaker_cdk, os; print(os.path.dirname(sagemaker_cdk.__file__))"))
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
    requires = json.loads(_run(consumer_venv, (
        "import json, importlib.metadata as m; print(json.dumps(m.requires('sagemaker-cdk')))"
    )))
    declared = {r.split(";")[0].split("[")[0].strip().split("<")[0].split(">")[0].split("=")[0].split("!")[0]
                .strip().lower() for r in requires}
    missing = sorted(DISTRIBUTIONS[name] for name in third_party if DISTRIBUTIONS[name] not in declared)
    assert missing == [], f"pyproject.toml [project] dependencies must list {missing}"


def test_consumer_app_synthesizes_with_the_pinned_cli(consumer_app: dict[str, Any]) -> None:
    result = consumer_app["result"]
    # cdk-nag's AwsSolutions and Serverless packs run in the app: any unacknowledged finding fails the synth.
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Validation failed" not in result.stderr
    report = json.loads((consumer_app["out"] / "validation-report.json").read_text())
    findings = {plugin["pluginName"]: len(plugin.get("violations", [])) for plugin in report["pluginReports"]}
    assert findings == {"AwsSolutions": 0, "Serverless": 0}


def test_handler_assets_are_in_cdk_out(consumer_app: dict[str, Any]) -> None:
    out = consumer_app["out"]
    for handler in HANDLERS:
        assert list(out.glob(f"asset.*/{handler}.py")), f"no asset holds {handler}.py in {sorted(os.listdir(out))}"


def test_consumer_templates_are_cfn_lint_clean(consumer_app: dict[str, Any]) -> None:
    templates = sorted(consumer_app["out"].glob("*.template.json"))
    assert [t.name for t in templates] == ["ChurnServing.template.json", "ChurnTraining.template.json"]
    problems = [p for t in templates for p in support.lint(json.loads(t.read_text()), t.name)]
    assert problems == []
