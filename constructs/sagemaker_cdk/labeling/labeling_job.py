"""LabelingJob: a Ground Truth labeling job declared in CDK, run by a Step Functions state machine.

CloudFormation cannot create labeling jobs, so this construct deploys what runs one, the way TrainingJob does:

- the job's files in the ArtifactBucket, under "<input prefix>_labeling/": the worker template (ours, written with
  Crowd HTML Elements, unless a HumanTaskUi ARN is given) and the label-category configuration;
- a least-privilege labeling role (SageMaker's), which reads only the input prefix, reads and writes only the output
  prefix (automated labeling reads back its own intermediate datasets there) and invokes only a custom task type's
  own functions;
- the `lambda/labeling_manifest` function, which writes the run's input manifest from every data object under the
  input prefix (or checks a manifest you give) and enforces automated labeling's minimum dataset size;
- a Standard state machine: Prepare -> ValidateInput -> ResolveManifest -> Label (CreateLabelingJob through the
  optimized `arn:aws:states:::sagemaker:createLabelingJob.sync` integration, which waits for the job) ->
  NotifyCompleted, logging ALL to a KMS-encrypted log group, traced with X-Ray, failures published to an SNS topic;
- triggers: on demand (StartExecution), an optional schedule, and optionally a manifest landing under
  "<input prefix>manifests/".

Execution input: {} (label everything under the input prefix) or {"manifest": "<key under the input prefix>"}.
Each run labels a job named "<prefix>-<uuid>" (lower case: IAM matches job ARNs case-sensitively) and writes the
augmented manifest to "<output prefix><job name>/manifests/output/output.manifest", KMS-encrypted with the bucket key.

Cost: nothing while idle but the KMS key and log storage. Each run bills Ground Truth per labeled object (and per
human-reviewed object for automated labeling, plus the training and inference of its active-learning models), and
your private workers' time; see the Ground Truth pricing page.
"""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

