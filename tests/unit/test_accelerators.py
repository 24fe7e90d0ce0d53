"""Accelerator facts: every SageMaker hosting instance type is classified, and mismatches name prop, value, fix."""

from __future__ import annotations

import re

import botocore.loaders
import pytest

from sagemaker_cdk.inference import accelerators
from sagemaker_cdk.inference.accelerators import (
    ELASTIC_INFERENCE_TYPES,
    accelerator_kind,
    check_accelerator_type,
    check_image_matches_instance,
    check_neo_target_matches_instance,
    elastic_inference_warning,
    guardrail_exclusion,
)

_SHAPES = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")["shapes"]
HOSTING_TYPES = _SHAPES["ProductionVariantInstanceType"]["enum"]


@pytest.mark.parametrize("instance_type", HOSTING_TYPES)
def test_every_hosting_instance_type_is_classified(instance_type: str) -> None:
    family = instance_type.split(".")[1]
    expected = (
        "inferentia" if family.startswith("inf")
        else "trainium" if family.startswith("trn")
        else "gpu" if re.match(r"^(p|g)\d", family)
        else None
    )
    assert accelerator_kind(instance_type) == expected


@pytest.mark.parametrize(
    "value, kind",
    [
        ("ml.inf1.xlarge", "inferentia"), ("ml.inf2.48xlarge", "inferentia"), ("ml.trn1.32xlarge", "trainium"),
        ("ml.trn1n.32xlarge", "trainium"), ("ml.p2.xlarge", "gpu"), ("ml.p3.2xlarge", "gpu"),
        ("ml.p4d.24xlarge", "gpu"), ("ml.p5.48xlarge", "gpu"), ("ml.g4dn.xlarge", "gpu"), ("ml.g5.xlarge", "gpu"),
        ("ml.g6.xlarge", "gpu"), ("ml.p6-b200.48xlarge", "gpu"), ("ml.g4ad.xlarge", None), ("ml.m5.large", None),
        ("ml.c5.xlarge", None), ("ml.m6g.large", None), ("ml_inf1", "inferentia"), ("ml_p3", "gpu"),
        ("ml_c5", None), ("jetson_xavier", None), ("", None), (None, None), ("m5.large", None),
    ],
)
def test_accelerator_kind(value: str, kind: str | None) -> None:
    assert accelerator_kind(value) == kind


def test_matching_image_and_instance_pass() -> None:
    assert check_image_matches_instance("inferentia", "ml.inf1.xlarge") is None
    assert check_image_matches_instance("gpu", "ml.g5.xlarge") is None
    assert check_image_matches_instance("trainium", "ml.trn1.2xlarge") is None
    assert check_image_matches_instance("cpu", "ml.g5.xlarge") is None
    assert check_image_matches_instance(None, "ml.inf2.xlarge") is None


def test_inferentia_image_on_cpu_names_prop_value_and_fix() -> None:
    message = check_image_matches_instance("inferentia", "ml.m5.large")
    assert message is not None
    assert message.startswith("instance_type ('ml.m5.large') has no accelerator, but the image needs AWS Inferentia")
    assert "ml.inf1.xlarge" in message and "ml.inf2.xlarge" in message


def test_gpu_image_on_inferentia_names_both_accelerators() -> None:
    message = check_image_matches_instance("gpu", "ml.inf2.xlarge", prop="variants[0].instance_type")
    assert message is not None
    assert message.startswith("variants[0].instance_type ('ml.inf2.xlarge') has AWS Inferentia accelerators")
    assert "NVIDIA GPU" in message and "ml.g5.xlarge" in message


def test_unknown_image_kind_is_reported() -> None:
    assert "image kind ('tpu') is not known" in (check_image_matches_instance("tpu", "ml.m5.large") or "")


def test_neo_target_must_match_the_instance_family() -> None:
    assert check_neo_target_matches_instance("ml_c5", "ml.c5.xlarge") is None
    message = check_neo_target_matches_instance("ml_c5", "ml.m5.large")
    assert message is not None and "'ml.c5.xlarge'" in message and "compile for 'ml_m5'" in message
    edge = check_neo_target_matches_instance("jetson_xavier", "ml.m5.large")
    assert edge is not None and "edge device" in edge


@pytest.mark.parametrize("value", ELASTIC_INFERENCE_TYPES)
def test_every_elastic_inference_size_is_valid(value: str) -> None:
    assert check_accelerator_type(value) is None


def test_elastic_inference_sizes_are_botocores() -> None:
    assert ELASTIC_INFERENCE_TYPES == tuple(_SHAPES["ProductionVariantAcceleratorType"]["enum"])


@pytest.mark.parametrize("value", ["ml.eia3.medium", "ml.inf1.xlarge", "eia2.medium", ""])
def test_bad_accelerator_type_names_the_inferentia_alternative(value: str) -> None:
    message = check_accelerator_type(value)
    assert message is not None
    assert message.startswith(f"accelerator_type ({value!r}) is not an Elastic Inference accelerator")
    assert "ml.inf2.xlarge" in message and "ml.inf1.xlarge" in message
    assert check_accelerator_type(None) is None


def test_elastic_inference_warning() -> None:
    text = elastic_inference_warning("ml.eia2.medium")
    assert "'ml.eia2.medium'" in text
    assert "no longer available to new customers" in text
    assert "ml.inf2.xlarge" in text and "ml.inf1.xlarge" in text
    assert "all-at-once" in text


@pytest.mark.parametrize(
    "instance_type, accelerator_type, reason",
    [
        ("ml.m5.large", "ml.eia2.medium", "Elastic Inference accelerators"),
        ("ml.inf1.xlarge", None, "Inf1 (Inferentia) instances"),
        ("ml.inf2.xlarge", None, None),
        ("ml.g5.xlarge", None, None),
        (None, None, None),
    ],
)
def test_guardrail_exclusion(instance_type: str | None, accelerator_type: str | None, reason: str | None) -> None:
    assert guardrail_exclusion(instance_type, accelerator_type) == reason


def test_module_does_not_import_cdk() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(accelerators.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in ("aws_cdk", "constructs", "jsii")}
