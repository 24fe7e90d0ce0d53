"""NeoCompilation: compile a trained model with SageMaker Neo for one target, then register the compiled model.

Deploys:
- the `lambda/neo_compile` function (latest Python runtime, ARM64, X-Ray, KMS-encrypted log group with retention,
  reserved concurrency), which calls CreateCompilationJob once per artifact with a deterministic job name (a hash of
  the artifact location and version, the target and the settings), so a repeated start never compiles twice;
- a Standard Step Functions state machine (logs ALL to a KMS-encrypted log group, X-Ray on) that invokes the
  function, then loops Wait -> DescribeCompilationJob -> Choice (COMPLETED / FAILED|STOPPED / otherwise wait
  again): no Lambda ever sleeps. On COMPLETED it creates a SageMaker Model (network isolation on) from the compiled
  artifact with the matching Neo or Inferentia serving image, resolved per region through a CfnMapping generated
  from sagemaker-core's image URI data (`image_registry.neo_lookup`). Optionally (off by default) it creates an
  endpoint config and creates or updates an endpoint with that model;
- a failure notice on an SNS topic (KMS-encrypted, SSL only) from every failed state;
- an EventBridge rule: a `.tar.gz` landing under `input_prefix` of the ArtifactBucket starts an execution (target
  DLQ: SQS-managed SSE, SSL only). On demand: StartExecution with {"key": "<input_prefix>.../model.tar.gz"};
- a SageMaker execution role for the compilation jobs (read `input_prefix`, write `output_prefix`, the bucket key,
  its own CloudWatch logs) and one for the compiled model (read `output_prefix`, pull its one image).

Permissions: the function may call sagemaker:CreateCompilationJob / DescribeCompilationJob on
`compilation-job/<prefix>-*` and pass the compilation role to SageMaker only; the state machine may invoke the
function, DescribeCompilationJob on the same pattern, CreateModel on `model/<prefix>-*` and pass the model role to
SageMaker only (plus the endpoint calls on one endpoint when deployment is on).

Cost: per compilation, SageMaker Neo compilation is free of charge for cloud targets (you pay S3 storage of the
artifacts); per execution, Step Functions state transitions (about 2 per poll: a 15-minute job polled every 30 s
is about 60 transitions, $0.0015) and one Lambda invocation; a KMS key ($1/month) unless you pass one; SQS and SNS
per message. A deployed endpoint is billed per instance-hour like any other.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from aws_cdk import (
    ArnFormat,
    Duration,
    Stack,
    aws_cloudwatch as cloudwatch,
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sns as sns,
    aws_sqs as sqs,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct, IConstruct

from ..core._types import typed, typed_fields
from ..training import _workflow
from . import accelerators
from ..core import image_registry, instance_types
from ..core._functions import project_function
from ..core._validation import PropErrors, acknowledge, io_prefixes, is_token, job_name_prefix, nag_resource
from ..core.artifact_bucket import ArtifactBucket
from .batch_transform import default_job_name_prefix
from ..core.container_image import ContainerImage, registry_image
from ..core.network import ModelNetwork


MAX_DATA_INPUT_CONFIG = 16384  # DataInputConfig's maximum length in botocore's model
MAX_COMPILER_OPTIONS = 1024
MAX_RUNTIME_LIMIT = Duration.days(28)  # StoppingCondition's documented maximum


@functools.lru_cache(maxsize=1)
def _sagemaker_shapes() -> dict[str, Any]:
    """botocore's SageMaker service model (the one CreateCompilationJob requests are validated against)."""
    import botocore.loaders

    return botocore.loaders.Loader().load_service_model("sagemaker", "service-2")["shapes"]


def compilation_enum(shape: str) -> tuple[str, ...]:
    """Allowed values of one of CreateCompilationJob's enums in botocore's model: "Framework", "TargetDevice",
    "TargetPlatformOs", "TargetPlatformArch", "TargetPlatformAccelerator", "CompilationJobStatus"."""
    return tuple(_sagemaker_shapes()[shape]["enum"])


@dataclass(frozen=True)
@typed_fields
class TargetPlatform:
    """A compilation target given as OS, architecture and optional accelerator instead of a named device.

    os: "LINUX" or "ANDROID". arch: "X86_64", "X86", "ARM64", "ARM_EABI" or "ARM_EABIHF".
    accelerator: "NVIDIA", "MALI", "INTEL_GRAPHICS" or "NNA". Default: none (CPU).
    (The values are botocore's TargetPlatform* enums, checked by NeoCompilation.)
    """

    os: str
    arch: str
    accelerator: str | None = None

    def to_request(self) -> dict[str, str]:
        body = {"Os": self.os, "Arch": self.arch}
        if self.accelerator:
            body["Accelerator"] = self.accelerator
        return body


@dataclass(frozen=True)
@typed_fields
class NeoEndpoint:
    """Deploy each compiled model to one endpoint (created on the first run, updated afterwards).

    endpoint_name: the endpoint to create or update. Required.
    instance_type: Default: the xlarge size of the compilation target's family (ml_c5 -> "ml.c5.xlarge").
    instance_count: Default: 2, one per AZ.
    variant_name: Default: "AllTraffic".
    The state machine ends once CreateEndpoint/UpdateEndpoint is accepted; SageMaker then rolls out on its own.
    """

    endpoint_name: str
    instance_type: str | None = None
    instance_count: int = 2
    variant_name: str = "AllTraffic"