from aws_cdk import (
    Annotations,
    ArnFormat,
    CfnMapping,
    Duration,
    RemovalPolicy,
    Stack,
    Token,
    aws_cloudwatch as cloudwatch,
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3_deployment as s3_deployment,
    aws_sns as sns,
    aws_sqs as sqs,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct

from ..core._functions import project_function
from ..core._types import typed
from ..core._validation import (
    MAX_JOB_NAME_PREFIX,
    PropErrors,
    acknowledge,
    is_token,
    job_name_prefix as check_job_name_prefix,
    nag_resource,
)
from ..core.artifact_bucket import ArtifactBucket
from ..training import _workflow
from ..training.training_data import TrainingData
from ..training.training_props import check_prefix, normalize_prefix
from . import registry
from .task_type import AUTOMATED_LABELING_MINIMUM, TaskType
from .workteam import ImportedWorkteam, LabelingWorkteam

LABELING_LOG_GROUP = "/aws/sagemaker/LabelingJobs"
CONFIG_FOLDER = "_labeling/"
MAX_TASK_TIME_LIMIT = 8 * 3600  # image, text and custom task types (HumanTaskConfig.TaskTimeLimitInSeconds)
MAX_AVAILABILITY = 30 * 24 * 3600  # private workforces (HumanTaskConfig.TaskAvailabilityLifetimeInSeconds)
MAX_CONCURRENT_TASKS = 5000
MAX_LABELS = 256  # label categories per job (Ground Truth's label category configuration limit)


class _CreateLabelingJob(sfn.CustomState):
    """The optimized integration, rendered by hand: aws-cdk-lib has no L2 task for CreateLabelingJob."""


class LabelingJob(Construct):
    """A Ground Truth labeling job definition plus the state machine that runs it.

    Keyword-only props:
        bucket: the ArtifactBucket holding the data and receiving the labels. Required.
        workteam: a LabelingWorkteam, or LabelingWorkteam.from_workteam_arn(...). Required.
        task_type: TaskType.image_classification(), ..., or TaskType.custom(...). Required.
        labels: the label categories (1 to 256 unique strings), written to the label-category configuration file.
            Required for built-in task types.
        task_title / task_description: what workers see (1-128 / 1-255 characters). Required.
        task_keywords: 1 to 5 keywords (letters, digits, single spaces). Default: none.
        instructions: short instructions shown next to the task. Default: the task description.
        label_attribute_name: the label's key in the output manifest. Default: "label" ("label-ref" for semantic
            segmentation, which requires the "-ref" suffix).
        workers_per_object: 1 to 9 workers label each object (consolidation merges their answers). Default: 1.
        task_time_limit: per task, 30 s to 8 h. Default: 5 minutes.
        task_availability: how long a task waits for a worker, 1 minute to 30 days. Default: 1 day.
        max_concurrent_tasks: objects out with workers at a time, 1 to 5000. Default: Ground Truth's (1000).
        automated_labeling: active learning, for task types that have it (image classification, bounding box,
            semantic segmentation, text classification). Needs 1,250 objects at least (checked at run time).
            Default: False.
        initial_model_arn: an active-learning model from an earlier job, to start from. Default: none.
        volume_key: encrypts the volumes of the active-learning jobs. Default: the bucket's key.
        max_human_labeled_objects / max_percentage_labeled: stopping conditions. Default: none.
        input_prefix / output_prefix: Default: "labeling/<job name prefix>/input/" and ".../output/".
        manifest_key: a manifest under the input prefix to label by default. Default: none (built per run).
        input_topic: make a streaming job fed by this SNS topic (no manifest, no automated labeling). Default: none.
        job_name_prefix: at most 24 lower-case characters. Default: "<stack>-<id>" lower-cased and shortened.
        schedule: an EventBridge schedule. Default: none.
        on_manifest: start a run when a manifest lands under "<input prefix>manifests/". Default: False.
        notification_topic: receives "labeling completed" notices (and, for a streaming job, Ground Truth's labeled
            objects). Default: the failure topic.
        encryption_key / failure_topic / log_retention: as TrainingJob's.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: ArtifactBucket,
        workteam: LabelingWorkteam | ImportedWorkteam,
        task_type: TaskType,
        task_title: str,
        task_description: str,
        labels: Sequence[str] | None = None,
        task_keywords: Sequence[str] = (),
        instructions: str | None = None,
        label_attribute_name: str | None = None,
        workers_per_object: int = 1,
        task_time_limit: Duration = Duration.minutes(5),
        task_availability: Duration = Duration.days(1),
        max_concurrent_tasks: int | None = None,
        automated_labeling: bool = False,
        initial_model_arn: str | None = None,
        volume_key: kms.IKey | None = None,
        max_human_labeled_objects: int | None = None,
        max_percentage_labeled: int | None = None,
        input_prefix: str | None = None,
        output_prefix: str | None = None,
        manifest_key: str | None = None,
        input_topic: sns.ITopic | None = None,
        job_name_prefix: str | None = None,
        schedule: events.Schedule | None = None,
        on_manifest: bool = False,
        notification_topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        failure_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        self.job_name_prefix: str = job_name_prefix or _workflow.name_prefix(self, MAX_JOB_NAME_PREFIX).lower()
        default_root = f"labeling/{self.job_name_prefix}/"
        self._validate(
            bucket, workteam, task_type, task_title, task_description, labels, task_keywords, instructions,
            label_attribute_name, workers_per_object, task_time_limit, task_availability, max_concurrent_tasks,
            automated_labeling, initial_model_arn, volume_key, max_human_labeled_objects, max_percentage_labeled,
            input_prefix, output_prefix, manifest_key, input_topic, job_name_prefix, schedule, on_manifest,
            notification_topic,
        )
        self.bucket, self.workteam, self.task_type = bucket, workteam, task_type
        self.labels: list[str] = list(labels or [])
        self.task_title, self.task_description = task_title, task_description
        self.task_keywords = list(task_keywords)
        self.instructions = instructions or task_description
        self.label_attribute_name: str = label_attribute_name or f"label{task_type.label_attribute_suffix}"
        self.workers_per_object = workers_per_object
        self.task_time_limit, self.task_availability = task_time_limit, task_availability
        self.max_concurrent_tasks = max_concurrent_tasks
        self.automated_labeling = automated_labeling
        self.initial_model_arn = initial_model_arn
        self.max_human_labeled_objects, self.max_percentage_labeled = max_human_labeled_objects, max_percentage_labeled
        self.input_prefix: str = normalize_prefix(input_prefix or f"{default_root}input/")
        self.output_prefix: str = normalize_prefix(output_prefix or f"{default_root}output/")
        self.config_prefix: str = f"{self.input_prefix}{CONFIG_FOLDER}"
        self.manifest_prefix: str = f"{self.config_prefix}manifests/"
        self.landing_prefix: str = f"{self.input_prefix}manifests/"
        self.manifest_key = manifest_key
        self.input_topic = input_topic
        self.volume_key: kms.IKey | None = (volume_key or bucket.encryption_key) if automated_labeling else None

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Ground Truth execution role of labeling job {self.node.path}",
        )
        self._upload_config()
        self._grant_labeling_role()

        self.resources = _workflow.WorkflowResources(
            self, encryption_key=encryption_key, failure_topic=failure_topic, log_retention=log_retention
        )
        self.encryption_key: kms.IKey = self.resources.encryption_key
        self.failure_topic: sns.ITopic = self.resources.failure_topic
        self.notification_topic: sns.ITopic = notification_topic or self.failure_topic
        self.log_group: logs.ILogGroup = self.resources.log_group
        self.manifest_function: lambda_.Function | None = None
        if input_topic is None:
            self.manifest_function = self._manifest_function(log_retention)
        self.workflow_role = _workflow.workflow_role(self, self.resources)
        self.grant_run(self.workflow_role)

        definition = Construct(self, "Definition")
        handler = _workflow.failure_handler(definition, self.resources, f"Labeling {self.job_name_prefix}")
        first = self._states(definition, handler)
        self.state_machine = _workflow.state_machine(
            self,
            definition=first,
            role=self.workflow_role,
            resources=self.resources,
            comment=f"Labels data with Ground Truth job {self.job_name_prefix}-<uuid> ({self.node.path}).",
        )
        self.rules: list[events.Rule] = []
        if schedule is not None or on_manifest:
            self._triggers(schedule, on_manifest)

    # -- public API -------------------------------------------------------------------------------------------------

    @property
    def output_uri(self) -> str:
        return self.bucket.s3_uri(self.output_prefix)

    @property
    def output_manifest_pattern(self) -> str:
        """Where each run's augmented manifest lands: "<output prefix><job name>/manifests/output/output.manifest"."""
        return f"{self.output_prefix}<job name>/manifests/output/output.manifest"

    def labeling_job_arn_pattern(self) -> str:
        return _workflow.arn(self, "labeling-job", f"{self.job_name_prefix}-*")

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """states:StartExecution on this job's state machine only (on-demand runs)."""
        return self.state_machine.grant_start_execution(grantee)

    def metric_runs_failed(self, **props: Any) -> cloudwatch.Metric:
        """Executions that failed (invalid input, too small a dataset, a failed or stopped labeling job)."""
        return self.state_machine.metric_failed(**props)

    def metric_runs_succeeded(self, **props: Any) -> cloudwatch.Metric:
        """Executions whose labeling job completed."""
        return self.state_machine.metric_succeeded(**props)

    def grant_read_labels(self, grantee: iam.IGrantable) -> None:
        """s3:GetObject on the output prefix (augmented manifests) and the input prefix (the objects they reference),
        and kms:Decrypt on the bucket key: what a training job needs to read the labeled data."""
        for prefix in (self.output_prefix, self.input_prefix):
            iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"],
                                       resource_arns=[self.bucket.bucket.arn_for_objects(f"{prefix}*")])
        self.bucket.encryption_key.grant_decrypt(grantee)

    def grant_run(self, role: iam.IRole) -> None:
        """What a state machine needs to run this job with `.sync`: create/describe/stop on this prefix only."""
        pattern = self.labeling_job_arn_pattern()
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:AddTags",
                    "sagemaker:CreateLabelingJob",
                    "sagemaker:DescribeLabelingJob",
                    "sagemaker:ListTags",
                    "sagemaker:StopLabelingJob",
                ],
                resources=[pattern],
            )
        )
        _workflow.pass_role(role, self.role)
        _workflow.sync_rule(role, "StepFunctionsGetEventsForSageMakerLabelingJobsRule")
        if self.manifest_function is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.manifest_function.function_arn])
            )
        if self.notification_topic is not self.failure_topic:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["sns:Publish"], resources=[self.notification_topic.topic_arn])
            )
            key = getattr(self.notification_topic, "master_key", None)
            if key is not None:
                role.add_to_principal_policy(
                    iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn])
                )
        if isinstance(role, iam.Role):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, pattern)}]",
                "Each execution names its labeling job '<prefix>-<uuid>', known only at run time; the grant covers "
                "this workflow's job-name prefix only.",
            )

    # -- requests ---------------------------------------------------------------------------------------------------

    def labeling_request(self) -> dict[str, Any]:
        """The CreateLabelingJob request; the name comes from `$.run.id`, the manifest from `$.manifest`."""
        stack = Stack.of(self)
        human: dict[str, Any] = {
            "WorkteamArn": self.workteam.workteam_arn,
            "UiConfig": self._ui_config(),
            "TaskTitle": self.task_title,
            "TaskDescription": self.task_description,
            "NumberOfHumanWorkersPerDataObject": self.workers_per_object,
            "TaskTimeLimitInSeconds": int(self.task_time_limit.to_seconds()),
            "TaskAvailabilityLifetimeInSeconds": int(self.task_availability.to_seconds()),
        }
        if self.task_keywords:
            human["TaskKeywords"] = list(self.task_keywords)
        if self.max_concurrent_tasks is not None:
            human["MaxConcurrentTaskCount"] = self.max_concurrent_tasks
        if self.task_type.built_in:
            human["PreHumanTaskLambdaArn"] = self._registry_arn("pre")
            human["AnnotationConsolidationConfig"] = {"AnnotationConsolidationLambdaArn": self._registry_arn("acs")}
        else:
            assert self.task_type.pre_annotation is not None and self.task_type.consolidation is not None
            human["PreHumanTaskLambdaArn"] = self.task_type.pre_annotation.function_arn
            human["AnnotationConsolidationConfig"] = {
                "AnnotationConsolidationLambdaArn": self.task_type.consolidation.function_arn
            }
        if self.input_topic is not None:
            data_source: dict[str, Any] = {"SnsDataSource": {"SnsTopicArn": self.input_topic.topic_arn}}
        else:
            data_source = {"S3DataSource": {"ManifestS3Uri.$": "$.manifest.manifest_uri"}}
        output: dict[str, Any] = {"S3OutputPath": self.output_uri, "KmsKeyId": self.bucket.encryption_key.key_arn}
        if self.input_topic is not None:
            output["SnsTopicArn"] = self.notification_topic.topic_arn
        request: dict[str, Any] = {
            "LabelingJobName.$": f"States.Format('{self.job_name_prefix}-{{}}', $.run.id)",
            "LabelAttributeName": self.label_attribute_name,
            # No DataAttributes: its content classifiers only matter to the public (Mechanical Turk) workforce.
            "InputConfig": {"DataSource": data_source},
            "OutputConfig": output,
            "RoleArn": self.role.role_arn,
            "HumanTaskConfig": human,
        }
        if self.labels or self.task_type.built_in:
            request["LabelCategoryConfigS3Uri"] = self.bucket.s3_uri(f"{self.config_prefix}label-categories.json")
        stopping: dict[str, Any] = {}
        if self.max_human_labeled_objects is not None:
            stopping["MaxHumanLabeledObjectCount"] = self.max_human_labeled_objects
        if self.max_percentage_labeled is not None:
            stopping["MaxPercentageOfInputDatasetLabeled"] = self.max_percentage_labeled
        if stopping:
            request["StoppingConditions"] = stopping
        if self.automated_labeling:
            algorithm = self.task_type.automated_labeling_algorithm
            assert algorithm is not None
            algorithms: dict[str, Any] = {
                "LabelingJobAlgorithmSpecificationArn": stack.format_arn(
                    service="sagemaker",
                    account=registry.algorithm_account(algorithm),
                    resource="labeling-job-algorithm-specification",
                    resource_name=algorithm,
                ),
                "LabelingJobResourceConfig": {"VolumeKmsKeyId": self.volume_key.key_arn if self.volume_key else None},
            }
            if self.volume_key is None:
                del algorithms["LabelingJobResourceConfig"]
            if self.initial_model_arn is not None:
                algorithms["InitialActiveLearningModelArn"] = self.initial_model_arn
            request["LabelingJobAlgorithmsConfig"] = algorithms
        return request

    def label_category_config(self) -> dict[str, Any]:
        """The label-category configuration file Ground Truth reads (document version 2018-11-28)."""
        return {"document-version": "2018-11-28", "labels": [{"label": label} for label in self.labels]}

    # -- rendering --------------------------------------------------------------------------------------------------

    def _ui_config(self) -> dict[str, Any]:
        if self.task_type.human_task_ui_arn is not None:
            return {"HumanTaskUiArn": self.task_type.human_task_ui_arn}
        return {"UiTemplateS3Uri": self.bucket.s3_uri(f"{self.config_prefix}template.liquid.html")}

    def _registry_arn(self, kind: str) -> str:
        """The AWS-owned PRE/ACS function of the stack's region: literal for a known region, else a CfnMapping."""
        task = self.task_type.name
        stack = Stack.of(self)
        function = f"{kind.upper()}-{task}"
        if not Token.is_unresolved(stack.region):
            return (registry.pre_annotation_arn if kind == "pre" else registry.consolidation_arn)(task, stack.region)
        mapping_id = f"GroundTruth{kind.title()}{task}"
        mapping = stack.node.try_find_child(mapping_id)
        if not isinstance(mapping, CfnMapping):
            mapping = CfnMapping(
                stack,
                mapping_id,
                mapping={region: {"account": account}
                         for region, account in sorted(registry.accounts(task, kind).items())},
            )
        account = mapping.find_in_map(stack.region, "account")
        return stack.format_arn(service="lambda", account=account, resource="function", resource_name=function,
                                arn_format=ArnFormat.COLON_RESOURCE_NAME)

    def _upload_config(self) -> None:
        sources = []
        template = self.task_type.worker_template(self.task_title)
        if template is not None:
            template = template.replace("{{ task.input.shortInstruction | default: '' }}", _escape(self.instructions))
            template = template.replace("{{ task.input.fullInstruction | default: '' }}", _escape(self.instructions))
            sources.append(s3_deployment.Source.data("template.liquid.html", template))
        if self.labels or self.task_type.built_in:
            sources.append(s3_deployment.Source.data("label-categories.json",
                                                     json.dumps(self.label_category_config(), indent=1) + "\n"))
        if not sources:
            self.deployment = None
            return
        self.deployment = s3_deployment.BucketDeployment(
            self,
            "Config",
            sources=sources,
            destination_bucket=self.bucket.bucket,
            destination_key_prefix=self.config_prefix,
            prune=False,
            retain_on_delete=True,
        )
        TrainingData._wait_for_handler_log_group(self, Stack.of(self))  # type: ignore[arg-type]
        TrainingData._acknowledge(self, Stack.of(self), self.bucket)  # type: ignore[arg-type]

    def job_states(self, scope: Construct, handler: sfn.IChainable) -> sfn.Chain:
        """BuildManifest -> Label, for another workflow to embed (e.g. RolloutPipeline with `labeling=`): labels
        everything under the input prefix (or `manifest_key`) in a job named "<prefix>-<$.run.id>" and writes the
        job's name, status, counters and output manifest URI to `$.labeling`."""
        label = self._label_task(scope, handler)
        if self.manifest_function is None:
            return sfn.Chain.start(label)
        payload: dict[str, Any] = {"job_name.$": f"States.Format('{self.job_name_prefix}-{{}}', $.run.id)"}
        if self.manifest_key:
            payload["manifest_key"] = self.manifest_key
        build = self._manifest_task(scope, "BuildManifest", payload)
        _workflow.protect(build, handler)
        return sfn.Chain.start(build).next(label)

    def _label_task(self, scope: Construct, handler: sfn.IChainable) -> sfn.CustomState:
        label = _CreateLabelingJob(
            scope,
            "Label",
            state_json={
                "Type": "Task",
                "Comment": "CreateLabelingJob (.sync): waits for the labeling job to finish.",
                "Resource": f"arn:{Stack.of(self).partition}:states:::sagemaker:createLabelingJob.sync",
                "Parameters": self.labeling_request(),
                "ResultSelector": {
                    "LabelingJobName.$": "$.LabelingJobName",
                    "LabelingJobStatus.$": "$.LabelingJobStatus",
                    "LabelCounters.$": "$.LabelCounters",
                    "OutputManifest.$": "$.LabelingJobOutput.OutputDatasetS3Uri",
                },
                "ResultPath": "$.labeling",
            },
        )
        _workflow.protect(label, handler)
        return label

    def _states(self, scope: Construct, handler: sfn.IChainable) -> sfn.IChainable:
        prepare = sfn.Pass(
            scope,
            "Prepare",
            comment="Keep the execution input and draw this run's id.",
            parameters={"input.$": "$", "run": {"id.$": "States.UUID()"}},
        )
        validate = sfn.Choice(scope, "ValidateInput", comment="Reject ill-typed input before any job starts.")
        reject = sfn.Fail(
            scope,
            "InvalidManifest",
            error="InvalidInput",
            cause=f"input.manifest must be a key under '{self.input_prefix}' (the labeling role reads only there), "
                  f"e.g. \"{self.landing_prefix}batch-1.manifest\".",
        )
        not_object = sfn.Condition.or_(
            sfn.Condition.is_string("$.input"), sfn.Condition.is_numeric("$.input"),
            sfn.Condition.is_boolean("$.input"), sfn.Condition.is_null("$.input"),
            sfn.Condition.is_present("$.input[0]"),
        )
        validate.when(not_object, sfn.Fail(scope, "InvalidInputType", error="InvalidInput",
                                           cause="The execution input must be a JSON object, e.g. {} or "
                                                 "{\"manifest\": \"<key>\"}."))
        validate.when(
            sfn.Condition.and_(
                sfn.Condition.is_present("$.input.manifest"),
                sfn.Condition.not_(sfn.Condition.and_(
                    sfn.Condition.is_string("$.input.manifest"),
                    sfn.Condition.string_matches("$.input.manifest", f"{self.input_prefix}*"),
                )),
            ),
            reject,
        )
        label = self._label_task(scope, handler)
        notify = tasks.SnsPublish(
            scope,
            "NotifyCompleted",
            topic=self.notification_topic,
            subject=f"Labeling {self.job_name_prefix} completed"[:99],
            message=sfn.TaskInput.from_object({
                "workflow": f"Labeling {self.job_name_prefix}",
                "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
                "job": sfn.JsonPath.string_at("$.labeling.LabelingJobName"),
                "outputManifest": sfn.JsonPath.string_at("$.labeling.OutputManifest"),
                "counters": sfn.JsonPath.object_at("$.labeling.LabelCounters"),
            }),
            result_path=sfn.JsonPath.DISCARD,
        )
        notify.add_retry(errors=["SNS.ThrottledException", "SNS.KMSThrottlingException"], max_attempts=3)
        done = sfn.Succeed(scope, "Labeled", output_path="$.labeling")
        if self.manifest_function is not None:
            payload: dict[str, Any] = {"job_name.$": f"States.Format('{self.job_name_prefix}-{{}}', $.run.id)"}
            resolve_given = self._manifest_task(scope, "CheckManifest", {
                **payload, "manifest_key.$": "$.input.manifest", "encoded.$": "$.input.encoded"})
            resolve_default = self._manifest_task(
                scope, "BuildManifest",
                {**payload, "manifest_key": self.manifest_key} if self.manifest_key else payload,
            )
            for task in (resolve_given, resolve_default):
                _workflow.protect(task, handler)
            defaults = sfn.Pass(scope, "DefaultEncoding", result=sfn.Result.from_boolean(False),
                                result_path="$.input.encoded")
            has_manifest = sfn.Choice(scope, "GivenManifest?")
            encoded = sfn.Choice(scope, "EncodingGiven?")
            has_manifest.when(sfn.Condition.is_present("$.input.manifest"), encoded)
            has_manifest.otherwise(resolve_default)
            encoded.when(sfn.Condition.and_(sfn.Condition.is_present("$.input.encoded"),
                                            sfn.Condition.is_boolean("$.input.encoded")), resolve_given)
            encoded.otherwise(defaults)
            defaults.next(resolve_given)
            resolve_given.next(label)
            resolve_default.next(label)
            validate.otherwise(has_manifest)
        else:
            validate.otherwise(label)
        label.next(notify).next(done)
        prepare.next(validate)
        return prepare

    def _manifest_task(self, scope: Construct, id: str, payload: dict[str, Any]) -> tasks.LambdaInvoke:
        assert self.manifest_function is not None
        return tasks.LambdaInvoke(
            scope,
            id,
            lambda_function=self.manifest_function,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            result_path="$.manifest",
            retry_on_service_exceptions=True,
        )

    def _manifest_function(self, log_retention: logs.RetentionDays) -> lambda_.Function:
        role = iam.Role(
            self,
            "ManifestRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Builds the input manifests of labeling job {self.node.path}",
        )
        bucket = self.bucket.bucket
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:ListBucket"], resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{self.input_prefix}*"]}},
        ))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"],
                                               resources=[bucket.arn_for_objects(f"{self.input_prefix}*")]))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject"],
                                               resources=[bucket.arn_for_objects(f"{self.manifest_prefix}*")]))
        role.add_to_policy(iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"],
                                               resources=[self.bucket.encryption_key.key_arn]))
        log_group = logs.LogGroup(self, "ManifestLogs", retention=log_retention, encryption_key=self.encryption_key,
                                  removal_policy=RemovalPolicy.RETAIN)
        function = project_function(
            self,
            "ManifestFunction",
            package="labeling_manifest",
            description=f"Writes or checks the input manifest of each run of {self.node.path}",
            role=role,
            environment={
                "BUCKET": self.bucket.bucket_name,
                "INPUT_PREFIX": self.input_prefix,
                "MANIFEST_PREFIX": self.manifest_prefix,
                "DATA_EXTENSIONS": ",".join(self.task_type.data_extensions),
                "MIN_OBJECTS": str(AUTOMATED_LABELING_MINIMUM if self.automated_labeling else 0),
                "SOURCE_FIELD": self.task_type.source_field,
            },
            log_group=log_group,
            reserved_concurrency=None,
            memory_size=512,
            timeout=Duration.minutes(5),
        )
        # X-Ray (Tracing.ACTIVE) adds xray:PutTraceSegments/PutTelemetryRecords on "*".
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]",
                    "X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no "
                    "resource-level permissions; every other statement names its resources.")
        for suffix, why in ((f"/{self.input_prefix}*", "The function lists and reads every data object under the "
                             "job's input prefix, whose keys are the user's."),
                            (f"/{self.manifest_prefix}*", "Manifests are named after each run's job, known only at "
                             "run time; writes stay in the job's manifest folder.")):
            _workflow.acknowledge_wildcard(role, bucket.bucket_arn, suffix, why)
        acknowledge(function, "Serverless-LambdaDLQ",
                    "Step Functions invokes the function synchronously and catches its errors (failure topic); there "
                    "is no asynchronous event to dead-letter.")
        return function

    def _grant_labeling_role(self) -> None:
        role, bucket = self.role, self.bucket.bucket
        reads = [self.input_prefix, self.output_prefix]
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"],
                                               resources=[bucket.arn_for_objects(f"{p}*") for p in reads]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:ListBucket"], resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in reads]}},
        ))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:AbortMultipartUpload", "s3:PutObject"],
                                               resources=[bucket.arn_for_objects(f"{self.output_prefix}*")]))
        self.bucket.encryption_key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        if self.volume_key is not None:
            role.add_to_policy(iam.PolicyStatement(
                actions=["kms:CreateGrant"], resources=[self.volume_key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ))
        if not self.task_type.built_in:
            assert self.task_type.pre_annotation is not None and self.task_type.consolidation is not None
            role.add_to_policy(iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.task_type.pre_annotation.function_arn, self.task_type.consolidation.function_arn],
            ))
        if self.input_topic is not None:
            role.add_to_policy(iam.PolicyStatement(actions=["sns:Subscribe"], resources=[self.input_topic.topic_arn]))
        stack = Stack.of(self)
        group = stack.format_arn(service="logs", resource="log-group", resource_name=LABELING_LOG_GROUP,
                                 arn_format=ArnFormat.COLON_RESOURCE_NAME)
        role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                                               resources=[group]))
        role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                               resources=[f"{group}:log-stream:{self.job_name_prefix}-*"]))
        # PutMetricData has no resource-level permissions; the condition pins SageMaker's namespaces.
        role.add_to_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/LabelingJobs", "AWS/SageMaker"]}},
        ))
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]",
                    "Only cloudwatch:PutMetricData uses '*' (it has no resource-level permissions); a condition "
                    "pins it to SageMaker's namespaces.")
        acknowledge(role, f"AwsSolutions-IAM5[Resource::{nag_resource(self, group)}:log-stream:"
                    f"{self.job_name_prefix}-*]",
                    "SageMaker names each labeling job's log streams at run time; writes stay under this workflow's "
                    "job-name prefix in the labeling log group.")
        for prefix in sorted(set(reads)):
            _workflow.acknowledge_wildcard(
                role, bucket.bucket_arn, f"/{prefix}*",
                "Ground Truth reads every data object under the input prefix and writes (and, for automated "
                "labeling, reads back) run outputs under keys named at run time; each grant is one prefix.",
            )

    def _triggers(self, schedule: events.Schedule | None, on_manifest: bool) -> None:
        self.dead_letter_queue = sqs.Queue(self, "TriggerDeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED,
                                           enforce_ssl=True, retention_period=Duration.days(14))
        for finding in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(self.dead_letter_queue, finding,
                        "This queue is itself the dead-letter queue of the labeling job's EventBridge triggers; "
                        "messages that reach it are kept 14 days for inspection, not redriven.")
        acknowledge(self.dead_letter_queue, "CKV_AWS_27",
                    "Dead-letter queue encrypted with SQS-managed keys (SSE-SQS): EventBridge delivers to it without a "
                    "key grant, and it holds failed trigger events (schedule or manifest key), not labeled data.")

        def target(payload: dict[str, Any]) -> targets.SfnStateMachine:
            return targets.SfnStateMachine(self.state_machine, input=events.RuleTargetInput.from_object(payload),
                                           dead_letter_queue=self.dead_letter_queue, retry_attempts=4,
                                           max_event_age=Duration.hours(2))

        if schedule is not None:
            self.rules.append(events.Rule(self, "Schedule", schedule=schedule,
                                          description=f"Scheduled runs of {self.node.path}",
                                          targets=[target({"trigger": "schedule"})]))
        if on_manifest:
            self.bucket.enable_event_bridge()
            self.rules.append(events.Rule(
                self,
                "ManifestLanded",
                description=f"Labels each manifest that lands under {self.landing_prefix}",
                event_pattern=events.EventPattern(
                    source=["aws.s3"],
                    detail_type=["Object Created"],
                    detail={"bucket": {"name": [self.bucket.bucket_name]},
                            "object": {"key": [{"wildcard": f"{self.landing_prefix}*.manifest"}]}},
                ),
                # EventBridge carries S3 keys URL-encoded: the manifest function decodes them.
                targets=[target({"trigger": "manifest", "encoded": True,
                                 "manifest": events.EventField.from_path("$.detail.object.key")})],
            ))

    # -- validation -------------------------------------------------------------------------------------------------

    def _validate(self, bucket: Any, workteam: Any, task_type: Any, title: Any, description: Any, labels: Any,
                  keywords: Any, instructions: Any, attribute: Any, workers: Any, time_limit: Any, availability: Any,
                  max_tasks: Any, automated: Any, initial_model: Any, volume_key: Any, max_human: Any,
                  max_percentage: Any, input_prefix: Any, output_prefix: Any, manifest_key: Any, input_topic: Any,
                  prefix: Any, schedule: Any, on_manifest: Any, notification_topic: Any) -> None:
        errors = PropErrors(f"LabelingJob {self.node.path}")
        errors.expect_type("bucket", bucket, ArtifactBucket, "an ArtifactBucket")
        errors.expect_type("workteam", workteam, (LabelingWorkteam, ImportedWorkteam),
                           "a LabelingWorkteam or LabelingWorkteam.from_workteam_arn(...)")
        errors.expect_type("task_type", task_type, TaskType, "a TaskType, e.g. TaskType.image_classification()")
        for name, value, limit in (("task_title", title, 128), ("task_description", description, 255)):
            if not is_token(value) and errors.expect_type(name, value, str, "a string"):
                errors.check(0 < len(value) <= limit, f"{name} ({len(value)} characters) must be 1 to {limit} "
                             "characters")
        if instructions is not None:
            errors.expect_type("instructions", instructions, str, "a string")
        if schedule is not None:
            errors.expect_type("schedule", schedule, events.Schedule, "an aws_events.Schedule")
        errors.raise_if_any()

        label_list = list(labels) if isinstance(labels, (list, tuple)) else None
        if labels is not None and label_list is None:
            errors.add(f"labels must be a list of strings, got {type(labels).__name__}", type_error=True)
        if task_type.built_in and not label_list:
            errors.add(f"labels is empty: {task_type.name} needs label categories, e.g. labels=['cat', 'dog']")
        if label_list:
            errors.check(len(label_list) <= MAX_LABELS, f"labels has {len(label_list)} entries: Ground Truth "
                         f"accepts at most {MAX_LABELS}")
            errors.check(len(set(label_list)) == len(label_list), f"labels ({label_list}) has duplicates: give each "
                         "category once")
            for i, label in enumerate(label_list):
                if not isinstance(label, str) or not label.strip():
                    errors.add(f"labels[{i}] ({label!r}) must be a non-empty string")
        if task_type.name in ("ImageMultiClass", "TextMultiClass") and label_list is not None and len(label_list) < 2:
            errors.add(f"labels ({label_list}) has one category: a classification needs at least two")
        keyword_list = list(keywords)
        errors.check(len(keyword_list) <= 5, f"task_keywords has {len(keyword_list)} entries: use at most 5")
        for i, k in enumerate(keyword_list):
            errors.check(isinstance(k, str) and bool(_KEYWORD.match(k)) and len(k) <= 30,
                         f"task_keywords[{i}] ({k!r}) must be 1 to 30 letters and digits, single spaces between "
                         "words, e.g. 'image classification'")
        if attribute is not None and not is_token(attribute):
            if errors.expect_type("label_attribute_name", attribute, str, "a string"):
                errors.check(bool(_ATTRIBUTE.match(attribute)) and not attribute.endswith("-metadata"),
                             f"label_attribute_name ({attribute!r}) must be 1 to 127 letters, digits and hyphens, "
                             "not ending with '-metadata'")
                suffix = task_type.label_attribute_suffix
                if suffix:
                    errors.check(attribute.endswith(suffix), f"label_attribute_name ({attribute!r}) must end with "
                                 f"'{suffix}' for {task_type.name}: e.g. 'label{suffix}'")
                elif task_type.built_in:
                    errors.check(not attribute.endswith("-ref"), f"label_attribute_name ({attribute!r}) must not end "
                                 f"with '-ref' for {task_type.name} (only mask-producing task types use it)")
        errors.number_in_range("workers_per_object", workers, 1, 9, integer=True)
        for name, value, low, high in (("task_time_limit", time_limit, 30, MAX_TASK_TIME_LIMIT),
                                       ("task_availability", availability, 60, MAX_AVAILABILITY)):
            if errors.expect_type(name, value, Duration, "an aws_cdk.Duration"):
                seconds = value.to_seconds()
                if not is_token(seconds):
                    errors.check(low <= seconds <= high, f"{name} ({seconds} s) must be between {low} s and {high} s: "
                                 f"set {name} within that range")
        if max_tasks is not None:
            errors.number_in_range("max_concurrent_tasks", max_tasks, 1, MAX_CONCURRENT_TASKS, integer=True)
        if max_human is not None:
            errors.number_in_range("max_human_labeled_objects", max_human, 1, integer=True)
        if max_percentage is not None:
            errors.number_in_range("max_percentage_labeled", max_percentage, 1, 100, integer=True)
        if not isinstance(automated, bool):
            errors.add(f"automated_labeling must be True or False, got {automated!r}", type_error=True)
        elif automated:
            if task_type.automated_labeling_algorithm is None:
                errors.add(
                    f"automated_labeling=True is not available for {task_type.name}: Ground Truth automates image "
                    "classification (single label), bounding box, semantic segmentation and text classification "
                    "(single label) only; use one of those task types or remove automated_labeling"
                )
            if input_topic is not None:
                errors.add("automated_labeling=True with input_topic: streaming labeling jobs have no automated "
                           "labeling; drop one of them")
        else:
            if initial_model is not None:
                errors.add("initial_model_arn is set without automated_labeling=True: it seeds active learning only; "
                           "set automated_labeling=True or remove initial_model_arn")
            if volume_key is not None:
                errors.add("volume_key is set without automated_labeling=True: only active-learning jobs use volumes; "
                           "remove volume_key")
        if initial_model is not None and not is_token(initial_model):
            errors.check(isinstance(initial_model, str) and bool(_MODEL_ARN.match(initial_model)),
                         f"initial_model_arn ({initial_model!r}) must be a model ARN: "
                         "'arn:aws:sagemaker:<region>:<account>:model/<name>'")
        for name, value in (("input_prefix", input_prefix), ("output_prefix", output_prefix)):
            if value is not None:
                check_prefix(errors, name, value)
        if isinstance(input_prefix, str) and isinstance(output_prefix, str):
            a, b = normalize_prefix(input_prefix), normalize_prefix(output_prefix)
            errors.check(not (a.startswith(b) or b.startswith(a)),
                         f"input_prefix ({input_prefix!r}) and output_prefix ({output_prefix!r}) overlap: the role "
                         "would write where it reads; use siblings such as 'labeling/input/' and 'labeling/output/'")
        if manifest_key is not None and not is_token(manifest_key):
            root = normalize_prefix(input_prefix) if isinstance(input_prefix, str) else (
                f"labeling/{self.job_name_prefix}/input/")
            errors.check(isinstance(manifest_key, str) and manifest_key.startswith(root) and ".." not in manifest_key,
                         f"manifest_key ({manifest_key!r}) must be a key under the input prefix {root!r}: the "
                         "labeling role reads only there")
        if input_topic is not None and (manifest_key is not None or on_manifest):
            errors.add("input_topic makes a streaming job, which takes no manifest: drop manifest_key / on_manifest")
        check_job_name_prefix(errors, prefix, example="image-labels")
        if isinstance(workteam, ImportedWorkteam) or isinstance(workteam, LabelingWorkteam):
            if task_type.built_in and not task_type.human_task_ui_arn:
                region = Stack.of(self).region
                if not Token.is_unresolved(region) and region not in task_type.registry_regions():
                    errors.add(f"task_type {task_type.name} has no AWS pre-annotation function in {region}: deploy "
                               f"to one of {', '.join(task_type.registry_regions())} or use TaskType.custom(...)")
        errors.raise_if_any()
        if isinstance(workteam, LabelingWorkteam) and Stack.of(workteam) is not Stack.of(self):
            Annotations.of(self).add_info(
                f"LabelingJob {self.node.path} uses work team {workteam.node.path} from another stack: CloudFormation "
                "exports its ARN. Prefer LabelingWorkteam.from_workteam_arn(...) to keep the stacks independent."
            )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_KEYWORD = re.compile(r"^[A-Za-z0-9]+( [A-Za-z0-9]+)*$")
_ATTRIBUTE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}$")
_MODEL_ARN = re.compile(r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:model/.+$")
