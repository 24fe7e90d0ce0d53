"""BatchTransformPipeline: template assertions, least privilege, cdk-nag, cfn-lint, snapshot and prop validation.

Two stacks (defaults; every prop set with an own topic) are synthesized once per module through the gating
cdk-nag packs (AwsSolutions, Serverless).
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from syrupy.extensions.json import JSONSnapshotExtension

import support
from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.inference.batch_transform import BatchTransformPipeline, default_job_name_prefix

@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    app = support.new_app()
    built: dict[str, Any] = {}

    default_stack = cdk.Stack(app, "BatchDefault")
    built["default"] = BatchTransformPipeline(
        default_stack,
        "Batch",
        model=support.xgboost_model(default_stack),
        bucket=ArtifactBucket(default_stack, "Bucket"),
    )

    full_stack = cdk.Stack(app, "BatchFull")
    topic_key = cdk.aws_kms.Key(full_stack, "OpsKey", enable_key_rotation=True)
    topic = sns.Topic(full_stack, "Ops", master_key=topic_key, enforce_ssl=True)
    built["full"] = BatchTransformPipeline(
        full_stack,
        "Scoring",
        model=support.xgboost_model(full_stack),
        bucket=ArtifactBucket(full_stack, "Bucket"),
        input_prefix="scoring/in/",
        output_prefix="scoring/out/",
        instance_type="ml.c5.2xlarge",
        instance_count=4,
        split_type="RecordIO",
        batch_strategy="SingleRecord",
        content_type="application/x-recordio-protobuf",
        accept="application/jsonlines",
        max_payload_mb=50,
        max_concurrent_transforms=8,
        join_source="Input",
        input_filter="$[1:]",
        output_filter="$['id','SageMakerOutput']",
        ignore_suffixes=[".tmp", ".manifest"],
        job_name_prefix="churn-scoring",
        notification_topic=topic,
        log_retention=logs.RetentionDays.THREE_MONTHS,
        reserved_concurrency=20,
    )
    assembly = support.synth_nag_clean(app)
    stacks = {"default": default_stack, "full": full_stack}
    templates = {name: support.template_of(assembly, stack.stack_name) for name, stack in stacks.items()}
    return {"built": built, "templates": templates}


def tpl(synthesized: dict[str, Any], name: str) -> Template:
    return Template.from_json(synthesized["templates"][name])


def resolve(synthesized: dict[str, Any], name: str, value: Any) -> Any:
    return cdk.Stack.of(synthesized["built"][name]).resolve(value)


def function_of(template: Template) -> dict[str, Any]:
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "batch_transform_trigger.handler"}}
    )
    (function,) = functions.values()
    return function["Properties"]


def role_statements(synthesized: dict[str, Any], name: str, role: Any) -> list[dict[str, Any]]:
    role_ref = resolve(synthesized, name, role.role_name)
    statements = []
    for policy in tpl(synthesized, name).find_resources("AWS::IAM::ManagedPolicy").values():
        if role_ref in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


# ------------------------------------------------------------------------------------------------------ defaults


def test_default_function(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    built = synthesized["built"]["default"]
    props = function_of(template)
    assert props["Runtime"] == "python3.14"
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert "ReservedConcurrentExecutions" not in props  # off by default (issue 11 item 5)
    assert props["MemorySize"] == 256 and props["Timeout"] == 60
    env = props["Environment"]["Variables"]
    assert env == {
        "MODEL_NAME": resolve(synthesized, "default", built.model.model_name),
        "OUTPUT_S3_URI": resolve(synthesized, "default", built.bucket.s3_uri("batch/output/")),
        "KMS_KEY_ID": resolve(synthesized, "default", built.bucket.encryption_key.key_arn),
        "INSTANCE_TYPE": "ml.m5.large",
        "INSTANCE_COUNT": "1",
        "SPLIT_TYPE": "Line",
        "BATCH_STRATEGY": "MultiRecord",
        "CONTENT_TYPE": "text/csv",
        "ACCEPT": "text/csv",
        "INPUT_PREFIX": "batch/input/",
        "JOB_NAME_PREFIX": built.job_name_prefix,
        "DLQ_URL": resolve(synthesized, "default", built.dead_letter_queue.queue_url),
        "LOG_LEVEL": "INFO",
    }
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})
    # Crashes and timeouts go to the DLQ through the on-failure destination, after two retries.
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {
                "OnFailure": {"Destination": resolve(synthesized, "default", built.dead_letter_queue.queue_arn)}
            },
        },
    )


def test_default_job_name_prefix_is_valid_and_stable(synthesized: dict[str, Any]) -> None:
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1"}):  # the handler builds clients at import
        import batch_transform_trigger

    built = synthesized["built"]["default"]
    assert built.job_name_prefix == default_job_name_prefix(built)
    assert batch_transform_trigger.sanitize_prefix(built.job_name_prefix) == built.job_name_prefix
    assert built.job_name_prefix.startswith("batch-") and len(built.job_name_prefix) <= 24


def test_bucket_sends_events_to_eventbridge(synthesized: dict[str, Any]) -> None:
    for name in ("default", "full"):
        tpl(synthesized, name).has_resource_properties(
            "AWS::S3::Bucket",
            {"NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}},
        )


def test_object_created_rule_targets_the_function_with_a_dlq(synthesized: dict[str, Any]) -> None:
    built = synthesized["built"]["default"]
    tpl(synthesized, "default").has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [resolve(synthesized, "default", built.bucket.bucket_name)]},
                    "object": {"key": [{"prefix": "batch/input/"}]},
                },
            },
            "Targets": [
                Match.object_like(
                    {
                        "Arn": resolve(synthesized, "default", built.function.function_arn),
                        "DeadLetterConfig": {
                            "Arn": resolve(synthesized, "default", built.dead_letter_queue.queue_arn)
                        },
                    }
                )
            ],
        },
    )


def test_completion_rule_notifies_the_topic_for_this_pipelines_jobs_only(synthesized: dict[str, Any]) -> None:
    built = synthesized["built"]["default"]
    tpl(synthesized, "default").has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Transform Job State Change"],
                "detail": {
                    "TransformJobStatus": ["Completed", "Failed", "Stopped"],
                    "TransformJobName": [{"prefix": f"{built.job_name_prefix}-"}],
                },
            },
            "Targets": [Match.object_like({"Arn": resolve(synthesized, "default", built.topic.topic_arn)})],
        },
    )


def test_dlq_is_encrypted_and_tls_only(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    template.has_resource_properties(
        "AWS::SQS::Queue", {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 1209600}
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


def test_default_topic_is_kms_encrypted_tls_only_and_publishable(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    built = synthesized["built"]["default"]
    template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": resolve(synthesized, "default", built.topic_key.key_arn)}
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
    key_id = resolve(synthesized, "default", built.topic_key.key_arn)["Fn::GetAtt"][0]
    key_policy = synthesized["templates"]["default"]["Resources"][key_id]["Properties"]["KeyPolicy"]
    publishers = [
        s for s in key_policy["Statement"]
        if sorted(s.get("Principal", {}).get("Service", [])) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    ]
    assert publishers and set(publishers[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_every_alarm_has_actions(synthesized: dict[str, Any]) -> None:
    for name in ("default", "full"):
        built = synthesized["built"][name]
        alarms = tpl(synthesized, name).find_resources("AWS::CloudWatch::Alarm")
        assert len(alarms) == 2
        topic_arn = resolve(synthesized, name, built.topic.topic_arn)
        for alarm in alarms.values():
            assert alarm["Properties"]["AlarmActions"] == [topic_arn]
            assert alarm["Properties"]["OKActions"] == [topic_arn]
            assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
    dlq_alarm = resolve(synthesized, "default", synthesized["built"]["default"].dlq_alarm.node.default_child.metric_name)
    assert dlq_alarm == "ApproximateNumberOfMessagesVisible"


def test_metric_helpers(synthesized: dict[str, Any]) -> None:
    built = synthesized["built"]["default"]
    assert built.metric_dlq_messages().statistic == "Maximum"
    assert built.metric_errors().metric_name == "Errors"
    assert built.metric_invocations().metric_name == "Invocations"
    assert built.metric_throttles(period=cdk.Duration.minutes(1)).period.to_minutes() == 1


# ----------------------------------------------------------------------------------------------- least privilege


def test_function_role_is_least_privilege(synthesized: dict[str, Any]) -> None:
    built = synthesized["built"]["full"]
    statements = role_statements(synthesized, "full", built.role)
    actions = sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == sorted(
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sagemaker:CreateTransformJob",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:SendMessage",
            "xray:PutTelemetryRecords",
            "xray:PutTraceSegments",
        ]
    )
    assert not any(a.startswith(("iam:", "s3:")) for a in actions)  # CreateTransformJob passes no role
    (create,) = [s for s in statements if s["Action"] == "sagemaker:CreateTransformJob"]
    assert create["Resource"] == resolve(
        synthesized, "full",
        cdk.Stack.of(built).format_arn(service="sagemaker", resource="transform-job", resource_name="churn-scoring-*"),
    )
    assert create["Condition"] == {
        "ArnEquals": {
            "sagemaker:ModelArn": resolve(synthesized, "full", built.model.resource.ref),
            "sagemaker:OutputKmsKeyArn": resolve(synthesized, "full", built.bucket.encryption_key.key_arn),
        },
        "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.c5.2xlarge"]},
    }


def test_model_role_reads_input_and_writes_output_only(synthesized: dict[str, Any]) -> None:
    built = synthesized["built"]["full"]
    statements = role_statements(synthesized, "full", built.model.role)
    bucket_arn = resolve(synthesized, "full", built.bucket.bucket_arn)
    s3 = [s for s in statements if any(a.startswith("s3:") for a in (s["Action"] if isinstance(s["Action"], list)
                                                                        else [s["Action"]]))]
    resources = json.dumps([s["Resource"] for s in s3])
    assert "/scoring/in/*" in resources and "/scoring/out/*" in resources
    writes = [s for s in s3 if "s3:PutObject" in s["Action"]]
    assert writes and all(
        s["Resource"] == {"Fn::Join": ["", [bucket_arn, "/scoring/out/*"]]} for s in writes
    )


# ----------------------------------------------------------------------------------------------------- all props


def test_full_props_reach_the_function(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "full")
    props = function_of(template)
    env = props["Environment"]["Variables"]
    assert {k: env[k] for k in env if isinstance(env[k], str)} == {
        "INSTANCE_TYPE": "ml.c5.2xlarge",
        "INSTANCE_COUNT": "4",
        "SPLIT_TYPE": "RecordIO",
        "BATCH_STRATEGY": "SingleRecord",
        "CONTENT_TYPE": "application/x-recordio-protobuf",
        "ACCEPT": "application/jsonlines",
        "INPUT_PREFIX": "scoring/in/",
        "JOB_NAME_PREFIX": "churn-scoring",
        "LOG_LEVEL": "INFO",
        "MAX_PAYLOAD_MB": "50",
        "MAX_CONCURRENT_TRANSFORMS": "8",
        "JOIN_SOURCE": "Input",
        "INPUT_FILTER": "$[1:]",
        "OUTPUT_FILTER": "$['id','SageMakerOutput']",
        "IGNORE_SUFFIXES": ".tmp,.manifest",
    }
    assert props["ReservedConcurrentExecutions"] == 20
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})
    template.resource_count_is("AWS::SNS::Topic", 1)  # the given topic, no new one
    assert synthesized["built"]["full"].topic_key is None


# ------------------------------------------------------------------------------------------- lint and snapshot


def test_cfn_lint_clean(synthesized: dict[str, Any]) -> None:
    problems = [p for name, t in synthesized["templates"].items() for p in support.lint(t, name)]
    assert problems == []


def test_snapshot(synthesized: dict[str, Any], snapshot: Any) -> None:
    assert support.scrub(synthesized["templates"]["default"]) == snapshot(extension_class=JSONSnapshotExtension)


# ------------------------------------------------------------------------------------------------------ bad props


def _build(**overrides: Any) -> BatchTransformPipeline:
    stack = cdk.Stack(support.new_app(), "Bad")
    props: dict[str, Any] = {"model": support.xgboost_model(stack), "bucket": ArtifactBucket(stack, "Bucket")}
    props.update(overrides)
    return BatchTransformPipeline(stack, "Batch", **props)


@pytest.mark.parametrize(
    ("overrides", "error", "fragments"),
    [
        ({"model": "churn-model"}, TypeError, ["model must be a Model", "'churn-model'"]),
        ({"bucket": "my-bucket"}, TypeError, ["bucket must be an ArtifactBucket"]),
        ({"input_prefix": "/batch/in"}, ValueError, ["input_prefix ('/batch/in')", "ending with '/'"]),
        ({"output_prefix": "batch/input/results/"}, ValueError, ["overlap", "use sibling prefixes"]),
        ({"instance_type": "m5.large"}, ValueError, ["instance_type ('m5.large')", "'ml.m5.large'"]),
        ({"instance_count": 0}, ValueError, ["instance_count (0)", "between 1 and 100"]),
        ({"split_type": "Lines"}, ValueError, ["split_type ('Lines')", "'Line', 'RecordIO', 'TFRecord', 'None'"]),
        ({"batch_strategy": "Multi"}, ValueError, ["batch_strategy ('Multi')", "'MultiRecord'"]),
        ({"join_source": "Output"}, ValueError, ["join_source ('Output')", "'Input', 'None'"]),
        ({"content_type": "csv"}, ValueError, ["content_type ('csv') is not a MIME type", "'text/csv'"]),
        ({"max_payload_mb": 101}, ValueError, ["max_payload_mb (101)", "between 0 and 100"]),
        ({"max_concurrent_transforms": 0}, ValueError, ["max_concurrent_transforms (0)"]),
        ({"input_filter": "[1:]"}, ValueError, ["input_filter ('[1:]')", "starting with '$'"]),
        ({"output_filter": "$" + "x" * 63}, ValueError, ["output_filter", "at most 63 characters"]),
        ({"ignore_suffixes": ".tmp"}, TypeError, ["ignore_suffixes must be a list of strings", "['.tmp'"]),
        ({"ignore_suffixes": [".a,.b"]}, ValueError, ["ignore_suffixes[0] ('.a,.b')", "without ','"]),
        ({"job_name_prefix": "Churn_Batch"}, ValueError, ["job_name_prefix ('Churn_Batch')", "lower-case"]),
        ({"job_name_prefix": "a" * 25}, ValueError, ["job_name_prefix", "at most 24"]),
        ({"notification_topic": "arn:aws:sns:eu-west-1:1:t"}, TypeError, ["notification_topic must be an aws_sns"]),
        ({"log_retention": 30}, TypeError, ["log_retention must be an aws_logs.RetentionDays"]),
        ({"reserved_concurrency": 0}, ValueError, ["reserved_concurrency (0)"]),
    ],
)
def test_bad_props_name_prop_value_and_fix(overrides: dict[str, Any], error: type, fragments: list[str]) -> None:
    with pytest.raises(error) as raised:
        _build(**overrides)
    message = str(raised.value)
    assert message.startswith("BatchTransformPipeline Bad/Batch: invalid props:")
    for fragment in fragments:
        assert fragment in message


def test_all_errors_are_reported_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        _build(instance_count=0, split_type="Lines", max_payload_mb=-1)
    assert str(raised.value).count("\n  - ") == 3


def test_tokens_are_not_validated() -> None:
    stack = cdk.Stack(support.new_app(), "Tokens")
    count = cdk.CfnParameter(stack, "Count", type="Number").value_as_number
    instance = cdk.CfnParameter(stack, "Instance").value_as_string
    BatchTransformPipeline(
        stack, "Batch", model=support.xgboost_model(stack), bucket=ArtifactBucket(stack, "Bucket"),
        instance_count=count, instance_type=instance,
    )
