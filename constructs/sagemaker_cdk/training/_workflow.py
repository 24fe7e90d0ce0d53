"""Plumbing shared by the training, tuning and rollout workflows (private module).

Every workflow is a Standard Step Functions state machine that logs ALL events to a KMS-encrypted log group, traces
with X-Ray, and sends a failure notice to an SNS topic from its catch handlers. Its role is passed to the state
machine as an immutable role, so the broad statements aws-cdk-lib's tasks would add (e.g. `training-job/*`,
`sagemaker:ListTags` on `*`) never reach the template; each workflow adds the exact statements its calls need.

Execution input contract (documented in README): a JSON object with optional
    "hyperparameters": {"<name>": "<string value>", ...}   merged over the declared hyperparameters
    "channels": {"<channel>": "<key prefix>", ...}          each must start with the channel's declared prefix
A `Choice` state checks the types before anything runs and fails with error "InvalidInput" and a cause naming the
field. Each execution gets a fresh `States.UUID()` as its run id; job and resource names are "<prefix>-<run id>".
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from aws_cdk import (
    Aws,
    Duration,
    RemovalPolicy,
    Stack,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sns as sns,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct, IConstruct

from ..core._validation import acknowledge

# JSONPath dot notation is safe for these names; others are not overridable from the execution input.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RUN_ID_LENGTH = 36  # States.UUID()
SHORT_RUN_ID_LENGTH = 12  # the last group of the UUID (48 random bits)
THROTTLING_ERRORS = ["ThrottlingException", "SageMaker.ThrottlingException", "SageMaker.AmazonSageMakerException"]


class WorkflowResources:
    """The key, topic and log group a workflow uses, created in `scope` unless given."""

    def __init__(
        self,
        scope: Construct,
        *,
        encryption_key: kms.IKey | None,
        failure_topic: sns.ITopic | None,
        log_retention: logs.RetentionDays,
    ) -> None:
        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            scope,
            "WorkflowKey",
            description=f"Encrypts the workflow logs and failure notices of {scope.node.path}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if encryption_key is None:
            self.encryption_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com"))
        self.failure_topic: sns.ITopic = failure_topic or sns.Topic(
            scope,
            "FailureTopic",
            display_name=f"Failures of {scope.node.path}"[:100],
            master_key=self.encryption_key,
            enforce_ssl=True,
        )
        self.log_group = logs.LogGroup(
            scope,
            "WorkflowLogs",
            retention=log_retention,
            encryption_key=self.encryption_key,
            removal_policy=RemovalPolicy.RETAIN,
        )


def workflow_role(scope: Construct, resources: WorkflowResources) -> iam.Role:
    """The state machine's role with what every workflow needs: log delivery, X-Ray, and the failure topic."""
    role = iam.Role(
        scope,
        "WorkflowRole",
        assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
        description=f"Step Functions role of {scope.node.path}",
    )
    # CloudWatch Logs delivery and X-Ray actions have no resource-level permissions: AWS only accepts "*".
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:UpdateLogDelivery",
            ],
            resources=["*"],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            resources=["*"],
        )
    )
    role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[resources.failure_topic.topic_arn]))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[resources.encryption_key.key_arn]
        )
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "Only CloudWatch Logs delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray actions use '*': "
        "they have no resource-level permissions. Every SageMaker call is scoped to this workflow's name prefix.",
    )
    return role


