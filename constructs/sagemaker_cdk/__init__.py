"""AWS CDK constructs for the Amazon SageMaker lifecycle.

    from sagemaker_cdk import ArtifactBucket, ContainerImage, Model, ModelData, RealtimeEndpoint, Variant, AutoScaling

The package is grouped by lifecycle stage (``core``, ``labeling``, ``training``, ``inference``, ``workspaces``), and
every public name is also importable from ``sagemaker_cdk`` itself; that flat API is the one to use.

Names load on first use (PEP 562): importing the package costs nothing beyond the modules a program actually uses,
so an app that declares an endpoint does not load Step Functions, API Gateway or Neo bindings.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.metadata
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

try:
    __version__: str = importlib.metadata.version("sagemaker-cdk")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - imported from a source tree never installed
    __version__ = "0+unknown"

# The lifecycle-stage subpackages, each with its own `_EXPORTS` (public name -> module).
_SUBPACKAGES = ("core", "labeling", "training", "inference", "workspaces")


def _collect_exports() -> dict[str, str]:
    exports: dict[str, str] = {}
    for sub in _SUBPACKAGES:
        package = importlib.import_module(f".{sub}", __name__)
        for name, module in package._EXPORTS.items():
            if name in exports:  # pragma: no cover - guarded by tests/unit/test_layout.py
                raise ImportError(f"sagemaker_cdk: {name} is exported by both {exports[name]} and {sub}.{module}")
            exports[name] = f"{sub}.{module}"
    return exports


# public name -> "<subpackage>.<module>" that defines it
_EXPORTS: dict[str, str] = _collect_exports()

__all__ = sorted(_EXPORTS)

# Modules that lived at the top of the package before 0.2.0 -> where they live now. `import sagemaker_cdk.model`
# keeps working with a DeprecationWarning (see CHANGELOG.md).
_MOVED_MODULES: dict[str, str] = {
    "_functions": "core._functions",
    "_validation": "core._validation",
    "artifact_bucket": "core.artifact_bucket",
    "container_image": "core.container_image",
    "image_registry": "core.image_registry",
    "instance_types": "core.instance_types",
    "model_data": "core.model_data",
    "network": "core.network",
    "notifications": "core.notifications",
    "resource_budget": "core.resource_budget",
    "accelerators": "inference.accelerators",
    "async_endpoint": "inference.async_endpoint",
    "batch_transform": "inference.batch_transform",
    "endpoint_monitoring": "inference.endpoint_monitoring",
    "endpoint_props": "inference.endpoint_props",
    "invocation_api": "inference.invocation_api",
    "model": "inference.model",
    "neo_compilation": "inference.neo_compilation",
    "realtime_endpoint": "inference.realtime_endpoint",
    "serverless_endpoint": "inference.serverless_endpoint",
    "variant_autoscaling": "inference.variant_autoscaling",
    "_workflow": "training._workflow",
    "rollout_pipeline": "training.rollout_pipeline",
    "training_data": "training.training_data",
    "training_job": "training.training_job",
    "training_props": "training.training_props",
    "tuning_job": "training.tuning_job",
}


class _MovedModuleLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec: Any) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self._target}; import names from sagemaker_cdk itself "
            f"(the old module path will be removed in 1.0)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self._target)

    def exec_module(self, module: ModuleType) -> None:
        return None


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        prefix, _, rest = fullname.partition(".")
        if prefix != __name__ or rest not in _MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, _MovedModuleLoader(f"{__name__}.{_MOVED_MODULES[rest]}"))


# Installed once per interpreter, even if the package is reloaded.
if not any(type(f).__name__ == "_MovedModuleFinder" and type(f).__module__ == __name__ for f in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name in _MOVED_MODULES:
            return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module 'sagemaker_cdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .core import *  # noqa: F403
    from .inference import *  # noqa: F403
    from .labeling import *  # noqa: F403
    from .training import *  # noqa: F403
    from .workspaces import *  # noqa: F403
