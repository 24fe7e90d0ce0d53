"""ApprovalDeployment: approving a model version in the registry deploys it to a RealtimeEndpoint, with the
endpoint's own blue/green guardrails; rejecting one, or approving an older one, deploys nothing and says why.

An EventBridge rule on "SageMaker Model Package State Change" (source aws.sagemaker) for one model package group
and ModelApprovalStatus Approved or Rejected starts a Standard state machine:

    Start -> Decision: Rejected -> NotifyRejected -> NotDeployed
                       Approved -> LatestApproved (ListModelPackages) -> Newest?
                                       older than the newest approved -> NotifySkipped -> NotDeployed
                                       endpoint not InService (CheckEndpoint) -> NotifyBusy -> NotDeployed
                                       else Names -> CreateModel (from the package) -> CreateEndpointConfig (the
                                            endpoint's variants, the chosen ones on the new model) ->
                                            UpdateEndpoint (DeploymentConfig: the endpoint's blue/green policy and
                                            rollback alarms) -> wait/DescribeEndpoint -> NotifyDeployed -> Deployed,
                                            or RolledBack / UpdateFailed (published to the topic)

Every outcome is published to `topic`. The state machine may update only its own endpoint, create models and
configs under its own name prefix, and pass one role, to SageMaker only. Cost: the endpoint's temporary blue/green
capacity during each update; models and configs are free.
"""

from __future__ import annotations

from typing import Any, Sequence

from aws_cdk import Duration, aws_events as events, aws_events_targets as targets, aws_iam as iam
from aws_cdk import aws_logs as logs, aws_sns as sns, aws_sqs as sqs, aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..core._types import typed
from ..core._validation import PropErrors, acknowledge
from ..core.network import ModelNetwork
from ..inference.realtime_endpoint import RealtimeEndpoint
from . import _endpoint_grants, _endpoint_update, _workflow
from .model_registration import ModelRegistration

MAX_PREFIX = 63 - 1 - _workflow.RUN_ID_LENGTH
EVENT_SOURCE = "aws.sagemaker"
EVENT_DETAIL_TYPE = "SageMaker Model Package State Change"