def state_machine(
    scope: Construct,
    *,
    definition: sfn.IChainable,
    role: iam.Role,
    resources: WorkflowResources,
    comment: str,
    timeout: Duration | None = None,
) -> sfn.StateMachine:
    """A Standard state machine logging ALL (with execution data) and traced with X-Ray."""
    machine = sfn.StateMachine(
        scope,
        "StateMachine",
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        comment=comment,
        # Immutable: aws-cdk-lib's tasks would otherwise add broader statements than the workflow needs.
        role=role.without_policy_updates(),
        logs=sfn.LogOptions(destination=resources.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        tracing_enabled=True,
        timeout=timeout,
    )
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is not None:
        machine.node.add_dependency(policy)
    return machine


def failure_handler(scope: Construct, resources: WorkflowResources, what: str) -> sfn.IChainable:
    """Catch target: publish {execution, error, cause} to the failure topic, then fail with the original error."""
    notify = tasks.SnsPublish(
        scope,
        "NotifyFailure",
        topic=resources.failure_topic,
        subject=f"{what} failed"[:99],
        message=sfn.TaskInput.from_object(
            {
                "workflow": what,
                "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
                "error": sfn.JsonPath.string_at("$.error.Error"),
                "cause": sfn.JsonPath.string_at("$.error.Cause"),
            }
        ),
        result_path=sfn.JsonPath.DISCARD,
    )
    notify.add_retry(errors=["SNS.ThrottledException", "SNS.KMSThrottlingException"], max_attempts=3)
    return notify.next(sfn.Fail(scope, "Failed", error_path="$.error.Error", cause_path="$.error.Cause"))


def protect(task: sfn.TaskStateBase | sfn.CustomState, handler: sfn.IChainable) -> None:
    """Retry throttling with backoff and jitter; send anything else to the failure handler."""
    task.add_retry(
        errors=THROTTLING_ERRORS,
        interval=Duration.seconds(5),
        max_attempts=4,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    task.add_catch(handler, errors=["States.ALL"], result_path="$.error")


def input_states(
    scope: Construct,
    *,
    hyperparameters: Mapping[str, str],
    channels: Mapping[str, str],
    tuned: Sequence[str] = (),
) -> tuple[sfn.Pass, sfn.Pass]:
    """Prepare -> ValidateInput -> Resolve: `$.run` = {id, short_id, hyperparameters, channels} for the job states.

    Returns (first, last) so callers chain their job after `last`.
    """
    prepare = sfn.Pass(
        scope,
        "Prepare",
        comment="Keep the execution input next to the declared defaults, and draw this run's id.",
        parameters={
            "input.$": "$",
            "uuid.$": "States.UUID()",
            "defaults": {"hyperparameters": dict(hyperparameters), "channels": dict(channels)},
        },
    )
    validate = sfn.Choice(scope, "ValidateInput", comment="Reject ill-typed overrides before any job starts.")

    def reject(name: str, cause: str) -> sfn.Fail:
        return sfn.Fail(scope, name, error="InvalidInput", cause=cause)

    # Step Functions has no IsObject test: reject every other type, and arrays by their first item (an empty
    # array still slips through and fails States.JsonMerge with States.Runtime).
    not_object = lambda path: sfn.Condition.or_(  # noqa: E731
        sfn.Condition.is_string(path),
        sfn.Condition.is_numeric(path),
        sfn.Condition.is_boolean(path),
        sfn.Condition.is_null(path),
        sfn.Condition.is_present(f"{path}[0]"),
    )
    validate.when(
        not_object("$.input"),
        reject("InvalidInputType", "The execution input must be a JSON object, e.g. {} or "
               "{\"hyperparameters\": {\"max_depth\": \"6\"}}."),
    )
    validate.when(
        sfn.Condition.and_(sfn.Condition.is_present("$.input.hyperparameters"), not_object("$.input.hyperparameters")),
        reject("InvalidHyperparameters", "input.hyperparameters must be an object mapping names to string "
               "values, e.g. {\"max_depth\": \"6\", \"eta\": \"0.2\"}."),
    )
    for name in sorted(hyperparameters):
        if not IDENTIFIER.match(name):
            continue
        path = f"$.input.hyperparameters.{name}"
        validate.when(
            sfn.Condition.and_(sfn.Condition.is_present(path), sfn.Condition.not_(sfn.Condition.is_string(path))),
            reject(
                f"InvalidHyperparameter-{name}"[:80],
                f"input.hyperparameters.{name} must be a string (SageMaker passes hyperparameters as strings), "
                f"e.g. \"{hyperparameters[name]}\".",
            ),
        )
    for name in sorted(tuned):
        if not IDENTIFIER.match(name):
            continue
        validate.when(
            sfn.Condition.is_present(f"$.input.hyperparameters.{name}"),
            reject(
                f"InvalidHyperparameter-{name}"[:80],
                f"input.hyperparameters.{name} is tuned by this workflow: SageMaker rejects a value for a tuned "
                "hyperparameter; change its range in the TuningJob instead.",
            ),
        )
    validate.when(
        sfn.Condition.and_(sfn.Condition.is_present("$.input.channels"), not_object("$.input.channels")),
        reject("InvalidChannels", "input.channels must be an object mapping channel names to S3 key "
               "prefixes, e.g. {\"train\": \"train/2024-06-01/\"}."),
    )
    for name, prefix in sorted(channels.items()):
        if not IDENTIFIER.match(name):
            continue
        path = f"$.input.channels.{name}"
        validate.when(
            sfn.Condition.and_(
                sfn.Condition.is_present(path),
                sfn.Condition.not_(
                    sfn.Condition.and_(sfn.Condition.is_string(path), sfn.Condition.string_matches(path, f"{prefix}*"))
                ),
            ),
            reject(
                f"InvalidChannel-{name}"[:80],
                f"input.channels.{name} must be a string key prefix starting with '{prefix}' (the training role "
                f"may read only there), e.g. \"{prefix}2024-06-01/\".",
            ),
        )
    merge = sfn.Pass(
        scope,
        "MergeInput",
        parameters={
            "uuid.$": "$.uuid",
            "defaults.$": "$.defaults",
            "shallow.$": "States.JsonMerge($.defaults, $.input, false)",
        },
    )
    resolve = sfn.Pass(
        scope,
        "Resolve",
        comment="Overrides win over the declared defaults, key by key.",
        parameters={
            "run": {
                "id.$": "$.uuid",
                "short_id.$": "States.ArrayGetItem(States.StringSplit($.uuid, '-'), 4)",
                "hyperparameters.$": "States.JsonMerge($.defaults.hyperparameters, $.shallow.hyperparameters, false)",
                "channels.$": "States.JsonMerge($.defaults.channels, $.shallow.channels, false)",
            }
        },
    )
    validate.otherwise(merge)
    prepare.next(validate)
    merge.next(resolve)
    return prepare, resolve


def name_prefix(construct: Construct, max_length: int, given: str | None = None) -> str:
    """The lower-case name prefix of a workflow: `given` (the user's prop) lower-cased, else "<stack>-<id>" shortened.

    One rule for every generated name and its IAM resource: see `core._names`.
    """
    from ..core import _names

    return _names.given_prefix(given) if given is not None else _names.name_prefix(construct, max_length)


def job_name(prefix: str, path: str = "$.run.id") -> str:
    """States.Format('<prefix>-{}', <path>)."""
    return sfn.JsonPath.format(f"{prefix}-{{}}", sfn.JsonPath.string_at(path))


def arn(scope: Construct, resource: str, name: str) -> str:
    """arn:<partition>:sagemaker:<region>:<account>:<resource>/<name>.

    `name` is used as given: generated names are already lower case (`name_prefix`), and re-casing only the IAM side
    would let the two drift apart again.
    """
    return Stack.of(scope).format_arn(service="sagemaker", resource=resource, resource_name=name)


def pass_role(role: iam.IRole, passed: iam.IRole) -> None:
    """iam:PassRole on one role, to SageMaker only."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[passed.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
    )


def sync_rule(role: iam.IRole, rule_name: str) -> None:
    """The managed EventBridge rule Step Functions uses to observe a `.sync` SageMaker job."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["events:DescribeRule", "events:PutRule", "events:PutTargets"],
            resources=[Stack.of(role).format_arn(service="events", resource="rule", resource_name=rule_name)],
        )
    )


