"""Updating a RealtimeEndpoint from a workflow: the requests and the states (private module).

The tasks are kept apart from the state machines that use them, the way aws-cdk-lib's stepfunctions-tasks does:
`RolloutPipeline` (train -> gate -> deploy) and `ApprovalDeployment` (registry approval -> deploy) both chain
Names -> CreateModel -> CreateEndpointConfig (the endpoint's variants, mirrored) -> UpdateEndpoint (with the
endpoint's blue/green DeploymentConfig and auto-rollback alarms, rendered explicitly) -> wait/DescribeEndpoint loop
-> RolledOut, or RolledBack when the endpoint's alarms rolled the update back.
Request shapes: botocore's sagemaker service model (CreateModel, CreateEndpointConfig, UpdateEndpoint).
"""

from __future__ import annotations

import typing
from typing import Any, Sequence

from aws_cdk import (
    Duration,
    aws_ec2,
    aws_sagemaker as sagemaker,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct

from ..core.network import ModelNetwork
from ..inference.realtime_endpoint import _TRAFFIC_TYPES, UPDATABLE_VARIANT_PROPERTIES, RealtimeEndpoint
from . import _workflow


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


# -- requests -------------------------------------------------------------------------------------------------------


def create_model_request(
    *, role_arn: str, container: dict[str, Any], network: ModelNetwork | None
) -> dict[str, Any]:
    """CreateModel named `$.names.model`, network-isolated, in `network`'s subnets when given."""
    request: dict[str, Any] = {
        "ModelName.$": "$.names.model",
        "ExecutionRoleArn": role_arn,
        "PrimaryContainer": container,
        "EnableNetworkIsolation": True,
    }
    if network is not None:
        request["VpcConfig"] = {
            "SecurityGroupIds": [network.security_group.security_group_id],
            "Subnets": list(network.subnet_ids),
        }
    return request


def create_endpoint_config_request(endpoint: RealtimeEndpoint, target_variants: Sequence[str]) -> dict[str, Any]:
    """CreateEndpointConfig `$.names.config`: the endpoint's variants, `target_variants` serving `$.names.model`."""
    variants = []
    for name, v in endpoint.variants:
        variant: dict[str, Any] = {"VariantName": name, "InitialVariantWeight": v.weight}
        if name in target_variants:
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
    if endpoint.config.kms_key_id is not None:
        request["KmsKeyId"] = endpoint.config.kms_key_id
    # RealtimeEndpoint sets the capture config as a struct, never as a token.
    capture = typing.cast("sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None",
                          endpoint.config.data_capture_config)
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


def update_endpoint_request(endpoint: RealtimeEndpoint) -> dict[str, Any]:
    """UpdateEndpoint to `$.names.config` with the endpoint's own guardrails."""
    request: dict[str, Any] = {
        "EndpointName": endpoint.endpoint_name_value,
        "EndpointConfigName.$": "$.names.config",
    }
    if endpoint.resource.retain_all_variant_properties:
        # Keep the autoscaled instance counts instead of resetting them to the config's initial counts, but
        # apply the config's weights (RetainAllVariantProperties alone would keep the deployed ones).
        request["RetainAllVariantProperties"] = True
        request["ExcludeRetainedVariantProperties"] = [
            {"VariantPropertyType": p} for p in UPDATABLE_VARIANT_PROPERTIES
        ]
    if not endpoint.variants[0][1].is_serverless:
        request["DeploymentConfig"] = deployment_config(endpoint)
    return request


def deployment_config(endpoint: RealtimeEndpoint) -> dict[str, Any]:
    """The endpoint's blue/green policy and rollback alarms, sent explicitly (UpdateEndpoint without it, or
    without RetainDeploymentConfig=true, would update without the guardrails)."""
    d = endpoint.deployment
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
            "Alarms": [{"AlarmName": a.alarm_name} for a in endpoint.monitoring.rollback_alarms()]
        }
    return config


# -- states ---------------------------------------------------------------------------------------------------------


def endpoint_update_states(
    scope: Construct,
    chain: sfn.Chain,
    handler: sfn.IChainable,
    *,
    endpoint: RealtimeEndpoint,
    name_prefix: str,
    model_request: dict[str, Any],
    config_request: dict[str, Any],
    update_request: dict[str, Any],
    image_uri: str | None,
    model_role: Any,
    poll_interval: Duration,
    run_id_path: str = "$.run.id",
    success: sfn.IChainable | None = None,
) -> sfn.Chain:
    """Names -> CreateModel -> CreateEndpointConfig -> UpdateEndpoint -> WaitForUpdate/DescribeEndpoint -> done."""
    names = sfn.Pass(
        scope,
        "Names",
        parameters={
            "model.$": f"States.Format('{name_prefix}-{{}}', {run_id_path})",
            "config.$": f"States.Format('{name_prefix}-{{}}', {run_id_path})",
        },
        result_path="$.names",
    )
    create_model = _CreateModel(
        scope,
        "CreateModel",
        request=model_request,
        model_name=sfn.JsonPath.string_at("$.names.model"),
        # The L2 needs its own container; the request body above is what is sent.
        primary_container=tasks.ContainerDefinition(
            image=tasks.DockerImage.from_registry(image_uri or ""),
            model_s3_location=tasks.S3Location.from_json_expression("$.training.ModelArtifacts.S3ModelArtifacts"),
        ),
        role=model_role.without_policy_updates(),
        result_path=sfn.JsonPath.DISCARD,
    )
    create_config = _CreateEndpointConfig(
        scope,
        "CreateEndpointConfig",
        request=config_request,
        endpoint_config_name=sfn.JsonPath.string_at("$.names.config"),
        # The L2 needs its own variant list; the request body above is what is sent.
        production_variants=[
            tasks.ProductionVariant(
                model_name=sfn.JsonPath.string_at("$.names.model"),
                variant_name=name,
                instance_type=aws_ec2.InstanceType("m5.large"),
            )
            for name in endpoint.variant_names
        ],
        result_path=sfn.JsonPath.DISCARD,
    )
    update = _UpdateEndpoint(
        scope,
        "UpdateEndpoint",
        request=update_request,
        endpoint_name=endpoint.endpoint_name_value,
        endpoint_config_name=sfn.JsonPath.string_at("$.names.config"),
        result_path=sfn.JsonPath.DISCARD,
    )
    wait = sfn.Wait(scope, "WaitForUpdate", time=sfn.WaitTime.duration(poll_interval))
    describe = tasks.CallAwsService(
        scope,
        "DescribeEndpoint",
        service="sagemaker",
        action="describeEndpoint",
        iam_resources=[_workflow.arn(scope, "endpoint", endpoint.endpoint_name_value)],
        parameters={"EndpointName": endpoint.endpoint_name_value},
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
        success if success is not None else sfn.Succeed(scope, "RolledOut"),
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
    return chain.next(names).next(create_model).next(create_config).next(update).next(wait).next(describe).next(done)
