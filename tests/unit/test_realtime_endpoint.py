"""RealtimeEndpoint: variants, capacity, encryption, deployment guardrails, autoscaling, alarms and dashboard."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

import support
from support import xgboost_model
from sagemaker_cdk import (
    AlarmThresholds,
    ArtifactBucket,
    AutoScaling,
    DataCapture,
    Deployment,
    RealtimeEndpoint,
    Serverless,
    Variant,
)


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


@pytest.fixture(scope="module")
def full() -> tuple[dict[str, Any], RealtimeEndpoint]:
    """Two autoscaled variants with data capture, synthesized once with the gating nag packs."""
    app = support.new_app()
    stack = cdk.Stack(app, "EndpointTest")
    bucket = ArtifactBucket(stack, "Bucket")
    endpoint = RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[
            Variant(
                model=xgboost_model(stack, "A"),
                name="champion",
                weight=9,
                autoscaling=AutoScaling(max_capacity=6, max_rps_per_instance=40),
            ),
            Variant(model=xgboost_model(stack, "B"), name="challenger", weight=1, instance_type="ml.c5.xlarge"),
        ],
        data_capture=DataCapture(bucket=bucket, sampling_percentage=20),
    )
    assembly = support.synth_nag_clean(app)
    return assembly.get_stack_by_name("EndpointTest").template, endpoint


def test_config_has_weighted_variants_with_two_instances_and_volume_key(full: Any) -> None:
    template, _ = full
    Template.from_json(template).has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                Match.object_like(
                    {"VariantName": "champion", "InitialVariantWeight": 9, "InitialInstanceCount": 2,
                     "InstanceType": "ml.m5.large"}
                ),
                Match.object_like(
                    {"VariantName": "challenger", "InitialVariantWeight": 1, "InitialInstanceCount": 2,
                     "InstanceType": "ml.c5.xlarge"}
                ),
            ],
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("EndpointKey"), "Arn"]},
        },
    )


def test_config_name_is_never_fixed(full: Any) -> None:
    template, _ = full
    for config in _resources(template, "AWS::SageMaker::EndpointConfig").values():
        assert "EndpointConfigName" not in config["Properties"]


def test_endpoint_name_blue_green_and_rollback_alarms(full: Any) -> None:
    template, endpoint = full
    [props] = [r["Properties"] for r in _resources(template, "AWS::SageMaker::Endpoint").values()]
    assert props["EndpointName"] == "EndpointTest-Endpoint"
    assert props["RetainAllVariantProperties"] is True  # autoscaled capacity survives an update...
    # ...but declared weights still apply (RetainAllVariantProperties alone keeps the deployed weights).
    assert props["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]
    policy = props["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        "WaitIntervalInSeconds": 300,
    }
    assert policy["TerminationWaitInSeconds"] == 300 and policy["MaximumExecutionTimeoutInSeconds"] == 3600
    alarms = props["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert len(alarms) == 4  # 5XX and p99 latency of both variants
    assert all(list(a["AlarmName"]) == ["Ref"] for a in alarms)


def test_autoscaling_target_policy_and_dependency(full: Any) -> None:
    template, endpoint = full
    t = Template.from_json(template)
    t.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 1)
    [(target_id, target)] = _resources(template, "AWS::ApplicationAutoScaling::ScalableTarget").items()
    assert target["Properties"]["ResourceId"] == "endpoint/EndpointTest-Endpoint/variant/champion"
    assert target["Properties"]["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (2, 6)
    endpoint_id = next(iter(_resources(template, "AWS::SageMaker::Endpoint")))
    assert endpoint_id in target["DependsOn"]
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                    },
                    "TargetValue": 1200,  # 40 rps x 60 x 0.5
                    "ScaleInCooldown": 300,
                    "ScaleOutCooldown": 60,
                }
            ),
        },
    )


def test_every_alarm_has_an_action_on_the_encrypted_ssl_only_topic(full: Any) -> None:
    template, endpoint = full
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 12  # 6 per instance variant
    topic_id = next(iter(_resources(template, "AWS::SNS::Topic")))
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["OKActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
    topic = _resources(template, "AWS::SNS::Topic")[topic_id]
    assert "KmsMasterKeyId" in topic["Properties"]
    Template.from_json(template).has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like(
            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}},
    )


def test_alarm_metrics_and_thresholds(full: Any) -> None:
    template, _ = full
    by_metric = {}
    for alarm in _resources(template, "AWS::CloudWatch::Alarm").values():
        p = alarm["Properties"]
        name = p.get("MetricName") or "4XXRate"
        variant = next(
            (d["Value"] for d in p.get("Dimensions", []) if d["Name"] == "VariantName"),
            p.get("Metrics", [{}])[-1].get("MetricStat", {}).get("Metric", {}).get("Dimensions", [{}])[-1].get("Value"),
        )
        by_metric[(variant, name)] = p
    assert by_metric[("champion", "Invocation5XXErrors")]["Threshold"] == 1
    assert by_metric[("champion", "ModelLatency")]["ExtendedStatistic"] == "p99"
    assert by_metric[("champion", "ModelLatency")]["Threshold"] == 1_000_000
    assert by_metric[("champion", "CPUUtilization")]["Threshold"] == 160  # 80% x 2 vCPUs (ml.m5.large)
    assert by_metric[("challenger", "CPUUtilization")]["Threshold"] == 320  # 80% x 4 vCPUs (ml.c5.xlarge)
    assert by_metric[("champion", "CPUUtilization")]["Namespace"] == "/aws/sagemaker/Endpoints"
    assert by_metric[("champion", "MemoryUtilization")]["Threshold"] == 85
    assert by_metric[("champion", "DiskUtilization")]["Threshold"] == 80
    assert by_metric[("champion", "4XXRate")]["Threshold"] == 5


def test_dashboard_uses_the_alarm_metrics(full: Any) -> None:
    template, endpoint = full
    [dash] = _resources(template, "AWS::CloudWatch::Dashboard").values()
    body = cdk.Stack.of(endpoint).resolve(dash["Properties"]["DashboardBody"])
    text = str(body)
    for needle in ("Invocations", "ModelLatency", "Invocation5XXErrors", "Invocation4XXErrors", "SampleCount",
                   "champion", "challenger"):
        assert needle in text
    assert endpoint.dashboard is not None and len(endpoint.alarms) == 12


def test_data_capture_goes_to_the_bucket_encrypted(full: Any) -> None:
    template, _ = full
    [config] = _resources(template, "AWS::SageMaker::EndpointConfig").values()
    capture = config["Properties"]["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 20
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    assert "KmsKeyId" in capture and "data-capture" in str(capture["DestinationS3Uri"])


def test_models_may_describe_only_the_rollback_alarms(full: Any) -> None:
    template, _ = full
    statements = [
        s
        for policy in _resources(template, "AWS::IAM::ManagedPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "cloudwatch:DescribeAlarms"
    ]
    assert statements and all(s["Resource"] != "*" for s in statements)


def test_reference_template_lints_clean(full: Any) -> None:
    template, _ = full
    assert support.lint(template, "EndpointTest") == []


def test_grant_invoke_is_scoped_to_the_endpoint(stack: cdk.Stack) -> None:
    from aws_cdk import aws_iam as iam

    endpoint = RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    endpoint.grant_invoke(role)
    endpoint.grant_invoke_async(role)
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    [caller] = [p for k, p in policies.items() if k.startswith("CallerDefaultPolicy")]
    statements = caller["Properties"]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"}
    assert all(list(s["Resource"]) == ["Ref"] and s["Resource"]["Ref"].startswith("E") for s in statements)
    assert endpoint.metric_model_latency().statistic == "p99"
    assert endpoint.metric_invocations("variant-1").metric_name == "Invocations"
    assert endpoint.metric_5xx_errors().metric_name == "Invocation5XXErrors"
    assert endpoint.metric_4xx_errors().metric_name == "Invocation4XXErrors"
    assert endpoint.metric_instance_count().statistic == "SampleCount"


def test_defaults_two_instances_m5_large_no_autoscaling(stack: cdk.Stack) -> None:
    RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [Match.object_like(
            {"VariantName": "variant-1", "InitialInstanceCount": 2, "InstanceType": "ml.m5.large",
             "InitialVariantWeight": 1})]},
    )
    t.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    [endpoint] = t.find_resources("AWS::SageMaker::Endpoint").values()
    assert "RetainAllVariantProperties" not in endpoint["Properties"]
    t.resource_count_is("AWS::KMS::Key", 2)  # the endpoint's key and the VPC flow-log key
    t.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


@pytest.mark.parametrize(
    "deployment, routing",
    [
        (Deployment(mode="all_at_once"), {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}),
        (
            Deployment(mode="linear", step_percent=25, wait=cdk.Duration.minutes(2)),
            {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
             "WaitIntervalInSeconds": 120},
        ),
    ],
)
def test_traffic_shifting_modes(stack: cdk.Stack, deployment: Deployment, routing: dict) -> None:
    RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))], deployment=deployment)
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {"DeploymentConfig": {"BlueGreenUpdatePolicy": Match.object_like({"TrafficRoutingConfiguration": routing})}},
    )


def test_no_auto_rollback_when_disabled(stack: cdk.Stack) -> None:
    RealtimeEndpoint(
        stack, "E", variants=[Variant(model=xgboost_model(stack))], deployment=Deployment(auto_rollback=False)
    )
    [endpoint] = Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint").values()
    assert "AutoRollbackConfiguration" not in endpoint["Properties"]["DeploymentConfig"]


def test_custom_topic_thresholds_name_and_no_dashboard(stack: cdk.Stack) -> None:
    topic = sns.Topic(stack, "Mine", enforce_ssl=True)
    endpoint = RealtimeEndpoint(
        stack,
        "E",
        variants=[Variant(model=xgboost_model(stack))],
        endpoint_name="my-endpoint",
        alarm_topic=topic,
        alarm_thresholds=AlarmThresholds(latency_p99_ms=250, errors_5xx=5),
        dashboard=False,
    )
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::SNS::Topic", 1)
    t.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    t.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "my-endpoint"})
    t.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "ModelLatency", "Threshold": 250_000})
    t.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "Invocation5XXErrors", "Threshold": 5})
    assert endpoint.alarm_topic is topic


def test_single_instance_needs_opt_out_and_warns(stack: cdk.Stack) -> None:
    RealtimeEndpoint(
        stack, "E", variants=[Variant(model=xgboost_model(stack), instance_count=1, allow_single_instance=True)]
    )
    Annotations.from_stack(stack).has_warning("/Test/E", Match.string_like_regexp("runs one instance"))


def test_instance_store_types_get_no_volume_key_and_a_warning(stack: cdk.Stack) -> None:
    RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack), instance_type="ml.g4dn.xlarge")])
    [config] = Template.from_stack(stack).find_resources("AWS::SageMaker::EndpointConfig").values()
    assert "KmsKeyId" not in config["Properties"]
    Annotations.from_stack(stack).has_warning("/Test/E", Match.string_like_regexp("instance storage"))


def test_serverless_variant_has_no_instances_and_no_blue_green(stack: cdk.Stack) -> None:
    model = xgboost_model(stack, place_in_vpc=False, network_isolation=False)
    RealtimeEndpoint(stack, "E", variants=[Variant(model=model, serverless=Serverless(memory_size_mb=3072))])
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [Match.object_like(
            {"ServerlessConfig": {"MemorySizeInMB": 3072, "MaxConcurrency": 20}})]},
    )
    [config] = t.find_resources("AWS::SageMaker::EndpointConfig").values()
    assert "InstanceType" not in config["Properties"]["ProductionVariants"][0]
    [endpoint] = t.find_resources("AWS::SageMaker::Endpoint").values()
    assert "DeploymentConfig" not in endpoint["Properties"]
    t.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "ModelSetupTime"})
    assert "CPUUtilization" not in str(t.find_resources("AWS::CloudWatch::Alarm"))


def test_long_stack_names_give_a_valid_hashed_endpoint_name() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "A" * 60)
    endpoint = RealtimeEndpoint(stack, "Endpoint", variants=[Variant(model=xgboost_model(stack))])
    assert len(endpoint.endpoint_name_value) <= 63
    assert endpoint.endpoint_name_value.startswith("A" * 20)


def test_resource_budget_warns_near_500(stack: cdk.Stack) -> None:
    from aws_cdk import aws_sqs as sqs

    RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    for i in range(420):
        sqs.CfnQueue(stack, f"Q{i}")
    Annotations.from_stack(stack).has_warning("/Test", Match.string_like_regexp("CloudFormation allows 500"))


def test_elastic_inference_renders_and_warns_with_the_inferentia_alternative(stack: cdk.Stack) -> None:
    RealtimeEndpoint(
        stack, "E", variants=[Variant(model=xgboost_model(stack), accelerator_type="ml.eia2.medium")]
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [Match.object_like({"AcceleratorType": "ml.eia2.medium"})]},
    )
    annotations = Annotations.from_stack(stack)
    annotations.has_warning("/Test/E", Match.string_like_regexp("no longer available to new customers.*Inferentia"))
    annotations.has_warning("/Test/E", Match.string_like_regexp("falls back to a blue/green update with all-at-once"))


def test_inf1_falls_back_to_all_at_once_with_a_warning(stack: cdk.Stack) -> None:
    RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack), instance_type="ml.inf1.xlarge")])
    Annotations.from_stack(stack).has_warning(
        "/Test/E", Match.string_like_regexp("not available with Inf1 \\(Inferentia\\) instances")
    )


def test_unknown_accelerator_type_is_rejected(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError, match=r"accelerator_type \('ml.eia9.huge'\) is not an Elastic Inference"):
        Variant(model=xgboost_model(stack), accelerator_type="ml.eia9.huge")


def test_neo_inferentia_image_needs_an_inferentia_instance(stack: cdk.Stack) -> None:
    from sagemaker_cdk import ContainerImage, Model, ModelData

    model = Model(stack, "Inf", image=ContainerImage.neo("pytorch", "ml_inf1"),
                  model_data=ModelData.from_asset(support.MODEL_ARTIFACT))
    with pytest.raises(ValueError, match=r"variants\[0\]\.instance_type \('ml.m5.large'\) has no accelerator, but "
                                         r"the image needs AWS Inferentia"):
        RealtimeEndpoint(stack, "E", variants=[Variant(model=model)])
    RealtimeEndpoint(stack, "Ok", variants=[Variant(model=model, instance_type="ml.inf1.xlarge")])
    cpu = Model(stack, "Cpu", image=ContainerImage.neo("xgboost", "ml_c5"),
                model_data=ModelData.from_asset(support.MODEL_ARTIFACT))
    RealtimeEndpoint(stack, "C", variants=[Variant(model=cpu, instance_type="ml.c5.xlarge")])


def test_subscribe_email_shares_one_encrypted_dead_letter_queue(stack: cdk.Stack) -> None:
    from sagemaker_cdk import subscribe_email

    endpoint = RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    queue = subscribe_email(endpoint.alarm_topic, "a@example.com")
    assert subscribe_email(endpoint.alarm_topic, "b@example.com") is queue
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::SQS::Queue", 1)
    t.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "a@example.com",
                                                         "RedrivePolicy": Match.any_value()})
    t.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})
