"""Accelerated instances and inference accelerators: which families carry which accelerator, and what goes with what.

Plain Python (no aws_cdk import): used by endpoint validation, the Neo compilation construct, scripts and tests.

- `accelerator_kind("ml.inf2.xlarge")` -> "inferentia"; "trainium" for ml.trn*, "gpu" for the NVIDIA families
  (p2, p3, p3dn, p4d, p4de, p5, p5e, p5en, p6, g4dn, g5, g6, g6e...), None for CPU families. Neo target devices
  ("ml_inf1", "ml_p3") are accepted too.
- `check_image_matches_instance(image_kind, instance_type)`: an error message when an image built for one
  accelerator would run on an instance without it (a Neo Inferentia image on ml.m5, a GPU image on ml.c5), else None.
- `check_neo_target_matches_instance(target_device, instance_type)`: a model compiled for `ml_c5` runs on ml.c5.*.
- Elastic Inference (`accelerator_type="ml.eia2.medium"`): `check_accelerator_type` validates the value and
  `elastic_inference_warning` says why not to use it (no longer available to new customers; Inferentia instead).
- `guardrail_exclusion(instance_type, accelerator_type)`: why SageMaker falls back to all-at-once traffic shifting
  for a variant (Elastic Inference, Inf1), or None.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "ACCELERATOR_KINDS",
    "ELASTIC_INFERENCE_TYPES",
    "AcceleratorKind",
    "accelerator_kind",
    "check_accelerator_type",
    "check_image_matches_instance",
    "check_neo_target_matches_instance",
    "elastic_inference_warning",
    "guardrail_exclusion",
    "instance_family",
    "is_elastic_inference",
]

AcceleratorKind = Literal["inferentia", "trainium", "gpu"]
ACCELERATOR_KINDS: tuple[str, ...] = ("inferentia", "trainium", "gpu")

# Every Elastic Inference accelerator size SageMaker has offered (ProductionVariantAcceleratorType in botocore).
ELASTIC_INFERENCE_TYPES: tuple[str, ...] = (
    "ml.eia1.medium",
    "ml.eia1.large",
    "ml.eia1.xlarge",
    "ml.eia2.medium",
    "ml.eia2.large",
    "ml.eia2.xlarge",
)

_INSTANCE_TYPE = re.compile(r"^ml\.([a-z0-9-]+)\.[a-z0-9-]+$")
_NEO_TARGET = re.compile(r"^ml_([a-z0-9]+)$")
_INFERENTIA = re.compile(r"^inf\d+[a-z]*$")
_TRAINIUM = re.compile(r"^trn\d+[a-z]*$")
# NVIDIA GPU families: p2..p6 (p3dn, p4d, p4de, p5e, p5en, p6-b200, p6e-gb200...) and g4dn, g5, g5g, g6, g6e, g7,
# gr6... g4ad is AMD and has no CUDA, so CUDA images cannot use it.
_GPU = re.compile(r"^(?:p\d+[a-z]*(?:-[a-z0-9]+)?|g\d+[a-z]*|gr\d+[a-z]*)$")
_NOT_CUDA = frozenset({"g4ad"})

_KIND_NAMES = {"inferentia": "AWS Inferentia", "trainium": "AWS Trainium", "gpu": "NVIDIA GPU"}
_KIND_EXAMPLES = {
    "inferentia": "'ml.inf1.xlarge' or 'ml.inf2.xlarge'",
    "trainium": "'ml.trn1.2xlarge'",
    "gpu": "'ml.g5.xlarge', 'ml.g6.xlarge' or 'ml.p4d.24xlarge'",
}


def instance_family(instance_type: str) -> str:
    """'ml.inf2.xlarge' -> 'inf2'; Neo target devices too ('ml_c5' -> 'c5'); '' for anything else."""
    if not isinstance(instance_type, str):
        return ""
    match = _INSTANCE_TYPE.match(instance_type) or _NEO_TARGET.match(instance_type)
    return match.group(1) if match else ""


def accelerator_kind(instance_type: str) -> AcceleratorKind | None:
    """"inferentia", "trainium" or "gpu" for accelerated families; None for CPU families and non-instance values."""
    family = instance_family(instance_type)
    if not family:
        return None
    if _INFERENTIA.match(family):
        return "inferentia"
    if _TRAINIUM.match(family):
        return "trainium"
    if _GPU.match(family) and family not in _NOT_CUDA:
        return "gpu"
    return None


def check_image_matches_instance(
    image_kind: str | None, instance_type: str, *, prop: str = "instance_type"
) -> str | None:
    """An error message when an image needs an accelerator `instance_type` lacks; None when they match.

    image_kind: what the image was built for: "inferentia" (e.g. a Neo `inferentia-*` image, compiled for Neuron),
        "trainium", "gpu" (CUDA images, Neo `*-gpu-*` tags), or "cpu"/None (runs anywhere: no check).
    A Neo Inferentia image is compiled for Inf1 (Neuron SDK 1): on another Inferentia family it is an error too.
    """
    if image_kind in (None, "cpu", "any"):
        return None
    if image_kind not in ACCELERATOR_KINDS:
        return (
            f"image kind ({image_kind!r}) is not known: use one of {', '.join(map(repr, ACCELERATOR_KINDS))}, "
            "'cpu' or None"
        )
    have = accelerator_kind(instance_type)
    if have == image_kind:
        return None
    found = f"has {_KIND_NAMES[have]} accelerators" if have else "has no accelerator"
    return (
        f"{prop} ({instance_type!r}) {found}, but the image needs {_KIND_NAMES[image_kind]}: set {prop} to an "
        f"{_KIND_NAMES[image_kind]} instance type such as {_KIND_EXAMPLES[image_kind]}, or use an image built for "
        f"{'CPU' if not have else _KIND_NAMES[have]}"
    )


def check_neo_target_matches_instance(
    target_device: str, instance_type: str, *, prop: str = "instance_type"
) -> str | None:
    """An error message when a model compiled by Neo for `target_device` ("ml_c5") would run on another family.

    Neo compiles for one instance family: a model compiled for ml_c5 only runs on ml.c5.* instances. Edge devices
    and target platforms are not hosted by SageMaker endpoints at all. None when they match.
    """
    target_family = instance_family(target_device) if str(target_device).startswith("ml_") else ""
    if not target_family:
        return (
            f"{prop} ({instance_type!r}) cannot serve a model compiled for {target_device!r}: that target is an edge "
            "device or platform; compile for an 'ml_<family>' target (e.g. 'ml_c5') to host it on SageMaker"
        )
    family = instance_family(instance_type)
    if family == target_family:
        return None
    return (
        f"{prop} ({instance_type!r}) does not match the Neo compilation target ({target_device!r}): a compiled "
        f"model runs only on its target family; set {prop} to an 'ml.{target_family}.*' type such as "
        f"'ml.{target_family}.xlarge', or compile for 'ml_{family or '<family>'}'"
    )


def is_elastic_inference(accelerator_type: str | None) -> bool:
    return isinstance(accelerator_type, str) and accelerator_type.startswith("ml.eia")


def check_accelerator_type(accelerator_type: str | None, *, prop: str = "accelerator_type") -> str | None:
    """An error message when `accelerator_type` is not an Elastic Inference size; None when valid or unset.

    Use `elastic_inference_warning` for valid values: they still deploy only for existing EI customers.
    """
    if accelerator_type is None:
        return None
    if accelerator_type in ELASTIC_INFERENCE_TYPES:
        return None
    return (
        f"{prop} ({accelerator_type!r}) is not an Elastic Inference accelerator: use one of "
        f"{', '.join(ELASTIC_INFERENCE_TYPES)}, or better, remove {prop} and serve on AWS Inferentia "
        "(instance_type 'ml.inf2.xlarge' or 'ml.inf1.xlarge') or a GPU instance (e.g. 'ml.g5.xlarge')"
    )


def elastic_inference_warning(accelerator_type: str) -> str:
    """The warning to record for any Elastic Inference `accelerator_type`."""
    return (
        f"accelerator_type ({accelerator_type!r}) uses Amazon Elastic Inference, which is no longer available to "
        "new customers (AWS stopped onboarding in April 2023): deployments from accounts that have not used it "
        "fail. Migrate to AWS Inferentia: compile the model with SageMaker Neo for 'ml_inf1' or with the Neuron "
        "SDK for 'ml_inf2', then serve on instance_type 'ml.inf2.xlarge' (or 'ml.inf1.xlarge') without "
        "accelerator_type; or use a GPU instance such as 'ml.g5.xlarge'. Deployment guardrails (canary/linear) "
        "fall back to all-at-once with Elastic Inference."
    )


def guardrail_exclusion(instance_type: str | None, accelerator_type: str | None = None) -> str | None:
    """Why SageMaker's blue/green canary/linear traffic shifting falls back to all-at-once for this variant.

    Returns a short reason ("Elastic Inference accelerators", "Inf1 (Inferentia) instances") or None.
    """
    if is_elastic_inference(accelerator_type):
        return "Elastic Inference accelerators"
    if instance_family(instance_type or "") == "inf1":
        return "Inf1 (Inferentia) instances"
    return None
