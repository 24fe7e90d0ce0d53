"""TrainingJob and RolloutPipeline: nag-clean, lint-clean, snapshot-stable; requests valid against botocore; IAM
exactly what the calls need; bad props fail with a clear error."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk.assertions import Match, Template
from syrupy.extensions.json import JSONSnapshotExtension

import support
from sagemaker_cdk import ArtifactBucket, AutoScaling, DataCapture, RealtimeEndpoint, Variant
from sagemaker_cdk.training.rollout_pipeline import MetricGate, RolloutPipeline
from sagemaker_cdk.training.training_job import TrainingJob
from sagemaker_cdk.training.training_props import Algorithm, Channel, MetricDefinition, Spot, render_hyperparameter
from sagemaker_cdk.training.tuning_job import IntegerRange, Objective, TuningJob
from test_training_requests import assert_valid_requests, definition_of, responder, run

# Actions that have no resource-level permissions: the only ones allowed on "*".
STAR_ACTIONS = {
    "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
    "ec2:DescribeVpcs", "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData",
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
    # Scalable-target ARNs carry an id generated at registration; the endpoint's ScalingGuard pins these two to
    # SageMaker variants by condition (application-autoscaling:service-namespace / scalable-dimension).
    "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:RegisterScalableTarget",
}


def _endpoint(stack: cdk.Stack, **kwargs: Any) -> RealtimeEndpoint:
    return RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[
            Variant(model=support.xgboost_model(stack, "Champion"), name="champion", weight=9,
                    autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=20)),
            Variant(model=support.xgboost_model(stack, "Challenger"), name="challenger", weight=1),
        ],
        **kwargs,
    )


def _job(stack: cdk.Stack, bucket: ArtifactBucket, **kwargs: Any) -> TrainingJob:
    kwargs.setdefault("channels", [Channel("train", content_type="text/csv"),
                                   Channel("validation", content_type="text/csv")])
    return TrainingJob(
        stack,
        "Job",
        bucket=bucket,
        algorithm=Algorithm.built_in("xgboost", "1.7-1"),
        hyperparameters={"objective": "binary:logistic", "num_round": 50, "max_depth": 5, "eta": 0.2},
        **kwargs,
    )


@pytest.fixture(scope="module")
def pipeline() -> tuple[dict[str, Any], RolloutPipeline]:
    app = support.new_app()
    stack = cdk.Stack(app, "Pipeline")
    bucket = ArtifactBucket(stack, "Bucket")
    rollout = RolloutPipeline(
        stack,
        "Rollout",
        job=_job(stack, bucket),
        endpoint=_endpoint(stack),
        variants=["challenger"],
        metric_gate=MetricGate(0.8, metric_name="validation:auc"),
        schedule=events.Schedule.cron(hour="3", minute="0"),
        on_new_data=True,
    )
    assembly = support.synth_nag_clean(app)
    return assembly.get_stack_by_name("Pipeline").template, rollout


def _machine(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    logical_id = next(k for k, v in template["Resources"].items()
                      if v["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith(prefix))
    return definition_of(template, logical_id)


# -- layers: lint, snapshot, assertions ----------------------------------------------------------------------------


def test_template_lints_clean(pipeline: Any) -> None:
    template, _ = pipeline
    assert support.lint(template, "Pipeline") == []


def test_snapshot(pipeline: Any, snapshot: Any) -> None:
    template, _ = pipeline
    assert support.scrub(template) == snapshot(extension_class=JSONSnapshotExtension)


def test_state_machines_log_all_encrypted_and_trace(pipeline: Any) -> None:
    template, _ = pipeline
    t = Template.from_json(template)
    t.resource_count_is("AWS::StepFunctions::StateMachine", 2)
    t.all_resources_properties("AWS::StepFunctions::StateMachine", {
        "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True}),
        "TracingConfiguration": {"Enabled": True},
    })
    t.all_resources_properties("AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value(), "RetentionInDays": Match.any_value()})
    t.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})


def test_triggers_schedule_and_new_training_data(pipeline: Any) -> None:
    template, _ = pipeline
    t = Template.from_json(template)
    t.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "cron(0 3 * * ? *)"})
    t.has_resource_properties("AWS::Events::Rule", {"EventPattern": {
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [{"Ref": Match.string_like_regexp("Bucket")}]},
                   "object": {"key": [{"prefix": "train/"}]}}}})
    t.has_resource_properties("AWS::S3::Bucket", {
        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}})
    for rule in t.find_resources("AWS::Events::Rule").values():
        (target,) = rule["Properties"]["Targets"]
        assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 4


# -- request shapes and behaviour ---------------------------------------------------------------------------------


def test_rollout_sends_valid_requests_and_mirrors_the_endpoint(pipeline: Any) -> None:
    template, rollout = pipeline
    result = run(_machine(template, "Rollout"), {}, responder(metric=0.91))
    assert result.status == "Succeeded" and result.path[-1] == "RolledOut", result.path
    assert_valid_requests(result)
    operations = [op for op in ("CreateTrainingJob", "CreateModel", "CreateEndpointConfig", "UpdateEndpoint")
                  if result.requests(op)]
    assert operations == ["CreateTrainingJob", "CreateModel", "CreateEndpointConfig", "UpdateEndpoint"]
    (model,) = result.requests("CreateModel")
    (training,) = result.requests("CreateTrainingJob")
    assert model["PrimaryContainer"]["ModelDataUrl"].endswith(f"{training['TrainingJobName']}/output/model.tar.gz")
    (config,) = result.requests("CreateEndpointConfig")
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    assert variants["challenger"]["ModelName"] == model["ModelName"]
    assert variants["champion"]["ModelName"] != model["ModelName"]  # keeps its model
    assert (variants["champion"]["InitialVariantWeight"], variants["challenger"]["InitialVariantWeight"]) == (9, 1)
    (update,) = result.requests("UpdateEndpoint")
    assert update["EndpointName"] == rollout.endpoint.endpoint_name_value
    policy = update["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    assert len(update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]) >= 2
    assert update["RetainAllVariantProperties"] is True
    assert update["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]


def test_metric_gate_stops_a_worse_model(pipeline: Any) -> None:
    template, _ = pipeline
    result = run(_machine(template, "Rollout"), {}, responder(metric=0.5))
    assert result.status == "Failed" and result.path[-1] == "MetricBelowThreshold"
    assert result.error == "MetricGate" and "validation:auc" in result.cause
    assert not result.requests("CreateModel")


def test_an_alarm_rollback_fails_the_execution(pipeline: Any) -> None:
    template, _ = pipeline
    result = run(_machine(template, "Rollout"), {}, responder(rolled_back=True))
    assert result.status == "Failed" and result.error == "RolledBack"


def test_tune_then_roll_out_gates_on_the_objective(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "Bucket")
    tuning = TuningJob(stack, "Tune", training=_job(stack, bucket), objective=Objective("validation:auc"),
                       ranges=[IntegerRange("max_depth", 3, 9)])
    RolloutPipeline(stack, "Rollout", job=tuning, endpoint=_endpoint(stack), metric_gate=MetricGate(0.9))
    template = support.synth_nag_clean(stack.node.root).get_stack_by_name("Test").template
    definition = _machine(template, "Rollout")
    assert definition["States"]["SelectMetric"]["Parameters"]["values.$"].startswith("States.Array($.tuning.")
    passed = run(definition, {}, responder(metric=0.95))
    assert passed.status == "Succeeded"
    assert_valid_requests(passed)
    (config,) = passed.requests("CreateEndpointConfig")
    assert {v["ModelName"] for v in config["ProductionVariants"]} == {passed.requests("CreateModel")[0]["ModelName"]}
    assert run(definition, {}, responder(metric=0.85)).error == "MetricGate"


# -- IAM ----------------------------------------------------------------------------------------------------------


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        roles = [r["Ref"] for r in resource["Properties"]["Roles"]]
        if any(r.startswith(role_prefix) for r in roles):
            found.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    assert found, f"no policy for {role_prefix}"
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def test_no_service_wildcards_and_star_resources_only_where_aws_allows_nothing_narrower(pipeline: Any) -> None:
    template, _ = pipeline
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            for action in _actions(statement):
                assert not action.endswith(":*") and action != "*", statement
            if statement["Resource"] == "*":
                assert set(_actions(statement)) <= STAR_ACTIONS, statement


def test_pass_role_is_always_limited_to_sagemaker(pipeline: Any) -> None:
    template, _ = pipeline
    passes = [s for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
              for s in r["Properties"]["PolicyDocument"]["Statement"] if "iam:PassRole" in _actions(s)]
    assert len(passes) == 2  # training workflow and rollout workflow each pass the roles they use
    for statement in passes:
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        assert statement["Resource"] != "*"


def _sagemaker_grants(statements: list[dict[str, Any]]) -> dict[str, str]:
    grants: dict[str, str] = {}
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in _actions(statement):
            if action.startswith("sagemaker:"):
                for resource in resources:
                    grants.setdefault(action, "")
                    grants[action] += json.dumps(resource)
    return grants


def test_rollout_workflow_role_grants_exactly_its_calls(pipeline: Any) -> None:
    template, _ = pipeline
    grants = _sagemaker_grants(_statements(template, "RolloutWorkflowRole"))
    assert set(grants) == {
        "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
        "sagemaker:ListTags", "sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint",
        "sagemaker:DescribeEndpoint",
    }
    assert ":training-job/pipeline-job-*" in grants["sagemaker:CreateTrainingJob"]
    assert ":model/pipeline-rollout-*" in grants["sagemaker:CreateModel"]
    assert ":endpoint-config/pipeline-rollout-*" in grants["sagemaker:CreateEndpointConfig"]
    assert ":endpoint/pipeline-endpoint" in grants["sagemaker:UpdateEndpoint"]
    assert ":endpoint/pipeline-endpoint\"" in grants["sagemaker:DescribeEndpoint"]
    events_statement = next(s for s in _statements(template, "RolloutWorkflowRole") if "events:PutRule" in _actions(s))
    assert "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule" in json.dumps(events_statement["Resource"])


def test_training_role_reads_input_prefixes_and_writes_output_prefix_only(pipeline: Any) -> None:
    template, _ = pipeline
    statements = _statements(template, "JobRole")
    reads = [json.dumps(s["Resource"]) for s in statements if "s3:GetObject" in _actions(s)]
    writes = [json.dumps(s["Resource"]) for s in statements if "s3:PutObject" in _actions(s)]
    assert len(reads) == 1 and "/train/*" in reads[0] and "/validation/*" in reads[0] and "models/" not in reads[0]
    assert len(writes) == 1 and "/models/pipeline-job/*" in writes[0] and "train" not in writes[0]
    (listing,) = [s for s in statements if "s3:ListBucket" in _actions(s)]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["train/*", "validation/*"]}}
    assert not any(a.startswith("sagemaker:") for s in statements for a in _actions(s))


def test_model_role_reads_the_training_output_only(pipeline: Any) -> None:
    template, _ = pipeline
    statements = _statements(template, "RolloutModelRole")
    reads = [json.dumps(s["Resource"]) for s in statements if "s3:GetObject" in _actions(s)]
    assert len(reads) == 1 and "/models/pipeline-job/*" in reads[0]
    assert not [s for s in statements if "s3:PutObject" in _actions(s)]


# -- bad props ----------------------------------------------------------------------------------------------------


def test_spot_wait_shorter_than_runtime(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError, match=r"spot\.max_wait \(3600 s\) is shorter than max_runtime \(7200 s\): "
                                         r"SageMaker requires MaxWaitTimeInSeconds >= MaxRuntimeInSeconds"):
        _job(stack, ArtifactBucket(stack, "B"), max_runtime=cdk.Duration.hours(2),
             spot=Spot(max_wait=cdk.Duration.hours(1)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"job_name_prefix": "a" * 27}, r"use at most 26 characters"),
        ({"job_name_prefix": "bad_name"}, r"job_name_prefix \('bad_name', 8 characters\) is too long or invalid"),
        ({"instance_count": 0}, r"instance_count \(0\) must be at least 1"),
        ({"volume_size_gb": 16385}, r"volume_size_gb \(16385\) must be between 1 and 16384"),
        ({"max_runtime": cdk.Duration.days(29)}, r"max_runtime \(2505600 s\) must be between 1 second and 28 days"),
        ({"instance_type": "m5.xlarge"}, r"instance_type \('m5.xlarge'\) is not an ML instance type"),
        ({"input_mode": "Stream"}, r"input_mode \('Stream'\) is not supported: use one of 'File', 'Pipe', 'FastFile'"),
        ({"channels": [Channel("train"), Channel("train")]}, r"channels\[1\]\.name \('train'\) is used twice"),
        ({"channels": []}, r"channels \(\[\]\) is empty"),
        ({"output_prefix": "/models"}, r"output_prefix \('/models'\) must be a non-empty S3 key prefix"),
        ({"metric_definitions": [MetricDefinition("m", "m=([0-9]+)")]}, r"set for a built-in algorithm"),
    ],
)
def test_bad_training_props(stack: cdk.Stack, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _job(stack, ArtifactBucket(stack, "B"), **kwargs)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Channel("has space"), ValueError, r"name \('has space'\) is not a valid channel name"),
        (lambda: Channel("train", input_mode="Stream"), ValueError, r"input_mode \('Stream'\) is not supported"),
        (lambda: MetricDefinition("loss", "loss=[0-9]+"), ValueError, r"has no capture group"),
        (lambda: Algorithm.built_in("xgboost", "9.9"), ValueError, r"version '9.9' of SageMaker built-in"),
        (lambda: Algorithm.from_marketplace("arn:aws:sagemaker:eu-west-1:1:algorithm/x"), ValueError,
         r"is not an algorithm ARN"),
        (lambda: render_hyperparameter("eta", float("nan")), ValueError, r"must be a finite number"),
        (lambda: render_hyperparameter("eta", None), TypeError, r"must be a str, int, float, bool, list or dict"),
    ],
)
def test_bad_training_parts(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(True, "true"), (False, "false"), (3, "3"), (0.1, "0.1"), (1e-05, "0.00001"), (2.5e20, "250000000000000000000"),
     ([1, 2], "[1,2]"), ({"b": 1, "a": [True]}, '{"a":[true],"b":1}'), ("reg:squarederror", "reg:squarederror")],
)
def test_hyperparameters_render_as_sagemaker_strings(value: Any, rendered: str) -> None:
    assert render_hyperparameter("x", value) == rendered


def test_rollout_rejects_unknown_variants_and_ungated_metric(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "B")
    job, endpoint = _job(stack, bucket), _endpoint(stack)
    with pytest.raises(ValueError, match=r"variants \(\['blue'\]\) must name variants of the endpoint: use some of "
                                         r"'champion', 'challenger'"):
        RolloutPipeline(stack, "R1", job=job, endpoint=endpoint, variants=["blue"])
    with pytest.raises(ValueError, match=r"metric_gate\.metric_name is required after a TrainingJob"):
        RolloutPipeline(stack, "R2", job=job, endpoint=endpoint, metric_gate=MetricGate(0.9))
    with pytest.raises(ValueError, match=r"name_prefix \('x{27}', 27 characters\) is too long"):
        RolloutPipeline(stack, "R3", job=job, endpoint=endpoint, name_prefix="x" * 27)


def test_rollout_mirrors_data_capture_and_may_write_it(stack: cdk.Stack) -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    bucket = ArtifactBucket(stack, "B")
    endpoint = _endpoint(stack, data_capture=DataCapture(bucket=bucket, sampling_percentage=15))
    rollout = RolloutPipeline(stack, "R", job=_job(stack, bucket), endpoint=endpoint)
    request = stack.resolve(rollout.create_endpoint_config_request())

    def concrete(value: Any) -> Any:  # tokens -> sample strings, JSONPath fields -> their sample value
        if isinstance(value, dict) and (set(value) & {"Fn::Join", "Fn::GetAtt", "Ref"}):
            return "arn:aws:kms:us-east-1:123456789012:key/sample" if "Arn" in str(value) else "s3://b/data-capture"
        if isinstance(value, dict):
            return {k.removesuffix(".$"): ("sample-name" if k.endswith(".$") else concrete(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [concrete(v) for v in value]
        return value

    params = concrete(request)
    capture = params["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 15
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
        "CreateEndpointConfig").input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    statements = str(Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy"))
    assert "data-capture/*" in statements and "cloudwatch:DescribeAlarms" in statements


