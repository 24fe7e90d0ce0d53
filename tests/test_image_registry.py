"""The built-in algorithm image registry: generated data is current, complete and well-formed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sagemaker_cdk.core.image_registry import RegistryImage, algorithms, lookup, source

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "generate_image_registry.py"
PACKAGE_DIR = ROOT / "constructs" / "sagemaker_cdk" / "core"
DATA = ROOT / "constructs" / "sagemaker_cdk" / "core" / "data" / "image_registry.json"

REQUIRED = (
    "linear-learner", "knn", "pca", "kmeans", "randomcutforest", "xgboost",
    "blazingtext", "seq2seq", "image-classification", "object-detection",
)
# Optional algorithms that are in the data too. LDA is hosted in fewer regions (13).
ALSO_PRESENT = ("factorization-machines", "ntm", "lda", "ipinsights", "object2vec", "semantic-segmentation")
MUST_HAVE_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
NON_COMMERCIAL = re.compile(r"^(cn-|us-gov-|us-iso|eusc-)")


def all_images() -> list[RegistryImage]:
    return [lookup(name, version) for name, versions in algorithms().items() for version in versions]


def test_generator_check_passes_on_committed_file() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generator_check_detects_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "image_registry.json"
    stale.write_text(DATA.read_text().replace("683313688378", "000000000000"))
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--output", str(stale)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 1


def test_committed_file_is_canonical_json() -> None:
    text = DATA.read_text()
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"


def test_provenance_is_recorded() -> None:
    data = json.loads(DATA.read_text())
    assert data["generated_by"] == "scripts/generate_image_registry.py"
    assert data["source"]["package"] == "sagemaker-core"
    assert re.fullmatch(r"\d+\.\d+\.\d+", data["source"]["version"])
    assert dict(source())["package"] == "sagemaker-core"


@pytest.mark.parametrize("name", REQUIRED + ALSO_PRESENT)
def test_algorithm_is_present(name: str) -> None:
    assert name in algorithms()
    assert algorithms()[name], f"{name} has no versions"


@pytest.mark.parametrize("name", REQUIRED)
def test_required_algorithm_regions(name: str) -> None:
    for version in algorithms()[name]:
        image = lookup(name, version)
        assert len(image.accounts) >= 20, (name, version, len(image.accounts))
        for region in MUST_HAVE_REGIONS:
            assert region in image.accounts, (name, version, region)


def test_every_entry_is_well_formed() -> None:
    images = all_images()
    assert len(images) >= len(REQUIRED)
    for image in images:
        assert image.repository and image.tag, image
        assert image.accounts, image
        for region, account in image.accounts.items():
            assert re.fullmatch(r"\d{12}", account), (image.algorithm, region, account)
            assert re.fullmatch(r"[a-z]{2}-[a-z]+-\d+", region), (image.algorithm, region)
            assert not NON_COMMERCIAL.match(region), (image.algorithm, region)


def test_versions_are_sorted_oldest_first() -> None:
    assert algorithms()["linear-learner"] == ("1",)
    xgb = algorithms()["xgboost"]
    assert xgb.index("1.5-1") < xgb.index("1.7-1") < xgb.index("3.0-5")


def test_known_facts() -> None:
    xgb = lookup("xgboost", "1.7-1")
    assert (xgb.repository, xgb.tag) == ("sagemaker-xgboost", "1.7-1")
    assert xgb.accounts["us-east-1"] == "683313688378"
    assert xgb.uri("us-east-1") == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    assert lookup("xgboost", "0.90-1").tag == "0.90-1-cpu-py3"

    ll = lookup("linear-learner")
    assert (ll.version, ll.repository, ll.tag) == ("1", "linear-learner", "1")
    assert ll.accounts["us-east-1"] == "382416733822"
    assert ll.accounts["eu-west-1"] == "438346466558"
    assert lookup("image-classification").accounts["us-east-1"] == "811284229777"
    assert lookup("xgboost", "1").repository == "xgboost"


def test_default_version_is_the_newest() -> None:
    newest = algorithms()["xgboost"][-1]
    assert lookup("xgboost").version == newest
    assert lookup("kmeans").version == "1"


@pytest.mark.parametrize(
    "alias, name",
    [
        ("random-cut-forest", "randomcutforest"),
        ("anomaly-detection", "randomcutforest"),
        ("random_cut_forest", "randomcutforest"),
        ("linear_learner", "linear-learner"),
        ("Linear Learner", "linear-learner"),
        ("k-means", "kmeans"),
        ("ip-insights", "ipinsights"),
        ("XGBoost", "xgboost"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    assert lookup(alias).algorithm == name


def test_unknown_algorithm_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"algorithm 'xgb' is not a SageMaker built-in algorithm: use one of ") as err:
        lookup("xgb")
    for name in REQUIRED:
        assert name in str(err.value)
    assert "blazingtext, factorization-machines, image-classification" in str(err.value)


def test_unknown_version_lists_valid_versions() -> None:
    with pytest.raises(ValueError, match=r"version '1\.7' .*'xgboost'.* use one of .*1\.5-1, 1\.7-1"):
        lookup("xgboost", "1.7")
    with pytest.raises(ValueError, match=r"use one of 1$"):
        lookup("knn", "2")


def test_unknown_region_lists_hosting_regions() -> None:
    with pytest.raises(ValueError, match=r"region 'cn-north-1' .* use one of .*us-east-1"):
        lookup("xgboost", "1.7-1").uri("cn-north-1")


def test_module_does_not_import_cdk() -> None:
    # The module stays plain Python (scripts and handlers may use it); the package __init__ is what imports CDK.
    import ast

    tree = ast.parse((PACKAGE_DIR / "image_registry.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in ("aws_cdk", "constructs", "jsii")}
