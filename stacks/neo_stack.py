"""NeoStack: compile the sample XGBoost model with SageMaker Neo for ml_c5 and register the compiled model.

The stack owns its artifact bucket: the upload trigger, grants and cdk-nag acknowledgements stay in-stack (a bucket
from another stack would add cross-stack exports whose tokens make acknowledgement ids unpredictable). The sample
artifact is not copied in at deploy time: upload it to start the first compilation (see the outputs), or start an
execution on demand with {"key": "neo/input/xgboost/model.tar.gz"} after uploading.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.inference.neo_compilation import NeoCompilation

from .config import AppConfig

NEO_TARGET = "ml_c5"
NEO_INPUT_SHAPE = {"data": [1, 5]}  # the sample model takes 5 features per row


class NeoStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: AppConfig,
        bucket: ArtifactBucket | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.bucket = bucket or ArtifactBucket(self, "NeoArtifacts", removal_policy=removal)
        framework_version = config.xgboost_version.split("-")[0]  # image "1.7-1" -> framework "1.7"
        self.compilation = NeoCompilation(
            self,
            "Compilation",
            bucket=self.bucket,
            framework="xgboost",
            framework_version=framework_version,
            input_shape=NEO_INPUT_SHAPE,
            target_device=NEO_TARGET,
        )
        CfnOutput(self, "NeoStateMachineArn", value=self.compilation.state_machine.state_machine_arn)
        CfnOutput(self, "NeoFunctionName", value=self.compilation.function.function_name)
        CfnOutput(
            self,
            "NeoUploadUri",
            value=self.compilation.input_uri() + "xgboost/model.tar.gz",
            description="Upload the trained model.tar.gz here to compile it for ml_c5",
        )
        CfnOutput(self, "NeoCompiledUri", value=self.compilation.output_uri())
