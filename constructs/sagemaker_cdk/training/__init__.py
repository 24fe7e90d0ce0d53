"""Training: training data, training and tuning jobs, and the rollout pipeline that trains, gates and deploys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> module of this package that defines it. The top-level package re-exports every name listed here.
_EXPORTS: dict[str, str] = {
    "Algorithm": "training_props",
    "ApprovalDeployment": "approval_deployment",
    "CategoricalRange": "tuning_job",
    "Channel": "training_props",
    "ContinuousRange": "tuning_job",
    "Hyperband": "tuning_job",
    "IntegerRange": "tuning_job",
    "MetricDefinition": "training_props",
    "MetricGate": "rollout_pipeline",
    "ModelRegistration": "model_registration",
    "ModelRegistry": "model_registry",
    "Objective": "tuning_job",
    "RolloutPipeline": "rollout_pipeline",
    "Spot": "training_props",
    "TrainingData": "training_data",
    "TrainingJob": "training_job",
    "TuningJob": "tuning_job",
    "WarmStart": "tuning_job",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .approval_deployment import ApprovalDeployment
    from .model_registration import ModelRegistration
    from .model_registry import ModelRegistry
    from .rollout_pipeline import MetricGate, RolloutPipeline
    from .training_data import TrainingData
    from .training_job import TrainingJob
    from .training_props import Algorithm, Channel, MetricDefinition, Spot
    from .tuning_job import CategoricalRange, ContinuousRange, Hyperband, IntegerRange, Objective, TuningJob, WarmStart
