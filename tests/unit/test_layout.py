"""The package is grouped by lifecycle stage, and the public API stays flat (`from sagemaker_cdk import X`)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import sagemaker_cdk

STAGES = ("core", "labeling", "training", "inference", "workspaces")


def test_every_public_name_resolves_from_the_top_level_and_its_stage() -> None:
    for name, location in sagemaker_cdk._EXPORTS.items():
        stage, module = location.split(".")
        assert stage in STAGES
        value = getattr(sagemaker_cdk, name)
        assert getattr(importlib.import_module(f"sagemaker_cdk.{stage}"), name) is value
        assert getattr(importlib.import_module(f"sagemaker_cdk.{stage}.{module}"), name) is value


def test_no_name_is_exported_twice() -> None:
    seen: dict[str, str] = {}
    for stage in STAGES:
        for name in importlib.import_module(f"sagemaker_cdk.{stage}")._EXPORTS:
            assert name not in seen, f"{name} exported by {seen.get(name)} and {stage}"
            seen[name] = stage
    assert set(seen) == set(sagemaker_cdk.__all__)


@pytest.mark.parametrize("old, new", sorted(sagemaker_cdk._MOVED_MODULES.items()))
def test_old_module_paths_still_import_with_a_deprecation_warning(old: str, new: str) -> None:
    code = (
        "import warnings, importlib\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        f"try:\n    importlib.import_module('sagemaker_cdk.{old}')\n"
        "except DeprecationWarning as w:\n    print(w)\nelse:\n    print('no warning')\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        f"print(importlib.import_module('sagemaker_cdk.{old}') is importlib.import_module('sagemaker_cdk.{new}'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == f"sagemaker_cdk.{old} moved to sagemaker_cdk.{new}; import names from sagemaker_cdk itself " \
        "(the old module path will be removed in 1.0)"
    assert out[1] == "True"


def test_importing_the_package_loads_no_cdk_module() -> None:
    code = "import sys, sagemaker_cdk; print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_the_moved_module_finder_is_installed_once() -> None:
    importlib.reload(sagemaker_cdk)
    finders = [f for f in sys.meta_path if type(f).__name__ == "_MovedModuleFinder"]
    assert len(finders) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert importlib.import_module("sagemaker_cdk.model").__name__ == "sagemaker_cdk.inference.model"
