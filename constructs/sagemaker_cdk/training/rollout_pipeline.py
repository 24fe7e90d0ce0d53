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

from typing import Any, Sequence

from aws_cdk import (
    Duration,
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sagemaker as sagemaker,
    aws_sns as sns,
    aws_sqs as sqs,
    aws_stepfunctions as sfn,
)
from constructs import Construct

from ..core._types import typed
from . import _endpoint_grants, _endpoint_update, _workflow
from ._metric_gate import MetricGate, gate_states
from ..core._validation import NAME_PATTERN, NAME_RULE, PropErrors, acknowledge, is_token
from ..core.container_image import ContainerImage
from ..inference.realtime_endpoint import RealtimeEndpoint
from .training_job import TrainingJob
from .tuning_job import TuningJob

__all__ = ["MetricGate", "RolloutPipeline"]

MAX_PREFIX = 63 - 1 - _workflow.RUN_ID_LENGTH


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
        return _endpoint_update.create_model_request(
            role_arn=self.model_role.role_arn,
            container={"Image": self.image_uri, "ModelDataUrl.$": "$.training.ModelArtifacts.S3ModelArtifacts"},
            network=self.training.network,
        )

    def create_endpoint_config_request(self) -> dict[str, Any]:
        return _endpoint_update.create_endpoint_config_request(self.endpoint, self.target_variants)

    def update_endpoint_request(self) -> dict[str, Any]:
        return _endpoint_update.update_endpoint_request(self.endpoint)

    def _deployment_config(self) -> dict[str, Any]:
        return _endpoint_update.deployment_config(self.endpoint)

    # -- states -----------------------------------------------------------------------------------------------------

    def _gate(self, scope: Construct, chain: sfn.Chain, gate: MetricGate) -> sfn.Chain:
        chain, self._gate_passed = gate_states(scope, self.job, chain, gate)
        return chain

    def _rollout_states(
        self, scope: Construct, chain: sfn.Chain, handler: sfn.IChainable, poll_interval: Duration
    ) -> None:
        _endpoint_update.endpoint_update_states(
            scope,
            chain,
            handler,
            endpoint=self.endpoint,
            name_prefix=self.name_prefix,
            model_request=self.create_model_request(),
            config_request=self.create_endpoint_config_request(),
            update_request=self.update_endpoint_request(),
            image_uri=self.image_uri,
            model_role=self.model_role,
            poll_interval=poll_interval,
        )

    # -- IAM --------------------------------------------------------------------------------------------------------

    def _endpoint_arn(self) -> str:
        return _endpoint_grants.endpoint_arn(self, self.endpoint)

    def _grant_rollout(self, role: iam.Role) -> None:
        _endpoint_grants.grant_endpoint_update(
            self, role, endpoint=self.endpoint, name_prefix=self.name_prefix, model_role=self.model_role
        )

    def _grant_model_role(self) -> None:
        _endpoint_grants.grant_serving_role(self, self.model_role, endpoint=self.endpoint, network=self.training.network)

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
