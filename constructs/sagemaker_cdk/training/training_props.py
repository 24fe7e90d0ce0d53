"""Frozen dataclasses that describe a training job: its algorithm, input channels, metrics and spot settings.

Each validates its own fields in `__post_init__` (collecting every error, raising once). Checks that need more than
one object (spot wait against the job's runtime, unique channel names) live in `TrainingJob`.
Hyperparameters are typed Python values; `render_hyperparameters` turns them into the strings SageMaker expects.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Mapping

from aws_cdk import Duration

from ..core._types import typed, typed_fields
from ..core import image_registry
from ..core._validation import PropErrors, is_token, one_of
from ..core.container_image import ContainerImage

if TYPE_CHECKING:  # pragma: no cover - LabelingJob imports this module
    from ..labeling.labeling_job import LabelingJob

# Limits from the SageMaker API reference (botocore's service model carries the same numbers).
MAX_HYPERPARAMETERS = 100
MAX_HYPERPARAMETER_KEY = 256
MAX_HYPERPARAMETER_VALUE = 2500
MAX_CHANNELS = 20
MAX_METRIC_DEFINITIONS = 40
MAX_RUNTIME_SECONDS = 28 * 24 * 3600  # SageMaker's default quota for MaxRuntimeInSeconds (28 days)
MAX_VOLUME_GB = 16384
CHANNEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9.\-_]{1,64}$")
_ALGORITHM_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:algorithm/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9!\-_.*'()/]+$")

HyperparameterValue = str | int | float | bool | list | dict
InputMode = Literal["File", "Pipe", "FastFile"]
Distribution = Literal["FullyReplicated", "ShardedByS3Key"]


def render_hyperparameter(name: str, value: Any) -> str:
    """One typed value as the string SageMaker passes to the algorithm.

    bool -> "true"/"false" (the lowercase form every built-in algorithm parses); int -> "42"; float -> positional
    notation, never an exponent ("0.00001", not "1e-05"); list/dict -> compact JSON; str -> as is.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"hyperparameters[{name!r}] ({value}) must be a finite number: give a real value")
        text = format(Decimal(repr(value)), "f")
        return text
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, separators=(",", ":"), sort_keys=isinstance(value, dict))
    if isinstance(value, str):
        return value
    raise TypeError(
        f"hyperparameters[{name!r}] must be a str, int, float, bool, list or dict, got {type(value).__name__} "
        f"{value!r}"
    )


def render_hyperparameters(owner: str, values: Mapping[str, Any] | None) -> dict[str, str]:
    """Validate and render a hyperparameter mapping; raises once with every problem."""
    errors = PropErrors(owner)
    rendered: dict[str, str] = {}
    values = values or {}
    if not isinstance(values, Mapping):
        errors.add(f"hyperparameters must be a mapping of name to value, got {type(values).__name__}", type_error=True)
        errors.raise_if_any()
    if len(values) > MAX_HYPERPARAMETERS:
        errors.add(f"hyperparameters has {len(values)} entries: SageMaker accepts at most {MAX_HYPERPARAMETERS}")
    for name, value in values.items():
        if not isinstance(name, str) or not name or len(name) > MAX_HYPERPARAMETER_KEY:
            errors.add(f"hyperparameters key {name!r} must be a non-empty string of at most {MAX_HYPERPARAMETER_KEY} characters")
            continue
        if is_token(value):
            rendered[name] = value
            continue
        try:
            text = render_hyperparameter(name, value)
        except TypeError as err:
            errors.add(str(err), type_error=True)
            continue
        except ValueError as err:
            errors.add(str(err))
            continue
        if len(text) > MAX_HYPERPARAMETER_VALUE:
            errors.add(
                f"hyperparameters[{name!r}] renders to {len(text)} characters: SageMaker accepts at most "
                f"{MAX_HYPERPARAMETER_VALUE}; pass large configuration as an input channel instead"
            )
        rendered[name] = text
    errors.raise_if_any()
    return rendered


def check_prefix(errors: PropErrors, prop: str, value: Any) -> None:
    """An S3 key prefix: no leading '/', no '..', characters S3 treats as safe."""
    if is_token(value):
        return
    if not errors.expect_type(prop, value, str, "an S3 key prefix string such as 'train/'"):
        return
    errors.check(
        bool(value) and not value.startswith("/") and ".." not in value and bool(_PREFIX_PATTERN.match(value)),
        f"{prop} ({value!r}) must be a non-empty S3 key prefix without a leading '/' or '..', e.g. 'train/'",
    )


def normalize_prefix(prefix: str) -> str:
    """'train' -> 'train/': channels and outputs are folders, so 'train' must not also match 'train-old/'."""
    return prefix if prefix.endswith("/") else prefix + "/"


