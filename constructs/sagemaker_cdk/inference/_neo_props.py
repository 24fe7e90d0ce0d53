"""NeoCompilation's props: the target and endpoint dataclasses, and the checks that run at synth (private module).

Every enum and limit comes from botocore's SageMaker service model, the one CreateCompilationJob requests are
validated against.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from aws_cdk import Duration, aws_logs as logs

from . import accelerators
from ..core import image_registry, instance_types
from ..core._types import typed_fields
from ..core._validation import PropErrors, io_prefixes, is_token, job_name_prefix
from ..core.artifact_bucket import ArtifactBucket
from ..core.container_image import ContainerImage
from ..core.network import ModelNetwork

MAX_DATA_INPUT_CONFIG = 16384  # DataInputConfig's maximum length in botocore's model
MAX_COMPILER_OPTIONS = 1024
MAX_RUNTIME_LIMIT = Duration.days(28)  # StoppingCondition's documented maximum


@functools.lru_cache(maxsize=1)
def _sagemaker_shapes() -> dict[str, Any]:
    """botocore's SageMaker service model (the one CreateCompilationJob requests are validated against)."""
    import botocore.loaders

    return botocore.loaders.Loader().load_service_model("sagemaker", "service-2")["shapes"]


def compilation_enum(shape: str) -> tuple[str, ...]:
    """Allowed values of one of CreateCompilationJob's enums in botocore's model: "Framework", "TargetDevice",
    "TargetPlatformOs", "TargetPlatformArch", "TargetPlatformAccelerator", "CompilationJobStatus"."""
    return tuple(_sagemaker_shapes()[shape]["enum"])


@dataclass(frozen=True)
@typed_fields
class TargetPlatform:
    """A compilation target given as OS, architecture and optional accelerator instead of a named device.

    os: "LINUX" or "ANDROID". arch: "X86_64", "X86", "ARM64", "ARM_EABI" or "ARM_EABIHF".
    accelerator: "NVIDIA", "MALI", "INTEL_GRAPHICS" or "NNA". Default: none (CPU).
    (The values are botocore's TargetPlatform* enums, checked by NeoCompilation.)
    """

    os: str
    arch: str
    accelerator: str | None = None

    def to_request(self) -> dict[str, str]:
        body = {"Os": self.os, "Arch": self.arch}
        if self.accelerator:
            body["Accelerator"] = self.accelerator
        return body


@dataclass(frozen=True)
@typed_fields
class NeoEndpoint:
    """Deploy each compiled model to one endpoint (created on the first run, updated afterwards).

    endpoint_name: the endpoint to create or update. Required.
    instance_type: Default: the xlarge size of the compilation target's family (ml_c5 -> "ml.c5.xlarge").
    instance_count: Default: 2, one per AZ.
    variant_name: Default: "AllTraffic".
    The state machine ends once CreateEndpoint/UpdateEndpoint is accepted; SageMaker then rolls out on its own.
    """

    endpoint_name: str
    instance_type: str | None = None
    instance_count: int = 2
    variant_name: str = "AllTraffic"


# -- validation ------------------------------------------------------------------------------------------------------


def _json_prop(errors: PropErrors, prop: str, value: Any, max_length: int, example: str) -> tuple[str | None, Any]:
    """(text, decoded) of a JSON prop given as a string or as a dict/list; (None, None) when invalid or unset."""
    if value is None or is_token(value):
        return (None if value is None else value), None
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError as err:
            errors.add(f"{prop} ({value!r}) is not valid JSON ({err}): give e.g. {example}")
            return None, None
        text = value
    elif isinstance(value, (Mapping, list, tuple)):
        try:
            text = json.dumps(value, separators=(",", ":"), sort_keys=isinstance(value, Mapping))
        except (TypeError, ValueError) as err:
            errors.add(f"{prop} cannot be serialized to JSON ({err}): use only strings, numbers, lists and dicts")
            return None, None
        decoded = json.loads(text)
    else:
        errors.add(f"{prop} must be a JSON string or a dict, got {type(value).__name__} {value!r}", type_error=True)
        return None, None
    if len(text) > max_length:
        errors.add(f"{prop} is {len(text)} characters of JSON: SageMaker accepts at most {max_length}; shorten it")
        return None, None
    return text, decoded


def _bad_dimensions(node: Any) -> list[Any]:
    """Every number in a shape list that is not a positive integer (Neo compiles for fixed shapes)."""
    bad: list[Any] = []
    if isinstance(node, Mapping):
        for item in node.values():
            bad += _bad_dimensions(item)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, bool) or (isinstance(item, (int, float)) and not (
                isinstance(item, int) and item >= 1
            )):
                bad.append(item)
            elif isinstance(item, (list, Mapping)):
                bad += _bad_dimensions(item)
    return bad


@functools.lru_cache(maxsize=1)
def neo_frameworks() -> dict[str, Any]:
    """Neo's documented framework-version support table, kept as data with its sources (data/neo_frameworks.json)."""
    from importlib import resources

    text = resources.files("sagemaker_cdk.core").joinpath("data").joinpath("neo_frameworks.json").read_text(encoding="utf-8")
    return json.loads(text)


