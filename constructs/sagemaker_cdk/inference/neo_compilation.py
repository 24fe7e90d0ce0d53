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

Layout: this module wires the construct; the props and their checks live in `_neo_props`, the state machine
definition in `_neo_definition`, and the roles, statements and IAM acknowledgements in `_neo_iam`.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from aws_cdk import (
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
)
from constructs import Construct

from ..core._types import typed
from ..training import _workflow
from . import _neo_definition, _neo_iam, accelerators
from ..core import image_registry
from ..core._functions import project_function
from ..core._validation import PropErrors, acknowledge
from ..core.artifact_bucket import ArtifactBucket
from .batch_transform import default_job_name_prefix
from ..core.container_image import ContainerImage
from ..core.network import ModelNetwork
from ._neo_props import (  # the props live in _neo_props; kept importable from here
    NeoEndpoint,
    TargetPlatform,
    compilation_enum,
    validate as _validate,
)

__all__ = ["NeoCompilation", "NeoEndpoint", "TargetPlatform", "compilation_enum"]


class NeoCompilation(Construct):
    """S3 artifact -> Neo compilation job -> compiled Model (-> endpoint), orchestrated by Step Functions.

    Keyword-only props:
        bucket: the ArtifactBucket holding the trained artifacts and the compiled output. Required.
        framework: CreateCompilationJob's Framework, case-insensitive: "xgboost", "pytorch", "tensorflow", "mxnet",
            "onnx", "keras", "tflite", "darknet" or "sklearn" (botocore's enum). Required.
        framework_version: InputConfig.FrameworkVersion, e.g. "1.8". Only for mxnet, pytorch, tensorflow and tflite
            (botocore: the field is supported for those alone), and checked against Neo's documented versions for
            the target (data/neo_frameworks.json, from "Supported Instance Types and Frameworks"). Default: none
            (Neo's default; XGBoost, ONNX and Keras take none: Neo compiles XGBoost models of 1.3.3 or earlier,
            saved as one `.model` file).
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
        reserved_concurrency: concurrent executions reserved for (and capping) the function, 1-1000.
            Default: none (no reservation). Reserving takes the amount out of the account's
            unreserved pool, which Lambda keeps at 100 or more: on new accounts whose concurrency quota is 10
            or 50, any reservation fails the deploy. Set it where the quota allows, to guarantee and cap.
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
        reserved_concurrency: int | None = None,
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
        self.role: iam.Role = _neo_iam.compilation_role(self)
        self.job_arn_pattern = stack.format_arn(
            service="sagemaker", resource="compilation-job", resource_name=f"{self.job_name_prefix}-*"
        )
        self.model_arn_pattern = stack.format_arn(
            service="sagemaker", resource="model", resource_name=f"{self.job_name_prefix}-*"
        )

        # ------------------------------------------------------------------ function
        self.function_role: iam.Role = _neo_iam.function_role(self)
        self.function_log_group = logs.LogGroup(
            self, "FunctionLogs", retention=log_retention, encryption_key=self.encryption_key
        )
        _neo_iam.grant_function(self)

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
            self.model_role, self.image_uri = _neo_iam.model_role(self, inference_image)

        # ------------------------------------------------------------------ state machine
        self.workflow_role: iam.Role = _neo_iam.workflow_role(self, resources)
        definition = _neo_definition.definition(self, resources, poll_interval, model_environment or {})
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

    @property
    def endpoint_instance_type(self) -> str:
        """The deployed endpoint's instance type ("" without an endpoint)."""
        e = self.endpoint
        if e is None:
            return ""
        return e.instance_type or f"ml.{accelerators.instance_family(self.target_device or '')}.xlarge"

    def _acknowledge(self) -> None:
        _neo_iam.acknowledge_findings(self)
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
