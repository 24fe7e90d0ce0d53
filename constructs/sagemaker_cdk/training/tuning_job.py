"""TuningJob: SageMaker Automatic Model Tuning over a TrainingJob's definition, run by a Step Functions state machine.

Deploys a Standard state machine (Prepare -> ValidateInput -> MergeInput -> Resolve -> Tune -> DescribeBestJob) that
calls CreateHyperParameterTuningJob through Step Functions' optimized `.sync` integration (there is no aws-cdk-lib
task for it, so a CustomState carries the resource `arn:<partition>:states:::sagemaker:createHyperParameterTuningJob
.sync`), then DescribeTrainingJob on the best job for its model artifacts. Tuning job names are "<prefix>-<12 hex>"
(at most 32 characters). The training job's execution role, bucket, channels, network and spot settings are reused;
its hyperparameters become the static ones, minus the tuned names.
Cost: each run bills every training job it launches (up to max_jobs, max_parallel_jobs at a time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Sequence, Union

from aws_cdk import Aws, aws_iam as iam, aws_kms as kms, aws_logs as logs, aws_sns as sns, aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..core._types import typed, typed_fields
from . import _workflow
from ..core._validation import NAME_PATTERN, NAME_RULE, PropErrors, acknowledge, is_token, nag_resource, one_of
from .training_job import TrainingJob
from .training_props import render_hyperparameter

MAX_TUNING_NAME = 32
MAX_PREFIX = MAX_TUNING_NAME - 1 - _workflow.SHORT_RUN_ID_LENGTH  # "<prefix>-<12 hex>" fits 32 characters
MAX_RANGES = 30
SCALING_TYPES = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")
STRATEGIES = ("Bayesian", "Random", "Hyperband", "Grid")
Scaling = Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"]


def _check_numeric_range(errors: PropErrors, kind: str, name: str, low: Any, high: Any, scaling: Any, integer: bool) -> None:
    errors.number_in_range("min_value", low, integer=integer)
    errors.number_in_range("max_value", high, integer=integer)
    one_of(errors, "scaling", scaling, SCALING_TYPES)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and not is_token(v) for v in (low, high))
    if not numbers:
        return
    if not (math.isfinite(low) and math.isfinite(high)):
        errors.add(f"{kind} {name!r}: min_value ({low}) and max_value ({high}) must be finite")
        return
    if low >= high:
        errors.add(
            f"{kind} {name!r}: min_value ({low}) must be less than max_value ({high}): swap them, or use a fixed "
            "hyperparameter on the TrainingJob for a single value"
        )
    if scaling == "Logarithmic" and low <= 0:
        errors.add(
            f"{kind} {name!r}: Logarithmic scaling needs min_value > 0 (got {low}): raise min_value or use "
            "scaling='Linear'"
        )
    if scaling == "ReverseLogarithmic":
        if integer:
            errors.add(
                f"{kind} {name!r}: ReverseLogarithmic scaling applies to continuous ranges only: use "
                "scaling='Linear' or 'Logarithmic', or a ContinuousRange"
            )
        elif not (0 <= low < high < 1):
            errors.add(
                f"{kind} {name!r}: ReverseLogarithmic scaling needs 0 <= min_value < max_value < 1 (got "
                f"[{low}, {high}]): narrow the range or use scaling='Linear'"
            )


def _check_name(errors: PropErrors, name: Any) -> None:
    if errors.expect_type("name", name, str, "a hyperparameter name string"):
        errors.check(0 < len(name) <= 256, f"name ({name!r}) must be 1 to 256 characters")


@dataclass(frozen=True)
@typed_fields
class ContinuousRange:
    """A real-valued hyperparameter in [min_value, max_value]. scaling: Default: "Auto"."""

    name: str
    min_value: float
    max_value: float
    scaling: Scaling = "Auto"

    def __post_init__(self) -> None:
        errors = PropErrors(f"ContinuousRange {self.name!r}")
        _check_name(errors, self.name)
        _check_numeric_range(errors, "ContinuousRange", self.name, self.min_value, self.max_value, self.scaling, False)
        errors.raise_if_any()

    def render(self) -> dict[str, str]:
        return {"Name": self.name, "MinValue": render_hyperparameter(self.name, float(self.min_value)),
                "MaxValue": render_hyperparameter(self.name, float(self.max_value)), "ScalingType": self.scaling}


@dataclass(frozen=True)
@typed_fields
class IntegerRange:
    """An integer hyperparameter in [min_value, max_value]. scaling: "Auto", "Linear" or "Logarithmic"."""

    name: str
    min_value: int
    max_value: int
    scaling: Scaling = "Auto"

    def __post_init__(self) -> None:
        errors = PropErrors(f"IntegerRange {self.name!r}")
        _check_name(errors, self.name)
        _check_numeric_range(errors, "IntegerRange", self.name, self.min_value, self.max_value, self.scaling, True)
        errors.raise_if_any()

    def render(self) -> dict[str, str]:
        return {"Name": self.name, "MinValue": str(self.min_value), "MaxValue": str(self.max_value),
                "ScalingType": self.scaling}


@dataclass(frozen=True)
@typed_fields
class CategoricalRange:
    """A hyperparameter chosen from 1 to 30 distinct values (rendered as SageMaker strings)."""

    name: str
    values: Sequence[Union[str, int, float, bool]]

    def __post_init__(self) -> None:
        errors = PropErrors(f"CategoricalRange {self.name!r}")
        _check_name(errors, self.name)
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence):
            errors.add(f"values must be a list, got {type(self.values).__name__}", type_error=True)
        else:
            rendered = [render_hyperparameter(self.name, v) for v in self.values]
            if not 1 <= len(rendered) <= 30:
                errors.add(f"values has {len(rendered)} entries: give 1 to 30 values")
            if len(set(rendered)) != len(rendered):
                errors.add(f"values ({rendered}) has duplicates: give each value once")
            for v in rendered:
                errors.check(len(v) <= 256, f"values entry {v[:20]!r}... is longer than 256 characters")
        errors.raise_if_any()

    def render(self) -> dict[str, Any]:
        return {"Name": self.name, "Values": [render_hyperparameter(self.name, v) for v in self.values]}


Range = Union[ContinuousRange, IntegerRange, CategoricalRange]


@dataclass(frozen=True)
@typed_fields
class Objective:
    """The metric tuning optimizes, e.g. Objective("validation:auc", "Maximize")."""

    metric_name: str
    type: Literal["Maximize", "Minimize"] = "Maximize"

    def __post_init__(self) -> None:
        errors = PropErrors(f"Objective {self.metric_name!r}")
        if errors.expect_type("metric_name", self.metric_name, str, "a metric name string"):
            errors.check(
                0 < len(self.metric_name) <= 255 and "'" not in self.metric_name,
                f"metric_name ({self.metric_name!r}) must be 1 to 255 characters without \"'\"",
            )
        one_of(errors, "type", self.type, ("Maximize", "Minimize"))
        errors.raise_if_any()


@dataclass(frozen=True)
@typed_fields
class Hyperband:
    """Hyperband settings: the resource (epochs) each training job may use, from min_resource to max_resource."""

    min_resource: int
    max_resource: int

    def __post_init__(self) -> None:
        errors = PropErrors("Hyperband")
        errors.number_in_range("min_resource", self.min_resource, 1, integer=True)
        errors.number_in_range("max_resource", self.max_resource, 1, integer=True)
        if errors.messages == [] and self.min_resource > self.max_resource:
            errors.add(
                f"min_resource ({self.min_resource}) cannot exceed max_resource ({self.max_resource}): raise "
                "max_resource or lower min_resource"
            )
        errors.raise_if_any()


@dataclass(frozen=True)
@typed_fields
class WarmStart:
    """Start from 1 to 5 earlier tuning jobs. type: "IdenticalDataAndAlgorithm" or "TransferLearning"."""

    parent_jobs: Sequence[str]
    type: Literal["IdenticalDataAndAlgorithm", "TransferLearning"] = "IdenticalDataAndAlgorithm"

    def __post_init__(self) -> None:
        errors = PropErrors("WarmStart")
        parents = list(self.parent_jobs) if not isinstance(self.parent_jobs, str) else [self.parent_jobs]
        errors.check(1 <= len(parents) <= 5, f"parent_jobs has {len(parents)} entries: give 1 to 5 tuning jobs")
        for name in parents:
            if is_token(name):
                continue
            errors.check(
                isinstance(name, str) and len(name) <= MAX_TUNING_NAME and bool(NAME_PATTERN.match(name)),
                f"parent_jobs entry ({name!r}) is not a tuning job name: use at most 32 characters; {NAME_RULE}",
            )
        one_of(errors, "type", self.type, ("IdenticalDataAndAlgorithm", "TransferLearning"))
        errors.raise_if_any()


class TuningJob(Construct):
    """Hyperparameter tuning of a TrainingJob, plus the state machine that runs it.

    Keyword-only props:
        training: the TrainingJob whose definition is tuned (algorithm, data, role, network, spot). Required.
        objective: Objective(metric_name, "Maximize" | "Minimize"). Required.
        ranges: ContinuousRange / IntegerRange / CategoricalRange, at most 30 in all, unique names. Required.
        strategy: "Bayesian", "Random", "Hyperband" (needs `hyperband`) or "Grid" (categorical ranges only).
            Default: "Bayesian".
        max_jobs: training jobs in all. Default: 10 (not sent for Grid, which runs every combination).
        max_parallel_jobs: at a time, at most max_jobs. Default: 2.
        early_stopping: stop jobs unlikely to beat the best (not with Hyperband, which stops its own). Default: False.
        warm_start: WarmStart(parent_jobs, type). Default: none.
        hyperband: Hyperband(min_resource, max_resource). Default: none.
        job_name_prefix: at most 19 characters, lower-cased. Default: "<stack>-<id>" in lower case, shortened.
        encryption_key / failure_topic: Default: the training job's.
        log_retention: Default: one year.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        training: TrainingJob,
        objective: Objective,
        ranges: Sequence[Range],
        strategy: str = "Bayesian",
        max_jobs: int = 10,
        max_parallel_jobs: int = 2,
        early_stopping: bool = False,
        warm_start: WarmStart | None = None,
        hyperband: Hyperband | None = None,
        job_name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        failure_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        ranges = list(ranges)
        self._validate(training, objective, ranges, strategy, max_jobs, max_parallel_jobs, early_stopping,
                       warm_start, hyperband, job_name_prefix)
        self.training, self.objective, self.ranges = training, objective, ranges
        self.strategy, self.max_jobs, self.max_parallel_jobs = strategy, max_jobs, max_parallel_jobs
        self.early_stopping, self.warm_start, self.hyperband = early_stopping, warm_start, hyperband
        self.job_name_prefix: str = _workflow.name_prefix(self, MAX_PREFIX, given=job_name_prefix)
        tuned = {r.name for r in ranges}
        self.static_hyperparameters = {k: v for k, v in training.hyperparameters.items() if k not in tuned}
        training.grant_log_streams(f"{self.job_name_prefix}-")

        self.resources = _workflow.WorkflowResources(
            self,
            encryption_key=encryption_key or training.encryption_key,
            failure_topic=failure_topic or training.failure_topic,
            log_retention=log_retention,
        )
        self.encryption_key, self.failure_topic = self.resources.encryption_key, self.resources.failure_topic
        self.log_group: logs.ILogGroup = self.resources.log_group
        self.workflow_role = _workflow.workflow_role(self, self.resources)
        self.grant_run(self.workflow_role)

        definition = Construct(self, "Definition")
        handler = _workflow.failure_handler(definition, self.resources, f"Tuning {self.job_name_prefix}")
        first, last = _workflow.input_states(
            definition,
            hyperparameters=self.static_hyperparameters,
            channels=training.channel_prefixes,
            tuned=sorted(tuned),
        )
        last.next(self.job_states(definition, handler)).next(
            sfn.Succeed(definition, "Tuned", output_path="$.training")
        )
        self.state_machine = _workflow.state_machine(
            self,
            definition=first,
            role=self.workflow_role,
            resources=self.resources,
            comment=f"Tunes SageMaker job {self.job_name_prefix}-<id> ({self.node.path}). Input: see README.",
        )

    # -- public API -------------------------------------------------------------------------------------------------

    def tuning_job_arn_pattern(self) -> str:
        return _workflow.arn(self, "hyper-parameter-tuning-job", f"{self.job_name_prefix}-*")

    def training_job_arn_pattern(self) -> str:
        """Jobs a tuning job launches are named "<tuning job name>-<nnn>-<8 hex>"."""
        return _workflow.arn(self, "training-job", f"{self.job_name_prefix}-*")

    def tuning_request(self) -> dict[str, Any]:
        """The CreateHyperParameterTuningJob request, with name and overrides from `$.run`."""
        ranges: dict[str, list[dict[str, Any]]] = {}
        for key, kind in (("ContinuousParameterRanges", ContinuousRange), ("IntegerParameterRanges", IntegerRange),
                          ("CategoricalParameterRanges", CategoricalRange)):
            rendered = [r.render() for r in self.ranges if isinstance(r, kind)]
            if rendered:
                ranges[key] = rendered
        limits: dict[str, Any] = {"MaxParallelTrainingJobs": self.max_parallel_jobs}
        if self.strategy != "Grid":
            limits["MaxNumberOfTrainingJobs"] = self.max_jobs
        config: dict[str, Any] = {
            "Strategy": self.strategy,
            "HyperParameterTuningJobObjective": {"Type": self.objective.type, "MetricName": self.objective.metric_name},
            "ResourceLimits": limits,
            "ParameterRanges": ranges,
            "TrainingJobEarlyStoppingType": "Auto" if self.early_stopping else "Off",
        }
        if self.hyperband is not None:
            config["StrategyConfig"] = {
                "HyperbandStrategyConfig": {
                    "MinResource": self.hyperband.min_resource, "MaxResource": self.hyperband.max_resource,
                }
            }
        definition = self.training.training_job_definition({})
        definition.pop("StaticHyperParameters")
        request: dict[str, Any] = {
            "HyperParameterTuningJobName.$": f"States.Format('{self.job_name_prefix}-{{}}', $.run.short_id)",
            "HyperParameterTuningJobConfig": config,
            "TrainingJobDefinition": {"StaticHyperParameters.$": "$.run.hyperparameters", **definition},
        }
        if self.warm_start is not None:
            request["WarmStartConfig"] = {
                "ParentHyperParameterTuningJobs": [
                    {"HyperParameterTuningJobName": name} for name in self.warm_start.parent_jobs
                ],
                "WarmStartType": self.warm_start.type,
            }
        return request

    def job_states(self, scope: Construct, handler: sfn.IChainable) -> sfn.Chain:
        """Tune (`.sync`) -> DescribeBestJob: the tuning result in `$.tuning`, the best job in `$.training`."""
        tune = sfn.CustomState(
            scope,
            "Tune",
            state_json={
                "Type": "Task",
                "Comment": "CreateHyperParameterTuningJob (.sync): waits for every training job to finish.",
                "Resource": f"arn:{Aws.PARTITION}:states:::sagemaker:createHyperParameterTuningJob.sync",
                "Parameters": self.tuning_request(),
                "ResultPath": "$.tuning",
            },
        )
        _workflow.protect(tune, handler)
        describe = tasks.CallAwsService(
            scope,
            "DescribeBestJob",
            comment="The best job's artifacts and metrics (DescribeTrainingJob).",
            service="sagemaker",
            action="describeTrainingJob",
            iam_resources=[self.training_job_arn_pattern()],
            parameters={"TrainingJobName": sfn.JsonPath.string_at("$.tuning.BestTrainingJob.TrainingJobName")},
            result_path="$.training",
        )
        _workflow.protect(describe, handler)
        return sfn.Chain.start(tune).next(describe)

    def grant_run(self, role: iam.IRole) -> None:
        """What a state machine needs to run this tuning job with `.sync` and describe its best training job."""
        tuning_jobs, training_jobs = self.tuning_job_arn_pattern(), self.training_job_arn_pattern()
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateHyperParameterTuningJob",
                    "sagemaker:DescribeHyperParameterTuningJob",
                    "sagemaker:ListTags",
                    "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                    "sagemaker:StopHyperParameterTuningJob",
                ],
                resources=[tuning_jobs],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sagemaker:DescribeTrainingJob"], resources=[training_jobs])
        )
        _workflow.pass_role(role, self.training.role)
        _workflow.sync_rule(role, "StepFunctionsGetEventsForSageMakerTuningJobsRule")
        if isinstance(role, iam.Role):
            for pattern in (tuning_jobs, training_jobs):
                acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Resource::{nag_resource(self, pattern)}]",
                    "Each execution names its tuning job '<prefix>-<run id>' and SageMaker names the training jobs "
                    "it launches after it; the grant covers this workflow's name prefix only.",
                )

    # -- validation -------------------------------------------------------------------------------------------------

    def _validate(
        self, training: Any, objective: Any, ranges: list[Any], strategy: Any, max_jobs: Any, max_parallel: Any,
        early_stopping: bool, warm_start: Any, hyperband: Any, job_name_prefix: Any,
    ) -> None:
        errors = PropErrors(f"TuningJob {self.node.path}")
        errors.expect_type("training", training, TrainingJob, "a TrainingJob")
        errors.expect_type("objective", objective, Objective, "an Objective(metric_name, type)")
        for i, r in enumerate(ranges):
            errors.expect_type(f"ranges[{i}]", r, (ContinuousRange, IntegerRange, CategoricalRange),
                               "a ContinuousRange, IntegerRange or CategoricalRange")
        errors.raise_if_any()
        if not ranges:
            errors.add("ranges ([]) is empty: give at least one range to tune")
        if len(ranges) > MAX_RANGES:
            errors.add(f"ranges has {len(ranges)} entries: SageMaker tunes at most {MAX_RANGES} hyperparameters")
        names = [r.name for r in ranges]
        for name in sorted({n for n in names if names.count(n) > 1}):
            errors.add(f"ranges name {name!r} appears more than once: give each hyperparameter one range")
        one_of(errors, "strategy", strategy, STRATEGIES)
        if strategy == "Grid":
            numeric = [r.name for r in ranges if not isinstance(r, CategoricalRange)]
            if numeric:
                errors.add(
                    f"strategy 'Grid' searches categorical ranges only, but {', '.join(map(repr, numeric))} are "
                    "numeric: make them CategoricalRange(values=[...]) or use strategy 'Bayesian' or 'Random'"
                )
        if strategy == "Hyperband" and hyperband is None:
            errors.add("strategy 'Hyperband' needs hyperband=Hyperband(min_resource, max_resource)")
        if hyperband is not None and strategy != "Hyperband":
            errors.add(f"hyperband is set but strategy is {strategy!r}: use strategy='Hyperband' or drop hyperband")
        if hyperband is not None:
            errors.expect_type("hyperband", hyperband, Hyperband, "a Hyperband(min_resource, max_resource)")
        if strategy == "Hyperband" and early_stopping:
            errors.add("early_stopping=True does not apply to Hyperband, which stops jobs itself: remove it")
        errors.number_in_range("max_jobs", max_jobs, 1, integer=True)
        errors.number_in_range("max_parallel_jobs", max_parallel, 1, integer=True)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (max_jobs, max_parallel)) and (
            max_parallel > max_jobs and strategy != "Grid"
        ):
            errors.add(
                f"max_parallel_jobs ({max_parallel}) cannot exceed max_jobs ({max_jobs}): lower max_parallel_jobs"
            )
        if warm_start is not None:
            errors.expect_type("warm_start", warm_start, WarmStart, "a WarmStart(parent_jobs, type)")
        if job_name_prefix is not None and not is_token(job_name_prefix):
            if errors.expect_type("job_name_prefix", job_name_prefix, str, "a string"):
                if len(job_name_prefix) > MAX_PREFIX or not NAME_PATTERN.match(job_name_prefix):
                    errors.add(
                        f"job_name_prefix ({job_name_prefix!r}, {len(job_name_prefix)} characters) is too long or "
                        f"invalid: tuning job names are '<prefix>-<12-character id>' and at most 32 characters, "
                        f"so use at most {MAX_PREFIX} characters; {NAME_RULE}"
                    )
        defined = {m.name for m in training.metric_definitions}
        if defined and objective.metric_name not in defined:
            errors.add(
                f"objective.metric_name ({objective.metric_name!r}) is not among the training job's "
                f"metric_definitions ({', '.join(sorted(defined))}): add a MetricDefinition for it"
            )
        errors.raise_if_any()
