#!/usr/bin/env python3
"""The reference app's InferenceStack written by hand with plain aws_cdk L1 (Cfn*) classes: the synth baseline.

It declares the same resources as `stacks.app_builder.build_app` (artifact + access-log buckets and their policies,
three KMS keys, the isolated two-AZ VPC with its route tables, S3 gateway and three interface endpoints, flow log,
log group and security groups, the VPC default-SG restrictor, two model roles + policies, two SageMaker models,
endpoint config, endpoint, autoscaling roles/targets/policies, twelve alarms, SNS topic + policy, dashboard, the
XGBoost image CfnMapping and the model.tar.gz file asset) without importing sagemaker_cdk or any L2 construct.
Core plumbing that is not a resource construct is used as CDK itself would: `AssetStaging` + the stack synthesizer
for the model asset, `Tags`, `Fn`, `Aws`, `CfnMapping`, `CfnOutput`.

Differences kept on purpose (the resource types and counts are equal; see `--check`):
- The default-SG restrictor's Lambda carries its handler inline (ZipFile, Python) instead of aws-cdk-lib's
  Node.js handler asset, so this app has one file asset (the model) where the reference app has two.
- Logical IDs, descriptions and the dashboard layout differ in detail; the property volume is comparable.

    python bench/l1_reference_app.py [outdir]     # synthesize (default: a temp dir)
    python bench/l1_reference_app.py --check [ref_root]  # compare resource-type counts with the reference app
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "18,20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk import (  # noqa: E402
    Aws,
    CfnMapping,
    CfnOutput,
    CfnResource,
    Fn,
    Stack,
    aws_applicationautoscaling as appscaling,
    aws_cloudwatch as cloudwatch,
    aws_ec2 as ec2,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_sagemaker as sagemaker,
    aws_sns as sns,
)
from constructs import Construct  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODEL_ARTIFACT = ROOT / "models" / "xgboost" / "model.tar.gz"
STACK_NAME = "SageMakerCdkInference"
ENDPOINT_NAME = f"{STACK_NAME}-Endpoint"

# Registry accounts of the built-in XGBoost 1.7-1 image (sagemaker-xgboost:1.7-1), commercial regions.
XGBOOST_ACCOUNTS = {
    "af-south-1": "510948584623", "ap-east-1": "651117190479", "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698", "ap-northeast-3": "867004704886", "ap-south-1": "720646828776",
    "ap-south-2": "628508329040", "ap-southeast-1": "121021644041", "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941", "ap-southeast-4": "106583098589", "ca-central-1": "341280168497",
    "ca-west-1": "190319476487", "eu-central-1": "492215442770", "eu-central-2": "680994064768",
    "eu-north-1": "662702820516", "eu-south-1": "978288397137", "eu-south-2": "104374241257",
    "eu-west-1": "141502667606", "eu-west-2": "764974769150", "eu-west-3": "659782779980",
    "il-central-1": "898809789911", "me-central-1": "272398656194", "me-south-1": "801668240914",
    "sa-east-1": "737474898029", "us-east-1": "683313688378", "us-east-2": "257758044811",
    "us-west-1": "746614075791", "us-west-2": "246618743249",
}  # fmt: skip

VARIANTS = (("champion", 9.0), ("challenger", 1.0))
INSTANCE_TYPE, INSTANCE_COUNT, MAX_CAPACITY, TARGET_INVOCATIONS = "ml.m5.large", 2, 4, 600.0

# name, metric, namespace, statistic, threshold, periods, description
INVOCATIONS_NS, INSTANCE_NS = "AWS/SageMaker", "/aws/sagemaker/Endpoints"
ALARMS = (
    ("Errors5xx", "Invocation5XXErrors", INVOCATIONS_NS, "Sum", 1, 3, "Invocation5XXErrors >= 1/min"),
    ("LatencyP99", "ModelLatency", INVOCATIONS_NS, "p99", 1_000_000, 5, "p99 ModelLatency >= 1000 ms"),
    ("Rate4xx", None, None, None, 5, 5, "4XX rate >= 5%"),
    ("CPU", "CPUUtilization", INSTANCE_NS, "Average", 160, 5, "CPUUtilization >= 160%"),
    ("Memory", "MemoryUtilization", INSTANCE_NS, "Average", 85, 5, "MemoryUtilization >= 85%"),
    ("Disk", "DiskUtilization", INSTANCE_NS, "Average", 80, 5, "DiskUtilization >= 80%"),
)

# The default security group's rules are revoked by a custom resource, as ec2.Vpc does under the
# @aws-cdk/aws-ec2:restrictDefaultSecurityGroup flag (here with a small inline Python handler).
RESTRICT_DEFAULT_SG_HANDLER = """\
import boto3, cfnresponse
def handler(event, context):
    try:
        if event["RequestType"] in ("Create", "Update"):
            ec2 = boto3.client("ec2")
            group_id = event["ResourceProperties"]["DefaultSecurityGroupId"]
            group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
            if group["IpPermissions"]:
                ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
            if group["IpPermissionsEgress"]:
                ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {})
    except Exception as err:
        cfnresponse.send(event, context, cfnresponse.FAILED, {"Error": str(err)})
