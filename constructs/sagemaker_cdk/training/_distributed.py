"""The network a multi-instance training job needs inside a VPC (private module).

SageMaker places every instance of a training job in the job's security groups. A ModelNetwork's group allows no
ingress, so with `instance_count` > 1 the instances could not reach each other and distributed training (MPI, NCCL,
parameter servers) would hang ("Run Training and Inference Containers in a VPC" / "Configure the VPC for
distributed training": the group must allow inbound traffic from itself). Inter-container traffic encryption
wraps that traffic in IPsec, which needs IKE on UDP 500 and ESP (IP protocol 50) between the same instances
("Protect Communications Between ML Compute Instances in a Distributed Training Job").

So a multi-instance job in a VPC gets a second security group of its own, next to the network's (which keeps the
HTTPS egress to the VPC endpoints): all traffic from and to itself, and when encryption is on, UDP 500 and ESP
from and to itself, stated explicitly so that a reviewer sees the IPsec rules the guide asks for. Nothing outside
the group gains any access. Tuning jobs reuse their TrainingJob's definition, so they get the same group.
"""

from __future__ import annotations

from aws_cdk import Stack, aws_ec2 as ec2, aws_iam as iam
from constructs import Construct

from ..core._validation import acknowledge
from ..core.network import ModelNetwork

IKE = ec2.Port.udp(500)
ESP = ec2.Port(protocol=ec2.Protocol.ESP, string_representation="ESP (IP protocol 50)")


def training_security_group(
    scope: Construct, network: ModelNetwork, *, encrypted: bool, role: iam.IRole
) -> ec2.SecurityGroup:
    """The job's own security group: its instances talk to each other, and to nothing else through it."""
    group = ec2.SecurityGroup(
        scope,
        "TrainingSecurityGroup",
        vpc=network.vpc,
        description="Distributed training: instances of one job talk to each other",
        allow_all_outbound=False,
    )
    rules = [(ec2.Port.all_traffic(), "Distributed training between the job's instances")]
    if encrypted:
        rules += [(IKE, "IPsec key exchange (IKE) for inter-container traffic encryption"),
                  (ESP, "IPsec ESP for inter-container traffic encryption")]
    for port, description in rules:
        group.add_ingress_rule(group, port, description)
        group.add_egress_rule(group, port, description)
    for finding in ("HIPAA.Security-EC2RestrictedCommonPorts", "NIST.800.53.R5-EC2RestrictedCommonPorts"):
        acknowledge(
            group,
            finding,
            "The only ingress is from this security group itself (no CIDR): the instances of one training job "
            "exchange gradients and parameters over ports the framework picks (MPI, NCCL), which SageMaker's "
            "distributed-training VPC guide requires; nothing outside the group can connect.",
        )
    # The execution role places the job's network interfaces in this group too.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["ec2:CreateNetworkInterface"],
            resources=[
                Stack.of(scope).format_arn(
                    service="ec2", resource="security-group", resource_name=group.security_group_id
                )
            ],
        )
    )
    return group
