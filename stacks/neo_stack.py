"""NeoStack: compile the sample XGBoost model with SageMaker Neo for ml_c5 and register the compiled model.

The model Neo compiles is models/xgboost-neo/model.tar.gz (one `xgboost.model` file written by XGBoost 1.3.3,
scripts/train_neo_sample_model.py), not the endpoint's models/xgboost/ artifact: Neo compiles XGBoost models for cloud
targets only up to 1.3.3, and only as a `.model` file, while the endpoint's model is XGBoost 1.7 for the built-in
1.7-1 image. No framework_version is sent: CreateCompilationJob accepts FrameworkVersion only for MXNet, PyTorch,
TensorFlow and TensorFlow Lite, and Neo reads an XGBoost model's version from the file.

The stack owns its artifact bucket: the upload trigger, grants and cdk-nag acknowledgements stay in-stack (a bucket
from another stack would add cross-stack exports whose tokens make acknowledgement ids unpredictable). The sample
artifact is not copied in at deploy time: upload it to start the first compilation (see the outputs), or start an
execution on demand with {"key": "neo/input/xgboost/model.tar.gz"} after uploading:

    aws s3 cp models/xgboost-neo/model.tar.gz <NeoUploadUri output>
"""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.inference.neo_compilation import NeoCompilation

from .config import AppConfig

NEO_TARGET = "ml_c5"
NEO_INPUT_SHAPE = {"data": [1, 5]}  # the sample model takes 5 features per row
NEO_ARTIFACT = "models/xgboost-neo/model.tar.gz"  # XGBoost 1.3.3, the newest Neo compiles for cloud targets


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
        self.compilation = NeoCompilation(
            self,
            "Compilation",
            bucket=self.bucket,
            framework="xgboost",
            input_shape=NEO_INPUT_SHAPE,
            target_device=NEO_TARGET,
            reserved_concurrency=config.reserved_concurrency,
        )
        CfnOutput(self, "NeoStateMachineArn", value=self.compilation.state_machine.state_machine_arn)
        CfnOutput(self, "NeoFunctionName", value=self.compilation.function.function_name)
        CfnOutput(
            self,
            "NeoUploadUri",
            value=self.compilation.input_uri() + "xgboost/model.tar.gz",
            description=f"Upload {NEO_ARTIFACT} (XGBoost 1.3.3) here to compile it for ml_c5",
        )
        CfnOutput(self, "NeoCompiledUri", value=self.compilation.output_uri())