def acknowledge_wildcard(scope: IConstruct, resource: str, suffix: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for `resource` + `suffix` (e.g. a bucket ARN + "/train/*") on `scope`.

    Within one stack the finding names the resource as `nag_resource` renders it. When the resource lives in another
    stack, the reference only becomes a cross-stack import (e.g. Fn::GetStackOutput) during synthesis, so a second
    acknowledgement is computed then, from the same resolution cdk-nag sees.
    """
    import json

    import jsii
    from constructs import IValidation

    from ..core._validation import nag_resource

    acknowledge(scope, f"AwsSolutions-IAM5[Resource::{nag_resource(scope, resource)}{suffix}]", reason)

    @jsii.implements(IValidation)
    class _Late:
        def validate(self) -> list[str]:
            resolved = Stack.of(scope).resolve(resource)
            if isinstance(resolved, dict) and isinstance(resolved.get("Fn::ImportValue"), str):
                # A strong reference (an app without "@aws-cdk/core:defaultCrossStackReferences": "weak"):
                # cdk-nag names it by its export name.
                acknowledge(scope, f"AwsSolutions-IAM5[Resource::{resolved['Fn::ImportValue']}{suffix}]", reason)
            elif isinstance(resolved, dict) and not ({"Fn::GetAtt", "Ref", "Fn::Join"} & set(resolved)):
                rendered = json.dumps(resolved, separators=(",", ":"))
                acknowledge(scope, f"AwsSolutions-IAM5[Resource::{rendered}{suffix}]", reason)
            return []

    scope.node.add_validation(_Late())
