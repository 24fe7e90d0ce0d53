"""MetricGate and its states: stop a workflow unless the new model's metric reaches a threshold (private module).

`MetricGate` is public (exported from `sagemaker_cdk`, and still importable from `training.rollout_pipeline`);
`gate_states` renders it as HasMetrics -> SelectMetric -> MetricGate, shared by the rollout and the registration.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core._types import typed_fields
from ..core._validation import PropErrors
from .training_job import TrainingJob
from .tuning_job import TuningJob


@dataclass(frozen=True)
@typed_fields
class MetricGate:
    """Stop the rollout unless the new model's metric reaches `threshold`.

    threshold: the bar. Required.
    metric_name: Default: the tuning objective (required after a plain TrainingJob, e.g. "validation:auc").
    higher_is_better: Default: from the tuning objective's type (Maximize), else True.
    """

    threshold: float
    metric_name: str | None = None
    higher_is_better: bool | None = None

    def __post_init__(self) -> None:
        errors = PropErrors("MetricGate")
        errors.number_in_range("threshold", self.threshold)
        if self.metric_name is not None and errors.expect_type("metric_name", self.metric_name, str, "a string"):
            errors.check("'" not in self.metric_name and 0 < len(self.metric_name) <= 255,
                         f"metric_name ({self.metric_name!r}) must be 1 to 255 characters without \"'\"")
        errors.raise_if_any()


def gate_metric(job: TrainingJob | TuningJob, gate: MetricGate) -> tuple[str, bool]:
    """(metric name, higher is better) of `gate` after `job`."""
    if isinstance(job, TuningJob):
        metric = gate.metric_name or job.objective.metric_name
        higher = gate.higher_is_better if gate.higher_is_better is not None else job.objective.type == "Maximize"
    else:
        metric = gate.metric_name or ""
        higher = gate.higher_is_better if gate.higher_is_better is not None else True
    return metric, higher


def gate_states(
    scope: Construct, job: TrainingJob | TuningJob, chain: sfn.Chain, gate: MetricGate, what: str = "rollout"
) -> tuple[sfn.Chain, sfn.Pass]:
    """Chain the gate after `chain`; returns (the chain to continue from, its MetricPassed state)."""
    metric, higher = gate_metric(job, gate)
    if isinstance(job, TuningJob) and metric == job.objective.metric_name:
        values = "States.Array($.tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value)"
    else:
        values = f"$.training.FinalMetricDataList[?(@.MetricName == '{metric}')].Value"
    missing = sfn.Fail(scope, "MetricMissing", error="MetricGate",
                       cause=f"The job reported no '{metric}' metric, so the {what} stopped.")
    below = sfn.Fail(
        scope,
        "MetricBelowThreshold",
        error="MetricGate",
        cause=f"'{metric}' is {'below' if higher else 'above'} the gate's threshold ({gate.threshold}): the "
        f"model was not {'rolled out' if what == 'rollout' else 'approved'}. See the execution's SelectMetric "
        "output for the value.",
    )
    has_metrics = sfn.Choice(scope, "HasMetrics")
    select = sfn.Pass(scope, "SelectMetric", parameters={"values.$": values}, result_path="$.gate")
    check = sfn.Choice(scope, "MetricGate", comment=f"{metric} {'>=' if higher else '<='} {gate.threshold}")
    value = "$.gate.values[0]"
    passes = (sfn.Condition.number_greater_than_equals(value, gate.threshold) if higher
              else sfn.Condition.number_less_than_equals(value, gate.threshold))
    passed = sfn.Pass(scope, "MetricPassed")
    check.when(sfn.Condition.not_(sfn.Condition.is_present(value)), missing)
    check.when(sfn.Condition.and_(sfn.Condition.is_numeric(value), passes), passed)
    check.otherwise(below)
    path = "$.tuning.BestTrainingJob" if isinstance(job, TuningJob) else "$.training.FinalMetricDataList"
    has_metrics.when(sfn.Condition.is_present(path), select.next(check))
    has_metrics.otherwise(missing)
    chain.next(has_metrics)
    return sfn.Chain.start(passed), passed
