"""Every invalid prop fails at construction with a ValueError/TypeError naming the prop, the value and the fix.

The property-based tests over random variant lists are in test_props_property.py.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest

import support
from sagemaker_cdk import (
    AlarmThresholds,
    AutoScaling,
    ContainerImage,
    DataCapture,
    Deployment,
    Model,
    ModelData,
    RealtimeEndpoint,
    Serverless,
    Variant,
)
from sagemaker_cdk.core.image_registry import lookup
from support import xgboost_model


@pytest.fixture(scope="module")
def model() -> Model:
    return xgboost_model(cdk.Stack(support.new_app(), "Models"))


@pytest.mark.parametrize("weight", [0, -1, -0.5])
def test_weight_must_be_positive(model: Model, weight: float) -> None:
    with pytest.raises(ValueError, match=rf"weight \({weight}\) must be greater than 0: give every variant"):
        Variant(model=model, weight=weight)


def test_weight_must_be_a_number(model: Model) -> None:
    with pytest.raises(TypeError, match=r"weight must be a number, got str '9'"):
        Variant(model=model, weight="9")  # type: ignore[arg-type]


def test_duplicate_variant_names(stack: cdk.Stack) -> None:
    m = xgboost_model(stack)
    with pytest.raises(ValueError, match=r"variants\[1\]\.name \('a'\) duplicates variants\[0\]\.name: give every"):
        RealtimeEndpoint(stack, "E", variants=[Variant(model=m, name="a"), Variant(model=m, name="a")])


@pytest.mark.parametrize("name", ["-lead", "trail-", "has_underscore", "a" * 64, "", "spa ce"])
def test_variant_names_must_match_sagemaker_pattern(model: Model, name: str) -> None:
    with pytest.raises(ValueError, match=r"name \('.*'\) is not a valid SageMaker name: use at most 63"):
        Variant(model=model, name=name)


@pytest.mark.parametrize("count", [0, -3])
def test_instance_count_below_one(model: Model, count: int) -> None:
    with pytest.raises(ValueError, match=rf"instance_count \({count}\) must be at least 1"):
        Variant(model=model, instance_count=count)


def test_single_instance_needs_opt_out(model: Model) -> None:
    with pytest.raises(ValueError, match=r"instance_count \(1\) is below 2: .*allow_single_instance=True"):
        Variant(model=model, instance_count=1)
    assert Variant(model=model, instance_count=1, allow_single_instance=True).instance_count == 1


def test_min_capacity_greater_than_max() -> None:
    with pytest.raises(
        ValueError, match=r"min_capacity \(5\) cannot exceed max_capacity \(3\): raise max_capacity or lower"
    ):
        AutoScaling(min_capacity=5, max_capacity=3, max_rps_per_instance=10)


def test_min_capacity_below_two() -> None:
    with pytest.raises(ValueError, match=r"min_capacity \(1\) must be at least 2"):
        AutoScaling(min_capacity=1, max_capacity=3, max_rps_per_instance=10)


def test_autoscaling_needs_exactly_one_target_source() -> None:
    with pytest.raises(ValueError, match="neither target_invocations_per_instance nor max_rps_per_instance"):
        AutoScaling(max_capacity=4)
    with pytest.raises(ValueError, match="are both set: give one"):
        AutoScaling(max_capacity=4, max_rps_per_instance=2, target_invocations_per_instance=100)
    with pytest.raises(ValueError, match=r"safety_factor \(1.5\) must be in \(0, 1\]"):
        AutoScaling(max_capacity=4, max_rps_per_instance=2, safety_factor=1.5)


def test_target_value_formula() -> None:
    assert AutoScaling(max_capacity=4, max_rps_per_instance=40).target_value == 1200
    assert AutoScaling(max_capacity=4, max_rps_per_instance=10, safety_factor=0.25).target_value == 150
    assert AutoScaling(max_capacity=4, target_invocations_per_instance=70).target_value == 70


@pytest.mark.parametrize("instance_type", ["ml.t2.medium", "ml.t3.large"])
def test_autoscaling_on_burstable_instance_type(model: Model, instance_type: str) -> None:
    with pytest.raises(ValueError, match=rf"instance_type \('{instance_type}'\) is burstable and cannot back"):
        Variant(model=model, instance_type=instance_type, autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=5))
    assert Variant(model=model, instance_type=instance_type).instance_type == instance_type


def test_instance_count_outside_autoscaling_range(model: Model) -> None:
    with pytest.raises(ValueError, match=r"instance_count \(8\) is outside autoscaling \[2, 4\]"):
        Variant(model=model, instance_count=8, autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=5))


def test_instance_type_shape(model: Model) -> None:
    with pytest.raises(ValueError, match=r"instance_type \('m5.large'\) is not an ML instance type: use the form"):
        Variant(model=model, instance_type="m5.large")


def test_unknown_built_in_algorithm_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"algorithm 'xgb' is not a SageMaker built-in algorithm: use one of .*xgboost"):
        ContainerImage.built_in("xgb")


def test_unknown_built_in_version_lists_valid_versions() -> None:
    with pytest.raises(ValueError, match=r"version '9.9' .* 'xgboost' is not known: use one of .*1\.7-1"):
        ContainerImage.built_in("xgboost", "9.9")


def test_serverless_and_instance_variants_mixed(stack: cdk.Stack) -> None:
    m = xgboost_model(stack)
    with pytest.raises(ValueError, match="variants mix serverless and instance variants: .*separate endpoints"):
        RealtimeEndpoint(stack, "E", variants=[Variant(model=m, name="a"), Variant(model=m, name="b", serverless=Serverless())])


def test_more_than_ten_variants(stack: cdk.Stack) -> None:
    m = xgboost_model(stack)
    with pytest.raises(ValueError, match=r"variants has 11 entries: an endpoint config allows at most 10"):
        RealtimeEndpoint(stack, "E", variants=[Variant(model=m, name=f"v{i}") for i in range(11)])


def test_no_variants_and_wrong_types(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError, match=r"variants \(\[\]\) is empty"):
        RealtimeEndpoint(stack, "E", variants=[])
    with pytest.raises(TypeError, match=r"variants\[0\] must be a Variant"):
        RealtimeEndpoint(stack, "E2", variants=[{"model": None}])  # type: ignore[list-item]


def test_errors_are_collected_and_raised_once(model: Model) -> None:
    with pytest.raises(ValueError) as err:
        Variant(model=model, name="bad_name", weight=0, instance_count=0)
    text = str(err.value)
    assert "name ('bad_name')" in text and "weight (0)" in text and "instance_count (0)" in text


def _bucket() -> object:
    from aws_cdk import aws_s3 as s3

    return s3.Bucket.from_bucket_name(cdk.Stack(support.new_app(), "Buckets"), "B", "capture-bucket")


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: Serverless(memory_size_mb=1000), r"memory_size_mb \(1000\) must be between 1024 and 6144"),
        (lambda: Serverless(memory_size_mb=1536), r"memory_size_mb \(1536\) must be a multiple of 1024"),
        (lambda: Serverless(max_concurrency=201), r"max_concurrency \(201\) must be between 1 and 200"),
        (lambda: Serverless(max_concurrency=5, provisioned_concurrency=6), r"provisioned_concurrency \(6\) cannot exceed"),
        (lambda: Deployment(mode="rolling"), r"mode \('rolling'\) is not supported: use one of 'all_at_once'"),
        (lambda: Deployment(step_percent=100), r"step_percent \(100\) must be between 1 and 99"),
        (lambda: Deployment(max_execution_timeout=cdk.Duration.minutes(1)), r"max_execution_timeout \(60 s\)"),
        (lambda: AlarmThresholds(rate_4xx_percent=101), r"rate_4xx_percent \(101\) must be between 0 and 100"),
        (lambda: DataCapture(bucket=_bucket(), sampling_percentage=0), r"sampling_percentage \(0\) must be between 1"),
        (lambda: ModelData.from_asset("models/xgboost/README.md"), r"must be a \.tar\.gz file"),
        (lambda: ModelData.from_asset("nope/model.tar.gz"), r"does not exist or is not a file"),
        (lambda: ContainerImage.from_model_package("arn:aws:s3:::x"), r"is not a model package ARN"),
    ],
)
def test_other_bad_props(factory, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((ValueError, TypeError), match=message):
        factory()


def test_marketplace_model_rejects_network_isolation_off(stack: cdk.Stack) -> None:
    image = ContainerImage.from_model_package("arn:aws:sagemaker:us-east-1:865070037744:model-package/demo-1")
    with pytest.raises(ValueError, match=r"network_isolation \(False\) is not allowed for a model package"):
        Model(stack, "M", image=image, network_isolation=False)


def test_unresolved_tokens_are_skipped(stack: cdk.Stack) -> None:
    m = xgboost_model(stack)
    count = cdk.Token.as_number(cdk.CfnParameter(stack, "Count", type="Number").value_as_number)
    name = cdk.CfnParameter(stack, "Name").value_as_string
    endpoint = RealtimeEndpoint(
        stack, "E", variants=[Variant(model=m, name=name, instance_count=count)], endpoint_name=name
    )
    assert endpoint.variant_names == [name]


# The property tests over variant lists live in test_props_property.py (a valid and an invalid strategy).
