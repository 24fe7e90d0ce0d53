"""AsyncEndpoint (scale to zero on the backlog) and ServerlessEndpoint (no VPC, no instance autoscaling)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

import support
from sagemaker_cdk import (
    ArtifactBucket,
    AsyncEndpoint,
    AutoScaling,
    BacklogScaling,
    DataCapture,
    RealtimeEndpoint,
    Serverless,
    ServerlessEndpoint,
    Variant,
)


def _of_type(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    app = support.new_app()
    stack = cdk.Stack(app, "Elastic")
    bucket = ArtifactBucket(stack, "Bucket")
    async_endpoint = AsyncEndpoint(
        stack,
        "Async",
        bucket=bucket,
        variants=[Variant(model=support.xgboost_model(stack, "AsyncModel"), name="async")],
        max_concurrent_invocations_per_instance=4,
        scaling=BacklogScaling(max_capacity=3),
    )
    serverless_model = support.xgboost_model(stack, "ServerlessModel", place_in_vpc=False, network_isolation=False)
    serverless = ServerlessEndpoint(stack, "Serverless", model=serverless_model, memory_size_mb=3072,
                                    max_concurrency=10, provisioned_concurrency=2)
    assembly = support.synth_nag_clean(app)
    return {"template": assembly.get_stack_by_name("Elastic").template, "async": async_endpoint,
            "serverless": serverless}


def test_async_inference_config_writes_to_the_bucket_under_kms_and_notifies(synthesized: dict[str, Any]) -> None:
    t = Template.from_json(synthesized["template"])
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "AsyncInferenceConfig": {
                "OutputConfig": {
                    "S3OutputPath": {"Fn::Join": ["", ["s3://", {"Ref": Match.string_like_regexp("^Bucket")}, "/async/output/"]]},
                    "S3FailurePath": {"Fn::Join": ["", ["s3://", {"Ref": Match.string_like_regexp("^Bucket")}, "/async/failure/"]]},
                    "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^BucketKey"), "Arn"]},
                    "NotificationConfig": {
                        "SuccessTopic": {"Ref": Match.string_like_regexp("^AsyncSuccessTopic")},
                        "ErrorTopic": {"Ref": Match.string_like_regexp("^AsyncErrorTopic")},
                    },
                },
                "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
            }
        },
    )
    for topic in _of_type(synthesized["template"], "AWS::SNS::Topic").values():
        assert "KmsMasterKeyId" in topic["Properties"]


def test_async_scales_to_zero_on_backlog_and_from_zero_on_no_capacity(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    [target] = _of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (0, 3)
    assert target["Properties"]["ResourceId"] == "endpoint/Elastic-Async/variant/async"
    policies = [p["Properties"] for p in _of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()]
    tracking = [p for p in policies if p["PolicyType"] == "TargetTrackingScaling"]
    assert tracking[0]["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]["MetricName"] == (
        "ApproximateBacklogSizePerInstance"
    )
    assert tracking[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 5
    steps = [p for p in policies if p["PolicyType"] == "StepScaling"]
    assert steps, "a step policy must start an instance when the endpoint is at zero"
    alarms = [a["Properties"] for a in _of_type(template, "AWS::CloudWatch::Alarm").values()]
    assert any(a.get("MetricName") == "HasBacklogWithoutCapacity" for a in alarms)


def test_async_updates_keep_the_scaled_capacity_but_apply_weights(synthesized: dict[str, Any]) -> None:
    endpoint = next(
        e for k, e in _of_type(synthesized["template"], "AWS::SageMaker::Endpoint").items() if k.startswith("Async"))
    assert endpoint["Properties"]["RetainAllVariantProperties"] is True  # an update does not reset the backlog scaling
    assert endpoint["Properties"]["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]


def test_async_alarms_on_backlog_and_oldest_request(synthesized: dict[str, Any]) -> None:
    alarms = [a["Properties"] for a in _of_type(synthesized["template"], "AWS::CloudWatch::Alarm").values()]
    by_metric = {a.get("MetricName"): a for a in alarms}
    assert by_metric["ApproximateBacklogSize"]["Threshold"] == 100
    assert by_metric["ApproximateAgeOfOldestRequest"]["Threshold"] == 1800
    assert by_metric["ApproximateBacklogSize"]["AlarmActions"]
    assert synthesized["async"].backlog_alarm is not None


def test_async_role_reads_inputs_writes_results_and_publishes(synthesized: dict[str, Any]) -> None:
    policies = _of_type(synthesized["template"], "AWS::IAM::ManagedPolicy")
    [doc] = [p["Properties"]["PolicyDocument"] for k, p in policies.items() if k.startswith("AsyncModelRole")]
    text = str(doc)
    assert "/async/input/*" in text and "/async/output/*" in text and "/async/failure/*" in text
    assert "sns:Publish" in text


def test_serverless_endpoint_settings_alarms_and_no_autoscaling(synthesized: dict[str, Any]) -> None:
    template = synthesized["template"]
    configs = [c["Properties"] for c in _of_type(template, "AWS::SageMaker::EndpointConfig").values()]
    [serverless] = [c for c in configs if "ServerlessConfig" in c["ProductionVariants"][0]]
    assert serverless["ProductionVariants"][0]["ServerlessConfig"] == {
        "MemorySizeInMB": 3072, "MaxConcurrency": 10, "ProvisionedConcurrency": 2
    }
    targets = _of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert all("Serverless" not in str(t["Properties"]["ResourceId"]) for t in targets)
    alarms = [a["Properties"] for k, a in _of_type(template, "AWS::CloudWatch::Alarm").items() if "Serverless" in k]
    assert {a.get("MetricName") for a in alarms} >= {"Invocation5XXErrors", "ModelSetupTime"}
    assert synthesized["serverless"].metric_model_setup_time().metric_name == "ModelSetupTime"


def test_templates_lint_clean(synthesized: dict[str, Any]) -> None:
    assert support.lint(synthesized["template"], "Elastic") == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"memory_size_mb": 512}, r"memory_size_mb \(512\) must be between 1024 and 6144"),
        ({"memory_size_mb": 2500}, r"memory_size_mb \(2500\) must be a multiple of 1024"),
        ({"max_concurrency": 0}, r"max_concurrency \(0\) must be between 1 and 200"),
        ({"max_concurrency": 3, "provisioned_concurrency": 4}, r"provisioned_concurrency \(4\) cannot exceed"),
    ],
)
def test_bad_serverless_settings(stack: cdk.Stack, kwargs: dict, message: str) -> None:
    model = support.xgboost_model(stack, place_in_vpc=False, network_isolation=False)
    with pytest.raises(ValueError, match=message):
        ServerlessEndpoint(stack, "S", model=model, **kwargs)


def test_serverless_rejects_vpc_isolation_and_data_capture(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError, match=r"runs in a VPC or with network isolation, which Serverless Inference"):
        ServerlessEndpoint(stack, "S", model=support.xgboost_model(stack))
    model = support.xgboost_model(stack, "Open", place_in_vpc=False, network_isolation=False)
    with pytest.raises(ValueError, match=r"data_capture is set on a serverless endpoint"):
        ServerlessEndpoint(stack, "S2", model=model, data_capture=DataCapture(bucket=ArtifactBucket(stack, "B")))
    with pytest.raises(ValueError, match=r"a serverless endpoint serves one variant"):
        RealtimeEndpoint(stack, "S3", variants=[
            Variant(model=model, name="a", serverless=Serverless()),
            Variant(model=model, name="b", serverless=Serverless()),
        ])


def test_async_without_output_bucket_fails(stack: cdk.Stack) -> None:
    with pytest.raises(TypeError, match=r"bucket must be an ArtifactBucket, got NoneType None: pass an ArtifactBucket"):
        AsyncEndpoint(stack, "A", bucket=None, variants=[Variant(model=support.xgboost_model(stack))])  # type: ignore[arg-type]


def test_async_bad_prefix_and_autoscaling(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "B")
    model = support.xgboost_model(stack)
    with pytest.raises(ValueError, match=r"output_prefix \('/'\) must be a non-empty key prefix"):
        AsyncEndpoint(stack, "A", bucket=bucket, output_prefix="/", variants=[Variant(model=model)])
    with pytest.raises(ValueError, match=r"variants\[0\]\.autoscaling is set: an async endpoint scales on its backlog"):
        AsyncEndpoint(stack, "A2", bucket=bucket, variants=[
            Variant(model=model, autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=1))])


def test_scale_to_zero_on_a_real_time_endpoint_fails_clearly() -> None:
    with pytest.raises(ValueError, match=r"min_capacity \(0\) must be at least 2: .*only for asynchronous endpoints"):
        AutoScaling(min_capacity=0, max_capacity=4, max_rps_per_instance=5)
    with pytest.raises(ValueError, match=r"min_capacity \(4\) cannot exceed max_capacity \(2\)"):
        BacklogScaling(min_capacity=4, max_capacity=2)