@dataclass(frozen=True)
@typed_fields
class Channel:
    """One input channel of a training job: objects under `prefix` of the job's artifact bucket.

    name: the channel name the algorithm reads ("train", "validation", "test"...). Required.
    prefix: S3 key prefix in the artifact bucket. Default: "<name>/".
    content_type: MIME type of the data, e.g. "text/csv". Default: none (the algorithm's default).
    distribution: "FullyReplicated" (every instance gets every object) or "ShardedByS3Key". Default:
        "FullyReplicated".
    input_mode: "File", "Pipe" or "FastFile". Default: the job's input mode ("File").
    compression: "Gzip" for gzipped objects. Default: none.
    attribute_names: read an augmented manifest (S3DataType AugmentedManifestFile) and pass these attributes of
        each line, e.g. ("source-ref", "label"); the channel's S3 URI is then the manifest's key, set per run
        (see `Channel.from_labeling_job`). Default: none (every object under the prefix, S3Prefix).
    record_wrapper: "RecordIO" to wrap each record, as Pipe-mode algorithms reading augmented manifests need
        (e.g. built-in image classification and object detection). Default: none.
    referenced_prefixes: other key prefixes the manifest's "source-ref"s point to; the training role may read them.
        Default: none.
    """

    name: str
    prefix: str | None = None
    content_type: str | None = None
    distribution: Distribution = "FullyReplicated"
    input_mode: InputMode | None = None
    compression: Literal["Gzip"] | None = None
    attribute_names: tuple[str, ...] | None = None
    record_wrapper: Literal["RecordIO"] | None = None
    referenced_prefixes: tuple[str, ...] = ()

    @staticmethod
    @typed
    def from_labeling_job(
        job: "LabelingJob",
        name: str = "train",
        *,
        record_wrapper: Literal["RecordIO"] | None = "RecordIO",
        content_type: str | None = "application/x-recordio",
        input_mode: InputMode | None = "Pipe",
    ) -> "Channel":
        """A channel reading a LabelingJob's augmented manifest: attributes "source-ref" plus the label attribute.

        The defaults suit SageMaker's built-in image algorithms (Pipe mode, RecordIO-wrapped records); give
        record_wrapper=None, content_type=None, input_mode=None for algorithms that read the manifest as JSON lines.
        The training job's bucket must be the labeling job's. Each run sets the channel to one output manifest, e.g.
        {"channels": {"train": "<output prefix><job name>/manifests/output/output.manifest"}} or automatically
        inside a RolloutPipeline with `labeling=job`.
        """
        return Channel(
            name,
            prefix=job.output_prefix,
            content_type=content_type,
            input_mode=input_mode,
            attribute_names=("source-ref", job.label_attribute_name),
            record_wrapper=record_wrapper,
            referenced_prefixes=(job.input_prefix,),
        )

    def __post_init__(self) -> None:
        errors = PropErrors(f"Channel {self.name!r}")
        if errors.expect_type("name", self.name, str, "a channel name string such as 'train'"):
            errors.check(
                bool(CHANNEL_NAME_PATTERN.match(self.name)),
                f"name ({self.name!r}) is not a valid channel name: use 1 to 64 letters, digits, '.', '-' or '_'",
            )
        if self.prefix is not None:
            check_prefix(errors, "prefix", self.prefix)
        if self.content_type is not None and not is_token(self.content_type):
            if errors.expect_type("content_type", self.content_type, str, "a MIME type string such as 'text/csv'"):
                errors.check(
                    0 < len(self.content_type) <= 256,
                    f"content_type ({self.content_type!r}) must be 1 to 256 characters",
                )
        one_of(errors, "distribution", self.distribution, ("FullyReplicated", "ShardedByS3Key"))
        one_of(errors, "input_mode", self.input_mode, ("File", "Pipe", "FastFile"))
        one_of(errors, "compression", self.compression, ("Gzip",))
        one_of(errors, "record_wrapper", self.record_wrapper, ("RecordIO",))
        if self.attribute_names is not None:
            names = self.attribute_names
            if not isinstance(names, tuple) or not all(isinstance(n, str) and 0 < len(n) <= 256 for n in names):
                errors.add(f"attribute_names ({names!r}) must be a tuple of attribute names, e.g. "
                           "('source-ref', 'label')")
            elif not 1 <= len(names) <= 16:
                errors.add(f"attribute_names has {len(names)} entries: SageMaker accepts 1 to 16")
        if self.record_wrapper is not None and self.attribute_names is None:
            errors.add("record_wrapper is set without attribute_names: RecordIO wrapping applies to augmented "
                       "manifests; set attribute_names or remove record_wrapper")
        for i, prefix in enumerate(self.referenced_prefixes):
            check_prefix(errors, f"referenced_prefixes[{i}]", prefix)
        errors.raise_if_any()

    @property
    def key_prefix(self) -> str:
        return normalize_prefix(self.prefix if self.prefix is not None else self.name)


