"""Frozen dataclasses that describe an endpoint: variants, autoscaling, deployment, alarms and data capture.

Each validates its own fields in `__post_init__` (collecting every error, raising once); checks that need more
than one object (unique variant names, serverless mixed with instances) live in `RealtimeEndpoint`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from aws_cdk import Duration, aws_s3 as s3

from ..core._types import typed_fields
from . import accelerators
from ..core import instance_types
from ..core._validation import PropErrors, is_token, one_of

if TYPE_CHECKING:  # pragma: no cover
    from ..core.artifact_bucket import ArtifactBucket
    from .model import Model

MAX_VARIANTS = 10
DEFAULT_INSTANCE_TYPE = "ml.m5.large"


@dataclass(frozen=True)
@typed_fields
class AutoScaling:
    """Target tracking on SageMakerVariantInvocationsPerInstance for one variant.

    Give either `target_invocations_per_instance` directly, or `max_rps_per_instance` measured in a load test:
    then target = max_rps_per_instance x 60 x safety_factor (AWS's formula).

    max_capacity: the most instances. Required.
    min_capacity: the fewest instances. Default: 2 (one per AZ; never lower).
    target_invocations_per_instance: invocations per instance per minute. Default: derived from max_rps.
    max_rps_per_instance: measured maximum requests per second one instance sustains. Default: none.
    safety_factor: share of the measured maximum to target, in (0, 1]. Default: 0.5.
    scale_in_cooldown: Default: 5 minutes. scale_out_cooldown: Default: 1 minute.
    disable_scale_in: Default: False.
    """

    max_capacity: int
    min_capacity: int = 2
    target_invocations_per_instance: float | None = None
    max_rps_per_instance: float | None = None
    safety_factor: float = 0.5
    scale_in_cooldown: Duration = field(default_factory=lambda: Duration.minutes(5))
    scale_out_cooldown: Duration = field(default_factory=lambda: Duration.minutes(1))
    disable_scale_in: bool = False

    def __post_init__(self) -> None:
        errors = PropErrors("AutoScaling")
        if _ints(self.min_capacity) and self.min_capacity < 2:
            errors.add(
                f"min_capacity ({self.min_capacity}) must be at least 2: a real-time variant keeps an instance in "
                "each of two AZs; scale to zero is only for asynchronous endpoints (AsyncEndpoint with "
                "BacklogScaling)"
            )
        else:
            errors.number_in_range("min_capacity", self.min_capacity, 2, integer=True)
        errors.number_in_range("max_capacity", self.max_capacity, 2, integer=True)
        if _ints(self.min_capacity, self.max_capacity) and self.min_capacity > self.max_capacity:
            errors.add(
                f"min_capacity ({self.min_capacity}) cannot exceed max_capacity ({self.max_capacity}): "
                "raise max_capacity or lower min_capacity"
            )
        given = [self.target_invocations_per_instance is not None, self.max_rps_per_instance is not None]
        if given == [True, True]:
            errors.add(
                "target_invocations_per_instance and max_rps_per_instance are both set: give one; the target is "
                "derived from max_rps_per_instance x 60 x safety_factor"
            )
        elif given == [False, False]:
            errors.add(
                "neither target_invocations_per_instance nor max_rps_per_instance is set: give the measured "
                "max_rps_per_instance from a load test (or a target_invocations_per_instance)"
            )
        if self.target_invocations_per_instance is not None:
            errors.number_in_range("target_invocations_per_instance", self.target_invocations_per_instance, 1)
        if self.max_rps_per_instance is not None:
            errors.number_in_range("max_rps_per_instance", self.max_rps_per_instance, 0.001)
        if not is_token(self.safety_factor) and errors.expect_type("safety_factor", self.safety_factor, (int, float), "a number"):
            errors.check(
                0 < self.safety_factor <= 1,
                f"safety_factor ({self.safety_factor}) must be in (0, 1]: AWS recommends 0.5",
            )
        errors.raise_if_any()

    @property
    def target_value(self) -> float:
        """The InvocationsPerInstance target (per minute)."""
        if self.target_invocations_per_instance is not None:
            return float(self.target_invocations_per_instance)
        return round(float(self.max_rps_per_instance) * 60 * self.safety_factor, 3)  # type: ignore[arg-type]


@dataclass(frozen=True)
@typed_fields
class Serverless:
    """Serverless capacity for a variant instead of instances.

    memory_size_mb: 1024 to 6144 in 1024 MB steps. Default: 2048.
    max_concurrency: 1 to 200. Default: 20.
    provisioned_concurrency: warm capacity, 1 to max_concurrency. Default: none (cold starts possible).
    """

    memory_size_mb: int = 2048
    max_concurrency: int = 20
    provisioned_concurrency: int | None = None

    def __post_init__(self) -> None:
        errors = PropErrors("Serverless")
        errors.number_in_range("memory_size_mb", self.memory_size_mb, 1024, 6144, integer=True)
        if _ints(self.memory_size_mb) and self.memory_size_mb % 1024:
            errors.add(f"memory_size_mb ({self.memory_size_mb}) must be a multiple of 1024: use 1024, 2048, ... 6144")
        errors.number_in_range("max_concurrency", self.max_concurrency, 1, 200, integer=True)
        if self.provisioned_concurrency is not None:
            errors.number_in_range("provisioned_concurrency", self.provisioned_concurrency, 1, 200, integer=True)
            if _ints(self.provisioned_concurrency, self.max_concurrency) and (
                self.provisioned_concurrency > self.max_concurrency
            ):
                errors.add(
                    f"provisioned_concurrency ({self.provisioned_concurrency}) cannot exceed max_concurrency "
                    f"({self.max_concurrency}): lower provisioned_concurrency or raise max_concurrency"
                )
        errors.raise_if_any()


@dataclass(frozen=True)
@typed_fields
class Variant:
    """One production variant of an endpoint.

    model: the Model it serves. Required.
    name: the variant name. Default: "variant-<n>" by position (1-based). Treat it as public API: renaming a
        variant moves its traffic, autoscaling and alarms.
    weight: relative traffic weight, > 0. Default: 1.
    instance_type: Default: "ml.m5.large" (non-burstable).
    instance_count: initial instances. Default: 2, spread over two AZs.
    allow_single_instance: opt out of the 2-instance minimum (a warning is recorded). Default: False.
    autoscaling: Default: none (fixed capacity).
    serverless: serverless capacity instead of instances. Default: none.
    volume_size_gb: ML storage volume per instance. Default: SageMaker's default for the instance type.
    accelerator_type: an Elastic Inference accelerator (e.g. "ml.eia2.medium"). Default: none. Elastic Inference is
        no longer available to new customers: a warning names the AWS Inferentia alternative.
    """

    model: "Model"
    name: str | None = None
    weight: float = 1.0
    instance_type: str = DEFAULT_INSTANCE_TYPE
    instance_count: int = 2
    allow_single_instance: bool = False
    autoscaling: AutoScaling | None = None
    serverless: Serverless | None = None
    volume_size_gb: int | None = None
    accelerator_type: str | None = None

    def __post_init__(self) -> None:
        errors = PropErrors(f"Variant {self.name or ''}".strip())
        errors.name("name", self.name)
        if not is_token(self.weight) and errors.expect_type("weight", self.weight, (int, float), "a number"):
            errors.check(
                self.weight > 0 and math.isfinite(self.weight),
                f"weight ({self.weight}) must be greater than 0: give every variant a positive weight "
                "(weights are relative, e.g. 9 and 1 for a 90/10 split)",
            )
        if self.autoscaling is not None:
            errors.expect_type("autoscaling", self.autoscaling, AutoScaling, "an AutoScaling(...)")
        if self.serverless is not None:
            errors.expect_type("serverless", self.serverless, Serverless, "a Serverless(...)")
            if self.autoscaling is not None:
                errors.add("autoscaling is set on a serverless variant: serverless capacity scales itself; remove it")
        else:
            self._check_instances(errors)
        if self.volume_size_gb is not None:
            errors.number_in_range("volume_size_gb", self.volume_size_gb, 1, 512, integer=True)
        errors.raise_if_any()

    def _check_instances(self, errors: PropErrors) -> None:
        if not is_token(self.instance_type) and errors.expect_type(
            "instance_type", self.instance_type, str, "an ML instance type string such as 'ml.m5.large'"
        ):
            if not instance_types.INSTANCE_TYPE_PATTERN.match(self.instance_type):
                errors.add(
                    f"instance_type ({self.instance_type!r}) is not an ML instance type: use the form "
                    "'ml.<family>.<size>', e.g. 'ml.m5.large'"
                )
            elif self.accelerator_type is not None and not is_token(self.accelerator_type) and (
                message := accelerators.check_accelerator_type(self.accelerator_type)
            ):
                errors.add(message)
            elif self.autoscaling is not None and instance_types.is_burstable(self.instance_type):
                errors.add(
                    f"instance_type ({self.instance_type!r}) is burstable and cannot back autoscaling (CPU credits "
                    "run out under sustained load): use a non-burstable type such as 'ml.m5.large' or 'ml.c5.large'"
                )
        if not is_token(self.instance_count) and errors.expect_type(
            "instance_count", self.instance_count, int, "an integer"
        ):
            if self.instance_count < 1:
                errors.add(f"instance_count ({self.instance_count}) must be at least 1: use 2 (one per AZ)")
            elif self.instance_count < 2 and not self.allow_single_instance:
                errors.add(
                    f"instance_count ({self.instance_count}) is below 2: SageMaker spreads a variant over AZs only "
                    "with 2 or more instances; use instance_count=2, or set allow_single_instance=True to accept "
                    "an endpoint that an AZ outage takes down"
                )
            a = self.autoscaling
            if isinstance(a, AutoScaling) and _ints(a.min_capacity, a.max_capacity) and not (
                a.min_capacity <= self.instance_count <= a.max_capacity
            ):
                errors.add(
                    f"instance_count ({self.instance_count}) is outside autoscaling [{a.min_capacity}, "
                    f"{a.max_capacity}]: set instance_count between min_capacity and max_capacity"
                )

    @property
    def is_serverless(self) -> bool:
        return self.serverless is not None


TrafficMode = Literal["all_at_once", "canary", "linear"]


@dataclass(frozen=True)
@typed_fields
class Deployment:
    """Blue/green deployment guardrails for endpoint updates, with auto-rollback on the endpoint's alarms.

    mode: "all_at_once", "canary" or "linear". Default: "canary".
    step_percent: canary size or linear step, as a percentage of the new fleet's capacity. Default: 10.
    wait: how long each step bakes before the next. Default: 5 minutes.
    termination_wait: how long the old fleet stays after the shift. Default: 5 minutes.
    max_execution_timeout: limit of the whole update. Default: 1 hour (600 s to 14400 s allowed).
    auto_rollback: roll back when an endpoint alarm fires during the update. Default: True.
    """

    mode: TrafficMode = "canary"
    step_percent: int = 10
    wait: Duration = field(default_factory=lambda: Duration.minutes(5))
    termination_wait: Duration = field(default_factory=lambda: Duration.minutes(5))
    max_execution_timeout: Duration = field(default_factory=lambda: Duration.hours(1))
    auto_rollback: bool = True

    def __post_init__(self) -> None:
        errors = PropErrors("Deployment")
        one_of(errors, "mode", self.mode, ("all_at_once", "canary", "linear"))
        errors.number_in_range("step_percent", self.step_percent, 1, 99, integer=True)
        for prop, value, low, high in (
            ("wait", self.wait, 0, 3600),
            ("termination_wait", self.termination_wait, 0, 3600),
            ("max_execution_timeout", self.max_execution_timeout, 600, 14400),
        ):
            if errors.expect_type(prop, value, Duration, "an aws_cdk.Duration"):
                seconds = value.to_seconds()
                if not is_token(seconds):
                    errors.check(
                        low <= seconds <= high,
                        f"{prop} ({seconds} s) must be between {low} and {high} seconds",
                    )
        errors.raise_if_any()


@dataclass(frozen=True)
@typed_fields
class AlarmThresholds:
    """Alarm thresholds per variant. Every alarm notifies the endpoint's SNS topic.

    errors_5xx: Invocation5XXErrors per minute that trip the alarm. Default: 1.
    latency_p99_ms: p99 ModelLatency in milliseconds. Default: 1000.
    rate_4xx_percent: share of invocations answered 4XX. Default: 5.
    cpu_percent: average CPU per vCPU (SageMaker reports the sum over vCPUs; the alarm scales by the instance
        type's vCPU count). Default: 80.
    memory_percent: Default: 85. disk_percent: Default: 80.
    evaluation_periods: consecutive 1-minute periods. Default: 5 (3 for 5XX errors).
    """

    errors_5xx: float = 1
    latency_p99_ms: float = 1000
    rate_4xx_percent: float = 5
    cpu_percent: float = 80
    memory_percent: float = 85
    disk_percent: float = 80
    evaluation_periods: int = 5

    def __post_init__(self) -> None:
        errors = PropErrors("AlarmThresholds")
        errors.number_in_range("errors_5xx", self.errors_5xx, 0)
        errors.number_in_range("latency_p99_ms", self.latency_p99_ms, 1)
        for prop in ("rate_4xx_percent", "cpu_percent", "memory_percent", "disk_percent"):
            errors.number_in_range(prop, getattr(self, prop), 0, 100)
        errors.number_in_range("evaluation_periods", self.evaluation_periods, 1, 60, integer=True)
        errors.raise_if_any()


@dataclass(frozen=True)
@typed_fields
class DataCapture:
    """Capture requests and responses to S3 (KMS-encrypted with the endpoint key).

    bucket: an ArtifactBucket or an s3.IBucket. Required.
    prefix: Default: "data-capture/". sampling_percentage: Default: 100.
    capture_input / capture_output: Default: True / True.
    """

    bucket: "ArtifactBucket | s3.IBucket"
    prefix: str = "data-capture/"
    sampling_percentage: int = 100
    capture_input: bool = True
    capture_output: bool = True

    def __post_init__(self) -> None:
        errors = PropErrors("DataCapture")
        errors.number_in_range("sampling_percentage", self.sampling_percentage, 1, 100, integer=True)
        errors.check(
            self.capture_input or self.capture_output,
            "capture_input and capture_output are both False: capture at least one, or drop data_capture",
        )
        if not is_token(self.prefix):
            errors.check(
                isinstance(self.prefix, str) and not self.prefix.startswith("/"),
                f"prefix ({self.prefix!r}) must be a key prefix without a leading '/'",
            )
        errors.raise_if_any()


def _ints(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) and not is_token(v) for v in values)


@dataclass(frozen=True)
@typed_fields
class BacklogScaling:
    """Autoscaling of an asynchronous endpoint on its queue, down to zero instances when idle.

    max_capacity: the most instances. Required.
    min_capacity: Default: 0 (scale to zero: an idle endpoint costs no instance hours).
    target_backlog_per_instance: target of ApproximateBacklogSizePerInstance. Default: 5.
    scale_in_cooldown: Default: 10 minutes. scale_out_cooldown: Default: 2 minutes.
    """

    max_capacity: int
    min_capacity: int = 0
    target_backlog_per_instance: float = 5
    scale_in_cooldown: Duration = field(default_factory=lambda: Duration.minutes(10))
    scale_out_cooldown: Duration = field(default_factory=lambda: Duration.minutes(2))

    def __post_init__(self) -> None:
        errors = PropErrors("BacklogScaling")
        errors.number_in_range("min_capacity", self.min_capacity, 0, integer=True)
        errors.number_in_range("max_capacity", self.max_capacity, 1, integer=True)
        if _ints(self.min_capacity, self.max_capacity) and self.min_capacity > self.max_capacity:
            errors.add(
                f"min_capacity ({self.min_capacity}) cannot exceed max_capacity ({self.max_capacity}): "
                "raise max_capacity or lower min_capacity"
            )
        errors.number_in_range("target_backlog_per_instance", self.target_backlog_per_instance, 0.1)
        errors.raise_if_any()