class NeoCompilation(Construct):
    """S3 artifact -> Neo compilation job -> compiled Model (-> endpoint), orchestrated by Step Functions.

    Keyword-only props:
        bucket: the ArtifactBucket holding the trained artifacts and the compiled output. Required.
        framework: CreateCompilationJob's Framework, case-insensitive: "xgboost", "pytorch", "tensorflow", "mxnet",
            "onnx", "keras", "tflite", "darknet" or "sklearn" (botocore's enum). Required.
        framework_version: e.g. "1.7". Default: none (Neo's default for the framework).
        input_shape: DataInputConfig: the name and shape of the model's inputs, as a JSON string or a dict/list
            (serialized for you), e.g. {"data": [1, 5]}. Default: none (XGBoost needs none).
        target_device: a Neo target device, e.g. "ml_c5", "ml_inf1", "jetson_xavier" (botocore's TargetDevice).
        target_platform: a TargetPlatform(os, arch, accelerator) instead. Exactly one of the two is required.
        compiler_options: CompilerOptions as a JSON string or dict. Default: none.
        input_prefix: key prefix of trained artifacts; a `.tar.gz` landing here starts a compilation.
            Default: "neo/input/". Ends with "/".
        output_prefix: compiled artifacts go to `<output_prefix><job name>/`. Default: "neo/output/". Must not
            overlap `input_prefix`.
        trigger_on_upload: start a compilation when an artifact lands under `input_prefix` (EventBridge is
            switched on for the bucket). Default: True.
        max_runtime: StoppingCondition.MaxRuntimeInSeconds, 1 second to 28 days. Default: 15 minutes (AWS's
            recommended starting point).
        poll_interval: wait between DescribeCompilationJob calls, 5 seconds to 1 hour. Default: 30 seconds.
        create_model: create a SageMaker Model from the compiled artifact. Default: True when a serving image is
            known (an `ml_*` target and a framework with a Neo image, or `inference_image` given), else False.
        inference_image: the image that serves the compiled model. Default: the Neo (or, for ml_inf1, Inferentia)
            image for the framework, version and target from the generated registry.
        model_environment: environment variables of the compiled model's container. Default: none.
        endpoint: a NeoEndpoint to create or update with each compiled model. Default: none (no deployment).
        network: run compilation jobs and the compiled model in this ModelNetwork. Default: none (compilation runs
            in SageMaker's managed network; the model runs with network isolation, outside any VPC).
        job_name_prefix: lower-case prefix of job, model and endpoint-config names, at most 24 characters; also
            scopes IAM. Default: derived from the construct id and a hash of its path.
        encryption_key: KMS key of the workflow logs, the function logs and the failure topic. Default: a new key
            with rotation on. The compiled artifacts use the bucket's key.
        failure_topic: where failure notices go. Default: a new KMS-encrypted, SSL-only topic.
        log_retention: retention of the function's and the state machine's log groups. Default: one year.
        reserved_concurrency: concurrent executions reserved for (and capping) the function. Default: 2.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: ArtifactBucket,
        framework: str,
        framework_version: str | None = None,
        input_shape: str | Mapping[str, Any] | Sequence[Any] | None = None,
        target_device: str | None = None,
        target_platform: TargetPlatform | None = None,
        compiler_options: str | Mapping[str, Any] | None = None,
        input_prefix: str = "neo/input/",
        output_prefix: str = "neo/output/",
        trigger_on_upload: bool = True,
        max_runtime: Duration = Duration.minutes(15),
        poll_interval: Duration = Duration.seconds(30),
        create_model: bool | None = None,
        inference_image: ContainerImage | None = None,
        model_environment: Mapping[str, str] | None = None,
        endpoint: NeoEndpoint | None = None,
        network: ModelNetwork | None = None,
        job_name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        failure_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        reserved_concurrency: int = 2,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"NeoCompilation {self.node.path}")
        checked = _validate(
            errors,
            bucket=bucket,
            framework=framework,
            framework_version=framework_version,
            input_shape=input_shape,
            target_device=target_device,
            target_platform=target_platform,
            compiler_options=compiler_options,
            input_prefix=input_prefix,
            output_prefix=output_prefix,
            max_runtime=max_runtime,
            poll_interval=poll_interval,
            create_model=create_model,
            inference_image=inference_image,
            model_environment=model_environment,
            endpoint=endpoint,
            network=network,
            job_name_prefix=job_name_prefix,
            log_retention=log_retention,
            reserved_concurrency=reserved_concurrency,
        )
        errors.raise_if_any()

        stack = Stack.of(self)
        self.bucket = bucket
        self.input_prefix = input_prefix
        self.output_prefix = output_prefix
        self.framework: str = checked["framework"]
        self.target_device = target_device
        self.target_platform = target_platform
        self.data_input_config: str | None = checked["data_input_config"]
        self.compiler_options: str | None = checked["compiler_options"]
        self.job_name_prefix: str = job_name_prefix or default_job_name_prefix(self)
        self.serving_image: image_registry.RegistryImage | None = checked["serving_image"]
        self.creates_model: bool = checked["create_model"]
        self.endpoint = endpoint
        self.network = network

        resources = _workflow.WorkflowResources(
            self, encryption_key=encryption_key, failure_topic=failure_topic, log_retention=log_retention
        )
        self.encryption_key: kms.IKey = resources.encryption_key
        self.topic: sns.ITopic = resources.failure_topic
        self.workflow_log_group: logs.LogGroup = resources.log_group

        # ------------------------------------------------------------------ SageMaker execution role (compilation)
        self.role = iam.Role(
            self,
            "CompilationRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the Neo compilation jobs of {self.node.path}",
        )
        bucket.grant_read(self.role, input_prefix)
        bucket.grant_write(self.role, output_prefix)
        _grant_sagemaker_logs(self.role, "/aws/sagemaker/CompilationJobs")
        if network is not None:
            network.grant_network_interfaces(self.role)

        self.job_arn_pattern = stack.format_arn(
            service="sagemaker", resource="compilation-job", resource_name=f"{self.job_name_prefix}-*"
        )
        self.model_arn_pattern = stack.format_arn(
            service="sagemaker", resource="model", resource_name=f"{self.job_name_prefix}-*"
        )

        # ------------------------------------------------------------------ function
        self.function_role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Starts the Neo compilation jobs of {self.node.path}",
        )
        self.function_log_group = logs.LogGroup(
            self, "FunctionLogs", retention=log_retention, encryption_key=self.encryption_key
        )
        self.function_log_group.grant_write(self.function_role)
        self.function_role.add_to_policy(
            iam.PolicyStatement(
                sid="StartThisConstructsCompilationJobs",
                actions=["sagemaker:CreateCompilationJob", "sagemaker:DescribeCompilationJob"],
                resources=[self.job_arn_pattern],
            )
        )
        _workflow.pass_role(self.function_role, self.role)

        environment = {
            "BUCKET": bucket.bucket_name,
            "INPUT_PREFIX": input_prefix,
            "OUTPUT_PREFIX": output_prefix,
            "ROLE_ARN": self.role.role_arn,
            "FRAMEWORK": self.framework,
            "KMS_KEY_ID": bucket.encryption_key.key_arn,
            "MAX_RUNTIME_SECONDS": str(int(max_runtime.to_seconds())),
            "JOB_NAME_PREFIX": self.job_name_prefix,
            "LOG_LEVEL": "INFO",
        }
        optional = {
            "FRAMEWORK_VERSION": framework_version,
            "DATA_INPUT_CONFIG": self.data_input_config,
            "TARGET_DEVICE": target_device,
            "TARGET_PLATFORM": json.dumps(target_platform.to_request()) if target_platform else None,
            "COMPILER_OPTIONS": self.compiler_options,
        }
        if network is not None:
            optional["VPC_SUBNETS"] = ",".join(network.subnet_ids)
            optional["VPC_SECURITY_GROUPS"] = network.security_group.security_group_id
        environment.update({k: v for k, v in optional.items() if v is not None})

        self.function = project_function(
            self,
            "Function",
            package="neo_compile",
            description=f"Starts SageMaker Neo compilation jobs ({self.node.path})",
            memory_size=256,
            timeout=Duration.seconds(60),
            reserved_concurrency=reserved_concurrency,
            role=self.function_role,
            environment=environment,
            log_group=self.function_log_group,
        )

        # ------------------------------------------------------------------ compiled model role
        self.model_role: iam.Role | None = None
        self.image_uri: str | None = None
        if self.creates_model:
            self.model_role = iam.Role(
                self,
                "ModelRole",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                description=f"Execution role of the models compiled by {self.node.path}",
            )
            bucket.grant_read(self.model_role, output_prefix)
            assert inference_image is not None or self.serving_image is not None  # checked by _validate
            image = inference_image or registry_image(self.serving_image)  # type: ignore[arg-type]
            self.image_uri = image.bind(self, self.model_role).image_uri
            _grant_sagemaker_logs(self.model_role, "/aws/sagemaker/Endpoints")
            if network is not None:
                network.grant_network_interfaces(self.model_role)

        # ------------------------------------------------------------------ state machine
        self.workflow_role = _workflow.workflow_role(self, resources)
        self.workflow_role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn])
        )
        self.workflow_role.add_to_policy(
            iam.PolicyStatement(actions=["sagemaker:DescribeCompilationJob"], resources=[self.job_arn_pattern])
        )
        if self.model_role is not None:
            self.workflow_role.add_to_policy(
                iam.PolicyStatement(actions=["sagemaker:CreateModel"], resources=[self.model_arn_pattern])
            )
            _workflow.pass_role(self.workflow_role, self.model_role)
        if endpoint is not None:
            self._grant_endpoint(stack, endpoint)

        definition = self._definition(resources, poll_interval, model_environment or {})
        self.state_machine = _workflow.state_machine(
            self,
            definition=definition,
            role=self.workflow_role,
            resources=resources,
            comment=f"Neo compilation for {self.target} ({self.node.path})",
            timeout=Duration.seconds(max_runtime.to_seconds() + 3600),
        )

        # ------------------------------------------------------------------ trigger
        self.rule: events.Rule | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        if trigger_on_upload:
            bucket.enable_event_bridge()
            self.dead_letter_queue = sqs.Queue(
                self,
                "TriggerDeadLetterQueue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            self.rule = events.Rule(
                self,
                "ArtifactUploadedRule",
                description=f"A .tar.gz under s3://<bucket>/{input_prefix} starts a Neo compilation",
                event_pattern=events.EventPattern(
                    source=["aws.s3"],
                    detail_type=["Object Created"],
                    detail={
                        "bucket": {"name": [bucket.bucket_name]},
                        "object": {"key": [{"wildcard": f"{input_prefix}*.tar.gz"}]},
                    },
                ),
                targets=[
                    targets.SfnStateMachine(
                        self.state_machine,
                        dead_letter_queue=self.dead_letter_queue,
                        retry_attempts=10,
                        max_event_age=Duration.hours(6),
                    )
                ],
            )
        self._acknowledge()

    # -- public API ----------------------------------------------------------------------------------------------

    @property
    def target(self) -> str:
        """The target device ("ml_c5"), or "LINUX/ARM64[/NVIDIA]" for a target platform."""
        if self.target_device:
            return self.target_device
        p = self.target_platform
        return "/".join(v for v in (p.os, p.arch, p.accelerator) if v) if p else ""

    def input_uri(self) -> str:
        """s3://<bucket>/<input_prefix>: upload a model.tar.gz here to compile it."""
        return self.bucket.s3_uri(self.input_prefix)

    def output_uri(self) -> str:
        """s3://<bucket>/<output_prefix>: each job writes under <output_uri><job name>/."""
        return self.bucket.s3_uri(self.output_prefix)

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """states:StartExecution on this state machine (start a compilation on demand)."""
        return self.state_machine.grant_start_execution(grantee)

    def grant_upload(self, grantee: iam.IGrantable) -> iam.Grant:
        """s3:PutObject under input_prefix (and the bucket key): uploading starts a compilation."""
        return self.bucket.grant_write(grantee, self.input_prefix)

    def metric_executions_failed(self, **opts: Any) -> cloudwatch.Metric:
        """ExecutionsFailed of the state machine. Default: Sum over 5 minutes."""
        return self.state_machine.metric_failed(**{"statistic": "Sum", "period": Duration.minutes(5), **opts})

    def metric_executions_succeeded(self, **opts: Any) -> cloudwatch.Metric:
        """ExecutionsSucceeded of the state machine. Default: Sum over 5 minutes."""
        return self.state_machine.metric_succeeded(**{"statistic": "Sum", "period": Duration.minutes(5), **opts})

    def metric_executions_timed_out(self, **opts: Any) -> cloudwatch.Metric:
        """ExecutionsTimedOut (the max_runtime + 1 hour backstop). Default: Sum over 5 minutes."""
        return self.state_machine.metric_timed_out(**{"statistic": "Sum", "period": Duration.minutes(5), **opts})

    def metric_function_errors(self, **opts: Any) -> cloudwatch.Metric:
        """Errors of the start function. Default: Sum over 5 minutes."""
        return self.function.metric_errors(**{"statistic": "Sum", "period": Duration.minutes(5), **opts})

    # -- internals -------------------------------------------------------------------------------------------------

    def _definition(
        self, resources: _workflow.WorkflowResources, poll_interval: Duration, environment: Mapping[str, str]
    ) -> sfn.IChainable:
        failed = _workflow.failure_handler(self, resources, f"Neo compilation {self.node.path}")
        start = tasks.LambdaInvoke(
            self,
            "StartCompilation",
            lambda_function=self.function,
            payload=sfn.TaskInput.from_json_path_at("$"),
            result_selector={
                "job_name.$": "$.Payload.job_name",
                "status.$": "$.Payload.status",
                "artifact.$": "$.Payload.artifact",
                "output_location.$": "$.Payload.output_location",
            },
            result_path="$.compilation",
            comment="CreateCompilationJob with a deterministic name (the function never waits).",
        )
        start.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        already = sfn.Succeed(
            self, "AlreadyStarted", comment="A job of this name exists: another execution owns it."
        )
        wait = sfn.Wait(self, "WaitForCompilation", time=sfn.WaitTime.duration(poll_interval))
        describe = tasks.CallAwsService(
            self,
            "DescribeCompilationJob",
            service="sagemaker",
            action="describeCompilationJob",
            parameters={"CompilationJobName": sfn.JsonPath.string_at("$.compilation.job_name")},
            iam_resources=[self.job_arn_pattern],
            result_path="$.describe",
        )
        _workflow.protect(describe, failed)
        status = sfn.Choice(self, "CompilationStatus")
        job_failed = sfn.Pass(
            self,
            "CompilationFailed",
            parameters={
                "Error": "CompilationFailed",
                "Cause.$": "States.Format('Compilation job {} failed: {}', $.compilation.job_name, "
                "$.describe.FailureReason)",
            },
            result_path="$.error",
        )
        job_stopped = sfn.Pass(
            self,
            "CompilationStopped",
            parameters={
                "Error": "CompilationStopped",
                "Cause.$": "States.Format('Compilation job {} was stopped.', $.compilation.job_name)",
            },
            result_path="$.error",
        )
        job_failed.next(failed)
        job_stopped.next(failed)
        summary: dict[str, Any] = {
            "job_name.$": "$.compilation.job_name",
            "compiled_model.$": "$.describe.ModelArtifacts.S3ModelArtifacts",
            "target": self.target,
        }
        if self.creates_model:
            summary["model_name.$"] = "$.compilation.job_name"
        if self.endpoint is not None:
            summary["endpoint_name"] = self.endpoint.endpoint_name
        done = sfn.Pass(self, "Done", comment="The execution's output.", parameters=summary)
        completed: sfn.IChainable = done
        if self.creates_model:
            completed = self._create_model(environment, failed, done)
        status.when(sfn.Condition.string_equals("$.describe.CompilationJobStatus", "COMPLETED"), completed)
        status.when(sfn.Condition.string_equals("$.describe.CompilationJobStatus", "FAILED"), job_failed)
        status.when(sfn.Condition.string_equals("$.describe.CompilationJobStatus", "STOPPED"), job_stopped)
        status.otherwise(wait)

        started = sfn.Choice(self, "NewJob", comment="Stop here when the job already existed (a repeated start).")
        started.when(sfn.Condition.string_equals("$.compilation.status", "duplicate"), already)
        started.otherwise(wait)
        wait.next(describe).next(status)
        return start.next(started)

    def _create_model(self, environment: Mapping[str, str], failed: sfn.IChainable, done: sfn.Pass) -> sfn.IChainable:
        container: dict[str, Any] = {
            "Image": self.image_uri,
            "ModelDataUrl": sfn.JsonPath.string_at("$.describe.ModelArtifacts.S3ModelArtifacts"),
        }
        if environment:
            container["Environment"] = dict(environment)
        parameters: dict[str, Any] = {
            "ModelName": sfn.JsonPath.string_at("$.compilation.job_name"),
            "ExecutionRoleArn": self.model_role.role_arn,  # type: ignore[union-attr] - set when creates_model
            "PrimaryContainer": container,
            "EnableNetworkIsolation": True,
        }
        if self.network is not None:
            parameters["VpcConfig"] = {
                "SecurityGroupIds": [self.network.security_group.security_group_id],
                "Subnets": list(self.network.subnet_ids),
            }
        create = tasks.CallAwsService(
            self,
            "CreateModel",
            service="sagemaker",
            action="createModel",
            parameters=parameters,
            iam_resources=[self.model_arn_pattern],
            result_selector={"model_arn.$": "$.ModelArn"},
            result_path="$.model",
        )
        _workflow.protect(create, failed)
        if self.endpoint is None:
            create.next(done)
            return create
        return create.next(self._deploy(failed, done))

    def _deploy(self, failed: sfn.IChainable, done: sfn.Pass) -> sfn.IChainable:
        e = self.endpoint
        assert e is not None  # only called with an endpoint
        from ..core import instance_types

        variant: dict[str, Any] = {
            "VariantName": e.variant_name,
            "ModelName": sfn.JsonPath.string_at("$.compilation.job_name"),
            "InstanceType": self.endpoint_instance_type,
            "InitialInstanceCount": e.instance_count,
            "InitialVariantWeight": 1,
        }
        config_params: dict[str, Any] = {
            "EndpointConfigName": sfn.JsonPath.string_at("$.compilation.job_name"),
            "ProductionVariants": [variant],
        }
        if not instance_types.has_instance_store(self.endpoint_instance_type):
            config_params["KmsKeyId"] = self.bucket.encryption_key.key_arn
        create_config = tasks.CallAwsService(
            self,
            "CreateEndpointConfig",
            service="sagemaker",
            action="createEndpointConfig",
            parameters=config_params,
            iam_resources=[self._endpoint_config_pattern],
            result_path=sfn.JsonPath.DISCARD,
        )
        _workflow.protect(create_config, failed)
        describe = tasks.CallAwsService(
            self,
            "DescribeEndpoint",
            service="sagemaker",
            action="describeEndpoint",
            parameters={"EndpointName": e.endpoint_name},
            iam_resources=[self._endpoint_arn],
            result_selector={"status.$": "$.EndpointStatus"},
            result_path="$.endpoint",
        )
        update = tasks.CallAwsService(
            self,
            "UpdateEndpoint",
            service="sagemaker",
            action="updateEndpoint",
            parameters={
                "EndpointName": e.endpoint_name,
                "EndpointConfigName": sfn.JsonPath.string_at("$.compilation.job_name"),
            },
            iam_resources=[self._endpoint_arn],
            result_path=sfn.JsonPath.DISCARD,
        )
        create = tasks.CallAwsService(
            self,
            "CreateEndpoint",
            service="sagemaker",
            action="createEndpoint",
            parameters={
                "EndpointName": e.endpoint_name,
                "EndpointConfigName": sfn.JsonPath.string_at("$.compilation.job_name"),
            },
            iam_resources=[self._endpoint_arn],
            result_path=sfn.JsonPath.DISCARD,
        )
        # DescribeEndpoint fails for a missing endpoint: that is the "create" branch. Any other failure resurfaces
        # at CreateEndpoint ("already existing" or access denied) and goes to the failure handler from there.
        describe.add_catch(create, errors=["States.ALL"], result_path=sfn.JsonPath.DISCARD)
        for task in (update, create):
            _workflow.protect(task, failed)
            task.next(done)
        create_config.next(describe).next(update)
        return create_config

    @property
    def endpoint_instance_type(self) -> str:
        e = self.endpoint
        if e is None:
            return ""
        return e.instance_type or f"ml.{accelerators.instance_family(self.target_device or '')}.xlarge"

    @property
    def _endpoint_name(self) -> str:
        assert self.endpoint is not None  # only asked for with an endpoint
        return self.endpoint.endpoint_name

    @property
    def _endpoint_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="sagemaker", resource="endpoint", resource_name=self._endpoint_name.lower()
        )

    @property
    def _endpoint_config_pattern(self) -> str:
        return Stack.of(self).format_arn(
            service="sagemaker", resource="endpoint-config", resource_name=f"{self.job_name_prefix}-*"
        )

    def _grant_endpoint(self, stack: Stack, endpoint: NeoEndpoint) -> None:
        role = self.workflow_role
        role.add_to_policy(
            iam.PolicyStatement(actions=["sagemaker:CreateEndpointConfig"], resources=[self._endpoint_config_pattern])
        )
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=[self._endpoint_arn]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
                resources=[self._endpoint_arn, self._endpoint_config_pattern],
            )
        )
        # An endpoint config with KmsKeyId makes SageMaker create a grant on the key for the caller's volumes.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=[self.bucket.encryption_key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )

    def _acknowledge(self) -> None:
        acknowledge(
            self.function_role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support "
            "no resource-level permissions; every other statement of this role names its resources.",
        )
        job_reason = (
            "Compilation job names are derived per artifact at run time (a hash of its location, version and "
            "target), so they cannot be listed; the pattern is this construct's own job-name prefix."
        )
        for role in (self.function_role, self.workflow_role):
            acknowledge(role, f"AwsSolutions-IAM5[Resource::{nag_resource(self, self.job_arn_pattern)}]", job_reason)
        if self.model_role is not None:
            acknowledge(
                self.workflow_role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, self.model_arn_pattern)}]",
                "Each compiled model is named after its compilation job, known only at run time; the pattern is "
                "this construct's own name prefix.",
            )
        if self.endpoint is not None:
            acknowledge(
                self.workflow_role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, self._endpoint_config_pattern)}]",
                "Each endpoint config is named after its compilation job, known only at run time; the pattern is "
                "this construct's own name prefix, and the endpoint itself is named exactly.",
            )
        for role, grants in ((self.role, ((self.input_prefix, "read"), (self.output_prefix, "write"))),
                             (self.model_role, ((self.output_prefix, "read"),))):
            if role is None:
                continue
            for prefix, verb in grants:
                objects = self.bucket.bucket.arn_for_objects(_object_pattern(prefix))
                acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Resource::{nag_resource(self, objects)}]",
                    f"SageMaker {verb}s artifacts whose keys are only known at run time; access is limited to the "
                    f"{prefix!r} prefix of the artifact bucket.",
                )
            for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:Abort*", "kms:GenerateDataKey*",
                           "kms:ReEncrypt*"):
                acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Action::{action}]",
                    "CDK's standard S3 read/write grant (Bucket.grant_read / grant_put) on one bucket and prefix "
                    "and its KMS key; the wildcard only spans that action family's read, abort or data-key variants.",
                )
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "Only actions without resource-level permissions use '*': cloudwatch:PutMetricData (pinned to "
                "SageMaker namespaces by condition), ecr:GetAuthorizationToken and ec2:Describe* (VPC placement).",
            )
        for group, role in (("/aws/sagemaker/CompilationJobs", self.role), ("/aws/sagemaker/Endpoints", self.model_role)):
            if role is None:
                continue
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, _log_group_arn(self, group))}]",
                "SageMaker names the log streams after each job or endpoint, known only at run time; the grant "
                f"stays inside the {group} log group.",
            )
        if self.network is not None:
            eni = Stack.of(self).format_arn(service="ec2", resource="network-interface", resource_name="*")
            for role in (self.role, self.model_role):
                if role is not None:
                    acknowledge(
                        role,
                        f"AwsSolutions-IAM5[Resource::{nag_resource(self, eni)}]",
                        "SageMaker creates the network interfaces of jobs and models at run time, so their IDs "
                        "cannot be known; creation is further limited to the network's own subnets and security "
                        "group.",
                    )
        for finding in ("Serverless-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(
                self.function,
                finding,
                "The function is only invoked synchronously by the state machine, whose catch handler notifies the "
                "failure topic; there are no asynchronous invocations to dead-letter.",
            )
        for finding in ("HIPAA.Security-LambdaInsideVPC", "NIST.800.53.R5-LambdaInsideVPC"):
            acknowledge(
                self.function,
                finding,
                "The function only calls the SageMaker API to start a compilation and holds no data; a VPC "
                "placement would need a SageMaker API interface endpoint without narrowing what it can reach.",
            )
        if self.dead_letter_queue is not None:
            acknowledge(
                self.dead_letter_queue,
                "AwsSolutions-SQS3",
                "This queue is the dead-letter queue itself (of the upload rule's state machine target).",
            )
            acknowledge(
                self.dead_letter_queue,
                "Serverless-SQSRedrivePolicy",
                "This queue is the terminal dead-letter queue; a redrive policy would move its messages nowhere.",
            )
            acknowledge(
                self.dead_letter_queue,
                "CKV_AWS_27",
                "Dead-letter queue encrypted with SQS-managed keys (SSE-SQS): EventBridge delivers to it without a "
                "key grant, and it holds failure records (event metadata: object keys), not data.",
            )


