"""Ground Truth's region registry: the generated data is current (staleness check), complete and well-formed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sagemaker_cdk.labeling import registry
from sagemaker_cdk.labeling.task_type import TaskType

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "generate_labeling_registry.py"
DATA = ROOT / "constructs" / "sagemaker_cdk" / "labeling" / "data" / "labeling_registry.json"
BUILT_INS = ("ImageMultiClass", "ImageMultiClassMultiLabel", "BoundingBox", "SemanticSegmentation", "TextMultiClass",
             "TextMultiClassMultiLabel", "NamedEntityRecognition")


def test_generator_check_passes_on_committed_file() -> None:
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, cwd=ROOT,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generator_check_detects_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "labeling_registry.json"
    stale.write_text(DATA.read_text().replace("432418664414", "000000000000"))
    result = subprocess.run([sys.executable, str(GENERATOR), "--check", "--output", str(stale)],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 1 and "stale" in result.stderr


def test_committed_file_is_canonical_json_with_provenance() -> None:
    text = DATA.read_text()
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"
    source = registry.source()
    assert source["generated_by"] == "scripts/generate_labeling_registry.py"
    assert source["package"] == "botocore" and "HumanTaskConfig.PreHumanTaskLambdaArn" in source["documentation"]


@pytest.mark.parametrize("task", BUILT_INS)
def test_every_built_in_task_type_has_both_functions_in_the_main_regions(task: str) -> None:
    regions = registry.regions(task)
    assert {"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"} <= set(regions)
    for region in regions:
        pre, acs = registry.pre_annotation_arn(task, region), registry.consolidation_arn(task, region)
        assert re.fullmatch(rf"arn:aws:lambda:{region}:\d{{12}}:function:PRE-{task}", pre)
        assert re.fullmatch(rf"arn:aws:lambda:{region}:\d{{12}}:function:ACS-{task}", acs)
        assert pre.split(":")[4] == acs.split(":")[4]  # one Ground Truth account per region


def test_known_values_from_the_api_reference() -> None:
    assert registry.pre_annotation_arn("BoundingBox", "us-east-1") == (
        "arn:aws:lambda:us-east-1:432418664414:function:PRE-BoundingBox")
    assert registry.algorithm_arn("image-classification", "eu-west-1") == (
        "arn:aws:sagemaker:eu-west-1:027400017018:labeling-job-algorithm-specification/image-classification")


def test_every_automated_task_type_has_its_algorithm() -> None:
    automated = [t for t in BUILT_INS if TaskType(t).automated_labeling_algorithm]
    assert automated == ["ImageMultiClass", "BoundingBox", "SemanticSegmentation", "TextMultiClass"]
    assert {TaskType(t).automated_labeling_algorithm for t in automated} == set(registry.algorithms())


def test_unknown_region_or_task_names_the_choices() -> None:
    with pytest.raises(ValueError, match="use one of .*us-east-1"):
        registry.pre_annotation_arn("BoundingBox", "xx-nowhere-1")
    with pytest.raises(ValueError, match="not a Ground Truth built-in task type"):
        registry.consolidation_arn("Nope", "us-east-1")
    with pytest.raises(ValueError, match="no automated data labeling"):
        registry.algorithm_account("named-entity-recognition")