"""


# -- small helpers (plain dicts: IAM JSON as CloudFormation spells it) --------------------------------------------


def arn(service: str, resource: str, region: str | None = Aws.REGION, account: str | None = Aws.ACCOUNT_ID) -> str:
    return Fn.join("", ["arn:", Aws.PARTITION, f":{service}:", region or "", ":", account or "", ":", resource])


def assume_role(service: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}],
    }


def key_policy(*extra_statements: dict) -> dict:
    root = Fn.join("", ["arn:", Aws.PARTITION, ":iam::", Aws.ACCOUNT_ID, ":root"])
    admin = {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": root}, "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [admin, *extra_statements]}


def deny_insecure_transport(bucket: s3.CfnBucket) -> dict:
    return {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Resource": [bucket.attr_arn, Fn.join("", [bucket.attr_arn, "/*"])],
    }


def retain(*resources: CfnResource) -> None:
    for resource in resources:
        resource.apply_removal_policy(cdk.RemovalPolicy.RETAIN)


class L1InferenceStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        self._artifact_bucket()
        self._network()
        self._monitoring()
        self._models()
        self._endpoint()
        CfnOutput(self, "EndpointName", value=self.endpoint.attr_endpoint_name)
        CfnOutput(self, "ArtifactBucketName", value=self.bucket.ref)
        CfnOutput(self, "AlarmTopicArn", value=self.topic.ref)

    # -- artifact bucket: KMS key, access-log bucket, data bucket, both SSL-only -----------------------------------

    def _artifact_bucket(self) -> None:
        key = kms.CfnKey(
            self,
            "ArtifactsKey",
            description=f"Encrypts SageMaker data and artifacts in {STACK_NAME}/Artifacts",
            enable_key_rotation=True,
            key_policy=key_policy(),
        )
        block_all = s3.CfnBucket.PublicAccessBlockConfigurationProperty(
            block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
        )
        versioned = s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
        logs_bucket = s3.CfnBucket(
            self,
            "ArtifactsAccessLogs",
            bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
                server_side_encryption_configuration=[
                    s3.CfnBucket.ServerSideEncryptionRuleProperty(
                        server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="AES256"
                        )
                    )
                ]
            ),
            ownership_controls=s3.CfnBucket.OwnershipControlsProperty(
                rules=[s3.CfnBucket.OwnershipControlsRuleProperty(object_ownership="BucketOwnerPreferred")]
            ),
            public_access_block_configuration=block_all,
            versioning_configuration=versioned,
        )
        bucket = s3.CfnBucket(
            self,
            "Artifacts",
            bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
                server_side_encryption_configuration=[
                    s3.CfnBucket.ServerSideEncryptionRuleProperty(
                        bucket_key_enabled=True,
                        server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="aws:kms", kms_master_key_id=key.attr_arn
                        ),
                    )
                ]
            ),
            lifecycle_configuration=s3.CfnBucket.LifecycleConfigurationProperty(
                rules=[
                    s3.CfnBucket.RuleProperty(
                        id="expire-noncurrent-versions",
                        status="Enabled",
                        abort_incomplete_multipart_upload=s3.CfnBucket.AbortIncompleteMultipartUploadProperty(
                            days_after_initiation=7
                        ),
                        noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(
                            noncurrent_days=90
                        ),
                    )
                ]
            ),
            logging_configuration=s3.CfnBucket.LoggingConfigurationProperty(
                destination_bucket_name=logs_bucket.ref, log_file_prefix="artifact-bucket/"
            ),
            public_access_block_configuration=block_all,
            versioning_configuration=versioned,
        )
        s3.CfnBucketPolicy(
            self,
            "ArtifactsAccessLogsPolicy",
            bucket=logs_bucket.ref,
            policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    deny_insecure_transport(logs_bucket),
                    {
                        "Action": "s3:PutObject",
                        "Condition": {
                            "ArnLike": {"aws:SourceArn": bucket.attr_arn},
                            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                        },
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Resource": Fn.join("", [logs_bucket.attr_arn, "/artifact-bucket/*"]),
                    },
                ],
            },
        )
        s3.CfnBucketPolicy(
            self,
            "ArtifactsPolicy",
            bucket=bucket.ref,
            policy_document={"Version": "2012-10-17", "Statement": [deny_insecure_transport(bucket)]},
        )
        retain(key, logs_bucket, bucket)
        self.bucket = bucket

    # -- isolated two-AZ VPC, endpoints, flow log, models' security group ------------------------------------------

    def _network(self) -> None:
        flow_key = kms.CfnKey(
            self,
            "FlowLogKey",
            description=f"Encrypts the VPC flow logs of {STACK_NAME}/SageMakerNetwork",
            enable_key_rotation=True,
            key_policy=key_policy(
                {
                    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                    "Effect": "Allow",
                    "Principal": {"Service": Fn.join("", ["logs.", Aws.REGION, ".amazonaws.com"])},
                    "Resource": "*",
                }
            ),
        )
        vpc = ec2.CfnVPC(
            self,
            "Vpc",
            cidr_block="10.0.0.0/16",
            enable_dns_hostnames=True,
            enable_dns_support=True,
            instance_tenancy="default",
        )
        self.subnets: list[ec2.CfnSubnet] = []
        route_tables: list[ec2.CfnRouteTable] = []
        for az in range(2):
            subnet = ec2.CfnSubnet(
                self,
                f"ModelsSubnet{az + 1}",
                vpc_id=vpc.ref,
                availability_zone=Fn.select(az, Fn.get_azs()),
                cidr_block=f"10.0.{az}.0/24",
                map_public_ip_on_launch=False,
            )
            table = ec2.CfnRouteTable(self, f"ModelsSubnet{az + 1}RouteTable", vpc_id=vpc.ref)
            ec2.CfnSubnetRouteTableAssociation(
                self, f"ModelsSubnet{az + 1}RouteTableAssociation", route_table_id=table.ref, subnet_id=subnet.ref
            )
            self.subnets.append(subnet)
            route_tables.append(table)
        subnet_ids = [s.ref for s in self.subnets]

        ec2.CfnVPCEndpoint(
            self,
            "S3Endpoint",
            vpc_id=vpc.ref,
            service_name=Fn.join("", ["com.amazonaws.", Aws.REGION, ".s3"]),
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.ref for t in route_tables],
        )
        for name, service in (("EcrApi", "ecr.api"), ("EcrDocker", "ecr.dkr"), ("Logs", "logs")):
            group = ec2.CfnSecurityGroup(
                self,
                f"{name}EndpointSecurityGroup",
                vpc_id=vpc.ref,
                group_description=f"{STACK_NAME}/{name} interface endpoint",
                security_group_egress=[
                    ec2.CfnSecurityGroup.EgressProperty(
                        ip_protocol="-1", cidr_ip="0.0.0.0/0", description="Allow all outbound traffic by default"
                    )
                ],
                security_group_ingress=[
                    ec2.CfnSecurityGroup.IngressProperty(
                        ip_protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_ip=vpc.attr_cidr_block,
                        description=Fn.join("", ["from ", vpc.attr_cidr_block, ":443"]),
                    )
                ],
            )
            ec2.CfnVPCEndpoint(
                self,
                f"{name}Endpoint",
                vpc_id=vpc.ref,
                service_name=Fn.join("", ["com.amazonaws.", Aws.REGION, f".{service}"]),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                security_group_ids=[group.attr_group_id],
                subnet_ids=subnet_ids,
            )

        # The default security group keeps no rules.
        restrict_role = iam.CfnRole(
            self,
            "RestrictDefaultSgRole",
            assume_role_policy_document=assume_role("lambda.amazonaws.com"),
            managed_policy_arns=[Fn.sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")],
            policies=[
                iam.CfnRole.PolicyProperty(
                    policy_name="Inline",
                    policy_document={
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "ec2:DescribeSecurityGroups",
                                    "ec2:RevokeSecurityGroupIngress",
                                    "ec2:RevokeSecurityGroupEgress",
                                ],
                                "Resource": arn("ec2", Fn.join("", ["security-group/", vpc.attr_default_security_group])),
                            }
                        ],
                    },
                )
            ],
        )
        restrict_handler = lambda_.CfnFunction(
            self,
            "RestrictDefaultSgHandler",
            code=lambda_.CfnFunction.CodeProperty(zip_file=RESTRICT_DEFAULT_SG_HANDLER),
            handler="index.handler",
            runtime="python3.12",
            role=restrict_role.attr_arn,
            timeout=900,
            memory_size=128,
            description="Removes all inbound/outbound rules from the VPC default security group",
        )
        restrict_handler.node.add_dependency(restrict_role)
        restrict = CfnResource(
            self,
            "RestrictDefaultSg",
            type="Custom::VpcRestrictDefaultSG",
            properties={
                "ServiceToken": restrict_handler.attr_arn,
                "DefaultSecurityGroupId": vpc.attr_default_security_group,
                "Account": Aws.ACCOUNT_ID,
            },
        )
        restrict.apply_removal_policy(cdk.RemovalPolicy.DESTROY)

        log_group = logs.CfnLogGroup(self, "FlowLogs", kms_key_id=flow_key.attr_arn, retention_in_days=365)
        flow_role = iam.CfnRole(
            self, "FlowLogRole", assume_role_policy_document=assume_role("vpc-flow-logs.amazonaws.com")
        )
        iam.CfnPolicy(
            self,
            "FlowLogRolePolicy",
            policy_name="FlowLogRolePolicy",
            roles=[flow_role.ref],
            policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                        "Effect": "Allow",
                        "Resource": log_group.attr_arn,
                    }
                ],
            },
        )
        ec2.CfnFlowLog(
            self,
            "FlowLog",
            resource_id=vpc.ref,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_group_name=log_group.ref,
            deliver_logs_permission_arn=flow_role.attr_arn,
        )
        retain(flow_key, log_group)

        self.models_security_group = ec2.CfnSecurityGroup(
            self,
            "ModelsSecurityGroup",
            vpc_id=vpc.ref,
            group_description="SageMaker models: no ingress; HTTPS egress to VPC endpoints",
            security_group_egress=[
                ec2.CfnSecurityGroup.EgressProperty(
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_ip="0.0.0.0/0",
                    description="HTTPS to VPC endpoints (no internet route exists)",
                )
            ],
        )

    # -- two models over one artifact, each with its own least-privilege role ------------------------------------

    def _models(self) -> None:
        image = CfnMapping(
            self,
            "SageMakerImageXgboost171",
            mapping={region: {"account": account} for region, account in XGBOOST_ACCOUNTS.items()},
        )
        registry = image.find_in_map(Aws.REGION, "account")
        image_uri = Fn.join("", [registry, ".dkr.ecr.", Aws.REGION, ".", Aws.URL_SUFFIX, "/sagemaker-xgboost:1.7-1"])

        # The model artifact as a file asset, staged into the cloud assembly like aws_s3_assets.Asset does.
        staging = cdk.AssetStaging(self, "ModelData", source_path=str(MODEL_ARTIFACT))
        asset = self.synthesizer.add_file_asset(
            file_name=staging.relative_staged_path(self),
            packaging=cdk.FileAssetPackaging.FILE,
            source_hash=staging.asset_hash,
        )
        object_arn = Fn.join("", ["arn:", Aws.PARTITION, ":s3:::", asset.bucket_name, "/", asset.object_key])

        eni_arn = arn("ec2", "network-interface/*")
        self.models: dict[str, sagemaker.CfnModel] = {}
        for variant, _ in VARIANTS:
            name = variant.title()
            role = iam.CfnRole(
                self,
                f"{name}Role",
                assume_role_policy_document=assume_role("sagemaker.amazonaws.com"),
                description=f"Execution role of SageMaker model {STACK_NAME}/{name}",
            )
            statements = [
                {
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    "Effect": "Allow",
                    "Resource": arn("ecr", "repository/sagemaker-xgboost", account=registry),
                },
                {
                    "Action": [
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                        "ecr:GetAuthorizationToken",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                },
                {"Action": "s3:GetObject", "Effect": "Allow", "Resource": object_arn},
                {
                    "Action": "ec2:CreateNetworkInterface",
                    "Effect": "Allow",
                    "Resource": [
                        eni_arn,
                        arn("ec2", Fn.join("", ["security-group/", self.models_security_group.attr_group_id])),
                        *(arn("ec2", Fn.join("", ["subnet/", s.ref])) for s in self.subnets),
                    ],
                },
                {
                    "Action": [
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                    ],
                    "Effect": "Allow",
                    "Resource": eni_arn,
                },
                {
                    "Action": [
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                    ],
                    "Effect": "Allow",
                    "Resource": arn("logs", "log-group:/aws/sagemaker/Endpoints/*"),
                },
                {
                    "Action": "cloudwatch:PutMetricData",
                    "Condition": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
                    "Effect": "Allow",
                    "Resource": "*",
                },
                {
                    "Action": "cloudwatch:DescribeAlarms",
                    "Effect": "Allow",
                    "Resource": [alarm.attr_arn for alarm in self.rollback_alarms],
                },
            ]
            policy = iam.CfnPolicy(
                self,
                f"{name}RolePolicy",
                policy_name=f"{name}RolePolicy",
                roles=[role.ref],
                policy_document={"Version": "2012-10-17", "Statement": statements},
            )
            model = sagemaker.CfnModel(
                self,
                name,
                execution_role_arn=role.attr_arn,
                enable_network_isolation=True,
                primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                    image=image_uri, model_data_url=asset.s3_object_url
                ),
                vpc_config=sagemaker.CfnModel.VpcConfigProperty(
                    security_group_ids=[self.models_security_group.attr_group_id],
                    subnets=[s.ref for s in self.subnets],
                ),
            )
            model.node.add_dependency(policy)
            self.models[variant] = model

    # -- monitoring: endpoint key, SSL-only alarm topic, six alarms per variant, dashboard -----------------------

    def _monitoring(self) -> None:
        key = kms.CfnKey(
            self,
            "EndpointKey",
            description=f"Encrypts SageMaker endpoint {STACK_NAME}/Endpoint",
            enable_key_rotation=True,
            key_policy=key_policy(
                {
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Resource": "*",
                }
            ),
        )
        retain(key)
        self.endpoint_key = key
        topic = sns.CfnTopic(self, "AlarmTopic", display_name="SageMaker endpoint alarms", kms_master_key_id=key.attr_arn)
        sns.CfnTopicPolicy(
            self,
            "AlarmTopicPolicy",
            topics=[topic.ref],
            policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AllowPublishThroughSSLOnly",
                        "Action": "sns:Publish",
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        "Effect": "Deny",
                        "Principal": "*",
                        "Resource": topic.ref,
                    }
                ],
            },
        )
        self.topic = topic

        alarms: dict[tuple[str, str], cloudwatch.CfnAlarm] = {}
        for variant, _ in VARIANTS:
            dimensions = [
                cloudwatch.CfnAlarm.DimensionProperty(name="EndpointName", value=ENDPOINT_NAME),
                cloudwatch.CfnAlarm.DimensionProperty(name="VariantName", value=variant),
            ]
            for short, metric, namespace, statistic, threshold, periods, description in ALARMS:
                common = dict(
                    alarm_description=f"{description} on variant {variant} of SageMaker endpoint",
                    comparison_operator="GreaterThanOrEqualToThreshold",
                    threshold=threshold,
                    evaluation_periods=periods,
                    datapoints_to_alarm=periods,
                    treat_missing_data="notBreaching",
                    alarm_actions=[topic.ref],
                    ok_actions=[topic.ref],
                )
                if metric is None:  # 4XX rate: a metric math expression over two raw metrics
                    alarms[variant, short] = cloudwatch.CfnAlarm(
                        self,
                        f"{variant}{short}",
                        metrics=[
                            cloudwatch.CfnAlarm.MetricDataQueryProperty(
                                id="expr_1",
                                expression="IF(invocations > 0, 100 * errors / invocations, 0)",
                                label="4XX rate (%)",
                                return_data=True,
                            ),
                            *(
                                cloudwatch.CfnAlarm.MetricDataQueryProperty(
                                    id=query_id,
                                    return_data=False,
                                    metric_stat=cloudwatch.CfnAlarm.MetricStatProperty(
                                        metric=cloudwatch.CfnAlarm.MetricProperty(
                                            metric_name=raw, namespace=INVOCATIONS_NS, dimensions=dimensions
                                        ),
                                        period=60,
                                        stat="Sum",
                                    ),
                                )
                                for query_id, raw in (("invocations", "Invocations"), ("errors", "Invocation4XXErrors"))
                            ),
                        ],
                        **common,
                    )
                    continue
                percentile = statistic.startswith("p")
                alarms[variant, short] = cloudwatch.CfnAlarm(
                    self,
                    f"{variant}{short}",
                    metric_name=metric,
                    namespace=namespace,
                    dimensions=dimensions,
                    period=60,
                    statistic=None if percentile else statistic,
                    extended_statistic=statistic if percentile else None,
                    **common,
                )
        self._dashboard(alarms)
        # The alarms that roll back a blue/green update: 5XX errors first, then p99 latency.
        self.rollback_alarms = [alarms[v, "Errors5xx"] for v, _ in VARIANTS]
        self.rollback_alarms += [alarms[v, "LatencyP99"] for v, _ in VARIANTS]

    # -- endpoint: config, endpoint with blue/green guardrails, autoscaling per variant ---------------------------

    def _endpoint(self) -> None:
        config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            kms_key_id=self.endpoint_key.attr_arn,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant,
                    model_name=self.models[variant].attr_model_name,
                    initial_variant_weight=weight,
                    initial_instance_count=INSTANCE_COUNT,
                    instance_type=INSTANCE_TYPE,
                )
                for variant, weight in VARIANTS
            ],
        )
        step = sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=10)
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=ENDPOINT_NAME,
            endpoint_config_name=config.attr_endpoint_config_name,
            retain_all_variant_properties=True,
            deployment_config=sagemaker.CfnEndpoint.DeploymentConfigProperty(
                blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                    traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                        type="CANARY", canary_size=step, wait_interval_in_seconds=300
                    ),
                    termination_wait_in_seconds=300,
                    maximum_execution_timeout_in_seconds=3600,
                ),
                auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                    alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.ref) for a in self.rollback_alarms]
                ),
            ),
        )

        for variant, _ in VARIANTS:
            role = iam.CfnRole(
                self,
                f"AutoScaling{variant}Role",
                assume_role_policy_document=assume_role("application-autoscaling.amazonaws.com"),
            )
            target = appscaling.CfnScalableTarget(
                self,
                f"AutoScaling{variant}Target",
                service_namespace="sagemaker",
                resource_id=f"endpoint/{ENDPOINT_NAME}/variant/{variant}",
                scalable_dimension="sagemaker:variant:DesiredInstanceCount",
                min_capacity=INSTANCE_COUNT,
                max_capacity=MAX_CAPACITY,
                role_arn=role.attr_arn,
            )
            scaling = appscaling.CfnScalingPolicy(
                self,
                f"AutoScaling{variant}Policy",
                policy_name=f"{STACK_NAME}-{variant}-InvocationsPerInstance",
                policy_type="TargetTrackingScaling",
                scaling_target_id=target.ref,
                target_tracking_scaling_policy_configuration=(
                    appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                        target_value=TARGET_INVOCATIONS,
                        disable_scale_in=False,
                        scale_in_cooldown=300,
                        scale_out_cooldown=60,
                        predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                            predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                        ),
                    )
                ),
            )
            for resource in (role, target, scaling):
                resource.node.add_dependency(self.endpoint)

    def _dashboard(self, alarms: dict[tuple[str, str], cloudwatch.CfnAlarm]) -> None:
        def metric(namespace: str, name: str, variant: str, **opts: object) -> list:
            return [namespace, name, "EndpointName", ENDPOINT_NAME, "VariantName", variant, {"period": 60, **opts}]

        def graph(x: int, y: int, title: str, metrics: list, **extra: object) -> dict:
            properties = {"view": "timeSeries", "title": title, "region": Aws.REGION, "metrics": metrics, **extra}
            return {"type": "metric", "width": 6, "height": 6, "x": x, "y": y, "properties": {**properties, "yAxis": {}}}

        widgets: list[dict] = []
        for row, (v, _) in enumerate(VARIANTS):
            y = row * 7
            widgets.append(
                {"type": "text", "width": 24, "height": 1, "x": 0, "y": y, "properties": {"markdown": f"### Variant `{v}`"}}
            )
            widgets += [
                graph(0, y + 1, f"{v}: invocations", [
                    metric(INVOCATIONS_NS, "Invocations", v, stat="Sum"),
                    metric(INVOCATIONS_NS, "Invocation4XXErrors", v, stat="Sum"),
                ]),
                graph(6, y + 1, f"{v}: p99 model latency", [metric(INVOCATIONS_NS, "ModelLatency", v, stat="p99")],
                      annotations={"horizontal": [{"value": 1_000_000, "label": "p99 ModelLatency >= 1000 ms", "yAxis": "left"}]}),
                graph(12, y + 1, f"{v}: errors", [
                    metric(INVOCATIONS_NS, "Invocation5XXErrors", v, stat="Sum"),
                    [{"label": "4XX rate (%)", "expression": "IF(invocations > 0, 100 * errors / invocations, 0)",
                      "period": 60, "yAxis": "right"}],
                    metric(INVOCATIONS_NS, "Invocations", v, id="invocations", visible=False, stat="Sum"),
                    metric(INVOCATIONS_NS, "Invocation4XXErrors", v, id="errors", visible=False, stat="Sum"),
                ], annotations={"horizontal": [{"value": 1, "label": "Invocation5XXErrors >= 1/min", "yAxis": "left"}]}),
                graph(18, y + 1, f"{v}: instances", [
                    metric(INSTANCE_NS, "CPUUtilization", v, label="Instances", stat="SampleCount"),
                    metric(INSTANCE_NS, "CPUUtilization", v, yAxis="right"),
                    metric(INSTANCE_NS, "MemoryUtilization", v, yAxis="right"),
                    metric(INSTANCE_NS, "DiskUtilization", v, yAxis="right"),
                ]),
            ]  # fmt: skip
        widgets.append(
            {
                "type": "alarm",
                "width": 24,
                "height": 3,
                "x": 0,
                "y": 7 * len(VARIANTS),
                "properties": {"title": "Alarms", "alarms": [a.attr_arn for a in alarms.values()]},
            }
        )
        cloudwatch.CfnDashboard(
            self, "Dashboard", dashboard_body=self.to_json_string({"start": "-PT3H", "widgets": widgets})
        )


def build_l1_app(app: cdk.App) -> L1InferenceStack:
    stack = L1InferenceStack(
        app, STACK_NAME, description="sagemaker-cdk L1 baseline: XGBoost real-time endpoint (90/10 variants, 2 AZs)"
    )
    cdk.Tags.of(app).add("project", "sagemaker-cdk")
    return stack


def new_app(outdir: str) -> cdk.App:
    """An App with cdk.json's context (feature flags), as `cdk synth` would create it."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return cdk.App(outdir=outdir, context=context)


