"""Model: a SageMaker model (AWS::SageMaker::Model) with a least-privilege execution role.

The role may pull only its own image, read only its own model data, decrypt only the keys it uses, write only its
own endpoint logs, and place network interfaces only in its own subnets. Network isolation is on by default and the
model runs in a VPC over two AZs (the stack's shared `ModelNetwork` unless you pass one). Cost: none by itself;
instances are billed by the endpoint that serves the model.
"""

from __future__ import annotations

from typing import Mapping

import jsii
from aws_cdk import Annotations, ArnFormat, Stack, aws_iam as iam, aws_kms as kms, aws_sagemaker as sagemaker
from constructs import Construct, IValidation

from ..core._types import typed
from ..core._validation import PropErrors, acknowledge, is_token
from ..core.container_image import ContainerImage
from ..core.model_data import ModelData
from ..core.network import ModelNetwork
from ..core.resource_budget import ResourceBudget


class Model(Construct):
    """A deployable SageMaker model.

    Keyword-only props:
        image: the inference image (`ContainerImage.built_in(...)`, `.from_ecr_repository(...)`,
            `.from_asset(...)` or `.from_model_package(...)`). Required.
        model_data: the model artifact. Default: none (images that carry their model, and model packages).
        environment: container environment variables. Default: none.
        network_isolation: run the container without network access. Default: True (always True for model
            packages).
        network: VPC placement. Default: the stack's shared `ModelNetwork.default(...)` (isolated two-AZ VPC).
        place_in_vpc: set False to run outside any VPC (a warning is recorded). Default: True.
        role: the execution role. Default: a new least-privilege role. An imported role gets no grants.
        encryption_keys: extra KMS keys the model reads with (e.g. of an imported artifact bucket).
            Default: none.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: ContainerImage,
        model_data: ModelData | None = None,
        environment: Mapping[str, str] | None = None,
        network_isolation: bool = True,
        network: ModelNetwork | None = None,
        place_in_vpc: bool = True,
        role: iam.IRole | None = None,
        encryption_keys: list[kms.IKey] | None = None,
    ) -> None:
        super().__init__(scope, id)
        errors = PropErrors(f"Model {self.node.path}")
        errors.expect_type("image", image, ContainerImage, "a ContainerImage (e.g. ContainerImage.built_in('xgboost'))")
        if model_data is not None:
            errors.expect_type("model_data", model_data, ModelData, "a ModelData (from_asset or from_bucket)")
        elif isinstance(image, ContainerImage) and image.requires_model_data:
            errors.add(
                f"model_data is missing: {image.describe()} serves a trained model artifact and cannot start without "
                "one; pass model_data=ModelData.from_asset('model.tar.gz') or ModelData.from_bucket(bucket, "
                "'models/model.tar.gz')"
            )
        for key, value in (environment or {}).items():
            if not (is_token(key) or is_token(value)):
                errors.check(
                    isinstance(key, str) and isinstance(value, str),
                    f"environment[{key!r}] ({value!r}) must map strings to strings: quote the value",
                )
        errors.raise_if_any()

        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of SageMaker model {self.node.path}",
        )
        bound_image = image.bind(self, self.role)
        if bound_image.requires_network_isolation and not network_isolation:
            errors.add(
                "network_isolation (False) is not allowed for a model package: AWS Marketplace models run "
                "isolated; remove network_isolation=False"
            )
        errors.raise_if_any()
        bound_data = model_data.bind(self, self.role) if model_data is not None else None
        for key in encryption_keys or []:
            key.grant_decrypt(self.role)

        self.network: ModelNetwork | None = None
        if place_in_vpc:
            self.network = network or ModelNetwork.default(self)
            self.network.grant_network_interfaces(self.role)
        else:
            # Decided at synth: a model that only Serverless Inference serves cannot use a VPC, so no warning then.
            self.node.add_validation(_OutsideVpcWarning(self))
        # Endpoints record how they serve this model: "serverless" or "instances" (see `served_by`).
        self._served_by: set[str] = set()
        self._grant_logs_and_metrics()
        if isinstance(self.role, iam.Role):
            self._acknowledge_role_findings()

        container = sagemaker.CfnModel.ContainerDefinitionProperty(
            image=bound_image.image_uri,
            model_package_name=bound_image.model_package_name,
            model_data_url=bound_data.url if bound_data else None,
            environment=dict(environment) if environment else None,
        )
        self.resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=self.role.role_arn,
            primary_container=container,
            enable_network_isolation=network_isolation or bound_image.requires_network_isolation,
            vpc_config=self.network.vpc_config if self.network else None,
        )
        # The role's policy must exist before SageMaker validates access to the image and data.
        policy = self.role.node.try_find_child("DefaultPolicy") if isinstance(self.role, iam.Role) else None
        if policy is not None:
            self.resource.node.add_dependency(policy)
        ResourceBudget.watch(Stack.of(self))
        self.algorithm = bound_image.algorithm
        self.network_isolation: bool = bool(network_isolation or bound_image.requires_network_isolation)
        self.is_model_package: bool = bound_image.model_package_name is not None
        self.accelerator: str | None = bound_image.accelerator

    @property
    def model_name(self) -> str:
        return self.resource.attr_model_name

    def served_by(self, kind: str) -> None:
        """Record that an endpoint serves this model on "serverless" capacity or on "instances"."""
        self._served_by.add(kind)

    def _grant_logs_and_metrics(self) -> None:
        stack = Stack.of(self)
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resource_arns=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="/aws/sagemaker/Endpoints/*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        # PutMetricData has no resource-level permissions; the condition pins the namespace instead.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
            )
        )

    def _acknowledge_role_findings(self) -> None:
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions without resource-level permissions use '*': ecr:GetAuthorizationToken, ec2:Describe* "
            "(VPC placement) and cloudwatch:PutMetricData, the last pinned to SageMaker namespaces by condition.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
            "/aws/sagemaker/Endpoints/*]",
            "SageMaker names the log group after the endpoint, which a model does not know; the grant stays "
            "inside the SageMaker endpoints log-group prefix.",
        )
        if self.network is not None:
            acknowledge(
                self.role,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:"
                "network-interface/*]",
                "SageMaker creates the model's network interfaces at deploy time, so their IDs cannot be known; "
                "creation is further limited to the model's own subnets and security group.",
            )


@jsii.implements(IValidation)
class _OutsideVpcWarning:
    """Warns about place_in_vpc=False at synth, unless Serverless Inference (which has no VPC option) is the only
    way the model is served."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def validate(self) -> list[str]:
        if self.model._served_by != {"serverless"}:
            Annotations.of(self.model).add_warning_v2(
                "sagemaker-cdk:model-outside-vpc",
                "place_in_vpc=False: the model runs outside your VPC. Prefer a ModelNetwork over two AZs.",
            )
        return []