def framework_version_frameworks() -> tuple[str, ...]:
    """The frameworks for which CreateCompilationJob accepts InputConfig.FrameworkVersion. botocore's documentation of
    that member says "only supported for the MXNet, PyTorch, TensorFlow and TensorFlow Lite frameworks"; the
    Framework enum names are kept in data/neo_frameworks.json (tests/unit/test_neo_frameworks.py checks the
    sentence)."""
    return tuple(neo_frameworks()["framework_version_field"])


def _documented(framework: str, kind: str) -> str:
    entry = neo_frameworks()[kind].get(framework)
    if not entry:
        return f"Neo documents no {kind} support for it"
    return f"Neo compiles {framework} models {entry['models']} ({entry['format']})"


def _same_version(given: str, documented: str) -> bool:
    """'1.15' matches '1.15.3' and '2.9.1' matches '2.9': the documented table mixes minor and patch versions."""
    a, b = given.split("."), documented.split(".")
    n = min(len(a), len(b))
    return n >= 2 and a[:n] == b[:n]


def validate(errors: PropErrors, **p: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"framework": "", "data_input_config": None, "compiler_options": None,
                           "serving_image": None, "create_model": False}
    if not isinstance(p["bucket"], ArtifactBucket):
        errors.add(
            f"bucket must be a sagemaker_cdk.ArtifactBucket, got {type(p['bucket']).__name__}: create one in the "
            "same stack (cross-stack references break EventBridge and nag acknowledgements)",
            type_error=True,
        )

    framework = p["framework"]
    allowed = compilation_enum("Framework")
    if errors.expect_type("framework", framework, str, f"a framework name, one of {', '.join(allowed)}"):
        if framework.upper() not in allowed:
            errors.add(
                f"framework ({framework!r}) is not supported by CreateCompilationJob: use one of "
                f"{', '.join(allowed)} (case-insensitive)"
            )
        else:
            out["framework"] = framework.upper()
    version = p["framework_version"]
    version_ok = False
    if version is not None and not is_token(version) and errors.expect_type(
        "framework_version", version, str, "a version string such as '1.8'"
    ):
        shape = _sagemaker_shapes()["FrameworkVersion"]
        if not (shape["min"] <= len(version) <= shape["max"] and re.fullmatch(shape["pattern"], version)):
            errors.add(
                f"framework_version ({version!r}) is not a framework version: use {shape['min']}-{shape['max']} "
                "characters such as '1.8' or '2.0'"
            )
        elif out["framework"] and out["framework"] not in framework_version_frameworks():
            errors.add(
                f"framework_version ({version!r}) cannot be sent for framework {out['framework']}: "
                "CreateCompilationJob's FrameworkVersion is only supported for "
                f"{', '.join(framework_version_frameworks())} (botocore's InputConfig.FrameworkVersion); remove "
                f"framework_version. Neo reads the version from the model file: "
                f"{_documented(out['framework'], 'cloud')}"
            )
        else:
            version_ok = True

    device, platform = p["target_device"], p["target_platform"]
    if device is not None and platform is not None:
        errors.add(
            f"target_device ({device!r}) and target_platform ({platform!r}) are both set: a compilation targets one "
            "device or one platform; remove one"
        )
    elif device is None and platform is None:
        errors.add("neither target_device nor target_platform is set: give one, e.g. target_device='ml_c5'")
    if device is not None and not is_token(device) and errors.expect_type(
        "target_device", device, str, "a Neo target device string such as 'ml_c5'"
    ):
        devices = compilation_enum("TargetDevice")
        if device not in devices:
            errors.add(f"target_device ({device!r}) is not a Neo target device: use one of {', '.join(devices)}")
    if platform is not None and errors.expect_type(
        "target_platform", platform, TargetPlatform, "a TargetPlatform(os=..., arch=..., accelerator=...)"
    ):
        for field, shape in (("os", "TargetPlatformOs"), ("arch", "TargetPlatformArch"),
                             ("accelerator", "TargetPlatformAccelerator")):
            value = getattr(platform, field)
            if value is None and field == "accelerator":
                continue
            if value not in compilation_enum(shape):
                errors.add(
                    f"target_platform.{field} ({value!r}) is not supported: use one of "
                    f"{', '.join(compilation_enum(shape))}"
                )

    if version_ok and out["framework"] and isinstance(version, str) and isinstance(device, str) and not device.startswith("ml_inf"):
        kind = "cloud" if device.startswith("ml_") else "edge"
        documented = neo_frameworks()[kind].get(out["framework"], {}).get("versions", [])
        if documented and not any(_same_version(version, d) for d in documented):
            errors.add(
                f"framework_version ({version!r}) is not one Neo documents for {out['framework']} on {kind} targets "
                f"such as {device!r}: use one of {', '.join(documented)} (source: "
                f"{neo_frameworks()['sources'][kind]['url']})"
            )

    text, decoded = _json_prop(errors, "input_shape", p["input_shape"], MAX_DATA_INPUT_CONFIG, "'{\"data\": [1, 5]}'")
    if decoded is not None:
        if not isinstance(decoded, (dict, list)) or not decoded:
            errors.add(
                f"input_shape ({text!r}) must be a non-empty JSON object or list mapping inputs to shapes: e.g. "
                "{\"data\": [1, 5]}"
            )
        elif _bad_dimensions(decoded):
            errors.add(
                f"input_shape ({text!r}) has dimensions that are not positive integers "
                f"({', '.join(map(repr, _bad_dimensions(decoded)))}): Neo compiles for fixed shapes, e.g. [1, 5]"
            )
        else:
            out["data_input_config"] = text
    out["compiler_options"], _ = _json_prop(
        errors, "compiler_options", p["compiler_options"], MAX_COMPILER_OPTIONS, "'{\"dtype\": \"float32\"}'"
    )

    io_prefixes(
        errors, p["input_prefix"], p["output_prefix"], example="neo",
        loop="compiled artifacts would start new compilations",
    )

    for name, low, high in (("max_runtime", 1, MAX_RUNTIME_LIMIT.to_seconds()), ("poll_interval", 5, 3600)):
        value = p[name]
        if not isinstance(value, Duration):
            errors.add(f"{name} must be an aws_cdk.Duration, got {value!r}: e.g. Duration.minutes(15)", type_error=True)
        elif not is_token(value.to_seconds()) and not low <= value.to_seconds() <= high:
            errors.add(f"{name} ({value.to_seconds()} s) must be between {low} and {int(high)} seconds")

    job_name_prefix(errors, p["job_name_prefix"], example="churn-neo")
    if not isinstance(p["log_retention"], logs.RetentionDays):
        errors.add(f"log_retention must be an aws_logs.RetentionDays, got {p['log_retention']!r}", type_error=True)
    if p["reserved_concurrency"] is not None:
        errors.number_in_range("reserved_concurrency", p["reserved_concurrency"], 1, 1000, integer=True)
    if p["network"] is not None:
        errors.expect_type("network", p["network"], ModelNetwork, "a sagemaker_cdk.ModelNetwork")
    for key, value in (p["model_environment"] or {}).items():
        if not (is_token(key) or is_token(value)):
            errors.check(
                isinstance(key, str) and isinstance(value, str),
                f"model_environment[{key!r}] ({value!r}) must map strings to strings: quote the value",
            )

    # -- the serving image and the optional model / endpoint
    image = p["inference_image"]
    if image is not None:
        errors.expect_type("inference_image", image, ContainerImage, "a ContainerImage")
    serving, why_not = None, None
    if out["framework"] and isinstance(device, str) and device.startswith("ml_") and image is None:
        try:
            serving = image_registry.neo_lookup(out["framework"], device, version)
        except ValueError as err:
            why_not = str(err)
    elif image is None and (platform is not None or isinstance(device, str)):
        why_not = f"target {device or 'platform'!r} is an edge target: SageMaker hosts only 'ml_*' targets"
    out["serving_image"] = serving
    cloud = isinstance(device, str) and device.startswith("ml_")
    create = p["create_model"]
    if create is None:
        out["create_model"] = bool(serving or image) and cloud
    elif create and serving is None and image is None:
        errors.add(
            f"create_model (True) needs a serving image, and none is known: {why_not or 'no target'}. Pass "
            "inference_image=ContainerImage..., or set create_model=False"
        )
    else:
        out["create_model"] = bool(create)
    if image is not None and not cloud and create:
        errors.add(
            f"create_model (True) with target {device or platform!r}: SageMaker hosts only 'ml_*' targets; compile "
            "for an 'ml_<family>' target or set create_model=False"
        )

    endpoint = p["endpoint"]
    if endpoint is not None and errors.expect_type("endpoint", endpoint, NeoEndpoint, "a NeoEndpoint(...)"):
        if not out["create_model"]:
            errors.add("endpoint is set but no model is created: remove endpoint, or set create_model=True")
        errors.name("endpoint.endpoint_name", endpoint.endpoint_name)
        errors.name("endpoint.variant_name", endpoint.variant_name)
        errors.number_in_range("endpoint.instance_count", endpoint.instance_count, 1, 100, integer=True)
        instance_type = endpoint.instance_type
        if instance_type is not None and not is_token(instance_type) and not (
            isinstance(instance_type, str) and instance_types.INSTANCE_TYPE_PATTERN.match(instance_type)
        ):
            errors.add(f"endpoint.instance_type ({instance_type!r}) is not an ML instance type: e.g. 'ml.c5.xlarge'")
        elif isinstance(device, str) and device.startswith("ml_") and isinstance(instance_type, str):
            message = accelerators.check_neo_target_matches_instance(
                device, instance_type, prop="endpoint.instance_type"
            )
            if message:
                errors.add(message)
            elif serving is not None:
                kind = {"inf": "inferentia", "gpu": "gpu"}.get(image_registry.neo_processor(device))
                message = accelerators.check_image_matches_instance(kind, instance_type, prop="endpoint.instance_type")
                if message:
                    errors.add(message)
    return out

