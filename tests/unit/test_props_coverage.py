"""Every remaining prop of the foundation constructs reaches the template (defaults are covered elsewhere)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_kms as kms, aws_s3 as s3
from aws_cdk.assertions import Match, Template

import support
from sagemaker_cdk import (
    ArtifactBucket,
    AutoScaling,
    DataCapture,
    Deployment,
    Model,
    ModelData,
    ContainerImage,
    RealtimeEndpoint,
    Variant,
)


def test_artifact_bucket_optional_props(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Mine", enable_key_rotation=True)
    bucket = ArtifactBucket(
        stack,
        "B",
        encryption_key=key,
        bucket_name="my-artifacts-bucket",
        noncurrent_version_expiration=cdk.Duration.days(30),
        event_bridge=True,
    )
    assert bucket.encryption_key is key
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "my-artifacts-bucket",
            "LifecycleConfiguration": {"Rules": [Match.object_like({"NoncurrentVersionExpiration": {"NoncurrentDays": 30}})]},
            "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
        },
    )
    t.resource_count_is("AWS::KMS::Key", 1)  # the given key, no new one
    assert "BucketNotificationsHandler" not in str(t.to_json())  # a property override, no custom resource


def test_model_data_from_bucket_with_an_imported_bucket_and_key(stack: cdk.Stack) -> None:
    bucket = s3.Bucket.from_bucket_name(stack, "Imported", "team-models")
    key = kms.Key.from_key_arn(stack, "K", "arn:aws:kms:eu-west-1:111111111111:key/abc")
    extra = kms.Key.from_key_arn(stack, "X", "arn:aws:kms:eu-west-1:111111111111:key/extra")
    Model(
        stack,
        "M",
        image=ContainerImage.built_in("linear-learner"),
        model_data=ModelData.from_bucket(bucket, "m/model.tar.gz", encryption_key=key),
        encryption_keys=[extra],
    )
    text = str(Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy"))
    assert "arn:aws:kms:eu-west-1:111111111111:key/abc" in text and "key/extra" in text
    assert "team-models/m/model.tar.gz" in text
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Model",
        {"PrimaryContainer": Match.object_like({"ModelDataUrl": "s3://team-models/m/model.tar.gz"})},
    )


def test_given_role_is_used(stack: cdk.Stack) -> None:
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    model = support.xgboost_model(stack, "M", role=role)
    assert model.role is role
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Model", {"ExecutionRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("^Mine"), "Arn"]}}
    )


def test_endpoint_optional_props(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "EndpointKey", enable_key_rotation=True)
    bucket = ArtifactBucket(stack, "B")
    endpoint = RealtimeEndpoint(
        stack,
        "E",
        encryption_key=key,
        variants=[
            Variant(
                model=support.xgboost_model(stack),
                name="main",
                volume_size_gb=30,
                instance_count=3,
                autoscaling=AutoScaling(
                    max_capacity=5,
                    min_capacity=3,
                    target_invocations_per_instance=600,
                    scale_in_cooldown=cdk.Duration.minutes(10),
                    scale_out_cooldown=cdk.Duration.seconds(30),
                    disable_scale_in=True,
                ),
            )
        ],
        deployment=Deployment(termination_wait=cdk.Duration.minutes(2), max_execution_timeout=cdk.Duration.hours(2)),
        data_capture=DataCapture(bucket=bucket, prefix="capture/", capture_output=False),
    )
    assert endpoint.encryption_key is key
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [Match.object_like({"VolumeSizeInGB": 30, "InitialInstanceCount": 3})],
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^EndpointKey"), "Arn"]},
            "DataCaptureConfig": Match.object_like({"CaptureOptions": [{"CaptureMode": "Input"}]}),
        },
    )
    t.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {"DeploymentConfig": {"BlueGreenUpdatePolicy": Match.object_like(
            {"TerminationWaitInSeconds": 120, "MaximumExecutionTimeoutInSeconds": 7200})}},
    )
    t.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 3, "MaxCapacity": 5})
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"TargetTrackingScalingPolicyConfiguration": Match.object_like(
            {"TargetValue": 600, "ScaleInCooldown": 600, "ScaleOutCooldown": 30, "DisableScaleIn": True})},
    )
    assert "capture/*" in str(t.find_resources("AWS::IAM::ManagedPolicy"))
