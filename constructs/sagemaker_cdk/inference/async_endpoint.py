"""AsyncEndpoint: an asynchronous SageMaker endpoint that queues requests and scales to zero when idle.

For payloads up to 1 GB and processing up to an hour: callers upload the input to S3 and call InvokeEndpointAsync
(the InvocationApi's `/async-invocations` route does it over HTTPS); SageMaker writes the result, or the failure,
under KMS to the artifact bucket and notifies an SNS success or error topic.

Deploys everything a RealtimeEndpoint deploys (encrypted volumes, blue/green updates, alarms, dashboard), plus the
AsyncInferenceConfig, two encrypted SSL-only topics, and backlog-based autoscaling: target tracking on
ApproximateBacklogSizePerInstance and a step policy on HasBacklogWithoutCapacity that starts an instance when
requests wait on an endpoint scaled to zero. Alarms watch the backlog size and the age of the oldest request.
Cost: instance hours only while instances run (none at zero), S3 and SNS per request.
"""

from __future__ import annotations

from typing import Sequence

from aws_cdk import (
    Duration,
    aws_applicationautoscaling as appscaling,
    aws_cloudwatch as cloudwatch,
    aws_cloudwatch_actions as cw_actions,
    aws_iam as iam,
    aws_sagemaker as sagemaker,
    aws_sns as sns,
)
from constructs import Construct

from ..core._types import typed
from ..core._validation import PropErrors, acknowledge, is_token, nag_resource
from ..core.artifact_bucket import ArtifactBucket
from .endpoint_props import BacklogScaling, Variant
from .realtime_endpoint import RealtimeEndpoint

NAMESPACE = "AWS/SageMaker"