@dataclass(frozen=True)
@typed_fields
class MetricDefinition:
    """A metric SageMaker scrapes from the training logs with a regex (the first capture group is the value).

    Built-in algorithms define their own metrics; give these for bring-your-own images. Names may not contain "'"
    (the rollout gate selects the metric by name in a JSONPath filter).
    """

    name: str
    regex: str

    def __post_init__(self) -> None:
        errors = PropErrors(f"MetricDefinition {self.name!r}")
        if errors.expect_type("name", self.name, str, "a metric name string"):
            errors.check(
                0 < len(self.name) <= 255 and "'" not in self.name,
                f"name ({self.name!r}) must be 1 to 255 characters without \"'\"",
            )
        if errors.expect_type("regex", self.regex, str, "a regular expression string"):
            if not 0 < len(self.regex) <= 500:
                errors.add(f"regex ({self.regex!r}) must be 1 to 500 characters")
            else:
                try:
                    compiled = re.compile(self.regex)
                except re.error as err:
                    errors.add(f"regex ({self.regex!r}) does not compile: {err}")
                else:
                    errors.check(
                        compiled.groups >= 1,
                        f"regex ({self.regex!r}) has no capture group: SageMaker takes the metric value from the "
                        "first group, e.g. 'loss: ([0-9\\.]+)'",
                    )
        errors.raise_if_any()


@dataclass(frozen=True)
@typed_fields
class Spot:
    """Managed spot training: up to ~90% cheaper, interrupted jobs resume from checkpoints.

    max_wait: total time including waiting for spot capacity; must be at least the job's max_runtime. Default:
        2 hours.
    checkpoint_prefix: S3 key prefix for checkpoints in the artifact bucket. Default: "checkpoints/".
    local_path: where the algorithm writes checkpoints in the container. Default: "/opt/ml/checkpoints".
    """

    max_wait: Duration = Duration.hours(2)
    checkpoint_prefix: str = "checkpoints/"
    local_path: str = "/opt/ml/checkpoints"

    def __post_init__(self) -> None:
        errors = PropErrors("Spot")
        if errors.expect_type("max_wait", self.max_wait, Duration, "an aws_cdk.Duration"):
            seconds = self.max_wait.to_seconds()
            if not is_token(seconds):
                errors.check(
                    1 <= seconds <= MAX_RUNTIME_SECONDS,
                    f"max_wait ({seconds} s) must be between 1 second and 28 days",
                )
        check_prefix(errors, "checkpoint_prefix", self.checkpoint_prefix)
        if errors.expect_type("local_path", self.local_path, str, "an absolute path string"):
            errors.check(self.local_path.startswith("/"), f"local_path ({self.local_path!r}) must be absolute")
        errors.raise_if_any()


class Algorithm:
    """What a training job runs. Create one with the static factories."""

    image: ContainerImage | None = None
    algorithm_arn: str | None = None
    registry_image: image_registry.RegistryImage | None = None

    @staticmethod
    @typed
    def built_in(name: str, version: str | None = None) -> "Algorithm":
        """A SageMaker built-in algorithm from the image registry, e.g. `Algorithm.built_in("xgboost", "1.7-1")`.

        Training and inference use the same image, in the same per-region registry accounts.
        """
        try:
            registry = image_registry.lookup(name, version)
        except ValueError as err:
            errors = PropErrors("Algorithm.built_in")
            errors.add(str(err))
            errors.raise_if_any()
            raise  # pragma: no cover - raise_if_any raised
        algorithm = Algorithm()
        algorithm.image = ContainerImage.built_in(registry.algorithm, registry.version)
        algorithm.registry_image = registry
        return algorithm

    @staticmethod
    @typed
    def from_image(image: ContainerImage) -> "Algorithm":
        """A bring-your-own training image (`ContainerImage.from_ecr_repository(...)` or `.from_asset(...)`)."""
        errors = PropErrors("Algorithm.from_image")
        errors.expect_type("image", image, ContainerImage, "a ContainerImage (from_ecr_repository or from_asset)")
        errors.raise_if_any()
        algorithm = Algorithm()
        algorithm.image = image
        return algorithm

    @staticmethod
    @typed
    def from_marketplace(algorithm_arn: str) -> "Algorithm":
        """An AWS Marketplace (or your own) algorithm resource ARN. Such jobs run with network isolation."""
        errors = PropErrors("Algorithm.from_marketplace")
        if not is_token(algorithm_arn) and errors.expect_type(
            "algorithm_arn", algorithm_arn, str, "an algorithm ARN string"
        ):
            errors.check(
                bool(_ALGORITHM_ARN.match(algorithm_arn)),
                f"algorithm_arn ({algorithm_arn!r}) is not an algorithm ARN: use "
                "'arn:aws:sagemaker:<region>:<account>:algorithm/<name>'",
            )
        errors.raise_if_any()
        algorithm = Algorithm()
        algorithm.algorithm_arn = algorithm_arn
        return algorithm

    @property
    def is_marketplace(self) -> bool:
        return self.algorithm_arn is not None
