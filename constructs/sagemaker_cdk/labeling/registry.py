"""Region data of Ground Truth's built-in task types: pre-annotation and consolidation Lambdas, and the algorithms of
automated data labeling.

The data comes from ``data/labeling_registry.json``, which ``scripts/generate_labeling_registry.py`` generates from the
documentation strings of botocore's SageMaker service model (shapes ``HumanTaskConfig.PreHumanTaskLambdaArn``,
``AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn`` and
``LabelingJobAlgorithmsConfig.LabelingJobAlgorithmSpecificationArn``, i.e. the SageMaker API reference). It covers the
commercial ``aws`` partition only, in the regions AWS lists there. This module is plain Python (no aws_cdk import).

    >>> pre_annotation_arn("ImageMultiClass", "us-east-1")
    'arn:aws:lambda:us-east-1:432418664414:function:PRE-ImageMultiClass'
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Mapping

__all__ = [
    "algorithm_account",
    "algorithm_arn",
    "algorithms",
    "consolidation_arn",
    "pre_annotation_arn",
    "regions",
    "source",
    "task_types",
]

_DATA_FILE = "labeling_registry.json"


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files(__name__.rpartition(".")[0]).joinpath("data").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def source() -> Mapping[str, Any]:
    """Provenance of the data (generator, botocore service and documentation members)."""
    return dict(_data()["source"], generated_by=_data()["generated_by"])


def task_types() -> tuple[str, ...]:
    """Every task type the documentation lists, by its function suffix (e.g. "ImageMultiClass")."""
    return tuple(sorted(_data()["task_types"]))


def algorithms() -> tuple[str, ...]:
    """The automated-labeling algorithms (e.g. "image-classification")."""
    return tuple(sorted(_data()["algorithms"]))


def _task(task_type: str) -> Mapping[str, Any]:
    try:
        return _data()["task_types"][task_type]
    except KeyError:
        raise ValueError(
            f"task type {task_type!r} is not a Ground Truth built-in task type: use one of {', '.join(task_types())}"
        ) from None


def accounts(task_type: str, kind: str) -> Mapping[str, str]:
    """region -> account of the "pre" (pre-annotation) or "acs" (consolidation) function of `task_type`."""
    key = {"pre": "pre_annotation_accounts", "acs": "consolidation_accounts"}[kind]
    return dict(_task(task_type)[key])


def regions(task_type: str = "ImageMultiClass") -> tuple[str, ...]:
    """Regions where `task_type` has both of its functions, sorted."""
    task = _task(task_type)
    return tuple(sorted(set(task["pre_annotation_accounts"]) & set(task["consolidation_accounts"])))


def _function_arn(task_type: str, kind: str, region: str) -> str:
    account = accounts(task_type, kind).get(region)
    if account is None:
        raise ValueError(
            f"Ground Truth has no {task_type} task type in region {region!r}: use one of "
            f"{', '.join(regions(task_type))}"
        )
    return f"arn:aws:lambda:{region}:{account}:function:{kind.upper()}-{task_type}"


def pre_annotation_arn(task_type: str, region: str) -> str:
    """The AWS-owned PRE-<task type> Lambda ARN of `region`."""
    return _function_arn(task_type, "pre", region)


def consolidation_arn(task_type: str, region: str) -> str:
    """The AWS-owned ACS-<task type> Lambda ARN of `region`."""
    return _function_arn(task_type, "acs", region)


def algorithm_account(algorithm: str) -> str:
    try:
        return _data()["algorithms"][algorithm]["account"]
    except KeyError:
        raise ValueError(
            f"{algorithm!r} has no automated data labeling: Ground Truth offers it for {', '.join(algorithms())}"
        ) from None


def algorithm_arn(algorithm: str, region: str, partition: str = "aws") -> str:
    """arn:<partition>:sagemaker:<region>:<account>:labeling-job-algorithm-specification/<algorithm>."""
    return (
        f"arn:{partition}:sagemaker:{region}:{algorithm_account(algorithm)}:"
        f"labeling-job-algorithm-specification/{algorithm}"
    )