class AsyncEndpoint(RealtimeEndpoint):
    """An asynchronous endpoint. Takes every RealtimeEndpoint prop, plus:

    bucket: the ArtifactBucket that holds inputs, outputs and failures. Required.
    input_prefix: where callers upload inputs. Default: "async/input/".
    output_prefix: where results go. Default: "async/output/".
    failure_prefix: where error payloads go. Default: "async/failure/".
    success_topic / error_topic: Default: new KMS-encrypted, SSL-only topics.
    max_concurrent_invocations_per_instance: Default: SageMaker's choice for the container.
    scaling: Default: BacklogScaling(max_capacity=2) (scale to zero, at most 2 instances).
    backlog_alarm_threshold: ApproximateBacklogSize that trips the backlog alarm. Default: 100.
    oldest_request_alarm_age: age of the oldest queued request that trips its alarm. Default: 30 minutes.

    Variants must use instances (not serverless) and must not set `autoscaling`: `scaling` replaces it.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        variants: Sequence[Variant],
        bucket: ArtifactBucket,
        input_prefix: str = "async/input/",
        output_prefix: str = "async/output/",
        failure_prefix: str = "async/failure/",
        success_topic: sns.ITopic | None = None,
        error_topic: sns.ITopic | None = None,
        max_concurrent_invocations_per_instance: int | None = None,
        scaling: BacklogScaling | None = None,
        backlog_alarm_threshold: float = 100,
        oldest_request_alarm_age: Duration = Duration.minutes(30),
        **kwargs: object,
    ) -> None:
        errors = PropErrors(f"AsyncEndpoint {id}")
        if not isinstance(bucket, ArtifactBucket):
            errors.add(
                f"bucket must be an ArtifactBucket for outputs and failures, got {type(bucket).__name__}: "
                "an async endpoint needs an S3 output path",
                type_error=True,
            )
        for prop, value in (("input_prefix", input_prefix), ("output_prefix", output_prefix),
                            ("failure_prefix", failure_prefix)):
            if not is_token(value) and not (isinstance(value, str) and value.strip("/")):
                errors.add(f"{prop} ({value!r}) must be a non-empty key prefix, e.g. 'async/output/'")
        for i, variant in enumerate(variants if isinstance(variants, Sequence) else []):
            if isinstance(variant, Variant) and variant.is_serverless:
                errors.add(f"variants[{i}] is serverless: asynchronous endpoints run on instances")
            if isinstance(variant, Variant) and variant.autoscaling is not None:
                errors.add(
                    f"variants[{i}].autoscaling is set: an async endpoint scales on its backlog; remove it and pass "
                    "scaling=BacklogScaling(...)"
                )
        if max_concurrent_invocations_per_instance is not None:
            errors.number_in_range(
                "max_concurrent_invocations_per_instance", max_concurrent_invocations_per_instance, 1, 1000,
                integer=True,
            )
        if scaling is not None:
            errors.expect_type("scaling", scaling, BacklogScaling, "a BacklogScaling(...)")
        errors.raise_if_any()
        super().__init__(scope, id, variants=variants, **kwargs)  # type: ignore[arg-type]

        self.bucket = bucket
        self.scaling = scaling or BacklogScaling(max_capacity=2)
        self.input_prefix = input_prefix.strip("/") + "/"
        self.success_topic = success_topic or self._topic("SuccessTopic", "SageMaker async inference results")
        self.error_topic = error_topic or self._topic("ErrorTopic", "SageMaker async inference errors")
        output = f"{output_prefix.strip('/')}/"
        failure = f"{failure_prefix.strip('/')}/"
        self.output_s3_uri = bucket.s3_uri(output)
        self.failure_s3_uri = bucket.s3_uri(failure)
        self.config.async_inference_config = sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
            output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                s3_output_path=self.output_s3_uri,
                s3_failure_path=self.failure_s3_uri,
                kms_key_id=bucket.encryption_key.key_arn,
                notification_config=sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                    success_topic=self.success_topic.topic_arn, error_topic=self.error_topic.topic_arn
                ),
            ),
            client_config=(
                sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                    max_concurrent_invocations_per_instance=max_concurrent_invocations_per_instance
                )
                if max_concurrent_invocations_per_instance
                else None
            ),
        )
        self._grant_async_io(output, failure)
        # The backlog scaling owns the instance counts: an update must not reset them to the initial counts.
        self.retain_capacity()
        self.scalable_targets = [self._scale(name) for name, _ in self.variants]
        self.guard_scaling({name: (target, v.instance_type)
                            for (name, v), target in zip(self.variants, self.scalable_targets)})
        self.backlog_alarm = self._async_alarm(
            "Backlog", self.metric_backlog_size(), backlog_alarm_threshold,
            f"ApproximateBacklogSize >= {backlog_alarm_threshold}",
        )
        age_seconds = oldest_request_alarm_age.to_seconds()
        self.oldest_request_alarm = self._async_alarm(
            "OldestRequestAge", self.metric_oldest_request_age(), age_seconds,
            f"ApproximateAgeOfOldestRequest >= {age_seconds} s",
        )
        if self.dashboard is not None:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="Async backlog",
                    left=[self.backlog_alarm.metric, self.metric_backlog_per_instance()],
                    right=[self.oldest_request_alarm.metric],
                    width=24,
                )
            )

    # -- metrics ---------------------------------------------------------------------------------------------------

    def _endpoint_metric(self, name: str, statistic: str = "Average") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name_value},
            statistic=statistic,
            period=Duration.minutes(1),
        )

    def metric_backlog_size(self) -> cloudwatch.Metric:
        """ApproximateBacklogSize (Average per minute): requests queued or being processed."""
        return self._endpoint_metric("ApproximateBacklogSize")

    def metric_backlog_per_instance(self) -> cloudwatch.Metric:
        """ApproximateBacklogSizePerInstance (Average per minute), the target-tracking metric."""
        return self._endpoint_metric("ApproximateBacklogSizePerInstance")

    def metric_has_backlog_without_capacity(self) -> cloudwatch.Metric:
        """HasBacklogWithoutCapacity (Average per minute): 1 when requests wait and no instance runs."""
        return self._endpoint_metric("HasBacklogWithoutCapacity")

    def metric_oldest_request_age(self) -> cloudwatch.Metric:
        """ApproximateAgeOfOldestRequest in seconds (Maximum per minute)."""
        return self._endpoint_metric("ApproximateAgeOfOldestRequest", "Maximum")

    def grant_upload(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets a client put inputs under the input prefix (and encrypt them with the bucket key)."""
        return self.bucket.grant_write(grantee, self.input_prefix)

    # -- internals ---------------------------------------------------------------------------------------------------

    def _topic(self, id: str, display_name: str) -> sns.Topic:
        return sns.Topic(self, id, master_key=self.encryption_key, enforce_ssl=True, display_name=display_name)

    def _grant_async_io(self, output: str, failure: str) -> None:
        bucket = self.bucket
        for _, variant in self.variants:
            role = variant.model.role
            if not isinstance(role, iam.Role):
                continue
            # SageMaker reads inputs and writes results and failures with the model's execution role.
            inputs = bucket.bucket.arn_for_objects(f"{self.input_prefix}*")
            results = [bucket.bucket.arn_for_objects(f"{p}*") for p in (output, failure)]
            iam.Grant.add_to_principal(grantee=role, actions=["s3:GetObject"], resource_arns=[inputs])
            iam.Grant.add_to_principal(grantee=role, actions=["s3:PutObject"], resource_arns=results)
            bucket.encryption_key.grant(role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
            # sns.Topic.grant_publish would add kms:GenerateDataKey*; SageMaker needs exactly these.
            iam.Grant.add_to_principal(
                grantee=role,
                actions=["sns:Publish"],
                resource_arns=[self.success_topic.topic_arn, self.error_topic.topic_arn],
            )
            for topic in (self.success_topic, self.error_topic):
                if topic.master_key is not None:
                    topic.master_key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
            for arn in (inputs, *results):
                acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Resource::{nag_resource(self, arn)}]",
                    "Async inference reads and writes objects whose keys are chosen per request; access is "
                    "limited to this endpoint's input, output and failure prefixes.",
                )

    def _scale(self, variant_name: str) -> appscaling.ScalableTarget:
        s = self.scaling
        target = appscaling.ScalableTarget(
            self,
            f"Scaling-{variant_name}",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self.endpoint_name_value}/variant/{variant_name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=s.min_capacity,
            max_capacity=s.max_capacity,
        )
        target.node.add_dependency(self.resource)
        target.scale_to_track_metric(
            "Backlog",
            target_value=s.target_backlog_per_instance,
            custom_metric=self.metric_backlog_per_instance(),
            scale_in_cooldown=s.scale_in_cooldown,
            scale_out_cooldown=s.scale_out_cooldown,
        )
        # Target tracking cannot act at zero instances (there is no per-instance backlog); this starts one.
        target.scale_on_metric(
            "FromZero",
            metric=self.metric_has_backlog_without_capacity(),
            scaling_steps=[
                appscaling.ScalingInterval(upper=0.5, change=0),
                appscaling.ScalingInterval(lower=0.5, change=1),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=s.scale_out_cooldown,
            evaluation_periods=1,
        )
        return target

    def _async_alarm(self, id: str, metric: cloudwatch.Metric, threshold: float, description: str) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self.monitoring,
            id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=5,
            datapoints_to_alarm=5,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{description} on SageMaker async endpoint",
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.alarm_topic))
        return alarm
