"""Neo requests only what AWS documents: FrameworkVersion where botocore supports it, versions from Neo's table, and
a reference model (XGBoost 1.3.3, one `.model` file) that Neo compiles for cloud targets (issue 11, item 2)."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.loaders
import numpy as np
import pytest
import xgboost as xgb

import support
from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.inference._neo_props import _same_version, framework_version_frameworks, neo_frameworks
from sagemaker_cdk.inference.neo_compilation import NeoCompilation, compilation_enum

ROOT = Path(__file__).resolve().parents[2]
NEO_ARTIFACT = ROOT / "models" / "xgboost-neo" / "model.tar.gz"


def _build(**props: Any) -> NeoCompilation:
    stack = cdk.Stack(support.new_app(), "NeoFrameworks")
    props.setdefault("target_device", "ml_c5")
    return NeoCompilation(stack, "Neo", bucket=ArtifactBucket(stack, "Bucket"), **props)


def test_the_framework_version_list_is_the_one_botocore_documents() -> None:
    shapes = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")["shapes"]
    doc = shapes["InputConfig"]["members"]["FrameworkVersion"]["documentation"]
    assert "only supported for the MXNet, PyTorch, TensorFlow and TensorFlow Lite frameworks" in doc
    assert framework_version_frameworks() == ("MXNET", "PYTORCH", "TENSORFLOW", "TFLITE")
    assert set(framework_version_frameworks()) <= set(compilation_enum("Framework"))


def test_the_support_table_names_its_sources_and_only_botocore_frameworks() -> None:
    data = neo_frameworks()
    for kind in ("cloud", "edge"):
        assert data["sources"][kind]["url"].startswith("https://docs.aws.amazon.com/sagemaker/latest/dg/neo-")
        assert set(data[kind]) <= set(compilation_enum("Framework"))
    assert data["cloud"]["XGBOOST"]["versions"] == ["1.3.3"]


@pytest.mark.parametrize("framework", ["xgboost", "onnx", "keras"])
def test_framework_version_is_rejected_where_botocore_does_not_support_it(framework: str) -> None:
    with pytest.raises(ValueError, match=rf"framework_version \('1\.7'\) cannot be sent for framework "
                                         rf"{framework.upper()}: .*only supported for MXNET, PYTORCH, TENSORFLOW, "
                                         r"TFLITE .*remove framework_version"):
        _build(framework=framework, framework_version="1.7")


@pytest.mark.parametrize(
    ("framework", "version", "device"),
    [("pytorch", "1.9", "ml_c5"), ("tensorflow", "2.4", "ml_m5"), ("mxnet", "1.9", "ml_c5"), ("pytorch", "1.12", "jetson_nano")],
)
def test_undocumented_versions_fail_at_synth_with_the_documented_ones(framework: str, version: str, device: str) -> None:
    with pytest.raises(ValueError, match=rf"framework_version \('{re.escape(version)}'\) is not one Neo documents for "
                                         rf"{framework.upper()} on (cloud|edge) targets .*use one of .*source: https://"):
        _build(framework=framework, framework_version=version, target_device=device, create_model=False)


@pytest.mark.parametrize(
    ("framework", "version", "device"),
    [("pytorch", "1.13", "ml_c5"), ("tensorflow", "1.15", "ml_c5"), ("mxnet", "1.8", "ml_m5"),
     ("pytorch", "1.8", "jetson_nano"), ("pytorch", "1.9", "ml_inf1")],
)
def test_documented_versions_are_accepted(framework: str, version: str, device: str) -> None:
    neo = _build(framework=framework, framework_version=version, target_device=device, input_shape={"x": [1, 3]},
                 create_model=False)
    assert neo.framework == framework.upper()


def test_version_matching_is_by_common_prefix() -> None:
    assert _same_version("1.15", "1.15.3") and _same_version("2.9.1", "2.9") and _same_version("1.8", "1.8.0")
    assert not _same_version("1.1", "1.15.3") and not _same_version("1", "1.3.3")


def test_the_neo_sample_artifact_is_one_xgboost_1_3_model_file(tmp_path: Path) -> None:
    with tarfile.open(NEO_ARTIFACT, "r:gz") as tar:
        (member,) = tar.getmembers()
        payload = tar.extractfile(member).read()  # type: ignore[union-attr]
    assert member.name.endswith(".model") and member.isfile()
    assert payload[:4] == b"binf"  # xgboost's legacy binary model format, which 1.3.3 writes for a .model file
    path = tmp_path / member.name
    path.write_bytes(payload)
    booster = xgb.Booster()
    booster.load_model(str(path))
    rows = np.array([[0.9, -0.8, 0.7, 0.0, 0.0], [-0.9, 0.8, -0.7, 0.0, 0.0]])
    positive, negative = booster.predict(xgb.DMatrix(rows))
    assert positive > 0.9 and negative < 0.1
    assert NEO_ARTIFACT.stat().st_size < 50 * 1024


def test_the_neo_reference_stack_compiles_that_artifact_without_a_framework_version(
    reference_templates: dict[str, Any],
) -> None:
    from stacks import neo_stack

    assert (ROOT / neo_stack.NEO_ARTIFACT) == NEO_ARTIFACT
    template = reference_templates["neo"]
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
                 and r["Properties"].get("Handler") == "neo_compile.handler"]
    (function,) = functions
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["FRAMEWORK"] == "XGBOOST" and variables["TARGET_DEVICE"] == "ml_c5"
    assert "FRAMEWORK_VERSION" not in variables
    outputs = template["Outputs"]
    assert any("models/xgboost-neo/model.tar.gz" in str(o.get("Description")) for o in outputs.values())
