"""TrainingJob: a SageMaker training job declared in CDK and run on demand by a Step Functions state machine.

CloudFormation cannot create training jobs, so this construct deploys what runs one: a least-privilege SageMaker
execution role, and a Standard state machine (Prepare -> ValidateInput -> MergeInput -> Resolve -> Train) that calls
CreateTrainingJob through the `.sync` integration, retries throttling, sends failures to an SNS topic, logs ALL to a
KMS-encrypted log group and traces with X-Ray. Each execution trains a job named "<prefix>-<uuid>" (at most 63
characters) and writes `<output prefix><job name>/output/model.tar.gz` to the artifact bucket.
Cost: nothing while idle but the KMS key ($1/month) and log storage; each run bills its training instances per
second (managed spot cuts that by up to 90%) and a few Step Functions state transitions.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from aws_cdk import (
    Annotations,
    ArnFormat,
    Duration,
    Size,
    Stack,
    aws_ec2 as ec2,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sns as sns,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct

from ..core._types import typed
from . import _distributed, _workflow
from ..core import instance_types
from ..core._validation import NAME_PATTERN, NAME_RULE, PropErrors, acknowledge, is_token, nag_resource, one_of
from ..core.artifact_bucket import ArtifactBucket
from ..core.network import ModelNetwork
from .training_props import (
    MAX_CHANNELS,
    MAX_METRIC_DEFINITIONS,
    MAX_RUNTIME_SECONDS,
    MAX_VOLUME_GB,
    Algorithm,
    Channel,
    MetricDefinition,
    Spot,
    check_prefix,
    normalize_prefix,
    render_hyperparameters,
)

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
MAX_JOB_NAME = 63
MAX_PREFIX = MAX_JOB_NAME - 1 - _workflow.RUN_ID_LENGTH  # "<prefix>-<uuid>" fits 63 characters


class _CreateTrainingJob(tasks.SageMakerCreateTrainingJob):
    """aws-cdk-lib's task with the request body replaced by the job's full request.

    The L2 renders neither managed spot training, checkpoints nor hyperparameters taken from the execution input,
    and would create its own security group for a VPC; the integration (resource ARN, `.sync`, retries, catches,
    result paths) is still the L2's.
    """

    def __init__(self, scope: Construct, id: str, *, request: dict[str, Any], **props: Any) -> None:
        super().__init__(scope, id, **props)
        self._request = request

    def to_state_json(self, *args: Any) -> Any:
        state = dict(super().to_state_json(*args))
        state["Parameters"] = self._request
        return state


class TrainingJob(Construct):
    """A training job definition plus the state machine that runs it.

    Keyword-only props:
        bucket: the ArtifactBucket holding the input channels and receiving the model artifacts. Required.
        algorithm: `Algorithm.built_in("xgboost", "1.7-1")`, `Algorithm.from_image(ContainerImage...)` or
            `Algorithm.from_marketplace(arn)`. Required.
        hyperparameters: typed values (bool, int, float, str, list, dict), rendered as SageMaker's strings.
            Default: none (the algorithm's defaults). Executions may override them.
        channels: input channels. Default: [Channel("train"), Channel("validation")] (prefixes "train/",
            "validation/").
        input_mode: "File", "Pipe" or "FastFile" for channels without their own. Default: "File".
        output_prefix: where artifacts go in the bucket. Default: "models/<job name prefix>/".
        instance_type: Default: "ml.m5.xlarge". instance_count: Default: 1.
        volume_size_gb: ML storage per instance, 1 to 16384. Default: 30.
        volume_key: KMS key for the ML storage volume. Default: the bucket's key (not set for NVMe instance-store
            types, which SageMaker encrypts in hardware and for which it rejects a key).
        max_runtime: Default: 1 hour (at most 28 days).
        spot: managed spot training with checkpoints. Default: none (on-demand).
        network: VPC placement. Default: the stack's shared `ModelNetwork.default(...)`.
        place_in_vpc: set False to train outside any VPC (a warning is recorded). Default: True.
        network_isolation: no network access from the training container. Default: True.
        inter_container_encryption: encrypt the traffic between the instances of a multi-instance job
            (EnableInterContainerTrafficEncryption); in a VPC the job's own security group then also allows IPsec
            (UDP 500 and ESP) between them. Slows distributed training somewhat; set False to opt out (the
            instances still reach each other). No effect on a single instance. Default: True.
        metric_definitions: regexes for metrics in the logs (bring-your-own images only). Default: none.
        environment: container environment variables. Default: none.
        job_name_prefix: prefix of every job name, at most 26 characters, lower-cased (IAM matches job ARNs
            case-sensitively). Default: "<stack>-<id>" in lower case, shortened.
        encryption_key: encrypts the workflow's log group and failure topic. Default: a new key with rotation.
        failure_topic: receives failure notices. Default: a new KMS-encrypted, SSL-only topic.
        log_retention: of the workflow's log group. Default: one year.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: ArtifactBucket,
        algorithm: Algorithm,
        hyperparameters: Mapping[str, Any] | None = None,
        channels: Sequence[Channel] | None = None,
        input_mode: str = "File",
        output_prefix: str | None = None,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_size_gb: int = 30,
        volume_key: kms.IKey | None = None,
        max_runtime: Duration = Duration.hours(1),
        spot: Spot | None = None,
        network: ModelNetwork | None = None,
        place_in_vpc: bool = True,
        network_isolation: bool = True,
        inter_container_encryption: bool = True,
        metric_definitions: Sequence[MetricDefinition] = (),
        environment: Mapping[str, str] | None = None,
        job_name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        failure_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        owner = f"TrainingJob {self.node.path}"
        channels = list(channels) if channels is not None else [Channel("train"), Channel("validation")]
        self._validate(
            owner, bucket, algorithm, channels, input_mode, output_prefix, instance_type, instance_count,
            volume_size_gb, max_runtime, spot, metric_definitions, job_name_prefix, network_isolation, environment,
        )
        self.hyperparameters: dict[str, str] = render_hyperparameters(owner, hyperparameters)
        self.bucket = bucket
        self.algorithm = algorithm
        self.channels = channels
        self.input_mode = input_mode
        self.job_name_prefix: str = _workflow.name_prefix(self, MAX_PREFIX, given=job_name_prefix)
        self.output_prefix: str = normalize_prefix(output_prefix or f"models/{self.job_name_prefix}/")
        self.instance_type, self.instance_count, self.volume_size_gb = instance_type, instance_count, volume_size_gb
        self.max_runtime, self.spot = max_runtime, spot
        self.network_isolation = network_isolation
        # A token count may be above 1: treat it as multi-instance (both settings are harmless on one instance).
        multi_instance = is_token(instance_count) or instance_count > 1
        self.inter_container_encryption = inter_container_encryption and multi_instance
        self.metric_definitions = list(metric_definitions)
        self.environment = dict(environment or {})

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of SageMaker training job {self.node.path}",
        )
        self.image_uri: str | None = None
        if algorithm.image is not None:
            self.image_uri = algorithm.image.bind(self, self.role).image_uri
        self.network: ModelNetwork | None = None
        if place_in_vpc:
            self.network = network or ModelNetwork.default(self)
            self.network.grant_network_interfaces(self.role)
        else:
            Annotations.of(self).add_warning_v2(
                "sagemaker-cdk:training-outside-vpc",
                "place_in_vpc=False: training runs outside your VPC. Prefer a ModelNetwork over two AZs.",
            )
        # Instances of a multi-instance job talk to each other: a security group of the job's own allows that.
        self.training_security_group: ec2.SecurityGroup | None = None
        if self.network is not None and multi_instance:
            self.training_security_group = _distributed.training_security_group(
                self, self.network, encrypted=self.inter_container_encryption, role=self.role
            )
        self.volume_key: kms.IKey | None = None
        if not instance_types.has_instance_store(instance_type):
            self.volume_key = volume_key or bucket.encryption_key
        self._grant_execution_role()

        self.resources = _workflow.WorkflowResources(
            self, encryption_key=encryption_key, failure_topic=failure_topic, log_retention=log_retention
        )
        self.encryption_key: kms.IKey = self.resources.encryption_key
        self.failure_topic: sns.ITopic = self.resources.failure_topic
        self.log_group: logs.ILogGroup = self.resources.log_group
        self.workflow_role = _workflow.workflow_role(self, self.resources)
        self.grant_run(self.workflow_role)

        definition = Construct(self, "Definition")
        handler = _workflow.failure_handler(definition, self.resources, f"Training {self.job_name_prefix}")
        first, last = _workflow.input_states(
            definition, hyperparameters=self.hyperparameters, channels=self.channel_prefixes
        )
        train = self.job_states(definition, handler)
        last.next(train).next(sfn.Succeed(definition, "Trained", output_path="$.training"))
        self.state_machine = _workflow.state_machine(
            self,
            definition=first,
            role=self.workflow_role,
            resources=self.resources,
            comment=f"Trains SageMaker job {self.job_name_prefix}-<uuid> ({self.node.path}). Input: see README.",
        )

    # -- public API -------------------------------------------------------------------------------------------------

    @property
    def channel_prefixes(self) -> dict[str, str]:
        """Channel name -> declared key prefix (what executions may narrow, never leave)."""
        return {c.name: c.key_prefix for c in self.channels}

    @property
    def output_uri(self) -> str:
        return f"s3://{self.bucket.bucket_name}/{self.output_prefix}"

    def training_job_arn_pattern(self) -> str:
        return _workflow.arn(self, "training-job", f"{self.job_name_prefix}-*")

    def job_states(self, scope: Construct, handler: sfn.IChainable) -> sfn.Chain:
        """The Train task (CreateTrainingJob `.sync`); reads `$.run`, writes DescribeTrainingJob to `$.training`."""
        spec = tasks.AlgorithmSpecification(
            algorithm_name=self.algorithm.algorithm_arn,
            training_image=tasks.DockerImage.from_registry(self.image_uri) if self.image_uri else None,
            training_input_mode={
                "File": tasks.InputMode.FILE, "Pipe": tasks.InputMode.PIPE, "FastFile": tasks.InputMode.FAST_FILE
            }[self.input_mode],
        )
        task = _CreateTrainingJob(
            scope,
            "Train",
            request=self.training_request(),
            comment="CreateTrainingJob (.sync): waits for the job to finish.",
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            training_job_name=_workflow.job_name(self.job_name_prefix),
            # Immutable: the L2's own grants (e.g. s3:PutObject on "*" for a JSONPath output) must not land.
            role=self.role.without_policy_updates(),
            algorithm_specification=spec,
            output_data_config=tasks.OutputDataConfig(
                s3_output_location=tasks.S3Location.from_json_expression("$.run.output")
            ),
            resource_config=tasks.ResourceConfig(
                instance_count=self.instance_count,
                instance_type=ec2.InstanceType(self.instance_type.removeprefix("ml.")),
                volume_size=Size.gibibytes(self.volume_size_gb),
            ),
            stopping_condition=tasks.StoppingCondition(max_runtime=self.max_runtime),
            result_path="$.training",
        )
        _workflow.protect(task, handler)
        return sfn.Chain.start(task)

    def training_request(self, job_name: str | None = None) -> dict[str, Any]:
        """The CreateTrainingJob request, with the name, hyperparameters and channel prefixes from `$.run`."""
        request: dict[str, Any] = {
            "TrainingJobName.$": f"States.Format('{self.job_name_prefix}-{{}}', $.run.id)",
            "HyperParameters.$": "$.run.hyperparameters",
        }
        request.update(self._definition_body())
        return request

    def training_job_definition(self, static_hyperparameters: Mapping[str, str]) -> dict[str, Any]:
        """A HyperParameterTrainingJobDefinition (for tuning): this job's settings with fixed hyperparameters."""
        body = self._definition_body()
        return {"StaticHyperParameters": dict(static_hyperparameters), **body}

    def grant_run(self, role: iam.IRole, job_arn_pattern: str | None = None) -> None:
        """What a state machine needs to run this job with `.sync`: create/describe/stop on this prefix only."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:ListTags",
                    "sagemaker:StopTrainingJob",
                ],
                resources=[job_arn_pattern or self.training_job_arn_pattern()],
            )
        )
        _workflow.pass_role(role, self.role)
        _workflow.sync_rule(role, "StepFunctionsGetEventsForSageMakerTrainingJobsRule")
        if isinstance(role, iam.Role):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, job_arn_pattern or self.training_job_arn_pattern())}]",
                "Each execution names its job '<prefix>-<uuid>', so the name is only known at run time; the grant "
                "covers this workflow's job-name prefix only.",
            )

    def grant_read_artifacts(self, grantee: iam.IGrantable) -> None:
        """s3:GetObject on this job's output prefix and kms:Decrypt on the bucket key (for models built from it)."""
        objects = self.bucket.bucket.arn_for_objects(f"{self.output_prefix}*")
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[objects])
        self.bucket.encryption_key.grant_decrypt(grantee)
        if isinstance(grantee, iam.Role):
            _workflow.acknowledge_wildcard(
                grantee,
                self.bucket.bucket.bucket_arn,
                f"/{self.output_prefix}*",
                "Model artifacts are written under '<output prefix><job name>/', with job names known only at run "
                "time; reads are limited to this training job's output prefix.",
            )

    def grant_log_streams(self, stream_prefix: str) -> None:
        """Let the execution role write logs of jobs named `<stream_prefix>*` (tuning launches its own names)."""
        group = Stack.of(self).format_arn(
            service="logs", resource="log-group", resource_name=TRAINING_LOG_GROUP, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        streams = f"{group}:log-stream:{stream_prefix}*"
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[streams])
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::{nag_resource(self, streams)}]",
            "SageMaker names each log stream '<job name>/algo-<n>-<timestamp>'; writes are limited to this "
            "workflow's job-name prefix in the SageMaker training log group.",
        )

    # -- rendering --------------------------------------------------------------------------------------------------

    def _definition_body(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"TrainingInputMode": self.input_mode}
        if self.algorithm.algorithm_arn:
            spec["AlgorithmName"] = self.algorithm.algorithm_arn
        else:
            spec["TrainingImage"] = self.image_uri
        if self.metric_definitions:
            spec["MetricDefinitions"] = [{"Name": m.name, "Regex": m.regex} for m in self.metric_definitions]
        resource: dict[str, Any] = {
            "InstanceType": self.instance_type,
            "InstanceCount": self.instance_count,
            "VolumeSizeInGB": self.volume_size_gb,
        }
        if self.volume_key is not None:
            resource["VolumeKmsKeyId"] = self.volume_key.key_arn
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": int(self.max_runtime.to_seconds())}
        body: dict[str, Any] = {
            "AlgorithmSpecification": spec,
            "RoleArn": self.role.role_arn,
            "InputDataConfig": [self._channel(c) for c in self.channels],
            "OutputDataConfig": {"S3OutputPath": self.output_uri, "KmsKeyId": self.bucket.encryption_key.key_arn},
            "ResourceConfig": resource,
            "StoppingCondition": stopping,
            "EnableNetworkIsolation": self.network_isolation or self.algorithm.is_marketplace,
            # Distributed training traffic between instances stays encrypted unless opted out (see _distributed).
            "EnableInterContainerTrafficEncryption": self.inter_container_encryption,
        }
        if self.spot is not None:
            stopping["MaxWaitTimeInSeconds"] = int(self.spot.max_wait.to_seconds())
            body["EnableManagedSpotTraining"] = True
            body["CheckpointConfig"] = {
                "S3Uri": f"s3://{self.bucket.bucket_name}/{normalize_prefix(self.spot.checkpoint_prefix)}"
                f"{self.job_name_prefix}/",
                "LocalPath": self.spot.local_path,
            }
        if self.network is not None:
            groups = [self.network.security_group, *filter(None, [self.training_security_group])]
            body["VpcConfig"] = {
                "SecurityGroupIds": [g.security_group_id for g in groups],
                "Subnets": list(self.network.subnet_ids),
            }
        if self.environment:
            body["Environment"] = dict(self.environment)
        return body

    def _channel(self, channel: Channel) -> dict[str, Any]:
        source: dict[str, Any] = {
            "S3DataType": "S3Prefix" if channel.attribute_names is None else "AugmentedManifestFile",
            "S3DataDistributionType": channel.distribution,
        }
        if channel.attribute_names is not None:
            source["AttributeNames"] = list(channel.attribute_names)
        if _workflow.IDENTIFIER.match(channel.name):
            source["S3Uri.$"] = f"States.Format('s3://{self.bucket.bucket_name}/{{}}', $.run.channels.{channel.name})"
        else:
            source["S3Uri"] = f"s3://{self.bucket.bucket_name}/{channel.key_prefix}"
        rendered: dict[str, Any] = {"ChannelName": channel.name, "DataSource": {"S3DataSource": source}}
        if channel.content_type:
            rendered["ContentType"] = channel.content_type
        if channel.input_mode:
            rendered["InputMode"] = channel.input_mode
        if channel.compression:
            rendered["CompressionType"] = channel.compression
        if channel.record_wrapper:
            rendered["RecordWrapperType"] = channel.record_wrapper
        return rendered

    def _grant_execution_role(self) -> None:
        stack = Stack.of(self)
        bucket = self.bucket.bucket
        # Augmented manifests reference objects elsewhere in the bucket (e.g. a labeling job's input prefix).
        reads = list(dict.fromkeys([c.key_prefix for c in self.channels]
                                   + [normalize_prefix(p) for c in self.channels for p in c.referenced_prefixes]))
        writes = [self.output_prefix]
        if self.spot is not None:
            checkpoints = f"{normalize_prefix(self.spot.checkpoint_prefix)}{self.job_name_prefix}/"
            reads.append(checkpoints)
            writes.append(checkpoints)
        read_arns = [bucket.arn_for_objects(f"{p}*") for p in reads]
        write_arns = [bucket.arn_for_objects(f"{p}*") for p in writes]
        self.role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=read_arns))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in reads]}},
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:AbortMultipartUpload", "s3:PutObject"], resources=write_arns)
        )
        # Reading inputs, and multipart uploads of the artifacts, both need Decrypt; writing needs GenerateDataKey.
        self.bucket.encryption_key.grant(self.role, "kms:Decrypt", "kms:GenerateDataKey")
        if self.volume_key is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:CreateGrant"],
                    resources=[self.volume_key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                )
            )
        group = stack.format_arn(
            service="logs", resource="log-group", resource_name=TRAINING_LOG_GROUP, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"], resources=[group])
        )
        self.grant_log_streams(f"{self.job_name_prefix}-")
        # PutMetricData has no resource-level permissions; the condition pins the training namespace instead.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/TrainingJobs", "AWS/SageMaker"]}},
            )
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions without resource-level permissions use '*': ecr:GetAuthorizationToken, ec2:Describe* "
            "(VPC placement) and cloudwatch:PutMetricData, the last pinned to SageMaker namespaces by condition.",
        )
        for prefix in sorted({*reads, *writes}):
            _workflow.acknowledge_wildcard(
                self.role,
                bucket.bucket_arn,
                f"/{prefix}*",
                "Training reads every object under its declared channel prefixes and writes artifacts and "
                "checkpoints under keys named at run time; each grant is limited to one prefix of the bucket.",
            )
        if self.network is not None:
            acknowledge(
                self.role,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:"
                "network-interface/*]",
                "SageMaker creates the job's network interfaces at run time, so their IDs cannot be known; creation "
                "is further limited to the job's own subnets and security group.",
            )

    # -- validation -------------------------------------------------------------------------------------------------

    def _validate(
        self,
        owner: str,
        bucket: Any,
        algorithm: Any,
        channels: list[Any],
        input_mode: Any,
        output_prefix: Any,
        instance_type: Any,
        instance_count: Any,
        volume_size_gb: Any,
        max_runtime: Any,
        spot: Any,
        metric_definitions: Sequence[Any],
        job_name_prefix: Any,
        network_isolation: bool,
        environment: Mapping[str, str] | None,
    ) -> None:
        errors = PropErrors(owner)
        errors.expect_type("bucket", bucket, ArtifactBucket, "an ArtifactBucket")
        errors.expect_type(
            "algorithm", algorithm, Algorithm, "an Algorithm (built_in, from_image or from_marketplace)"
        )
        for i, c in enumerate(channels):
            errors.expect_type(f"channels[{i}]", c, Channel, "a Channel(name=...)")
        errors.raise_if_any()

        if not channels:
            errors.add("channels ([]) is empty: give at least one Channel, e.g. Channel('train')")
        if len(channels) > MAX_CHANNELS:
            errors.add(f"channels has {len(channels)} entries: SageMaker accepts at most {MAX_CHANNELS}")
        seen: set[str] = set()
        for i, c in enumerate(channels):
            if c.name in seen:
                errors.add(f"channels[{i}].name ({c.name!r}) is used twice: give every channel a unique name")
            seen.add(c.name)
        one_of(errors, "input_mode", input_mode, ("File", "Pipe", "FastFile"))
        if output_prefix is not None:
            check_prefix(errors, "output_prefix", output_prefix)
        if not is_token(instance_type) and errors.expect_type(
            "instance_type", instance_type, str, "an ML instance type string such as 'ml.m5.xlarge'"
        ):
            errors.check(
                bool(instance_types.INSTANCE_TYPE_PATTERN.match(instance_type)),
                f"instance_type ({instance_type!r}) is not an ML instance type: use 'ml.<family>.<size>', "
                "e.g. 'ml.m5.xlarge'",
            )
        errors.number_in_range("instance_count", instance_count, 1, integer=True)
        errors.number_in_range("volume_size_gb", volume_size_gb, 1, MAX_VOLUME_GB, integer=True)
        runtime = None
        if errors.expect_type("max_runtime", max_runtime, Duration, "an aws_cdk.Duration"):
            runtime = max_runtime.to_seconds()
            if not is_token(runtime):
                errors.check(
                    1 <= runtime <= MAX_RUNTIME_SECONDS,
                    f"max_runtime ({runtime} s) must be between 1 second and 28 days ({MAX_RUNTIME_SECONDS} s)",
                )
        if spot is not None and errors.expect_type("spot", spot, Spot, "a Spot(...)") and runtime is not None:
            wait = spot.max_wait.to_seconds()
            if not (is_token(wait) or is_token(runtime)):
                errors.check(
                    wait >= runtime,
                    f"spot.max_wait ({wait} s) is shorter than max_runtime ({runtime} s): SageMaker requires "
                    "MaxWaitTimeInSeconds >= MaxRuntimeInSeconds; raise spot.max_wait or lower max_runtime",
                )
        metric_definitions = list(metric_definitions)
        for i, m in enumerate(metric_definitions):
            errors.expect_type(f"metric_definitions[{i}]", m, MetricDefinition, "a MetricDefinition(name, regex)")
        if len(metric_definitions) > MAX_METRIC_DEFINITIONS:
            errors.add(
                f"metric_definitions has {len(metric_definitions)} entries: SageMaker accepts at most "
                f"{MAX_METRIC_DEFINITIONS}"
            )
        if metric_definitions and isinstance(algorithm, Algorithm) and algorithm.image is None:
            errors.add("metric_definitions are set for a Marketplace algorithm: it defines its own metrics; remove them")
        if metric_definitions and isinstance(algorithm, Algorithm) and algorithm.registry_image is not None:
            errors.add(
                "metric_definitions are set for a built-in algorithm: SageMaker defines its metrics (e.g. "
                "'validation:rmse' for XGBoost) and rejects overrides; remove metric_definitions"
            )
        if job_name_prefix is not None and not is_token(job_name_prefix):
            if errors.expect_type("job_name_prefix", job_name_prefix, str, "a string"):
                if len(job_name_prefix) > MAX_PREFIX or not NAME_PATTERN.match(job_name_prefix):
                    errors.add(
                        f"job_name_prefix ({job_name_prefix!r}, {len(job_name_prefix)} characters) is too long or "
                        f"invalid: job names are '<prefix>-<36-character uuid>', so use at most {MAX_PREFIX} "
                        f"characters; {NAME_RULE}"
                    )
        if isinstance(algorithm, Algorithm) and algorithm.is_marketplace and not network_isolation:
            errors.add(
                "network_isolation (False) is not allowed for a Marketplace algorithm: it runs isolated; remove "
                "network_isolation=False"
            )
        for key, value in (environment or {}).items():
            if not (is_token(key) or is_token(value)):
                errors.check(
                    isinstance(key, str) and isinstance(value, str),
                    f"environment[{key!r}] ({value!r}) must map strings to strings: quote the value",
                )
        errors.raise_if_any()
