"""NeoCompilation's state machine definition (private module): the states, kept apart from the construct that owns
the function, roles and trigger, the way aws-cdk-lib's stepfunctions-tasks keeps tasks apart from state machines.

Start (the function) -> NewJob? -> Wait -> DescribeCompilationJob -> CompilationStatus (COMPLETED / FAILED|STOPPED /
otherwise wait again) -> [CreateModel -> [CreateEndpointConfig -> DescribeEndpoint -> Update|CreateEndpoint]] -> Done.
Every state is created in the NeoCompilation's scope, so construct ids (and the template) do not depend on this
module boundary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from aws_cdk import Duration, aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks

from ..core import instance_types
from ..training import _workflow
from . import _neo_iam

if TYPE_CHECKING:
    from .neo_compilation import NeoCompilation


def definition(
    neo: NeoCompilation, resources: _workflow.WorkflowResources, poll_interval: Duration, environment: Mapping[str, str]
) -> sfn.IChainable:
    failed = _workflow.failure_handler(neo, resources, f"Neo compilation {neo.node.path}")
    start = tasks.LambdaInvoke(
        neo,
        "StartCompilation",
        lambda_function=neo.function,
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
        neo, "AlreadyStarted", comment="A job of this name exists: another execution owns it."
    )
    wait = sfn.Wait(neo, "WaitForCompilation", time=sfn.WaitTime.duration(poll_interval))
    describe = tasks.CallAwsService(
        neo,
        "DescribeCompilationJob",
        service="sagemaker",
        action="describeCompilationJob",
        parameters={"CompilationJobName": sfn.JsonPath.string_at("$.compilation.job_name")},
        iam_resources=[neo.job_arn_pattern],
        result_path="$.describe",
    )
    _workflow.protect(describe, failed)
    status = sfn.Choice(neo, "CompilationStatus")
    job_failed = sfn.Pass(
        neo,
        "CompilationFailed",
        parameters={
            "Error": "CompilationFailed",
            "Cause.$": "States.Format('Compilation job {} failed: {}', $.compilation.job_name, "
            "$.describe.FailureReason)",
        },
        result_path="$.error",
    )
    job_stopped = sfn.Pass(
        neo,
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
        "target": neo.target,
    }
    if neo.creates_model:
        summary["model_name.$"] = "$.compilation.job_name"
    if neo.endpoint is not None:
        summary["endpoint_name"] = neo.endpoint.endpoint_name
    done = sfn.Pass(neo, "Done", comment="The execution's output.", parameters=summary)
    completed: sfn.IChainable = done
    if neo.creates_model:
        completed = _create_model(neo, environment, failed, done)
    status.when(sfn.Condition.string_equals("$.describe.CompilationJobStatus", "COMPLETED"), completed)
    status.when(sfn.Condition.string_equals("$.describe.CompilationJobStatus", "FAILED"), job_failed)
    status.when(sfn.Condition.string_equals("$.describe.CompilationJobStatus", "STOPPED"), job_stopped)
    status.otherwise(wait)

    started = sfn.Choice(neo, "NewJob", comment="Stop here when the job already existed (a repeated start).")
    started.when(sfn.Condition.string_equals("$.compilation.status", "duplicate"), already)
    started.otherwise(wait)
    wait.next(describe).next(status)
    return start.next(started)

def _create_model(neo: NeoCompilation, environment: Mapping[str, str], failed: sfn.IChainable, done: sfn.Pass) -> sfn.IChainable:
    container: dict[str, Any] = {
        "Image": neo.image_uri,
        "ModelDataUrl": sfn.JsonPath.string_at("$.describe.ModelArtifacts.S3ModelArtifacts"),
    }
    if environment:
        container["Environment"] = dict(environment)
    parameters: dict[str, Any] = {
        "ModelName": sfn.JsonPath.string_at("$.compilation.job_name"),
        "ExecutionRoleArn": neo.model_role.role_arn,  # type: ignore[union-attr] - set when creates_model
        "PrimaryContainer": container,
        "EnableNetworkIsolation": True,
    }
    if neo.network is not None:
        parameters["VpcConfig"] = {
            "SecurityGroupIds": [neo.network.security_group.security_group_id],
            "Subnets": list(neo.network.subnet_ids),
        }
    create = tasks.CallAwsService(
        neo,
        "CreateModel",
        service="sagemaker",
        action="createModel",
        parameters=parameters,
        iam_resources=[neo.model_arn_pattern],
        result_selector={"model_arn.$": "$.ModelArn"},
        result_path="$.model",
    )
    _workflow.protect(create, failed)
    if neo.endpoint is None:
        create.next(done)
        return create
    return create.next(_deploy(neo, failed, done))

def _deploy(neo: NeoCompilation, failed: sfn.IChainable, done: sfn.Pass) -> sfn.IChainable:
    e = neo.endpoint
    assert e is not None  # only called with an endpoint
    variant: dict[str, Any] = {
        "VariantName": e.variant_name,
        "ModelName": sfn.JsonPath.string_at("$.compilation.job_name"),
        "InstanceType": neo.endpoint_instance_type,
        "InitialInstanceCount": e.instance_count,
        "InitialVariantWeight": 1,
    }
    config_params: dict[str, Any] = {
        "EndpointConfigName": sfn.JsonPath.string_at("$.compilation.job_name"),
        "ProductionVariants": [variant],
    }
    if not instance_types.has_instance_store(neo.endpoint_instance_type):
        config_params["KmsKeyId"] = neo.bucket.encryption_key.key_arn
    create_config = tasks.CallAwsService(
        neo,
        "CreateEndpointConfig",
        service="sagemaker",
        action="createEndpointConfig",
        parameters=config_params,
        iam_resources=[_neo_iam.endpoint_config_pattern(neo)],
        result_path=sfn.JsonPath.DISCARD,
    )
    _workflow.protect(create_config, failed)
    describe = tasks.CallAwsService(
        neo,
        "DescribeEndpoint",
        service="sagemaker",
        action="describeEndpoint",
        parameters={"EndpointName": e.endpoint_name},
        iam_resources=[_neo_iam.endpoint_arn(neo)],
        result_selector={"status.$": "$.EndpointStatus"},
        result_path="$.endpoint",
    )
    update = tasks.CallAwsService(
        neo,
        "UpdateEndpoint",
        service="sagemaker",
        action="updateEndpoint",
        parameters={
            "EndpointName": e.endpoint_name,
            "EndpointConfigName": sfn.JsonPath.string_at("$.compilation.job_name"),
        },
        iam_resources=[_neo_iam.endpoint_arn(neo)],
        result_path=sfn.JsonPath.DISCARD,
    )
    create = tasks.CallAwsService(
        neo,
        "CreateEndpoint",
        service="sagemaker",
        action="createEndpoint",
        parameters={
            "EndpointName": e.endpoint_name,
            "EndpointConfigName": sfn.JsonPath.string_at("$.compilation.job_name"),
        },
        iam_resources=[_neo_iam.endpoint_arn(neo)],
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