def _object_pattern(prefix: str) -> str:
    return prefix if prefix.endswith("*") else prefix.rstrip("/") + "/*"


def _log_group_arn(scope: IConstruct, group: str) -> str:
    return Stack.of(scope).format_arn(
        service="logs", resource="log-group", resource_name=f"{group}*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def _grant_sagemaker_logs(role: iam.IRole, group: str) -> None:
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[_log_group_arn(role, group)],
        )
    )
    # PutMetricData has no resource-level permissions; the condition pins the namespace instead.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
        )
    )


# -- validation ------------------------------------------------------------------------------------------------------


def _json_prop(errors: PropErrors, prop: str, value: Any, max_length: int, example: str) -> tuple[str | None, Any]:
    """(text, decoded) of a JSON prop given as a string or as a dict/list; (None, None) when invalid or unset."""
    if value is None or is_token(value):
        return (None if value is None else value), None
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError as err:
            errors.add(f"{prop} ({value!r}) is not valid JSON ({err}): give e.g. {example}")
            return None, None
        text = value
    elif isinstance(value, (Mapping, list, tuple)):
        try:
            text = json.dumps(value, separators=(",", ":"), sort_keys=isinstance(value, Mapping))
        except (TypeError, ValueError) as err:
            errors.add(f"{prop} cannot be serialized to JSON ({err}): use only strings, numbers, lists and dicts")
            return None, None
        decoded = json.loads(text)
    else:
        errors.add(f"{prop} must be a JSON string or a dict, got {type(value).__name__} {value!r}", type_error=True)
        return None, None
    if len(text) > max_length:
        errors.add(f"{prop} is {len(text)} characters of JSON: SageMaker accepts at most {max_length}; shorten it")
        return None, None
    return text, decoded


