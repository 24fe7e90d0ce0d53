"""ModelRegistration: train (or tune), optionally gate on a metric, then register the model as a new version in a
ModelRegistry, pending a human's approval.

Deploys a Standard state machine: Prepare -> ValidateInput -> Resolve -> Train | Tune+DescribeBestJob -> [metric
gate] -> Statistics (the objective metric and the job's final metrics, written as JSON to the artifact bucket with
`aws-sdk:s3:putObject`) -> Register (`aws-sdk:sagemaker:createModelPackage`) -> Registered. The package records the
inference specification (image, artifact, content and instance types), the metrics file (ModelMetrics.ModelQuality
.Statistics), the training job (MetadataProperties.GeneratedBy and customer metadata), the source data prefixes and
the stack's git revision when given. Its approval status is PendingManualApproval unless a MetricGate lets it be
Approved. `register_states` is the hook other workflows (e.g. labeling) use to end the same way.

Request shapes: botocore's sagemaker service model (CreateModelPackage: CustomerMetadataMap values match
`[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`, at most 256 characters, 50 entries; ClientToken 1-36 of `[a-zA-Z0-9-]`).
Cost: the jobs it runs; registered versions and the metrics files (a few hundred bytes each) cost nothing notable.
"""

from __future__ import annotations

from typing import Any, Literal, Mapping, Sequence

from aws_cdk import Duration, aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_kms as kms
from aws_cdk import aws_logs as logs, aws_sns as sns, aws_sqs as sqs, aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..core._types import typed
from ..core._validation import PropErrors, acknowledge, is_token, one_of
from ..core.container_image import ContainerImage
from ..core.instance_types import INSTANCE_TYPE_PATTERN
from . import _workflow
from ._metric_gate import MetricGate, gate_metric, gate_states
from .model_registry import IModelRegistry
from .training_job import TrainingJob
from .tuning_job import TuningJob

ApprovalStatus = Literal["PendingManualApproval", "Approved"]
METADATA_VALUE = r"^[\w\s.:/=+\-@]{1,256}$"
METRICS_CONTENT_TYPE = "application/json"


def register_states(
    scope: Construct,
    chain: sfn.Chain,
    handler: sfn.IChainable,
    *,
    request: Mapping[str, Any],
    registry: IModelRegistry,
    statistics: sfn.IChainable | None = None,
) -> sfn.Chain:
    """The generic end of a workflow: [statistics states ->] Register -> Registered.

    `request` is a CreateModelPackage request (JSONPath keys allowed); the caller's role needs
    `registry.grant_register(...)`. Labeling or any other workflow that produces a model artifact uses this.
    """
    register = tasks.CallAwsService(
        scope,
        "Register",
        comment="CreateModelPackage: a new version in the model registry.",
        service="sagemaker",
        action="createModelPackage",
        iam_resources=[registry.model_package_group_arn],
        parameters=dict(request),
        result_selector={"ModelPackageArn.$": "$.ModelPackageArn"},
        result_path="$.registered",
    )
    _workflow.protect(register, handler)
    if statistics is not None:
        chain = chain.next(statistics)
    return chain.next(register).next(sfn.Succeed(scope, "Registered"))


