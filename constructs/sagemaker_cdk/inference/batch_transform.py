"""BatchTransformPipeline: upload a file under an input prefix, get a SageMaker batch transform job.

Deploys:
- an EventBridge rule on the ArtifactBucket's "Object Created" events under `input_prefix` (EventBridge delivery is
  switched on for the bucket), targeting
- the `lambda/batch_transform_trigger` function (latest Python runtime, X-Ray, own log group with retention,
  reserved concurrency), which calls CreateTransformJob once per object with a deterministic job name, so a
  redelivered event never starts a second job. Results go to `<output_prefix><job name>/`, encrypted with the
  bucket's KMS key;
- a dead-letter queue (SQS-managed SSE, TLS only, 14 days) that keeps, with the error and a replayable event:
  records the handler could not submit (it sends them itself), invocations that crashed or timed out (the
  function's asynchronous on-failure destination, after 2 retries) and events EventBridge could not deliver (the
  rules' target DLQ);
- an EventBridge rule on "SageMaker Transform Job State Change" (Completed, Failed, Stopped) for this pipeline's
  jobs only (job-name prefix), publishing to an SNS topic (default: new, KMS-encrypted, TLS only);
- alarms on the DLQ's depth and on function errors, both notifying the topic.

Permissions. The function may only call sagemaker:CreateTransformJob on `transform-job/<prefix>-*`, with
conditions pinning the model, the instance type and the output KMS key, and send messages to its DLQ; it reads no
S3 object. CreateTransformJob passes no role (verified in botocore's service model), so there is no iam:PassRole:
SageMaker runs the job with the model's execution role, which this construct allows to read `input_prefix`,
write `output_prefix` and use the bucket key.

Caveat: the job's input is an S3Prefix equal to the object key, so SageMaker also transforms any other object
whose key starts with that key (uploading "a.csv" and "a.csv.bak" gives the first job both files). Use distinct
file names, or add the longer ones to `ignore_suffixes`.

Cost: per job, SageMaker instance time (instance_count x instance_type, billed per second while the job runs);
Lambda and EventBridge per event (negligible); SQS, SNS and CloudWatch alarms ($0.10 each per month); one KMS key
($1 per month) when the construct creates the topic.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from aws_cdk import (
    Duration,
    Stack,
    aws_cloudwatch as cloudwatch,
    aws_cloudwatch_actions as cw_actions,
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda_destinations as destinations,
    aws_logs as logs,
    aws_sns as sns,
    aws_sqs as sqs,
)
from constructs import Construct

from ..core._types import typed
from ..core._functions import project_function
from ..core import _names
from ..core._validation import (
    PropErrors,
    acknowledge,
    io_prefixes,
    is_token,
    job_name_prefix,
    nag_resource,
    one_of,
)
from ..core.artifact_bucket import ArtifactBucket
from .model import Model

SPLIT_TYPES = ("Line", "RecordIO", "TFRecord", "None")
BATCH_STRATEGIES = ("MultiRecord", "SingleRecord")
JOIN_SOURCES = ("Input", "None")
FINAL_STATES = ("Completed", "Failed", "Stopped")

_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$")


class BatchTransformPipeline(Construct):
    """S3 upload -> EventBridge -> Lambda -> SageMaker batch transform, with a DLQ and completion notifications.

    Keyword-only props:
        model: the Model the jobs run. Required.
        bucket: the ArtifactBucket holding inputs and outputs; EventBridge delivery is switched on. Required.
        input_prefix: uploads under this prefix start jobs. Default: "batch/input/". Ends with "/".
        output_prefix: results go to `<output_prefix><job name>/`. Default: "batch/output/". Must not overlap
            `input_prefix` (results would start new jobs).
        instance_type: Default: "ml.m5.large".
        instance_count: 1 to 100. Default: 1.
        split_type: "Line", "RecordIO", "TFRecord" or "None". Default: "Line" (results assembled by line too).
        batch_strategy: "MultiRecord" or "SingleRecord". Default: "MultiRecord".
        content_type: MIME type of the inputs. Default: "text/csv".
        accept: MIME type of the results. Default: "text/csv".
        max_payload_mb: 0 to 100 (0: no limit, for streaming containers). Default: SageMaker's (6).
        max_concurrent_transforms: parallel requests per instance. Default: SageMaker's (chosen from the container).
        join_source: "Input" (join each result to its input record) or "None". Default: not set (None).
        input_filter / output_filter: JSONPath expressions, at most 63 characters (e.g. "$[1:]"). Default: none.
        ignore_suffixes: key suffixes that start no job (e.g. [".tmp", ".manifest"]). Default: none.
        job_name_prefix: lower-case prefix of every job name, at most 24 characters; also scopes IAM and the
            completion rule. Default: derived from the construct id and a hash of its path (unique per stack).
        notification_topic: where job completions and alarms go. Default: a new KMS-encrypted, SSL-only topic
            whose key lets EventBridge and CloudWatch publish. A topic you pass must allow both to publish.
        log_retention: retention of the function's log group. Default: one year.
        reserved_concurrency: concurrent executions reserved for (and capping) the function, 1-1000; e.g. 5 keeps
            a burst of uploads from reaching CreateTransformJob's rate limit all at once (throttled calls are
            retried either way). Default: none (no reservation). Reserving takes the amount out of the account's
            unreserved pool, which Lambda keeps at 100 or more: on new accounts whose concurrency quota is 10
            or 50, any reservation fails the deploy. Set it where the quota allows, to guarantee and cap.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model: Model,
        bucket: ArtifactBucket,
        input_prefix: str = "batch/input/",
        output_prefix: str = "batch/output/",
        instance_type: str = "ml.m5.large",
        instance_count: int = 1,
        split_type: str = "Line",
        batch_strategy: str = "MultiRecord",
        content_type: str = "text/csv",
        accept: str = "text/csv",
        max_payload_mb: int | None = None,
        max_concurrent_transforms: int | None = None,
        join_source: str | None = None,
        input_filter: str | None = None,
        output_filter: str | None = None,
        ignore_suffixes: Sequence[str] = (),
        job_name_prefix: str | None = None,
        notification_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, id)
        _validate(
            self,
            model=model,
            bucket=bucket,
            input_prefix=input_prefix,
            output_prefix=output_prefix,
            instance_type=instance_type,
            instance_count=instance_count,
            split_type=split_type,
            batch_strategy=batch_strategy,
            content_type=content_type,
            accept=accept,
            max_payload_mb=max_payload_mb,
            max_concurrent_transforms=max_concurrent_transforms,
            join_source=join_source,
            input_filter=input_filter,
            output_filter=output_filter,
            ignore_suffixes=ignore_suffixes,
            job_name_prefix=job_name_prefix,
            notification_topic=notification_topic,
            log_retention=log_retention,
            reserved_concurrency=reserved_concurrency,
        )
        stack = Stack.of(self)
        self.model = model
        model.served_by("batch")
        self.bucket = bucket
        self.input_prefix = input_prefix
        self.output_prefix = output_prefix
        self.job_name_prefix: str = job_name_prefix or default_job_name_prefix(self)
        self.encryption_key: kms.IKey = bucket.encryption_key
        bucket.enable_event_bridge()

        # ------------------------------------------------------------------------------------ DLQ and topic
        # SQS-managed SSE: EventBridge (rule target DLQ) and Lambda (async DLQ) can write without a key grant.
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        if notification_topic is None:
            self.topic_key: kms.Key | None = kms.Key(
                self, "TopicKey", description=f"Encrypts the notification topic of {self.node.path}",
                enable_key_rotation=True,
            )
            # EventBridge (job state changes) and CloudWatch (alarms) publish to the encrypted topic with this key.
            self.topic_key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[
                        iam.ServicePrincipal("events.amazonaws.com"),
                        iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    ],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                )
            )
            self.topic: sns.ITopic = sns.Topic(
                self,
                "Topic",
                display_name="SageMaker batch transform notifications",
                master_key=self.topic_key,
                enforce_ssl=True,
            )
        else:
            self.topic_key = None
            self.topic = notification_topic

        # ------------------------------------------------------------------------------------ function
        self.log_key = kms.Key(
            self, "LogKey", description=f"Encrypts the function logs of {self.node.path}", enable_key_rotation=True
        )
        self.log_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{Stack.of(self).region}.amazonaws.com"))
        self.log_group = logs.LogGroup(
            self, "FunctionLogs", retention=log_retention, encryption_key=self.log_key
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Starts SageMaker batch transform jobs for {self.node.path}",
        )
        self.log_group.grant_write(self.role)
        self.job_arn_pattern = stack.format_arn(
            service="sagemaker", resource="transform-job", resource_name=f"{self.job_name_prefix}-*"
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="CreateThisPipelinesTransformJobs",
                actions=["sagemaker:CreateTransformJob"],
                resources=[self.job_arn_pattern],
                # sagemaker:OutputKmsKeyArn replaces sagemaker:OutputKmsKey, which the Service Authorization Reference
                # (Amazon SageMaker AI, CreateTransformJob) marks deprecated: an Allow on a key SageMaker stops
                # filling in would never match.
                conditions={
                    "ArnEquals": {
                        "sagemaker:ModelArn": model.resource.ref,
                        "sagemaker:OutputKmsKeyArn": self.encryption_key.key_arn,
                    },
                    "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": [instance_type]},
                },
            )
        )
        self.dead_letter_queue.grant_send_messages(self.role)

        environment = {
            "MODEL_NAME": model.model_name,
            "OUTPUT_S3_URI": bucket.s3_uri(output_prefix),
            "KMS_KEY_ID": self.encryption_key.key_arn,
            "INSTANCE_TYPE": instance_type,
            "INSTANCE_COUNT": str(instance_count),
            "SPLIT_TYPE": split_type,
            "BATCH_STRATEGY": batch_strategy,
            "CONTENT_TYPE": content_type,
            "ACCEPT": accept,
            "INPUT_PREFIX": input_prefix,
            "JOB_NAME_PREFIX": self.job_name_prefix,
            "DLQ_URL": self.dead_letter_queue.queue_url,
            "LOG_LEVEL": "INFO",
        }
        optional = {
            "MAX_PAYLOAD_MB": max_payload_mb,
            "MAX_CONCURRENT_TRANSFORMS": max_concurrent_transforms,
            "JOIN_SOURCE": join_source,
            "INPUT_FILTER": input_filter,
            "OUTPUT_FILTER": output_filter,
            "IGNORE_SUFFIXES": ",".join(ignore_suffixes) if ignore_suffixes else None,
        }
        environment.update({k: str(v) for k, v in optional.items() if v is not None})

        self.function = project_function(
            self,
            "Function",
            package="batch_transform_trigger",
            description=f"S3 upload -> SageMaker batch transform ({self.node.path})",
            memory_size=256,
            timeout=Duration.seconds(60),
            reserved_concurrency=reserved_concurrency,
            role=self.role,
            environment=environment,
            log_group=self.log_group,
            # On-failure destination rather than a function DLQ: its record carries the error and the request
            # context next to the original event (`requestPayload`, replayable as-is).
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
            retry_attempts=2,
            max_event_age=Duration.hours(6),
        )

        # ------------------------------------------------------------------------------------ model role
        # SageMaker reads the inputs and writes the results with the model's execution role.
        bucket.grant_read(model.role, input_prefix)
        bucket.grant_write(model.role, output_prefix)

        # ------------------------------------------------------------------------------------ rules
        self.rule = events.Rule(
            self,
            "ObjectCreatedRule",
            description=f"Objects created under s3://<bucket>/{input_prefix} start a batch transform job",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [bucket.bucket_name]},
                    "object": {"key": [{"prefix": input_prefix}]},
                },
            ),
            targets=[
                targets.LambdaFunction(
                    self.function,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=10,
                    max_event_age=Duration.hours(6),
                )
            ],
        )
        self.completion_rule = events.Rule(
            self,
            "JobStateRule",
            description=f"Final states of transform jobs named {self.job_name_prefix}-*",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Transform Job State Change"],
                detail={
                    "TransformJobStatus": list(FINAL_STATES),
                    "TransformJobName": [{"prefix": f"{self.job_name_prefix}-"}],
                },
            ),
            targets=[targets.SnsTopic(self.topic, dead_letter_queue=self.dead_letter_queue, retry_attempts=10)],
        )

        # ------------------------------------------------------------------------------------ alarms
        action = cw_actions.SnsAction(self.topic)
        self.dlq_alarm = cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description="Batch transform records or events are waiting in the dead-letter queue: read a "
            "message for the error, fix the cause, then invoke the function with its replay_event.",
            metric=self.metric_dlq_messages(),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.errors_alarm = cloudwatch.Alarm(
            self,
            "ErrorsAlarm",
            alarm_description="The batch transform trigger function failed (crash, timeout, or a failed record "
            "it could not keep in the dead-letter queue).",
            metric=self.metric_errors(),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for alarm in (self.dlq_alarm, self.errors_alarm):
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)

        self._acknowledge()

    # -- public API ----------------------------------------------------------------------------------------------

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return [self.dlq_alarm, self.errors_alarm]

    def input_uri(self) -> str:
        """s3://<bucket>/<input_prefix>: upload here to start a job."""
        return self.bucket.s3_uri(self.input_prefix)

    def output_uri(self) -> str:
        """s3://<bucket>/<output_prefix>: each job writes under <output_uri><job name>/."""
        return self.bucket.s3_uri(self.output_prefix)

    def metric_dlq_messages(self, **opts: Any) -> cloudwatch.Metric:
        """ApproximateNumberOfMessagesVisible of the DLQ. Default: Maximum over 5 minutes."""
        return self.dead_letter_queue.metric_approximate_number_of_messages_visible(
            **{"statistic": "Maximum", "period": Duration.minutes(5), **opts}
        )

    def metric_errors(self, **opts: Any) -> cloudwatch.Metric:
        """Function Errors. Default: Sum over 5 minutes."""
        return self.function.metric_errors(**{"statistic": "Sum", "period": Duration.minutes(5), **opts})

    def metric_invocations(self, **opts: Any) -> cloudwatch.Metric:
        """Function Invocations. Default: Sum over 5 minutes."""
        return self.function.metric_invocations(**{"statistic": "Sum", "period": Duration.minutes(5), **opts})

    def metric_throttles(self, **opts: Any) -> cloudwatch.Metric:
        """Function Throttles. Default: Sum over 5 minutes."""
        return self.function.metric_throttles(**{"statistic": "Sum", "period": Duration.minutes(5), **opts})

    def grant_upload(self, grantee: iam.IGrantable) -> iam.Grant:
        """s3:PutObject under input_prefix (and the bucket key): lets `grantee` start jobs by uploading."""
        return self.bucket.grant_write(grantee, self.input_prefix)

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read access to output_prefix (and the bucket key)."""
        return self.bucket.grant_read(grantee, self.output_prefix)

    # -- cdk-nag -------------------------------------------------------------------------------------------------

    def _acknowledge(self) -> None:
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support "
            "no resource-level permissions; every other statement of this role names its resources.",
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::{nag_resource(self, self.job_arn_pattern)}]",
            "Job names are derived per uploaded object at run time, so they cannot be listed; the pattern is this "
            "pipeline's own job-name prefix, and conditions pin the model, instance type and output KMS key.",
        )
        role = self.model.role
        for prefix, verb in ((self.input_prefix, "read"), (self.output_prefix, "write")):
            objects = self.bucket.bucket.arn_for_objects(_object_pattern(prefix))
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, objects)}]",
                f"Batch transform jobs {verb} objects whose keys are only known at run time; access is limited to "
                f"the {prefix!r} prefix of the artifact bucket.",
            )
        for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:Abort*", "kms:GenerateDataKey*",
                       "kms:ReEncrypt*"):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Action::{action}]",
                "CDK's standard S3 read/write grant (Bucket.grant_read / grant_put) on one bucket and prefix and "
                "its KMS key; the wildcard only spans that action family's read, abort or data-key variants.",
            )
        acknowledge(
            self.function,
            "Serverless-LambdaDLQ",
            "Failed asynchronous invocations go to an on-failure destination (the same SQS queue), whose record "
            "carries the error and request context next to the original event; a DeadLetterConfig would duplicate "
            "each failure into the queue with less context.",
        )
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(
                self.function,
                f"{pack}-LambdaDLQ",
                "Failed asynchronous invocations go to an on-failure destination (the same SQS queue), which keeps "
                "the error and request context next to the event; the handler sends failed records there too.",
            )
            acknowledge(
                self.function,
                f"{pack}-LambdaInsideVPC",
                "The function only calls the SageMaker and SQS APIs and holds no data; a VPC placement would need "
                "interface endpoints for both without narrowing what it can reach.",
            )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue itself (of the function, the rules' targets and the handler).",
        )
        acknowledge(
            self.dead_letter_queue,
            "CKV_AWS_27",
        "Dead-letter queue encrypted with SQS-managed keys (SSE-SQS): EventBridge and Lambda deliver to it "
        "without a key grant, and it holds failure records (event metadata: object keys, job names), not data.",
    )
        acknowledge(
            self.dead_letter_queue,
            "Serverless-SQSRedrivePolicy",
            "This queue is the terminal dead-letter queue; a redrive policy would move its messages nowhere useful.",
        )


def _object_pattern(prefix: str) -> str:
    return prefix if prefix.endswith("*") else prefix.rstrip("/") + "/*"


def default_job_name_prefix(construct: Construct) -> str:
    """Lower-case construct id (at most 15 characters) plus 8 hex of a hash of the stack name and path."""
    return _names.hashed_name_prefix(construct, default="batch")


def _validate(scope: Construct, **props: Any) -> None:
    errors = PropErrors(f"BatchTransformPipeline {scope.node.path}")
    p = props
    errors.expect_type("model", p["model"], Model, "a sagemaker_cdk.Model")
    errors.expect_type("bucket", p["bucket"], ArtifactBucket, "a sagemaker_cdk.ArtifactBucket (EventBridge-capable)")

    io_prefixes(
        errors, p["input_prefix"], p["output_prefix"], example="batch",
        loop="results written under the output prefix would start new jobs",
    )

    if not is_token(p["instance_type"]) and errors.expect_type(
        "instance_type", p["instance_type"], str, "a SageMaker instance type string"
    ):
        errors.check(
            bool(_INSTANCE_TYPE.match(p["instance_type"])),
            f"instance_type ({p['instance_type']!r}) is not a SageMaker instance type: use e.g. 'ml.m5.large'",
        )
    errors.number_in_range("instance_count", p["instance_count"], 1, 100, integer=True)
    one_of(errors, "split_type", p["split_type"], SPLIT_TYPES)
    one_of(errors, "batch_strategy", p["batch_strategy"], BATCH_STRATEGIES)
    one_of(errors, "join_source", p["join_source"], JOIN_SOURCES)
    for name in ("content_type", "accept"):
        value = p[name]
        if is_token(value):
            continue
        if errors.expect_type(name, value, str, "a MIME type string such as 'text/csv'"):
            errors.check(
                bool(_MEDIA_TYPE.match(value)) and len(value) <= 256,
                f"{name} ({value!r}) is not a MIME type: use 'type/subtype', e.g. 'text/csv' or 'application/json'",
            )
    if p["max_payload_mb"] is not None:
        errors.number_in_range("max_payload_mb", p["max_payload_mb"], 0, 100, integer=True)
    if p["max_concurrent_transforms"] is not None:
        errors.number_in_range("max_concurrent_transforms", p["max_concurrent_transforms"], 1, 1000, integer=True)
    for name in ("input_filter", "output_filter"):
        value = p[name]
        if value is None or is_token(value):
            continue
        if errors.expect_type(name, value, str, "a JSONPath string such as '$[1:]'"):
            errors.check(
                value.startswith("$") and len(value) <= 63,
                f"{name} ({value!r}) must be a JSONPath expression starting with '$', at most 63 characters "
                "(SageMaker's limit): e.g. '$[1:]'",
            )
    suffixes = p["ignore_suffixes"]
    if isinstance(suffixes, str) or not isinstance(suffixes, (list, tuple)):
        errors.add(
            f"ignore_suffixes must be a list of strings, got {type(suffixes).__name__} {suffixes!r}: "
            "e.g. ['.tmp', '.manifest']",
            type_error=True,
        )
    else:
        for i, suffix in enumerate(suffixes):
            if is_token(suffix):
                continue
            if not isinstance(suffix, str) or not suffix or "," in suffix:
                errors.add(f"ignore_suffixes[{i}] ({suffix!r}) must be a non-empty string without ',': e.g. '.tmp'")
    job_name_prefix(errors, p["job_name_prefix"], example="churn-batch")
    topic = p["notification_topic"]
    if topic is not None and not isinstance(getattr(topic, "topic_arn", None), str):
        errors.add(
            f"notification_topic must be an aws_sns.ITopic, got {type(topic).__name__}: pass sns.Topic(...) or "
            "sns.Topic.from_topic_arn(...), or leave it out for a new encrypted topic",
            type_error=True,
        )
    if not isinstance(p["log_retention"], logs.RetentionDays):
        errors.add(
            f"log_retention must be an aws_logs.RetentionDays, got {p['log_retention']!r}: e.g. "
            "logs.RetentionDays.ONE_YEAR",
            type_error=True,
        )
    if p["reserved_concurrency"] is not None:
        errors.number_in_range("reserved_concurrency", p["reserved_concurrency"], 1, 1000, integer=True)
    errors.raise_if_any()
