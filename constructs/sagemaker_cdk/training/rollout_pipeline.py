"""RolloutPipeline: train (or tune), gate on a metric, then roll the new model out to a RealtimeEndpoint.

Deploys a Standard state machine: Prepare -> ValidateInput -> Resolve -> Train | Tune+DescribeBestJob -> [metric
gate] -> Names -> CreateModel -> CreateEndpointConfig (the endpoint's variants, mirrored) -> UpdateEndpoint (with the
endpoint's blue/green DeploymentConfig and auto-rollback alarms, rendered explicitly) -> wait/DescribeEndpoint loop ->
RolledOut, or RolledBack when the endpoint's alarms rolled the update back. Triggers: on demand (StartExecution), an
optional EventBridge schedule, and optionally new objects under the train prefix (S3 events through EventBridge).
Every failure is published to the workflow's SNS topic. Cost: the training/tuning jobs it runs, a model and endpoint
config per run (free), and the endpoint's temporary blue/green capacity during each update.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Sequence

from aws_cdk import (
    ArnFormat,
    Duration,
    Stack,
    aws_ec2,
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sagemaker as sagemaker,
    aws_sns as sns,
    aws_sqs as sqs,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct

from ..core._types import typed, typed_fields
from . import _workflow
from ..core._validation import NAME_PATTERN, NAME_RULE, PropErrors, acknowledge, is_token, nag_resource
from ..core.artifact_bucket import ArtifactBucket
from ..core.container_image import ContainerImage
from ..inference.realtime_endpoint import _TRAFFIC_TYPES, UPDATABLE_VARIANT_PROPERTIES, RealtimeEndpoint
from .training_job import TrainingJob
from .tuning_job import TuningJob

MAX_PREFIX = 63 - 1 - _workflow.RUN_ID_LENGTH


@dataclass(frozen=True)
@typed_fields
class MetricGate:
    """Stop the rollout unless the new model's metric reaches `threshold`.

    threshold: the bar. Required.
    metric_name: Default: the tuning objective (required after a plain TrainingJob, e.g. "validation:auc").
    higher_is_better: Default: from the tuning objective's type (Maximize), else True.
    """

    threshold: float
    metric_name: str | None = None
    higher_is_better: bool | None = None

    def __post_init__(self) -> None:
        errors = PropErrors("MetricGate")
        errors.number_in_range("threshold", self.threshold)
        if self.metric_name is not None and errors.expect_type("metric_name", self.metric_name, str, "a string"):
            errors.check("'" not in self.metric_name and 0 < len(self.metric_name) <= 255,
                         f"metric_name ({self.metric_name!r}) must be 1 to 255 characters without \"'\"")
        errors.raise_if_any()


class _Request:
    """Mixin: replace an aws-cdk-lib SageMaker task's request body with the pipeline's full request (the L2s
    render neither VPC placement from a ModelNetwork, serverless variants, nor a DeploymentConfig)."""

    _request: dict[str, Any]

    def to_state_json(self, *args: Any) -> Any:
        state = dict(super().to_state_json(*args))  # type: ignore[misc]
        state["Parameters"] = self._request
        return state


class _CreateModel(_Request, tasks.SageMakerCreateModel):
    def __init__(self, scope: Construct, id: str, *, request: dict[str, Any], **props: Any) -> None:
        super().__init__(scope, id, **props)
        self._request = request


class _CreateEndpointConfig(_Request, tasks.SageMakerCreateEndpointConfig):
    def __init__(self, scope: Construct, id: str, *, request: dict[str, Any], **props: Any) -> None:
        super().__init__(scope, id, **props)
        self._request = request


class _UpdateEndpoint(_Request, tasks.SageMakerUpdateEndpoint):
    def __init__(self, scope: Construct, id: str, *, request: dict[str, Any], **props: Any) -> None:
        super().__init__(scope, id, **props)
        self._request = request


class RolloutPipeline(Construct):
    """Train or tune, then deploy the result to a real-time endpoint through its blue/green guardrails.

    Keyword-only props:
        job: a TrainingJob or a TuningJob. Required.
        endpoint: the RealtimeEndpoint to update. Required.
        inference_image: the serving image. Default: the training image (built-in algorithms serve with the
            image they train with); required for Marketplace algorithms.
        variants: names of the endpoint variants that receive the new model; the others keep their model.
            Default: every variant.
        metric_gate: MetricGate(threshold, ...). Default: none (every successful job is rolled out).
        schedule: an EventBridge schedule, e.g. events.Schedule.cron(hour="3", minute="0"). Default: none.
        on_new_data: start a run when an object lands under the train channel's prefix (turns on the bucket's
            EventBridge notifications). Default: False.
        name_prefix: prefix of the model and endpoint config names, at most 26 characters, lower-cased. Default:
            "<stack>-<id>" in lower case, shortened.
        poll_interval: how often the update is checked. Default: 1 minute.
        encryption_key / failure_topic: Default: the training job's.
        log_retention: Default: one year.
        labeling: a LabelingJob to run first (label -> train/tune -> gate -> roll out). Its augmented manifest feeds
            the training job's `Channel.from_labeling_job(labeling)` channel. Default: none.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job: TrainingJob | TuningJob,
        endpoint: RealtimeEndpoint,
        inference_image: ContainerImage | None = None,
        variants: Sequence[str] | None = None,
        metric_gate: MetricGate | None = None,
        schedule: events.Schedule | None = None,
        on_new_data: bool = False,
        name_prefix: str | None = None,
        poll_interval: Duration = Duration.minutes(1),
        encryption_key: kms.IKey | None = None,
        failure_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        labeling: Any = None,
    ) -> None:
        super().__init__(scope, id)
        training = job.training if isinstance(job, TuningJob) else job
        self._validate(job, endpoint, inference_image, variants, metric_gate, name_prefix, training)
        self.labeling = labeling
        self.labeled_channels: list[str] = _labeled_channels(self, labeling, training) if labeling is not None else []
        self.job, self.training, self.endpoint = job, training, endpoint
        self.target_variants: list[str] = list(variants) if variants is not None else endpoint.variant_names
        self.name_prefix: str = _workflow.name_prefix(self, MAX_PREFIX, given=name_prefix)
        self.metric_gate = metric_gate

        self.model_role = iam.Role(
            self,
            "ModelRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the models {self.node.path} creates",
        )
        image = inference_image or training.algorithm.image
        assert image is not None
        self.image_uri = image.bind(self, self.model_role).image_uri
        training.grant_read_artifacts(self.model_role)
        self._grant_model_role()

        self.resources = _workflow.WorkflowResources(
            self,
            encryption_key=encryption_key or training.encryption_key,
            failure_topic=failure_topic or training.failure_topic,
            log_retention=log_retention,
        )
        self.encryption_key, self.failure_topic = self.resources.encryption_key, self.resources.failure_topic
        self.log_group: logs.ILogGroup = self.resources.log_group
        self.workflow_role = _workflow.workflow_role(self, self.resources)
        job.grant_run(self.workflow_role)
        if labeling is not None:
            labeling.grant_run(self.workflow_role)
        self._grant_rollout(self.workflow_role)

        definition = Construct(self, "Definition")
        handler = _workflow.failure_handler(definition, self.resources, f"Rollout {self.name_prefix}")
        tuned = [r.name for r in job.ranges] if isinstance(job, TuningJob) else []
        static = job.static_hyperparameters if isinstance(job, TuningJob) else training.hyperparameters
        first, last = _workflow.input_states(
            definition, hyperparameters=static, channels=training.channel_prefixes, tuned=tuned
        )
        if labeling is not None:
            last = last.next(labeling.job_states(definition, handler)).next(
                self._use_labels(definition, training, labeling))
        chain = last.next(job.job_states(definition, handler))
        if metric_gate is not None:
            chain = self._gate(definition, chain, metric_gate)
        self._rollout_states(definition, chain, handler, poll_interval)
        self.state_machine = _workflow.state_machine(
            self,
            definition=first,
            role=self.workflow_role,
            resources=self.resources,
            comment=f"Trains and rolls out to SageMaker endpoint {endpoint.endpoint_name_value} ({self.node.path}).",
        )
        self.rules: list[events.Rule] = []
        if schedule is not None or on_new_data:
            self._triggers(schedule, on_new_data)

    def _use_labels(self, scope: Construct, training: TrainingJob, labeling: Any) -> sfn.Pass:
        """Point the labeled channel at this run's output manifest; the other channels keep their prefixes."""
        manifest = (f"States.Format('{labeling.output_prefix}{{}}/manifests/output/output.manifest', "
                    "$.labeling.LabelingJobName)")
        channels = {f"{c.name}.$": manifest if c.name in self.labeled_channels else f"$.run.channels.{c.name}"
                    for c in training.channels if _workflow.IDENTIFIER.match(c.name)}
        return sfn.Pass(scope, "UseLabels", comment="Train on the labeling job's augmented manifest.",
                        parameters=channels, result_path="$.run.channels")

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """states:StartExecution on this pipeline only (on-demand runs)."""
        return self.state_machine.grant_start_execution(grantee)

    # -- requests ---------------------------------------------------------------------------------------------------

    def create_model_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            "ModelName.$": "$.names.model",
            "ExecutionRoleArn": self.model_role.role_arn,
            "PrimaryContainer": {"Image": self.image_uri, "ModelDataUrl.$": "$.training.ModelArtifacts.S3ModelArtifacts"},
            "EnableNetworkIsolation": True,
        }
        if self.training.network is not None:
            request["VpcConfig"] = {
                "SecurityGroupIds": [self.training.network.security_group.security_group_id],
                "Subnets": list(self.training.network.subnet_ids),
            }
        return request

    def create_endpoint_config_request(self) -> dict[str, Any]:
        variants = []
        for name, v in self.endpoint.variants:
            variant: dict[str, Any] = {"VariantName": name, "InitialVariantWeight": v.weight}
            if name in self.target_variants:
                variant["ModelName.$"] = "$.names.model"
            else:
                variant["ModelName"] = v.model.model_name
            if v.serverless is not None:
                serverless: dict[str, Any] = {"MemorySizeInMB": v.serverless.memory_size_mb,
                                              "MaxConcurrency": v.serverless.max_concurrency}
                if v.serverless.provisioned_concurrency is not None:
                    serverless["ProvisionedConcurrency"] = v.serverless.provisioned_concurrency
                variant["ServerlessConfig"] = serverless
            else:
                variant["InstanceType"] = v.instance_type
                variant["InitialInstanceCount"] = v.instance_count
                if v.volume_size_gb is not None:
                    variant["VolumeSizeInGB"] = v.volume_size_gb
                if v.accelerator_type is not None:
                    variant["AcceleratorType"] = v.accelerator_type
            variants.append(variant)
        request: dict[str, Any] = {"EndpointConfigName.$": "$.names.config", "ProductionVariants": variants}
        if self.endpoint.config.kms_key_id is not None:
            request["KmsKeyId"] = self.endpoint.config.kms_key_id
        # RealtimeEndpoint sets the capture config as a struct, never as a token.
        capture = typing.cast("sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None",
                              self.endpoint.config.data_capture_config)
        if capture is not None:  # the new config captures exactly as the endpoint's own does
            header = typing.cast(sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty,
                                 capture.capture_content_type_header)
            options = typing.cast("list[sagemaker.CfnEndpointConfig.CaptureOptionProperty]", capture.capture_options)
            request["DataCaptureConfig"] = {
                "EnableCapture": True,
                "InitialSamplingPercentage": capture.initial_sampling_percentage,
                "DestinationS3Uri": capture.destination_s3_uri,
                "KmsKeyId": capture.kms_key_id,
                "CaptureOptions": [{"CaptureMode": o.capture_mode} for o in options],
                "CaptureContentTypeHeader": {
                    "CsvContentTypes": list(header.csv_content_types or []),
                    "JsonContentTypes": list(header.json_content_types or []),
                },
            }
        return request

    def update_endpoint_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            "EndpointName": self.endpoint.endpoint_name_value,
            "EndpointConfigName.$": "$.names.config",
        }
        if self.endpoint.resource.retain_all_variant_properties:
            # Keep the autoscaled instance counts instead of resetting them to the config's initial counts, but
            # apply the config's weights (RetainAllVariantProperties alone would keep the deployed ones).
            request["RetainAllVariantProperties"] = True
            request["ExcludeRetainedVariantProperties"] = [
                {"VariantPropertyType": p} for p in UPDATABLE_VARIANT_PROPERTIES
            ]
        if not self.endpoint.variants[0][1].is_serverless:
            request["DeploymentConfig"] = self._deployment_config()
        return request

    def _deployment_config(self) -> dict[str, Any]:
        """The endpoint's blue/green policy and rollback alarms, sent explicitly (UpdateEndpoint without it, or
        without RetainDeploymentConfig=true, would update without the guardrails)."""
        d = self.endpoint.deployment
        step = {"Type": "CAPACITY_PERCENT", "Value": d.step_percent}
        routing: dict[str, Any] = {"Type": _TRAFFIC_TYPES[d.mode], "WaitIntervalInSeconds": int(d.wait.to_seconds())}
        if d.mode == "canary":
            routing["CanarySize"] = step
        elif d.mode == "linear":
            routing["LinearStepSize"] = step
        config: dict[str, Any] = {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": routing,
                "TerminationWaitInSeconds": int(d.termination_wait.to_seconds()),
                "MaximumExecutionTimeoutInSeconds": int(d.max_execution_timeout.to_seconds()),
            }
        }
        if d.auto_rollback:
            config["AutoRollbackConfiguration"] = {
                "Alarms": [{"AlarmName": a.alarm_name} for a in self.endpoint.monitoring.rollback_alarms()]
            }
        return config

    # -- states -----------------------------------------------------------------------------------------------------

    def _gate(self, scope: Construct, chain: sfn.Chain, gate: MetricGate) -> sfn.Chain:
        if isinstance(self.job, TuningJob):
            metric = gate.metric_name or self.job.objective.metric_name
            higher = gate.higher_is_better if gate.higher_is_better is not None else self.job.objective.type == "Maximize"
        else:
            metric = gate.metric_name or ""
            higher = gate.higher_is_better if gate.higher_is_better is not None else True
        if isinstance(self.job, TuningJob) and metric == self.job.objective.metric_name:
            values = "States.Array($.tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value)"
        else:
            values = f"$.training.FinalMetricDataList[?(@.MetricName == '{metric}')].Value"
        missing = sfn.Fail(scope, "MetricMissing", error="MetricGate",
                           cause=f"The job reported no '{metric}' metric, so the rollout stopped.")
        below = sfn.Fail(
            scope,
            "MetricBelowThreshold",
            error="MetricGate",
            cause=f"'{metric}' is {'below' if higher else 'above'} the gate's threshold ({gate.threshold}): the "
            "model was not rolled out. See the execution's SelectMetric output for the value.",
        )
        has_metrics = sfn.Choice(scope, "HasMetrics")
        select = sfn.Pass(scope, "SelectMetric", parameters={"values.$": values}, result_path="$.gate")
        check = sfn.Choice(scope, "MetricGate", comment=f"{metric} {'>=' if higher else '<='} {gate.threshold}")
        value = "$.gate.values[0]"
        passes = (sfn.Condition.number_greater_than_equals(value, gate.threshold) if higher
                  else sfn.Condition.number_less_than_equals(value, gate.threshold))
        self._gate_passed = sfn.Pass(scope, "MetricPassed")
        check.when(sfn.Condition.not_(sfn.Condition.is_present(value)), missing)
        check.when(sfn.Condition.and_(sfn.Condition.is_numeric(value), passes), self._gate_passed)
        check.otherwise(below)
        path = "$.tuning.BestTrainingJob" if isinstance(self.job, TuningJob) else "$.training.FinalMetricDataList"
        has_metrics.when(sfn.Condition.is_present(path), select.next(check))
        has_metrics.otherwise(missing)
        chain.next(has_metrics)
        return sfn.Chain.start(self._gate_passed)

    def _rollout_states(
        self, scope: Construct, chain: sfn.Chain, handler: sfn.IChainable, poll_interval: Duration
    ) -> None:
        names = sfn.Pass(
            scope,
            "Names",
            parameters={
                "model.$": f"States.Format('{self.name_prefix}-{{}}', $.run.id)",
                "config.$": f"States.Format('{self.name_prefix}-{{}}', $.run.id)",
            },
            result_path="$.names",
        )
        create_model = _CreateModel(
            scope,
            "CreateModel",
            request=self.create_model_request(),
            model_name=sfn.JsonPath.string_at("$.names.model"),
            primary_container=tasks.ContainerDefinition(
                image=tasks.DockerImage.from_registry(self.image_uri or ""),
                model_s3_location=tasks.S3Location.from_json_expression("$.training.ModelArtifacts.S3ModelArtifacts"),
            ),
            role=self.model_role.without_policy_updates(),
            result_path=sfn.JsonPath.DISCARD,
        )
        create_config = _CreateEndpointConfig(
            scope,
            "CreateEndpointConfig",
            request=self.create_endpoint_config_request(),
            endpoint_config_name=sfn.JsonPath.string_at("$.names.config"),
            # The L2 needs its own variant list; the request body above is what is sent.
            production_variants=[
                tasks.ProductionVariant(
                    model_name=sfn.JsonPath.string_at("$.names.model"),
                    variant_name=name,
                    instance_type=aws_ec2.InstanceType("m5.large"),
                )
                for name in self.endpoint.variant_names
            ],
            result_path=sfn.JsonPath.DISCARD,
        )
        update = _UpdateEndpoint(
            scope,
            "UpdateEndpoint",
            request=self.update_endpoint_request(),
            endpoint_name=self.endpoint.endpoint_name_value,
            endpoint_config_name=sfn.JsonPath.string_at("$.names.config"),
            result_path=sfn.JsonPath.DISCARD,
        )
        wait = sfn.Wait(scope, "WaitForUpdate", time=sfn.WaitTime.duration(poll_interval))
        describe = tasks.CallAwsService(
            scope,
            "DescribeEndpoint",
            service="sagemaker",
            action="describeEndpoint",
            iam_resources=[self._endpoint_arn()],
            parameters={"EndpointName": self.endpoint.endpoint_name_value},
            result_selector={
                "EndpointStatus.$": "$.EndpointStatus",
                "EndpointConfigName.$": "$.EndpointConfigName",
            },
            result_path="$.endpoint",
        )
        for task in (create_model, create_config, update, describe):
            _workflow.protect(task, handler)
        done = sfn.Choice(scope, "UpdateDone")
        in_service = sfn.Condition.string_equals("$.endpoint.EndpointStatus", "InService")
        done.when(
            sfn.Condition.and_(in_service, sfn.Condition.string_equals_json_path("$.endpoint.EndpointConfigName",
                                                                                 "$.names.config")),
            sfn.Succeed(scope, "RolledOut"),
        )
        done.when(
            in_service,
            sfn.Fail(scope, "RolledBack", error="RolledBack",
                     cause="The endpoint is back on its previous config: an alarm fired during the blue/green update "
                     "and SageMaker rolled it back. See the endpoint's alarms and events."),
        )
        done.when(
            sfn.Condition.string_equals("$.endpoint.EndpointStatus", "Failed"),
            sfn.Fail(scope, "UpdateFailed", error="UpdateFailed", cause="The endpoint update failed; see "
                     "DescribeEndpoint FailureReason."),
        )
        done.otherwise(wait)
        chain.next(names).next(create_model).next(create_config).next(update).next(wait).next(describe).next(done)

    # -- IAM --------------------------------------------------------------------------------------------------------

    def _endpoint_arn(self) -> str:
        # SageMaker lower-cases endpoint ARNs whatever the case of the endpoint's name.
        return _workflow.arn(self, "endpoint", self.endpoint.endpoint_name_value.lower())

    def _grant_rollout(self, role: iam.Role) -> None:
        models = _workflow.arn(self, "model", f"{self.name_prefix}-*")
        configs = _workflow.arn(self, "endpoint-config", f"{self.name_prefix}-*")
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:CreateModel"], resources=[models]))
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:CreateEndpointConfig"], resources=[configs]))
        role.add_to_policy(
            iam.PolicyStatement(actions=["sagemaker:UpdateEndpoint"], resources=[self._endpoint_arn(), configs])
        )
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=[self._endpoint_arn()]))
        _workflow.pass_role(role, self.model_role)
        if self.endpoint.config.kms_key_id is not None:
            # UpdateEndpoint provisions the new fleet's encrypted volumes with a grant on the endpoint key.
            # kms:GrantIsForAWSResource exists only for CreateGrant, ListGrants and RevokeGrant (Service
            # Authorization Reference, AWS KMS): under it, DescribeKey would never be allowed. So it stands alone.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:CreateGrant"],
                    resources=[self.endpoint.encryption_key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                )
            )
            role.add_to_policy(
                iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[self.endpoint.encryption_key.key_arn])
            )
        for pattern in (models, configs):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, pattern)}]",
                "Each run names its model and endpoint config '<prefix>-<run id>', known only at run time; the "
                "grant covers this pipeline's name prefix only.",
            )

    def _grant_model_role(self) -> None:
        role = self.model_role
        endpoint = self.endpoint
        if endpoint.deployment.auto_rollback:
            # The rolled-out config's models run the next blue/green update, which reads the rollback alarms.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:DescribeAlarms"],
                    resources=[alarm.alarm_arn for alarm in endpoint.monitoring.rollback_alarms()],
                )
            )
        capture = endpoint.data_capture
        if capture is not None:
            bucket = capture.bucket.bucket if isinstance(capture.bucket, ArtifactBucket) else capture.bucket
            prefix = capture.prefix.rstrip("/")
            role.add_to_policy(
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{prefix}/*")])
            )
            for key in (endpoint.encryption_key, bucket.encryption_key):
                if key is not None:
                    role.add_to_policy(
                        iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[key.key_arn])
                    )
            _workflow.acknowledge_wildcard(
                role,
                bucket.bucket_arn,
                f"/{prefix}/*",
                "Captured requests are written under new, unpredictable keys; PutObject is limited to the "
                "endpoint's data-capture prefix.",
            )
        if self.training.network is not None:
            self.training.network.grant_network_interfaces(role)
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:"
                "network-interface/*]",
                "SageMaker creates the model's network interfaces at deploy time, so their IDs cannot be known; "
                "creation is further limited to the model's own subnets and security group.",
            )
        group = Stack.of(self).format_arn(
            service="logs", resource="log-group", arn_format=ArnFormat.COLON_RESOURCE_NAME,
            resource_name=f"/aws/sagemaker/Endpoints/{self.endpoint.endpoint_name_value}",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                resources=[group, f"{group}:*"],
            )
        )
        # PutMetricData has no resource-level permissions; the condition pins the SageMaker namespaces instead.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
            )
        )
        if self.endpoint.deployment.auto_rollback and not self.endpoint.variants[0][1].is_serverless:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:DescribeAlarms"],
                    resources=[a.alarm_arn for a in self.endpoint.monitoring.rollback_alarms()],
                )
            )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions without resource-level permissions use '*': ecr:GetAuthorizationToken, ec2:Describe* "
            "(VPC placement) and cloudwatch:PutMetricData, the last pinned to SageMaker namespaces by condition.",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_resource(self, group)}:*]",
            "SageMaker names the log streams of an endpoint's instances at run time; the grant stays inside this "
            "endpoint's own log group.",
        )

    # -- triggers ---------------------------------------------------------------------------------------------------

    def _triggers(self, schedule: events.Schedule | None, on_new_data: bool) -> None:
        self.dead_letter_queue = sqs.Queue(
            self,
            "TriggerDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the pipeline's EventBridge triggers; it has no DLQ of its own.",
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
            "This queue is itself the dead-letter queue of the pipeline's EventBridge triggers; messages that reach "
            "it are kept 14 days for inspection, not redriven.",
        )

        def target(payload: dict[str, Any]) -> targets.SfnStateMachine:
            return targets.SfnStateMachine(
                self.state_machine,
                input=events.RuleTargetInput.from_object(payload),
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=4,
                max_event_age=Duration.hours(2),
            )

        if schedule is not None:
            self.rules.append(
                events.Rule(self, "Schedule", schedule=schedule,
                            description=f"Scheduled runs of {self.node.path}",
                            targets=[target({"trigger": "schedule"})])
            )
        if on_new_data:
            bucket = self.training.bucket
            bucket.enable_event_bridge()
            train = self.training.channels[0].key_prefix
            self.rules.append(
                events.Rule(
                    self,
                    "NewData",
                    description=f"Runs {self.node.path} when objects land under {train}",
                    event_pattern=events.EventPattern(
                        source=["aws.s3"],
                        detail_type=["Object Created"],
                        detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": [{"prefix": train}]}},
                    ),
                    targets=[target({"trigger": "new-data", "key": events.EventField.from_path("$.detail.object.key")})],
                )
            )

    # -- validation -------------------------------------------------------------------------------------------------

    def _validate(self, job: Any, endpoint: Any, image: Any, variants: Any, gate: Any, prefix: Any,
                  training: Any) -> None:
        errors = PropErrors(f"RolloutPipeline {self.node.path}")
        errors.expect_type("job", job, (TrainingJob, TuningJob), "a TrainingJob or a TuningJob")
        errors.expect_type("endpoint", endpoint, RealtimeEndpoint, "a RealtimeEndpoint")
        if image is not None:
            errors.expect_type("inference_image", image, ContainerImage, "a ContainerImage")
        if gate is not None:
            errors.expect_type("metric_gate", gate, MetricGate, "a MetricGate(threshold, ...)")
        errors.raise_if_any()
        if image is None and training.algorithm.image is None:
            errors.add("inference_image is required for a Marketplace algorithm: give the serving ContainerImage")
        if variants is not None:
            unknown = [v for v in variants if v not in endpoint.variant_names]
            if unknown or not variants:
                errors.add(
                    f"variants ({list(variants)}) must name variants of the endpoint: use some of "
                    f"{', '.join(map(repr, endpoint.variant_names))}"
                )
        if gate is not None and isinstance(job, TrainingJob) and gate.metric_name is None:
            errors.add("metric_gate.metric_name is required after a TrainingJob, e.g. MetricGate(0.9, "
                       "metric_name='validation:auc')")
        if prefix is not None and not is_token(prefix):
            if errors.expect_type("name_prefix", prefix, str, "a string"):
                if len(prefix) > MAX_PREFIX or not NAME_PATTERN.match(prefix):
                    errors.add(
                        f"name_prefix ({prefix!r}, {len(prefix)} characters) is too long or invalid: model and "
                        f"config names are '<prefix>-<36-character uuid>', so use at most {MAX_PREFIX}; {NAME_RULE}"
                    )
        errors.raise_if_any()


def _labeled_channels(owner: Construct, labeling: Any, training: TrainingJob) -> list[str]:
    """The training channels that read `labeling`'s augmented manifest; raises with the fix when there is none."""
    from ..labeling.labeling_job import LabelingJob

    errors = PropErrors(f"RolloutPipeline {owner.node.path}")
    if not errors.expect_type("labeling", labeling, LabelingJob, "a LabelingJob"):
        errors.raise_if_any()
    if labeling.bucket is not training.bucket:
        errors.add("labeling writes to another bucket than the training job reads: give both the same ArtifactBucket")
    if labeling.input_topic is not None:
        errors.add("labeling is a streaming job (input_topic), which never finishes on its own: use a manifest-based "
                   "LabelingJob")
    names = [c.name for c in training.channels
             if c.attribute_names is not None and c.key_prefix == labeling.output_prefix
             and _workflow.IDENTIFIER.match(c.name)]
    if not names:
        errors.add("labeling is set, but no training channel reads its output: add "
                   "Channel.from_labeling_job(labeling) to the TrainingJob's channels")
    errors.raise_if_any()
    return names
