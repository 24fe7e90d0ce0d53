"""Training: training data, training and tuning jobs, and the rollout pipeline that trains, gates and deploys."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module of this package that defines it. The top-level package re-exports every name listed here.
_EXPORTS: dict[str, str] = {
    "Algorithm": "training_props",
    "CategoricalRange": "tuning_job",
    "Channel": "training_props",
    "ContinuousRange": "tuning_job",
    "Hyperband": "tuning_job",
    "IntegerRange": "tuning_job",
    "MetricDefinition": "training_props",
    "MetricGate": "rollout_pipeline",
    "Objective": "tuning_job",
    "RolloutPipeline": "rollout_pipeline",
    "Spot": "training_props",
    "TrainingData": "training_data",
    "TrainingJob": "training_job",
    "TuningJob": "tuning_job",
    "WarmStart": "tuning_job",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .rollout_pipeline import MetricGate, RolloutPipeline
    from .training_data import TrainingData
    from .training_job import TrainingJob
    from .training_props import Algorithm, Channel, MetricDefinition, Spot
    from .tuning_job import CategoricalRange, ContinuousRange, Hyperband, IntegerRange, Objective, TuningJob, WarmStart
