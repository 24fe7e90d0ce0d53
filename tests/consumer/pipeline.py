"""What a user does with the library, as one script: build the wheel, install it in a fresh venv, synth an app.

    python tests/consumer/pipeline.py <work directory>

writes <work directory>/result.json. tests/background.py starts it, once per test run, as soon as pytest has
collected a consumer test, so that its processes (setuptools, pip, the CDK CLI, the app's jsii runtime) use the
second core while the rest of the suite runs; test_consumer_app.py reads the result.

1. `python -m build --no-isolation`: the sdist, then the wheel from the sdist (the venv holds the pinned backend);
   `twine check --strict` on both.
2. A venv outside the repository, without pip, gets the wheel (`pip install --no-deps --no-index`). The heavy
   dependencies (aws-cdk-lib, cdk-nag, botocore, ...) come from the project venv through a `.pth` line that adds its
   site-packages directory to sys.path: a directory added that way is not a "site" directory, so its own `.pth`
   files, among them the editable install's finder that maps `sagemaker_cdk` to this repository, never run.
3. A `cdk init app --language python` shaped app: app.py (tests/consumer/app_template.py, which uses every public
   construct), cdk.json with the pinned CLI's recommended feature flags, requirements.txt, the sample model.
4. `node_modules/.bin/cdk synth --quiet --no-notices -o cdk.out` with the venv's python first on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "node_modules" / ".bin" / "cdk"
INIT_TEMPLATES = ROOT / "node_modules" / "aws-cdk" / "lib" / "init-templates"
APP_TEMPLATE = Path(__file__).with_name("app_template.py")
SILENCE_NODE_BANNER = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20"}


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that points Python at this repository or its venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP"}}
    env.update(extra)
    return env


def _step(result: dict[str, Any], name: str, command: list[str], **kwargs: Any) -> bool:
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    result["steps"][name] = {"returncode": done.returncode, "stdout": done.stdout[-6000:],
                             "stderr": done.stderr[-6000:], "seconds": round(time.monotonic() - started, 1)}
    return done.returncode == 0


def run(work: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"steps": {}}
    dist, root, app = work / "dist", work / "venv", work / "churn-app"
    if not _step(result, "build", [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist),
                                   str(ROOT)], env=clean_env()):
        return result
    wheel, sdist = next(dist.glob("*.whl")), next(dist.glob("*.tar.gz"))
    result.update(wheel=str(wheel), sdist=str(sdist))
    if not _step(result, "twine", [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)]):
        return result

    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    python = root / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    result.update(python=str(python))
    if not _step(result, "install", [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                                     "--disable-pip-version-check", str(wheel)], env=clean_env(), cwd=root):
        return result

    (app / "models" / "xgboost" / "sample").mkdir(parents=True)
    shutil.copy(APP_TEMPLATE, app / "app.py")
    sample = ROOT / "models" / "xgboost"
    shutil.copy(sample / "model.tar.gz", app / "models" / "xgboost" / "model.tar.gz")
    for name in ("train.csv", "validation.csv"):
        shutil.copy(sample / "sample" / name, app / "models" / "xgboost" / "sample" / name)
    cdk_json = json.loads((INIT_TEMPLATES / "app" / "python" / "cdk.template.json").read_text())
    cdk_json["app"] = cdk_json["app"].replace("%python-executable%", "python3")
    cdk_json["context"] = json.loads((INIT_TEMPLATES / ".recommended-feature-flags.json").read_text())
    (app / "cdk.json").write_text(json.dumps(cdk_json, indent=2))
    version = wheel.name.split("-")[1]
    # What a user's requirements.txt says; the wheel itself was installed offline above.
    (app / "requirements.txt").write_text(
        f"sagemaker-cdk=={version}\naws-cdk-lib>=2.275.0,<3.0.0\nconstructs>=10.5.0,<11.0.0\n"
    )
    result.update(app=str(app), out=str(app / "cdk.out"))
    env = clean_env(PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}", CDK_DISABLE_CLI_TELEMETRY="true",
                    **SILENCE_NODE_BANNER)
    _step(result, "synth", [str(CLI), "synth", "--quiet", "--no-notices", "-o", "cdk.out"], cwd=app, env=env)
    return result


def command(work: Path) -> tuple[list[str], dict[str, str]]:
    """This script as a background job (tests/background.py runs it in `work`); its result lands in work/result.json."""
    return [sys.executable, __file__, str(work)], clean_env()


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    outcome = run(target)
    (target / "result.json.tmp").write_text(json.dumps(outcome, indent=1))
    (target / "result.json.tmp").rename(target / "result.json")
