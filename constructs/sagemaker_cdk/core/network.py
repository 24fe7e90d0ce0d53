"""ModelNetwork: where SageMaker models run, a VPC placement over at least two Availability Zones.

By default it deploys an isolated two-AZ VPC (no internet route, no NAT gateway), VPC flow logs to a KMS-encrypted
log group, an S3 gateway endpoint (free) and interface endpoints for ECR, ECR Docker and CloudWatch Logs, plus a
security group for the models. Cost: each interface endpoint costs about $0.01/hour per AZ (3 endpoints x 2 AZs,
about $45/month); set `interface_endpoints=False` if your images come from elsewhere or your VPC has them already.
A user's VPC is accepted too (`vpc=`), and its subnets must cover at least two AZs.
"""

from __future__ import annotations

from aws_cdk import (
    Aws,
    RemovalPolicy,
    Stack,
    aws_ec2 as ec2,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_sagemaker as sagemaker,
)
from constructs import Construct

from ._types import typed
from ._validation import PropErrors, acknowledge, is_token


class ModelNetwork(Construct):
    """A VPC placement for models: subnets in two or more AZs and the models' own security group.

    Keyword-only props:
        vpc: an existing VPC. Default: a new isolated VPC over 2 AZs with the endpoints models need.
        subnets: which subnets of `vpc` to use. Default: the isolated subnets, else the private ones.
        security_group: the models' security group. Default: a new one with no ingress and HTTPS egress only.
        interface_endpoints: create ECR, ECR Docker and CloudWatch Logs interface endpoints in a new VPC.
            Default: True.
        flow_log_retention: retention of the new VPC's flow logs. Default: one year.
        encryption_key: KMS key for the flow log group. Default: a new key with rotation enabled.
    """

    DEFAULT_ID = "SageMakerNetwork"

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc | None = None,
        subnets: ec2.SubnetSelection | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        interface_endpoints: bool = True,
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"ModelNetwork {self.node.path}")
        self.flow_log_group: logs.ILogGroup | None = None
        self.encryption_key: kms.IKey | None = encryption_key
        self.owns_vpc = vpc is None
        if vpc is None:
            vpc = self._create_vpc(interface_endpoints, flow_log_retention)
        self.vpc: ec2.IVpc = vpc
        selection = subnets or ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_ISOLATED if vpc.isolated_subnets else ec2.SubnetType.PRIVATE_WITH_EGRESS
        )
        selected = vpc.select_subnets(
            subnet_type=selection.subnet_type,
            subnet_group_name=selection.subnet_group_name,
            subnets=selection.subnets,
            availability_zones=selection.availability_zones,
            one_per_az=selection.one_per_az,
        )
        self.subnet_ids: list[str] = list(selected.subnet_ids)
        zones = [az for az in selected.availability_zones if not is_token(az)]
        errors.check(
            len(selected.subnet_ids) >= 2,
            f"subnets select {len(selected.subnet_ids)} subnet(s): select subnets in at least two Availability "
            "Zones so SageMaker can spread instances and survive an AZ outage",
        )
        if zones and len(zones) == len(selected.availability_zones):
            errors.check(
                len(set(zones)) >= 2,
                f"subnets cover one Availability Zone ({sorted(set(zones))[0]}): select subnets in at least two AZs",
            )
        errors.raise_if_any()

        self.security_group: ec2.ISecurityGroup = security_group or ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="SageMaker models: no ingress; HTTPS egress to VPC endpoints",
            allow_all_outbound=False,
        )
        if security_group is None:
            self.security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to VPC endpoints (no internet route exists)"
            )

    @property
    def vpc_config(self) -> sagemaker.CfnModel.VpcConfigProperty:
        return sagemaker.CfnModel.VpcConfigProperty(
            security_group_ids=[self.security_group.security_group_id], subnets=self.subnet_ids
        )

    def grant_network_interfaces(self, grantee: iam.IGrantable) -> None:
        """What SageMaker needs, with the model's execution role, to place ENIs in these subnets."""
        stack = Stack.of(self)
        subnet_arns = [
            stack.format_arn(service="ec2", resource="subnet", resource_name=subnet_id)
            for subnet_id in self.subnet_ids
        ]
        sg_arn = stack.format_arn(
            service="ec2", resource="security-group", resource_name=self.security_group.security_group_id
        )
        eni_arn = stack.format_arn(service="ec2", resource="network-interface", resource_name="*")
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["ec2:CreateNetworkInterface"],
            resource_arns=[*subnet_arns, sg_arn, eni_arn],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            resource_arns=[eni_arn],
        )
        # EC2 Describe* calls have no resource-level permissions: AWS only accepts "*" for them.
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            resource_arns=["*"],
        )

    def add_workspace_endpoints(self) -> list[ec2.InterfaceVpcEndpoint]:
        """Interface endpoints a workspace with no internet route needs (idempotent; new VPCs only).

        Notebook instances and Studio's VpcOnly mode reach SageMaker's API and runtime, STS (the SageMaker Python
        SDK's get_execution_role), CloudWatch Logs and ECR through these; S3 has the VPC's gateway endpoint. The
        Studio developer guide ("Connect Amazon SageMaker Studio in a VPC to external resources") lists them. A VPC
        passed in with `vpc=` is left alone: it must already have them (or a NAT gateway). Each costs about
        $0.01/hour per AZ.
        """
        if not self.owns_vpc or not isinstance(self.vpc, ec2.Vpc):
            return []
        added: list[ec2.InterfaceVpcEndpoint] = []
        for name, service in (
            ("SageMakerApi", ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API),
            ("SageMakerRuntime", ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME),
            ("Sts", ec2.InterfaceVpcEndpointAwsService.STS),
            ("EcrApi", ec2.InterfaceVpcEndpointAwsService.ECR),
            ("EcrDocker", ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER),
            ("Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS),
        ):
            existing = self.vpc.node.try_find_child(name)
            if isinstance(existing, ec2.InterfaceVpcEndpoint):
                added.append(existing)
                continue
            added.append(self._interface_endpoint(self.vpc, name, service))
        return added

    @classmethod
    @typed
    def default(cls, scope: Construct) -> "ModelNetwork":
        """The stack-wide default network (created on first use), shared by every model of the stack."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.DEFAULT_ID)
        if isinstance(existing, ModelNetwork):
            return existing
        return cls(stack, cls.DEFAULT_ID)

    def _create_vpc(self, interface_endpoints: bool, retention: logs.RetentionDays) -> ec2.Vpc:
        key = self.encryption_key or kms.Key(
            self,
            "FlowLogKey",
            description=f"Encrypts the VPC flow logs of {self.node.path}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com"))
        self.encryption_key = key
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            # Explicit, not left to the app's @aws-cdk/aws-ec2:restrictDefaultSecurityGroup flag: the default
            # security group of the VPC allows nothing, whatever flags the consuming app sets.
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="models", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        )
        self.flow_log_group = logs.LogGroup(
            self, "FlowLogs", retention=retention, encryption_key=key, removal_policy=RemovalPolicy.RETAIN
        )
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        if interface_endpoints:
            for name, service in (
                ("EcrApi", ec2.InterfaceVpcEndpointAwsService.ECR),
                ("EcrDocker", ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER),
                ("Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS),
            ):
                self._interface_endpoint(vpc, name, service)
        return vpc

    @staticmethod
    def _interface_endpoint(
        vpc: ec2.Vpc, name: str, service: ec2.IInterfaceVpcEndpointService
    ) -> ec2.InterfaceVpcEndpoint:
        endpoint = vpc.add_interface_endpoint(name, service=service, private_dns_enabled=True)
        acknowledge(
            endpoint,
            "AwsSolutions-EC23",
            "The endpoint's security group admits HTTPS from this VPC's own CIDR only (Fn::GetAtt "
            "Vpc.CidrBlock), which cdk-nag cannot resolve at synth; the VPC has no internet route.",
        )
        for finding in (
            "HIPAA.Security-EC2RestrictedCommonPorts",
            "HIPAA.Security-EC2RestrictedSSH",
            "NIST.800.53.R5-EC2RestrictedCommonPorts",
            "NIST.800.53.R5-EC2RestrictedSSH",
        ):
            acknowledge(
                endpoint,
                finding,
                "The rule cannot evaluate the ingress source (Fn::GetAtt Vpc.CidrBlock); the only ingress "
                "is TCP 443 from this VPC's CIDR, so neither SSH nor other common ports are open.",
            )
        return endpoint