def _bad_dimensions(node: Any) -> list[Any]:
    """Every number in a shape list that is not a positive integer (Neo compiles for fixed shapes)."""
    bad: list[Any] = []
    if isinstance(node, Mapping):
        for item in node.values():
            bad += _bad_dimensions(item)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, bool) or (isinstance(item, (int, float)) and not (
                isinstance(item, int) and item >= 1
            )):
                bad.append(item)
            elif isinstance(item, (list, Mapping)):
                bad += _bad_dimensions(item)
    return bad


def _validate(errors: PropErrors, **p: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"framework": "", "data_input_config": None, "compiler_options": None,
                           "serving_image": None, "create_model": False}
    if not isinstance(p["bucket"], ArtifactBucket):
        errors.add(
            f"bucket must be a sagemaker_cdk.ArtifactBucket, got {type(p['bucket']).__name__}: create one in the "
            "same stack (cross-stack references break EventBridge and nag acknowledgements)",
            type_error=True,
        )

    framework = p["framework"]
    allowed = compilation_enum("Framework")
    if errors.expect_type("framework", framework, str, f"a framework name, one of {', '.join(allowed)}"):
        if framework.upper() not in allowed:
            errors.add(
                f"framework ({framework!r}) is not supported by CreateCompilationJob: use one of "
                f"{', '.join(allowed)} (case-insensitive)"
            )
        else:
            out["framework"] = framework.upper()
    version = p["framework_version"]
    if version is not None and not is_token(version) and errors.expect_type(
        "framework_version", version, str, "a version string such as '1.7'"
    ):
        shape = _sagemaker_shapes()["FrameworkVersion"]
        if not (shape["min"] <= len(version) <= shape["max"] and re.fullmatch(shape["pattern"], version)):
            errors.add(
                f"framework_version ({version!r}) is not a framework version: use {shape['min']}-{shape['max']} "
                "characters such as '1.7' or '2.0.1'"
            )

    device, platform = p["target_device"], p["target_platform"]
    if device is not None and platform is not None:
        errors.add(
            f"target_device ({device!r}) and target_platform ({platform!r}) are both set: a compilation targets one "
            "device or one platform; remove one"
        )
    elif device is None and platform is None:
        errors.add("neither target_device nor target_platform is set: give one, e.g. target_device='ml_c5'")
    if device is not None and not is_token(device) and errors.expect_type(
        "target_device", device, str, "a Neo target device string such as 'ml_c5'"
    ):
        devices = compilation_enum("TargetDevice")
        if device not in devices:
            errors.add(f"target_device ({device!r}) is not a Neo target device: use one of {', '.join(devices)}")
    if platform is not None and errors.expect_type(
        "target_platform", platform, TargetPlatform, "a TargetPlatform(os=..., arch=..., accelerator=...)"
    ):
        for field, shape in (("os", "TargetPlatformOs"), ("arch", "TargetPlatformArch"),
                             ("accelerator", "TargetPlatformAccelerator")):
            value = getattr(platform, field)
            if value is None and field == "accelerator":
                continue
            if value not in compilation_enum(shape):
                errors.add(
                    f"target_platform.{field} ({value!r}) is not supported: use one of "
                    f"{', '.join(compilation_enum(shape))}"
                )

    text, decoded = _json_prop(errors, "input_shape", p["input_shape"], MAX_DATA_INPUT_CONFIG, "'{\"data\": [1, 5]}'")
    if decoded is not None:
        if not isinstance(decoded, (dict, list)) or not decoded:
            errors.add(
                f"input_shape ({text!r}) must be a non-empty JSON object or list mapping inputs to shapes: e.g. "
                "{\"data\": [1, 5]}"
            )
        elif _bad_dimensions(decoded):
            errors.add(
                f"input_shape ({text!r}) has dimensions that are not positive integers "
                f"({', '.join(map(repr, _bad_dimensions(decoded)))}): Neo compiles for fixed shapes, e.g. [1, 5]"
            )
        else:
            out["data_input_config"] = text
    out["compiler_options"], _ = _json_prop(
        errors, "compiler_options", p["compiler_options"], MAX_COMPILER_OPTIONS, "'{\"dtype\": \"float32\"}'"
    )

    io_prefixes(
        errors, p["input_prefix"], p["output_prefix"], example="neo",
        loop="compiled artifacts would start new compilations",
    )

    for name, low, high in (("max_runtime", 1, MAX_RUNTIME_LIMIT.to_seconds()), ("poll_interval", 5, 3600)):
        value = p[name]
        if not isinstance(value, Duration):
            errors.add(f"{name} must be an aws_cdk.Duration, got {value!r}: e.g. Duration.minutes(15)", type_error=True)
        elif not is_token(value.to_seconds()) and not low <= value.to_seconds() <= high:
            errors.add(f"{name} ({value.to_seconds()} s) must be between {low} and {int(high)} seconds")

    job_name_prefix(errors, p["job_name_prefix"], example="churn-neo")
    if not isinstance(p["log_retention"], logs.RetentionDays):
        errors.add(f"log_retention must be an aws_logs.RetentionDays, got {p['log_retention']!r}", type_error=True)
    errors.number_in_range("reserved_concurrency", p["reserved_concurrency"], 1, 1000, integer=True)
    if p["network"] is not None:
        errors.expect_type("network", p["network"], ModelNetwork, "a sagemaker_cdk.ModelNetwork")
    for key, value in (p["model_environment"] or {}).items():
        if not (is_token(key) or is_token(value)):
            errors.check(
                isinstance(key, str) and isinstance(value, str),
                f"model_environment[{key!r}] ({value!r}) must map strings to strings: quote the value",
            )

    # -- the serving image and the optional model / endpoint
    image = p["inference_image"]
    if image is not None:
        errors.expect_type("inference_image", image, ContainerImage, "a ContainerImage")
    serving, why_not = None, None
    if out["framework"] and isinstance(device, str) and device.startswith("ml_") and image is None:
        try:
            serving = image_registry.neo_lookup(out["framework"], device, version)
        except ValueError as err:
            why_not = str(err)
    elif image is None and (platform is not None or isinstance(device, str)):
        why_not = f"target {device or 'platform'!r} is an edge target: SageMaker hosts only 'ml_*' targets"
    out["serving_image"] = serving
    cloud = isinstance(device, str) and device.startswith("ml_")
    create = p["create_model"]
    if create is None:
        out["create_model"] = bool(serving or image) and cloud
    elif create and serving is None and image is None:
        errors.add(
            f"create_model (True) needs a serving image, and none is known: {why_not or 'no target'}. Pass "
            "inference_image=ContainerImage..., or set create_model=False"
        )
    else:
        out["create_model"] = bool(create)
    if image is not None and not cloud and create:
        errors.add(
            f"create_model (True) with target {device or platform!r}: SageMaker hosts only 'ml_*' targets; compile "
            "for an 'ml_<family>' target or set create_model=False"
        )

    endpoint = p["endpoint"]
    if endpoint is not None and errors.expect_type("endpoint", endpoint, NeoEndpoint, "a NeoEndpoint(...)"):
        if not out["create_model"]:
            errors.add("endpoint is set but no model is created: remove endpoint, or set create_model=True")
        errors.name("endpoint.endpoint_name", endpoint.endpoint_name)
        errors.name("endpoint.variant_name", endpoint.variant_name)
        errors.number_in_range("endpoint.instance_count", endpoint.instance_count, 1, 100, integer=True)
        instance_type = endpoint.instance_type
        if instance_type is not None and not is_token(instance_type) and not (
            isinstance(instance_type, str) and instance_types.INSTANCE_TYPE_PATTERN.match(instance_type)
        ):
            errors.add(f"endpoint.instance_type ({instance_type!r}) is not an ML instance type: e.g. 'ml.c5.xlarge'")
        elif isinstance(device, str) and device.startswith("ml_") and isinstance(instance_type, str):
            message = accelerators.check_neo_target_matches_instance(
                device, instance_type, prop="endpoint.instance_type"
            )
            if message:
                errors.add(message)
            elif serving is not None:
                kind = {"inf": "inferentia", "gpu": "gpu"}.get(image_registry.neo_processor(device))
                message = accelerators.check_image_matches_instance(kind, instance_type, prop="endpoint.instance_type")
                if message:
                    errors.add(message)
    return out

