"""ArtifactBucket's server access logs are allowed by a bucket policy under any feature flags, never by an ACL."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions, aws_s3 as s3

import support
from sagemaker_cdk import ArtifactBucket


@pytest.mark.parametrize("flags", [True, False], ids=["repo-flags", "no-flags"])
def test_access_logs_bucket_gets_a_policy_not_an_acl(flags: bool) -> None:
    stack = cdk.Stack(support.new_app(flags=flags), "Test")
    ArtifactBucket(stack, "Artifacts", access_logs_prefix="logs/")
    template = assertions.Template.from_stack(stack)
    for resource in template.find_resources("AWS::S3::Bucket").values():
        assert "AccessControl" not in resource["Properties"]
    template.has_resource_properties("AWS::S3::Bucket", {
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": assertions.Match.any_value()},
                                 "LogFilePrefix": "logs/"},
    })
    template.has_resource_properties("AWS::S3::BucketPolicy", {
        "PolicyDocument": {"Statement": assertions.Match.array_with([assertions.Match.object_like({
            "Action": "s3:PutObject",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Condition": {"ArnLike": {"aws:SourceArn": assertions.Match.any_value()},
                          "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        })])},
    })


def test_an_imported_access_logs_bucket_is_named_in_a_warning(stack: Any) -> None:
    logs = s3.Bucket.from_bucket_name(stack, "Logs", "my-central-access-logs")
    ArtifactBucket(stack, "Artifacts", access_logs_bucket=logs)
    template = assertions.Template.from_stack(stack)
    template.has_resource_properties("AWS::S3::Bucket", {
        "LoggingConfiguration": {"DestinationBucketName": "my-central-access-logs", "LogFilePrefix": "artifact-bucket/"},
    })
    warnings = assertions.Annotations.from_stack(stack).find_warning("*", assertions.Match.string_like_regexp(
        "my-central-access-logs|Logs.*is imported"))
    assert warnings, "expected a warning naming the imported access_logs_bucket"