class ModelRegistration(Construct):
    """Train or tune, then register the result in a ModelRegistry for approval.

    Keyword-only props:
        job: a TrainingJob or a TuningJob. Required.
        registry: the ModelRegistry (or an imported one). Required.
        inference_image: the serving image. Default: the training image (built-in algorithms serve with the
            image they train with); required for Marketplace algorithms.
        content_types: MIME types the model accepts. Default: the training channels' content types, else
            ["text/csv"].
        response_types: MIME types it answers with. Default: the content types.
        instance_types: real-time instance types it supports. Default: ["ml.m5.large", "ml.m5.xlarge"].
        transform_instance_types: batch transform instance types. Default: the instance types.
        approval_status: "PendingManualApproval" or "Approved". Default: "PendingManualApproval"; "Approved"
            requires a metric_gate (a model only approves itself if it clears the bar).
        metric_gate: MetricGate(threshold, ...): below it, nothing is registered. Default: none.
        metric_name: the metric recorded as the objective after a TrainingJob. Default: the gate's metric (after
            a TuningJob: the tuning objective).
        git_revision: the commit of the code that declared this workflow, recorded as MetadataProperties.CommitId
            and customer metadata "GitRevision". Default: none.
        description: of every registered version. Default: "Registered by <construct path>".
        schedule: an EventBridge schedule. Default: none (on demand).
        metrics_prefix: where statistics JSON files go in the training bucket. Default:
            "model-metrics/<name prefix>/".
        encryption_key / failure_topic: Default: the training job's.
        log_retention: Default: one year.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job: TrainingJob | TuningJob,
        registry: IModelRegistry,
        inference_image: ContainerImage | None = None,
        content_types: Sequence[str] | None = None,
        response_types: Sequence[str] | None = None,
        instance_types: Sequence[str] = ("ml.m5.large", "ml.m5.xlarge"),
        transform_instance_types: Sequence[str] | None = None,
        approval_status: Literal["PendingManualApproval", "Approved"] = "PendingManualApproval",
        metric_gate: MetricGate | None = None,
        metric_name: str | None = None,
        git_revision: str | None = None,
        description: str | None = None,
        schedule: events.Schedule | None = None,
        metrics_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        failure_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"ModelRegistration {self.node.path}")
        errors.expect_type("job", job, (TrainingJob, TuningJob), "a TrainingJob or a TuningJob")
        errors.expect_type("registry", registry, IModelRegistry, "a ModelRegistry (or ModelRegistry.from_...)")
        if inference_image is not None:
            errors.expect_type("inference_image", inference_image, ContainerImage, "a ContainerImage")
        if metric_gate is not None:
            errors.expect_type("metric_gate", metric_gate, MetricGate, "a MetricGate(threshold, ...)")
        for prop, value in (("content_types", content_types), ("response_types", response_types),
                            ("instance_types", instance_types), ("transform_instance_types", transform_instance_types)):
            if value is not None:
                errors.expect_type(prop, value, (list, tuple), "a list of strings, e.g. ['text/csv']"
                                   if "types" in prop and "instance" not in prop else "a list of strings, e.g. "
                                   "['ml.m5.large']")
        errors.raise_if_any()
        training = job.training if isinstance(job, TuningJob) else job
        self.job, self.training, self.registry, self.metric_gate = job, training, registry, metric_gate
        channel_types = sorted({c.content_type for c in training.channels if isinstance(c.content_type, str)})
        self.content_types = list(content_types) if content_types is not None else (channel_types or ["text/csv"])
        self.response_types = list(response_types) if response_types is not None else list(self.content_types)
        self.instance_types = list(instance_types)
        self.transform_instance_types = (
            list(transform_instance_types) if transform_instance_types is not None else list(self.instance_types)
        )
        self.approval_status = approval_status
        self.git_revision = git_revision
        self._validate(errors, inference_image, training, metric_gate, metric_name, git_revision, description,
                       metrics_prefix)
        if metric_gate is not None:
            self.metric_name: str | None = gate_metric(job, metric_gate)[0]
        elif isinstance(job, TuningJob):
            self.metric_name = job.objective.metric_name
        else:
            self.metric_name = metric_name
        if metric_name is not None:
            self.metric_name = metric_name
        self.name_prefix: str = _workflow.name_prefix(self, 63 - 1 - _workflow.RUN_ID_LENGTH).lower()
        self.metrics_prefix: str = (metrics_prefix or f"model-metrics/{self.name_prefix}/").rstrip("/") + "/"
        self.description = description or f"Registered by {self.node.path}"[:1024]
        image = inference_image or training.algorithm.image
        assert image is not None
        # The role models built from these packages run with: pulls the image, reads the job's artifacts.
        # ApprovalDeployment adds what serving on its endpoint needs.
        self.model_role = iam.Role(
            self,
            "ModelRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the models deployed from packages {self.node.path} registers",
        )
        self.image = image
        self.image_uri: str = image.bind(self, self.model_role).image_uri  # type: ignore[assignment]
        training.grant_read_artifacts(self.model_role)
        acknowledge(
            self.model_role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions without resource-level permissions use '*': ecr:GetAuthorizationToken (and, once an "
            "ApprovalDeployment serves these models, ec2:Describe* and cloudwatch:PutMetricData, the last pinned "
            "to SageMaker namespaces by condition).",
        )

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
        self._grant(self.workflow_role)

        definition = Construct(self, "Definition")
        handler = _workflow.failure_handler(definition, self.resources, f"Registration {self.name_prefix}")
        tuned = [r.name for r in job.ranges] if isinstance(job, TuningJob) else []
        static = job.static_hyperparameters if isinstance(job, TuningJob) else training.hyperparameters
        first, last = _workflow.input_states(
            definition, hyperparameters=static, channels=training.channel_prefixes, tuned=tuned
        )
        chain = last.next(job.job_states(definition, handler))
        if metric_gate is not None:
            chain, _ = gate_states(definition, job, chain, metric_gate, what="registration")
        register_states(definition, chain, handler, request=self.create_model_package_request(),
                        registry=registry, statistics=self._statistics_states(definition, handler))
        self.state_machine = _workflow.state_machine(
            self,
            definition=first,
            role=self.workflow_role,
            resources=self.resources,
            comment=f"Trains and registers in model package group {registry.model_package_group_name} "
            f"({self.node.path}).",
        )
        self.rules: list[events.Rule] = []
        if schedule is not None:
            self.dead_letter_queue = sqs.Queue(
                self, "TriggerDeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            acknowledge(self.dead_letter_queue, "AwsSolutions-SQS3",
                        "This queue is the dead-letter queue of the registration's schedule; it has no DLQ of its own.")
            acknowledge(self.dead_letter_queue, "CKV_AWS_27",
                        "Dead-letter queue encrypted with SQS-managed keys (SSE-SQS): EventBridge delivers to it "
                        "without a key grant, and it holds failure records (the schedule's event metadata), not data.")
            acknowledge(self.dead_letter_queue, "Serverless-SQSRedrivePolicy",
                        "This queue is itself the dead-letter queue of the registration's schedule; messages that "
                        "reach it are kept 14 days for inspection, not redriven.")
            self.rules.append(events.Rule(
                self, "Schedule", schedule=schedule, description=f"Scheduled runs of {self.node.path}",
                targets=[targets.SfnStateMachine(
                    self.state_machine, input=events.RuleTargetInput.from_object({"trigger": "schedule"}),
                    dead_letter_queue=self.dead_letter_queue, retry_attempts=4, max_event_age=Duration.hours(2),
                )],
            ))

    def grant_read_artifacts(self, role: iam.IRole) -> iam.ManagedPolicy:
        """Let `role` (e.g. `Model.role` of a model declared with `ModelData.from_registry`) read the artifacts
        this workflow registers. The policy lives in this construct's stack, so a model in a stack this one
        depends on can be granted without a cross-stack cycle; it is customer-managed, like every library role's
        grants (HIPAA/NIST IAMNoInlinePolicy)."""
        bucket = self.training.bucket
        n = len([c for c in self.node.children if isinstance(c, iam.ManagedPolicy)])
        policy = iam.ManagedPolicy(
            self,
            "ReadArtifacts" + (str(n) if n else ""),
            description=f"Read the model artifacts {self.node.path} registers"[:1000],
            roles=[role],
            statements=[
                iam.PolicyStatement(actions=["s3:GetObject"],
                                    resources=[bucket.bucket.arn_for_objects(f"{self.training.output_prefix}*")]),
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[bucket.encryption_key.key_arn]),
            ],
        )
        _workflow.acknowledge_wildcard(
            policy, bucket.bucket.bucket_arn, f"/{self.training.output_prefix}*",
            "Registered artifacts are written under '<output prefix><job name>/', with job names known only at run "
            "time; reads are limited to this training job's output prefix.",
        )
        return policy

    # -- requests ---------------------------------------------------------------------------------------------------

    @property
    def metrics_key_format(self) -> str:
        """States.Format template of each run's statistics key."""
        return f"{self.metrics_prefix}{{}}/statistics.json"

    def put_statistics_request(self) -> dict[str, Any]:
        """s3:PutObject of `$.statistics` as JSON to '<metrics prefix><run id>/statistics.json'."""
        return {
            "Bucket": self.training.bucket.bucket_name,
            "Key.$": f"States.Format('{self.metrics_key_format}', $.run.id)",
            "Body.$": "States.JsonToString($.statistics)",
            "ContentType": METRICS_CONTENT_TYPE,
        }

    def create_model_package_request(self) -> dict[str, Any]:
        """CreateModelPackage: inference specification, metrics, metadata, approval status."""
        bucket = self.training.bucket.bucket_name
        metadata: dict[str, Any] = {
            "TrainingJobName.$": "$.training.TrainingJobName",
            "RunId.$": "$.run.id",
        }
        for name in sorted(self.training.channel_prefixes):
            if _workflow.IDENTIFIER.match(name):
                metadata[f"SourceData-{name}.$"] = f"States.Format('s3://{bucket}/{{}}', $.run.channels.{name})"
        if self.git_revision is not None:
            metadata["GitRevision"] = self.git_revision
        if self.metric_name is not None:
            metadata["ObjectiveMetric"] = self.metric_name
        container: dict[str, Any] = {"Image": self.image_uri,
                                     "ModelDataUrl.$": "$.training.ModelArtifacts.S3ModelArtifacts"}
        metadata_properties: dict[str, Any] = {"GeneratedBy.$": "$.training.TrainingJobArn"}
        if self.git_revision is not None:
            metadata_properties["CommitId"] = self.git_revision
        return {
            "ModelPackageGroupName": self.registry.model_package_group_name,
            "ModelPackageDescription": self.description,
            "ModelApprovalStatus": self.approval_status,
            # Step Functions retries a throttled call with the same token: one run never registers twice.
            "ClientToken.$": "$.run.id",
            "InferenceSpecification": {
                "Containers": [container],
                "SupportedContentTypes": self.content_types,
                "SupportedResponseMIMETypes": self.response_types,
                "SupportedRealtimeInferenceInstanceTypes": self.instance_types,
                "SupportedTransformInstanceTypes": self.transform_instance_types,
            },
            "ModelMetrics": {
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": METRICS_CONTENT_TYPE,
                        "S3Uri.$": f"States.Format('s3://{bucket}/{self.metrics_key_format}', $.run.id)",
                    }
                }
            },
            "MetadataProperties": metadata_properties,
            "CustomerMetadataProperties": metadata,
        }

    # -- states -----------------------------------------------------------------------------------------------------

    def _statistics_states(self, scope: Construct, handler: sfn.IChainable) -> sfn.IChainable:
        """Statistics (Choice on the job's metrics) -> WriteStatistics (s3:PutObject)."""
        final = "$.training.FinalMetricDataList"
        objective: dict[str, Any] | None = None
        if isinstance(self.job, TuningJob) and self.metric_name == self.job.objective.metric_name:
            objective = {
                "name": self.metric_name,
                "value.$": "$.tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value",
                "source": "tuning objective",
            }
        elif self.metric_name is not None:
            objective = {
                "name": self.metric_name,
                "values.$": f"{final}[?(@.MetricName == '{self.metric_name}')].Value",
                "source": "final metric of the training job",
            }

        def body(with_final: bool) -> dict[str, Any]:
            doc: dict[str, Any] = {
                "version": "1.0",
                "training_job.$": "$.training.TrainingJobName",
                "final_metrics.$": final if with_final else "States.Array()",
            }
            if objective is not None and (with_final or "value.$" in objective):
                doc["objective_metric"] = objective
            return doc

        choice = sfn.Choice(scope, "Statistics", comment="Collect the metrics the model package will reference.")
        with_metrics = sfn.Pass(scope, "WithMetrics", parameters=body(True), result_path="$.statistics")
        without = sfn.Pass(scope, "WithoutMetrics", parameters=body(False), result_path="$.statistics")
        put = tasks.CallAwsService(
            scope,
            "WriteStatistics",
            comment="The statistics JSON that ModelMetrics.ModelQuality.Statistics points to.",
            service="s3",
            action="putObject",
            iam_resources=[self.training.bucket.bucket.arn_for_objects(f"{self.metrics_prefix}*")],
            parameters=self.put_statistics_request(),
            result_path=sfn.JsonPath.DISCARD,
        )
        _workflow.protect(put, handler)
        choice.when(sfn.Condition.is_present(final), with_metrics)
        choice.otherwise(without)
        with_metrics.next(put)
        without.next(put)
        return sfn.Chain.custom(choice, [put], put)

    # -- IAM --------------------------------------------------------------------------------------------------------

    def _grant(self, role: iam.Role) -> None:
        self.registry.grant_register(role, approval_statuses=[self.approval_status])
        bucket = self.training.bucket
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:PutObject"], resources=[bucket.bucket.arn_for_objects(f"{self.metrics_prefix}*")]
        ))
        role.add_to_policy(iam.PolicyStatement(
            actions=["kms:GenerateDataKey"], resources=[bucket.encryption_key.key_arn]
        ))
        _workflow.acknowledge_wildcard(
            role, bucket.bucket.bucket_arn, f"/{self.metrics_prefix}*",
            "Each run writes its statistics file under '<metrics prefix><run id>/', known only at run time; "
            "PutObject is limited to this workflow's metrics prefix.",
        )

    # -- validation -------------------------------------------------------------------------------------------------

    def _validate(self, errors: PropErrors, image: Any, training: TrainingJob, gate: MetricGate | None,
                  metric_name: Any, git_revision: Any, description: Any, metrics_prefix: Any) -> None:
        import re

        if image is None and training.algorithm.image is None:
            errors.add("inference_image is required for a Marketplace algorithm: give the serving ContainerImage")
        one_of(errors, "approval_status", self.approval_status, ("PendingManualApproval", "Approved"))
        if self.approval_status == "Approved" and gate is None:
            errors.add("approval_status ('Approved') requires a metric_gate: a model may approve itself only if it "
                       "clears a bar; add metric_gate=MetricGate(...) or keep 'PendingManualApproval'")
        if gate is not None and isinstance(self.job, TrainingJob) and gate.metric_name is None:
            errors.add("metric_gate.metric_name is required after a TrainingJob, e.g. MetricGate(0.9, "
                       "metric_name='validation:auc')")
        for prop, values in (("content_types", self.content_types), ("response_types", self.response_types)):
            if not values:
                errors.add(f"{prop} must not be empty: give MIME types such as ['text/csv']")
            for value in values:
                if not is_token(value):
                    errors.check(isinstance(value, str) and 0 < len(value) <= 256 and "/" in value,
                                 f"{prop} entry ({value!r}) must be a MIME type such as 'text/csv'")
        for prop, values in (("instance_types", self.instance_types),
                             ("transform_instance_types", self.transform_instance_types)):
            if not values:
                errors.add(f"{prop} must not be empty: give instance types such as ['ml.m5.large']")
            for value in values:
                if not is_token(value):
                    errors.check(isinstance(value, str) and bool(INSTANCE_TYPE_PATTERN.match(value)),
                                 f"{prop} entry ({value!r}) must be a SageMaker instance type such as 'ml.m5.large'")
        if metric_name is not None and errors.expect_type("metric_name", metric_name, str, "a string"):
            errors.check("'" not in metric_name and 0 < len(metric_name) <= 128,
                         f"metric_name ({metric_name!r}) must be 1 to 128 characters without \"'\"")
        if git_revision is not None and not is_token(git_revision):
            if errors.expect_type("git_revision", git_revision, str, "a string such as a commit SHA"):
                errors.check(bool(re.match(METADATA_VALUE, git_revision)),
                             f"git_revision ({git_revision!r}) must be 1 to 256 letters, digits, spaces or "
                             "'_.:/=+-@' (SageMaker's customer metadata rule), e.g. a commit SHA")
        if description is not None and errors.expect_type("description", description, str, "a string"):
            errors.check(len(description) <= 1024, f"description ({len(description)} characters) must be at most "
                         "1024 characters: shorten it")
        if metrics_prefix is not None and errors.expect_type("metrics_prefix", metrics_prefix, str, "a string"):
            errors.check(bool(re.match(r"^[A-Za-z0-9._-][A-Za-z0-9._/-]*/?$", metrics_prefix)),
                         f"metrics_prefix ({metrics_prefix!r}) must be an S3 key prefix such as 'model-metrics/'")
        errors.raise_if_any()
