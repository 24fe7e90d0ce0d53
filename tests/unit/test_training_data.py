"""TrainingData: sample data lands under channel prefixes of the artifact bucket; nag- and lint-clean."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import support
from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.training.training_data import TrainingData

SAMPLE = support.ROOT / "models" / "xgboost" / "sample"


def test_uploads_each_channel_under_its_prefix_nag_and_lint_clean() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "DataTest")
    bucket = ArtifactBucket(stack, "Bucket")
    TrainingData(stack, "Train", bucket=bucket, prefix="train", files=[SAMPLE / "train.csv"])
    TrainingData(stack, "Validation", bucket=bucket, prefix="validation/", files=[SAMPLE / "validation.csv"])
    template = support.synth_nag_clean(app).get_stack_by_name("DataTest").template
    assert support.lint(template, "DataTest") == []
    deployments = Template.from_json(template).find_resources("Custom::CDKBucketDeployment")
    prefixes = sorted(d["Properties"]["DestinationBucketKeyPrefix"] for d in deployments.values())
    assert prefixes == ["train/", "validation/"]
    assert all(d["Properties"].get("Prune") is False for d in deployments.values())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"prefix": "/train", "files": [SAMPLE / "train.csv"]}, r"prefix \('/train'\) must be a non-empty S3 key"),
        ({"prefix": "train/", "files": [SAMPLE / "missing.csv"]}, r"missing\.csv'\) does not exist"),
        ({"prefix": "train/", "files": []}, r"files \(\[\]\) is empty"),
    ],
)
def test_bad_props(stack: cdk.Stack, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainingData(stack, "Data", bucket=ArtifactBucket(stack, "Bucket"), **kwargs)