class ApprovalDeployment(Construct):
    """Deploy approved versions of a registration's model to an endpoint.

    Keyword-only props:
        registration: the ModelRegistration whose registry, image, artifacts and model role are used. Required.
        endpoint: the RealtimeEndpoint to update. Required.
        variants: the endpoint variants that receive an approved model; the others keep theirs. Default:
            ["challenger"] when the endpoint has such a variant, else every variant.
        network: VPC placement of the models. Default: the first chosen variant's model's network.
        name_prefix: prefix of the model and endpoint config names, at most 26 characters. Default:
            "<stack>-<id>" shortened, lower-case.
        poll_interval: how often the update is checked. Default: 1 minute.
        topic: where every outcome is reported (deployed, rejected, skipped, rolled back, failed). Default: a new
            KMS-encrypted, SSL-only topic (`.topic`).
        log_retention: Default: one year.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        registration: ModelRegistration,
        endpoint: RealtimeEndpoint,
        variants: Sequence[str] | None = None,
        network: ModelNetwork | None = None,
        name_prefix: str | None = None,
        poll_interval: Duration = Duration.minutes(1),
        topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        self._validate(registration, endpoint, variants, network, name_prefix)
        self.registration, self.registry, self.endpoint = registration, registration.registry, endpoint
        if variants is not None:
            self.target_variants: list[str] = list(variants)
        else:
            self.target_variants = ["challenger"] if "challenger" in endpoint.variant_names else endpoint.variant_names
        self.name_prefix: str = name_prefix or _workflow.name_prefix(self, MAX_PREFIX).lower()
        first = next(v for name, v in endpoint.variants if name in self.target_variants)
        self.network: ModelNetwork | None = network or first.model.network
        self.model_role: iam.Role = registration.model_role

        self.resources = _workflow.WorkflowResources(
            self, encryption_key=None, failure_topic=topic, log_retention=log_retention
        )
        self.encryption_key, self.topic = self.resources.encryption_key, self.resources.failure_topic
        self.log_group: logs.ILogGroup = self.resources.log_group
        self.workflow_role = _workflow.workflow_role(self, self.resources)
        _endpoint_grants.grant_endpoint_update(
            self, self.workflow_role, endpoint=endpoint, name_prefix=self.name_prefix, model_role=self.model_role
        )
        self.registry.grant_read(self.workflow_role)
        _endpoint_grants.grant_serving_role(self, self.model_role, endpoint=endpoint, network=self.network)

        definition = Construct(self, "Definition")
        handler = _workflow.failure_handler(definition, self.resources, f"Approval deployment {self.name_prefix}")
        self.state_machine = _workflow.state_machine(
            self,
            definition=self._definition(definition, handler, poll_interval),
            role=self.workflow_role,
            resources=self.resources,
            comment=f"Deploys approved versions of {self.registry.model_package_group_name} to SageMaker endpoint "
            f"{endpoint.endpoint_name_value} ({self.node.path}).",
        )
        self._rule()

    # -- requests ---------------------------------------------------------------------------------------------------

    def create_model_request(self) -> dict[str, Any]:
        """CreateModel from the approved package (its image and artifact), network-isolated, in the VPC."""
        return _endpoint_update.create_model_request(
            role_arn=self.model_role.role_arn,
            container={"ModelPackageName.$": "$.event.detail.ModelPackageArn"},
            network=self.network,
        )

    def create_endpoint_config_request(self) -> dict[str, Any]:
        return _endpoint_update.create_endpoint_config_request(self.endpoint, self.target_variants)

    def update_endpoint_request(self) -> dict[str, Any]:
        return _endpoint_update.update_endpoint_request(self.endpoint)

    def list_approved_request(self) -> dict[str, Any]:
        """ListModelPackages: the newest approved version of the group."""
        return {
            "ModelPackageGroupName": self.registry.model_package_group_name,
            "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 1,
        }

    # -- states -----------------------------------------------------------------------------------------------------

    def _notify(self, scope: Construct, id: str, subject: str, outcome: str, reason: str) -> tasks.SnsPublish:
        task = tasks.SnsPublish(
            scope,
            id,
            topic=self.topic,
            subject=subject[:99],
            message=sfn.TaskInput.from_object({
                "outcome": outcome,
                "reason": reason,
                "endpoint": self.endpoint.endpoint_name_value,
                "variants": self.target_variants,
                "modelPackageArn": sfn.JsonPath.string_at("$.event.detail.ModelPackageArn"),
                "modelPackageVersion": sfn.JsonPath.number_at("$.event.detail.ModelPackageVersion"),
                "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
            }),
            result_path=sfn.JsonPath.DISCARD,
        )
        task.add_retry(errors=["SNS.ThrottledException", "SNS.KMSThrottlingException"], max_attempts=3)
        return task

    def _definition(self, scope: Construct, handler: sfn.IChainable, poll_interval: Duration) -> sfn.IChainable:
        start = sfn.Pass(
            scope,
            "Start",
            comment="Keep the registry event, and draw this run's id.",
            parameters={"event.$": "$", "run": {"id.$": "States.UUID()"}},
        )
        not_deployed = sfn.Succeed(scope, "NotDeployed")
        rejected = self._notify(
            scope, "NotifyRejected", "Model version rejected: not deployed", "rejected",
            "The version was rejected in the model registry, so nothing was deployed. The endpoint keeps serving "
            "what it serves; to replace a rejected version that serves, approve the version to serve instead.",
        )
        latest = tasks.CallAwsService(
            scope,
            "LatestApproved",
            comment="ListModelPackages: the newest approved version of the group.",
            service="sagemaker",
            action="listModelPackages",
            iam_resources=[self.registry.model_packages_arn],
            parameters=self.list_approved_request(),
            result_selector={"summaries.$": "$.ModelPackageSummaryList"},
            result_path="$.latest",
        )
        _workflow.protect(latest, handler)
        skipped = self._notify(
            scope, "NotifySkipped", "Older model version approved: not deployed", "skipped",
            "A newer version of this group is already approved (and deployed by this workflow), so approving an "
            "older one deploys nothing. To go back to it, reject the newer versions and approve it again.",
        )
        deployed = self._notify(
            scope, "NotifyDeployed", "Approved model version deployed", "deployed",
            "The approved version now serves on the chosen variants, after the endpoint's blue/green update.",
        )
        newest = sfn.Choice(scope, "Newest", comment="Deploy only a version at least as new as the newest approved.")
        decision = sfn.Choice(scope, "Decision")
        start.next(decision)
        decision.when(sfn.Condition.string_equals("$.event.detail.ModelApprovalStatus", "Rejected"),
                      rejected.next(not_deployed))
        decision.when(sfn.Condition.string_equals("$.event.detail.ModelApprovalStatus", "Approved"), latest)
        decision.otherwise(sfn.Succeed(scope, "Ignored", comment="Neither approved nor rejected."))
        latest.next(newest)
        newest.when(
            sfn.Condition.and_(
                sfn.Condition.is_present("$.latest.summaries[0].ModelPackageVersion"),
                sfn.Condition.number_greater_than_json_path("$.latest.summaries[0].ModelPackageVersion",
                                                            "$.event.detail.ModelPackageVersion"),
            ),
            skipped.next(not_deployed),
        )
        # SageMaker may send more than one event per state change: a second run while the first updates the
        # endpoint (or while any other update runs) deploys nothing instead of failing at UpdateEndpoint.
        check = tasks.CallAwsService(
            scope,
            "CheckEndpoint",
            comment="DescribeEndpoint: deploy only to an endpoint that is InService.",
            service="sagemaker",
            action="describeEndpoint",
            iam_resources=[_endpoint_grants.endpoint_arn(self, self.endpoint)],
            parameters={"EndpointName": self.endpoint.endpoint_name_value},
            result_selector={"EndpointStatus.$": "$.EndpointStatus"},
            result_path="$.before",
        )
        _workflow.protect(check, handler)
        busy = self._notify(
            scope, "NotifyBusy", "Endpoint busy: approved model version not deployed", "busy",
            "The endpoint was not InService (another update, often the same approval's duplicate event, was "
            "running), so nothing was deployed by this run. If no update is running, approve the version again.",
        )
        ready = sfn.Choice(scope, "EndpointReady")
        deploy = sfn.Pass(scope, "Deploy")
        newest.otherwise(check)
        check.next(ready)
        ready.when(sfn.Condition.string_equals("$.before.EndpointStatus", "InService"), deploy)
        ready.otherwise(busy.next(not_deployed))
        _endpoint_update.endpoint_update_states(
            scope,
            sfn.Chain.start(deploy),
            handler,
            endpoint=self.endpoint,
            name_prefix=self.name_prefix,
            model_request=self.create_model_request(),
            config_request=self.create_endpoint_config_request(),
            update_request=self.update_endpoint_request(),
            image_uri=self.registration.image_uri,
            model_role=self.model_role,
            poll_interval=poll_interval,
            success=deployed.next(sfn.Succeed(scope, "Deployed")),
        )
        return start

    # -- trigger ----------------------------------------------------------------------------------------------------

    def _rule(self) -> None:
        self.dead_letter_queue = sqs.Queue(
            self,
            "TriggerDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(self.dead_letter_queue, "AwsSolutions-SQS3",
                    "This queue is the dead-letter queue of the approval rule; it has no DLQ of its own.")
        acknowledge(self.dead_letter_queue, "CKV_AWS_27",
                    "Dead-letter queue encrypted with SQS-managed keys (SSE-SQS): EventBridge delivers to it without "
                    "a key grant, and it holds failure records (model package state-change events: group, version "
                    "ARN, status), not data.")
        acknowledge(self.dead_letter_queue, "Serverless-SQSRedrivePolicy",
                    "This queue is itself the dead-letter queue of the approval rule; messages that reach it are "
                    "kept 14 days for inspection, not redriven.")
        self.rule = events.Rule(
            self,
            "OnApproval",
            description=f"Approvals and rejections in {self.registry.model_package_group_name} start {self.node.path}",
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE],
                detail_type=[EVENT_DETAIL_TYPE],
                detail={
                    "ModelPackageGroupName": [self.registry.model_package_group_name],
                    "ModelApprovalStatus": ["Approved", "Rejected"],
                },
            ),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=4,
                    max_event_age=Duration.hours(2),
                )
            ],
        )

    # -- validation -------------------------------------------------------------------------------------------------

    def _validate(self, registration: Any, endpoint: Any, variants: Any, network: Any, prefix: Any) -> None:
        from ..core._validation import NAME_PATTERN, NAME_RULE, is_token

        errors = PropErrors(f"ApprovalDeployment {self.node.path}")
        errors.expect_type("registration", registration, ModelRegistration, "a ModelRegistration")
        errors.expect_type("endpoint", endpoint, RealtimeEndpoint, "a RealtimeEndpoint")
        if network is not None:
            errors.expect_type("network", network, ModelNetwork, "a ModelNetwork")
        errors.raise_if_any()
        if variants is not None:
            unknown = [v for v in variants if v not in endpoint.variant_names] if isinstance(variants, (list, tuple)) else [variants]
            if unknown or not variants:
                errors.add(f"variants ({variants!r}) must name variants of the endpoint: use some of "
                           f"{', '.join(map(repr, endpoint.variant_names))}")
        if prefix is not None and not is_token(prefix):
            if errors.expect_type("name_prefix", prefix, str, "a string"):
                if len(prefix) > MAX_PREFIX or not NAME_PATTERN.match(prefix) or prefix != prefix.lower():
                    errors.add(
                        f"name_prefix ({prefix!r}, {len(prefix)} characters) is too long or invalid: model and "
                        f"config names are '<prefix>-<36-character uuid>', so use at most {MAX_PREFIX} lower-case "
                        f"characters (IAM matches ARNs case-sensitively); {NAME_RULE}"
                    )
        errors.raise_if_any()

