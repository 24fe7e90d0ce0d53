"""Throwaway app for tests/integration/test_rehearse.py: everything here deploys in moto.

A bucket (its TLS-only policy is a type moto's CloudFormation skips), a SageMaker model, a two-variant endpoint config
and endpoint, autoscaling and an alarm (skipped types), and three Python functions: one per built-in smoke-table entry
and one without a smoke event. The EventBridge switch adds a CDK-internal notifications function and custom resource.
"""
import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

app = cdk.App()
stack = cdk.Stack(app, "RehearseGood", env=cdk.Environment(account="123456789012", region="us-east-1"))

bucket = s3.Bucket(stack, "Data", enforce_ssl=True, event_bridge_enabled=True,
                   removal_policy=cdk.RemovalPolicy.DESTROY)
role = iam.Role(stack, "ModelRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
bucket.grant_read_write(role)

model = sagemaker.CfnModel(stack, "Model", execution_role_arn=role.role_arn,
                           primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                               image=IMAGE, model_data_url=bucket.s3_url_for_object("model/model.tar.gz")))
config = sagemaker.CfnEndpointConfig(stack, "Config", production_variants=[
    sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name="Blue", model_name=model.attr_model_name, initial_variant_weight=0.75,
        initial_instance_count=1, instance_type="ml.m5.large"),
    sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name="Green", model_name=model.attr_model_name, initial_variant_weight=0.25,
        initial_instance_count=2, instance_type="ml.m5.large"),
])
endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name=config.attr_endpoint_config_name)

target = appscaling.ScalableTarget(
    stack, "Scaling", service_namespace=appscaling.ServiceNamespace.SAGEMAKER, min_capacity=1, max_capacity=3,
    resource_id=f"endpoint/{endpoint.attr_endpoint_name}/variant/Blue",
    scalable_dimension="sagemaker:variant:DesiredInstanceCount")
target.scale_to_track_metric("Invocations", target_value=100,
                             predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE)
cloudwatch.Alarm(stack, "Errors", threshold=1, evaluation_periods=1, metric=cloudwatch.Metric(
    namespace="AWS/SageMaker", metric_name="Invocation5XXErrors",
    dimensions_map={"EndpointName": endpoint.attr_endpoint_name, "VariantName": "Blue"}))


def function(name: str, handler: str, environment: dict) -> lambda_.Function:
    return lambda_.Function(stack, name, runtime=lambda_.Runtime.PYTHON_3_12, handler=handler,
                            code=lambda_.Code.from_asset(f"functions/{handler.split('.')[0]}"),
                            environment=environment, timeout=cdk.Duration.seconds(10))


invoke = function("Invoke", "invoke_endpoint.handler", {"ENDPOINT_NAME": endpoint.attr_endpoint_name})
trigger = function("Trigger", "batch_transform_trigger.handler", {
    "INPUT_BUCKET": bucket.bucket_name, "INPUT_PREFIX": "input/", "MODEL_NAME": model.attr_model_name,
    "OUTPUT_PATH": bucket.s3_url_for_object("output")})
function("Unlisted", "unlisted.handler", {})
bucket.grant_read(trigger)
events.Rule(stack, "OnInput", targets=[targets.LambdaFunction(trigger)], event_pattern=events.EventPattern(
    source=["aws.s3"], detail_type=["Object Created"],
    detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": [{"prefix": "input/"}]}}))

app.synth()
