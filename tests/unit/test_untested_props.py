"""Props that had no test of their own: each one set to a non-default value reaches the template."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2, aws_kms as kms, aws_logs as logs, aws_sns as sns
from aws_cdk.assertions import Match, Template

import support
from sagemaker_cdk import (
    ArtifactBucket,
    AsyncEndpoint,
    BacklogScaling,
    DataCapture,
    ModelNetwork,
    RealtimeEndpoint,
    ServerlessEndpoint,
    Variant,
)


def _of_type(template: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == type_]


def test_model_network_flow_log_retention_and_security_group(stack: cdk.Stack) -> None:
    ModelNetwork(stack, "Net", flow_log_retention=logs.RetentionDays.THREE_MONTHS)
    other = cdk.Stack(stack.node.root, "Given")
    vpc = ec2.Vpc(other, "Vpc", max_azs=2, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    group = ec2.SecurityGroup(other, "Mine", vpc=vpc, allow_all_outbound=False)
    network = ModelNetwork(other, "Net", vpc=vpc, security_group=group)
    assert network.security_group is group

    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})
    given = Template.from_stack(other)
    given.resource_count_is("AWS::EC2::SecurityGroup", 1)  # the given group only: none created
    # Models and endpoints placed in this network use the given group.
    assert network.vpc_config.security_group_ids == [group.security_group_id]


def _async(stack: cdk.Stack, **props: Any) -> tuple[dict[str, Any], AsyncEndpoint]:
    bucket = ArtifactBucket(stack, "Bucket")
    endpoint = AsyncEndpoint(
        stack, "Async", bucket=bucket, variants=[Variant(model=support.xgboost_model(stack), name="async")], **props
    )
    return Template.from_stack(stack).to_json(), endpoint


def test_async_topics_failure_prefix_and_alarm_thresholds(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
    success = sns.Topic(stack, "Done", master_key=key, enforce_ssl=True)
    error = sns.Topic(stack, "Failed", master_key=key, enforce_ssl=True)
    template, endpoint = _async(
        stack,
        success_topic=success,
        error_topic=error,
        failure_prefix="my/failures/",
        backlog_alarm_threshold=42,
        oldest_request_alarm_age=cdk.Duration.minutes(7),
        scaling=BacklogScaling(max_capacity=4, target_backlog_per_instance=2.5),
    )
    assert endpoint.success_topic is success and endpoint.error_topic is error
    topics = [t.get("DisplayName") for t in _of_type(template, "AWS::SNS::Topic")]
    assert sorted(topics, key=str) == [None, None, "SageMaker endpoint alarms"]  # the given two, no result topics
    config = _of_type(template, "AWS::SageMaker::EndpointConfig")[0]["AsyncInferenceConfig"]["OutputConfig"]
    assert json.dumps(config["NotificationConfig"]["SuccessTopic"]) == json.dumps(
        cdk.Stack.of(stack).resolve(success.topic_arn))
    assert json.dumps(config["NotificationConfig"]["ErrorTopic"]) == json.dumps(
        cdk.Stack.of(stack).resolve(error.topic_arn))
    assert "/my/failures/" in json.dumps(config["S3FailurePath"])
    alarms = {a["MetricName"]: a for a in _of_type(template, "AWS::CloudWatch::Alarm") if "MetricName" in a}
    assert alarms["ApproximateBacklogSize"]["Threshold"] == 42
    assert alarms["ApproximateAgeOfOldestRequest"]["Threshold"] == 420
    policies = [
        p for p in _of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
        if p.get("PolicyType") == "TargetTrackingScaling"
    ]
    assert [p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies] == [2.5]


def test_async_defaults_for_the_same_props(stack: cdk.Stack) -> None:
    template, endpoint = _async(stack)
    config = _of_type(template, "AWS::SageMaker::EndpointConfig")[0]["AsyncInferenceConfig"]["OutputConfig"]
    assert "/async/failure/" in json.dumps(config["S3FailurePath"])
    alarms = {a["MetricName"]: a for a in _of_type(template, "AWS::CloudWatch::Alarm") if "MetricName" in a}
    assert alarms["ApproximateBacklogSize"]["Threshold"] == 100
    assert alarms["ApproximateAgeOfOldestRequest"]["Threshold"] == 1800
    policies = [
        p for p in _of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
        if p.get("PolicyType") == "TargetTrackingScaling"
    ]
    assert [p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies] == [5]


def test_serverless_variant_name(stack: cdk.Stack) -> None:
    model = support.xgboost_model(stack, place_in_vpc=False, network_isolation=False)
    ServerlessEndpoint(stack, "S", model=model, variant_name="cold-start-ok")
    config = _of_type(Template.from_stack(stack).to_json(), "AWS::SageMaker::EndpointConfig")[0]
    assert [v["VariantName"] for v in config["ProductionVariants"]] == ["cold-start-ok"]


def test_data_capture_input_only_and_output_only(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "Bucket")
    model = support.xgboost_model(stack)
    RealtimeEndpoint(stack, "In", variants=[Variant(model=model)],
                     data_capture=DataCapture(bucket=bucket, capture_output=False))
    RealtimeEndpoint(stack, "Out", variants=[Variant(model=model)],
                     data_capture=DataCapture(bucket=bucket, capture_input=False))
    configs = _of_type(Template.from_stack(stack).to_json(), "AWS::SageMaker::EndpointConfig")
    options = sorted(json.dumps(c["DataCaptureConfig"]["CaptureOptions"]) for c in configs)
    assert options == [json.dumps([{"CaptureMode": "Input"}]), json.dumps([{"CaptureMode": "Output"}])]


def test_neo_model_environment_reaches_the_compiled_model() -> None:
    from test_neo_compilation import _synth

    from sagemaker_cdk import NeoEndpoint

    with_env = _synth(model_environment={"SAGEMAKER_MODEL_SERVER_WORKERS": "2"},
                      endpoint=NeoEndpoint(endpoint_name="neo-env"))["template"]
    without = _synth(endpoint=NeoEndpoint(endpoint_name="neo-env"))["template"]

    def definition(template: dict[str, Any]) -> str:
        machine = _of_type(template, "AWS::StepFunctions::StateMachine")[0]
        return json.dumps(machine["DefinitionString"])

    assert '\\"Environment\\":{\\"SAGEMAKER_MODEL_SERVER_WORKERS\\":\\"2\\"}' in definition(with_env)
    assert "SAGEMAKER_MODEL_SERVER_WORKERS" not in definition(without)
