"""TrainingData: upload local files into a channel prefix of an ArtifactBucket at deploy time.

Uses aws-cdk-lib's BucketDeployment, which deploys one singleton Lambda function per stack (with the AWS CLI layer)
that copies the asset from the CDK bootstrap bucket into the artifact bucket. Files are never pruned, and stay when
the stack is deleted. If a RolloutPipeline watches the same prefix (`on_new_data=True`), each deploy that changes the
files starts a run. Cost: the Lambda runs once per changed deploy (seconds); S3 storage.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy, Stack, aws_lambda as lambda_, aws_logs as logs, aws_s3_deployment as s3_deployment
from constructs import Construct

from ..core._types import typed
from . import _workflow
from ..core._validation import PropErrors, acknowledge
from ..core.artifact_bucket import ArtifactBucket
from .training_props import check_prefix, normalize_prefix


class TrainingData(Construct):
    """Copy `files` (local paths) to `s3://<bucket>/<prefix>` on deploy.

    Keyword-only props:
        bucket: the ArtifactBucket. Required.
        prefix: the channel prefix, e.g. "train/". Required.
        files: local files to upload. Required (at least one; each must exist).
    """

    @typed
    def __init__(
        self, scope: Construct, id: str, *, bucket: ArtifactBucket, prefix: str, files: list[str | Path]
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"TrainingData {self.node.path}")
        check_prefix(errors, "prefix", prefix)
        paths = [Path(f) for f in files]
        errors.check(bool(paths), "files ([]) is empty: give at least one local file")
        for path in paths:
            errors.check(path.is_file(), f"files entry ({str(path)!r}) does not exist or is not a file")
        errors.raise_if_any()
        self.prefix = normalize_prefix(prefix)
        directories = {p.resolve().parent for p in paths}
        sources = [
            s3_deployment.Source.asset(str(directory), exclude=["*"] + [f"!{p.name}" for p in paths
                                                                      if p.resolve().parent == directory])
            for directory in sorted(directories)
        ]
        self.deployment = s3_deployment.BucketDeployment(
            self,
            "Resource",
            sources=sources,
            destination_bucket=bucket.bucket,
            destination_key_prefix=self.prefix,
            prune=False,
            retain_on_delete=True,
        )
        self._wait_for_handler_log_group(Stack.of(self))
        self._acknowledge(Stack.of(self), bucket)

    def _wait_for_handler_log_group(self, stack: Stack) -> None:
        """Create the handler's /aws/lambda/<fn> log group before the copy runs.

        aws-cdk-lib declares that log group (@aws-cdk/aws-lambda:useCdkManagedLogGroup) with no ordering against the
        custom resource that invokes the handler; when the invocation wins, Lambda creates the group first and
        CloudFormation then fails with "log group already exists" (aws/aws-cdk#34612).
        """
        handler = next((c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")), None)
        log_group = handler.node.try_find_child("LogGroup") if handler is not None else None
        if log_group is None and isinstance(handler, lambda_.Function):
            # Without that flag (an app with no cdk.json context) aws-cdk-lib declares no log group, and Lambda
            # creates one that never expires. Declare the same one (same construct ID, name and retention), so the
            # template is the same under any flags.
            log_group = logs.LogGroup(
                handler,
                "LogGroup",
                log_group_name=f"/aws/lambda/{handler.function_name}",
                retention=logs.RetentionDays.TWO_YEARS,
                removal_policy=RemovalPolicy.RETAIN,
            )
        custom_resource = self.deployment.node.try_find_child("CustomResource")
        if log_group is not None and custom_resource is not None:
            custom_resource.node.add_dependency(log_group)

    def _acknowledge(self, stack: Stack, bucket: ArtifactBucket) -> None:
        handler = next(
            (c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")), None
        )
        targets = [t for t in (handler, self) if t is not None]
        for target in targets:
            for finding, reason in (
                ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                 "AWSLambdaBasicExecutionRole]",
                 "aws-cdk-lib's BucketDeployment handler role; the managed policy only lets it write its own logs."),
                ("AwsSolutions-IAM5[Action::s3:GetObject*]",
                 "aws-cdk-lib's BucketDeployment grants read on the CDK asset object it copies from."),
                ("AwsSolutions-IAM5[Action::s3:GetBucket*]",
                 "aws-cdk-lib's BucketDeployment grants read on the CDK asset and destination buckets."),
                ("AwsSolutions-IAM5[Action::s3:List*]",
                 "aws-cdk-lib's BucketDeployment lists the source and destination to sync them."),
                ("AwsSolutions-IAM5[Action::s3:DeleteObject*]",
                 "aws-cdk-lib's BucketDeployment grant includes delete for pruning; prune=False so it never deletes."),
                ("AwsSolutions-IAM5[Action::s3:Abort*]",
                 "aws-cdk-lib's BucketDeployment aborts its own failed multipart uploads."),
                ("AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                 "Writing into the KMS-encrypted artifact bucket needs data keys from its key only."),
                ("AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
                 "aws-cdk-lib's bucket write grant on the artifact bucket's key only."),
                ("AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-"
                 "<AWS::Region>/*]",
                 "aws-cdk-lib's BucketDeployment reads its source asset from the CDK bootstrap bucket."),
                ("Serverless-LambdaDLQ",
                 "The handler is a synchronous CloudFormation custom resource: failures fail the deployment, so "
                 "there is no asynchronous event to dead-letter."),
                ("Serverless-LambdaLatestVersion",
                 "The runtime of aws-cdk-lib's BucketDeployment handler is pinned by aws-cdk-lib and updated with it."),
                ("Serverless-LambdaTracing",
                 "aws-cdk-lib's BucketDeployment handler runs only during deployments; CloudFormation events trace it."),
                ("AwsSolutions-L1",
                 "The runtime of aws-cdk-lib's BucketDeployment handler is pinned by aws-cdk-lib and updated with it."),
                *(
                    (f"{pack}-{rule}", reason)
                    for pack in ("HIPAA.Security", "NIST.800.53.R5")
                    for rule, reason in (
                        ("LambdaDLQ", "aws-cdk-lib's BucketDeployment handler is a synchronous CloudFormation custom "
                         "resource: a failure fails the deployment, so there is no asynchronous event to keep."),
                        ("LambdaConcurrency", "aws-cdk-lib's BucketDeployment handler runs once per deployment that "
                         "changes the files; CloudFormation serializes those calls."),
                        ("LambdaInsideVPC", "aws-cdk-lib's BucketDeployment handler copies from the CDK asset bucket "
                         "to the artifact bucket at deploy time and holds no data."),
                        ("CloudWatchLogGroupEncrypted", "aws-cdk-lib's BucketDeployment handler log group records only "
                         "the object keys it copied at deploy time, never object contents."),
                    )
                ),
            ):
                acknowledge(target, finding, reason)
            _workflow.acknowledge_wildcard(
                target,
                bucket.bucket.bucket_arn,
                "/*",
                "aws-cdk-lib's BucketDeployment writes into the destination bucket; it copies only the given files "
                "under the given prefix (prune=False).",
            )
