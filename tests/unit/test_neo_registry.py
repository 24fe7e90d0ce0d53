"""Neo serving images in the generated registry: present, well-formed, and looked up by framework and target."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sagemaker_cdk.core.container_image import registry_image
from sagemaker_cdk.core.image_registry import neo_frameworks, neo_lookup, neo_processor

DATA = Path(__file__).resolve().parents[2] / "constructs" / "sagemaker_cdk" / "core" / "data" / "image_registry.json"


def test_sections_are_generated_from_sagemaker_core() -> None:
    data = json.loads(DATA.read_text())
    assert set(data["neo"]) == {"image-classification", "mxnet", "pytorch", "tensorflow", "xgboost"}
    assert set(data["inferentia"]) == {"mxnet", "pytorch", "tensorflow"}
    assert data["neo"]["xgboost"]["config"] == "xgboost-neo"
    assert data["inferentia"]["pytorch"]["config"] == "inferentia-pytorch"


def test_every_neo_entry_is_well_formed() -> None:
    for section, frameworks in neo_frameworks().items():
        for framework, versions in frameworks.items():
            assert versions, (section, framework)
            for version in versions:
                target = "ml_inf1" if section == "inferentia" else "ml_c5"
                image = neo_lookup(framework, target, version)
                assert len(image.accounts) >= 20
                for region, account in image.accounts.items():
                    assert re.fullmatch(r"\d{12}", account)
                    assert not re.match(r"^(cn-|us-gov-|us-iso|eusc-)", region)


@pytest.mark.parametrize(
    "framework, target, version, uri",
    [
        ("xgboost", "ml_c5", None, "785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest"),
        ("XGBOOST", "ml.m5.large", "1.7", "785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest"),
        ("pytorch", "ml_c5", "1.8.1", "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:1.8-cpu-py3"),
        ("pytorch", "ml_g4dn", "2.0", "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:2.0-gpu-py3"),
        ("pytorch", "ml_p3", None, "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:2.0-gpu-py3"),
        ("tensorflow", "ml_inf1", "2.5.2", "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-neo-tensorflow:2.5.2-inf-py3"),
        ("mxnet", "ml.inf1.xlarge", None, "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-neo-mxnet:1.8-inf-py3"),
    ],
)
def test_neo_lookup(framework: str, target: str, version: str | None, uri: str) -> None:
    assert neo_lookup(framework, target, version).uri("us-east-1") == uri


@pytest.mark.parametrize(
    "target, processor",
    [("ml_c5", "cpu"), ("ml_m6g", "cpu"), ("ml_p3", "gpu"), ("ml_g4dn", "gpu"), ("ml.g5.xlarge", "gpu"),
     ("ml_inf1", "inf"), ("gpu", "gpu")],
)
def test_neo_processor(target: str, processor: str) -> None:
    assert neo_processor(target) == processor


@pytest.mark.parametrize(
    "args, match",
    [
        (("xgboost", "ml_inf1"), r"framework \('xgboost'\) has no Neo serving image for inferentia .* use one of mxnet"),
        (("onnx", "ml_c5"), r"framework \('onnx'\) has no Neo serving image .* use one of image-classification"),
        (("pytorch", "ml_inf2"), r"target \('ml_inf2'\) has no Neo serving image: .*Neuron"),
        (("pytorch", "jetson_xavier"), r"target \('jetson_xavier'\) is not a SageMaker cloud target"),
        (("pytorch", "ml_c5", "9.9"), r"version '9\.9' of neo-pytorch is not known: use one of 1\.4, .*2\.0 \(or an alias"),
    ],
)
def test_neo_lookup_errors_name_the_fix(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        neo_lookup(*args)


def test_registry_image_binds_through_the_region_mapping() -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam

    import support

    stack = cdk.Stack(support.new_app(), "Img")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bound = registry_image(neo_lookup("pytorch", "ml_c5", "1.13")).bind(stack, role)
    template = cdk.assertions.Template.from_stack(stack).to_json()
    assert template["Mappings"]["SageMakerImageNeoPytorch113"]["eu-west-1"] == {"account": "802834080501"}
    assert "sagemaker-inference-pytorch" in json.dumps(stack.resolve(bound.image_uri))