def resource_type_counts(template: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for resource in template.get("Resources", {}).values():
        counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
    return dict(sorted(counts.items()))


def check(ref_root: Path = ROOT) -> int:
    """Synthesize both apps and compare their resource-type counts (and mappings, outputs, assets).

    ref_root: the checkout whose reference app (stacks/ + constructs/sagemaker_cdk) is compared, e.g. a
    `git archive` export of the foundation commit (synth_bench.py makes one). Default: this working tree.
    """
    sys.path[:0] = [str(ref_root), str(ref_root / "constructs"), str(Path(__file__).resolve().parent)]
    ref_app = new_app(tempfile.mkdtemp(prefix="bench-ref-"))
    if ref_root == ROOT:  # the working tree: the foundation resources, built with the current library
        from foundation_app import build_foundation_app

        build_foundation_app(ref_app)
    else:  # an export of the foundation commit: its whole reference app was exactly those resources
        from stacks.app_builder import build_app

        build_app(ref_app)
    ref = ref_app.synth().get_stack_by_name(STACK_NAME)
    l1_app = new_app(tempfile.mkdtemp(prefix="bench-l1-"))
    build_l1_app(l1_app)
    l1 = l1_app.synth().get_stack_by_name(STACK_NAME)

    ref_counts, l1_counts = resource_type_counts(ref.template), resource_type_counts(l1.template)
    differences = {
        t: (ref_counts.get(t, 0), l1_counts.get(t, 0))
        for t in sorted(set(ref_counts) | set(l1_counts))
        if ref_counts.get(t, 0) != l1_counts.get(t, 0)
    }
    print(f"resources: reference {sum(ref_counts.values())}, L1 {sum(l1_counts.values())}")
    for kind in ("Mappings", "Outputs", "Parameters"):
        print(f"{kind.lower()}: reference {sorted(ref.template.get(kind, {}))}, L1 {sorted(l1.template.get(kind, {}))}")
    print(f"template bytes: reference {len(json.dumps(ref.template))}, L1 {len(json.dumps(l1.template))}")
    print(f"file assets (besides the template): reference {_file_assets(ref)}, L1 {_file_assets(l1)}")
    if differences:
        print("resource-type count differences (type: reference vs L1):")
        for t, (a, b) in differences.items():
            print(f"  {t}: {a} vs {b}")
        return 1
    print(f"resource-type counts are equal ({len(ref_counts)} types)")
    return 0


def _file_assets(stack: "cdk.cx_api.CloudFormationStackArtifact") -> int:
    manifest = Path(stack.assembly.directory) / f"{stack.stack_name}.assets.json"
    files = json.loads(manifest.read_text()).get("files", {}) if manifest.exists() else {}
    return sum(1 for f in files.values() if not f["source"]["path"].endswith(".template.json"))


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        args = [a for a in sys.argv[1:] if a != "--check"]
        sys.exit(check(Path(args[0]).resolve() if args else ROOT))
    app = new_app(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="bench-l1-"))
    build_l1_app(app)
    app.synth()
