"""LabelingStack: Ground Truth as code -- a private workteam, an image-classification labeling job with automated
data labeling over the generated sample images, and the labeled data feeding an image-classification training job.

The sample (data/labeling_sample/images, 300 generated 32x32 PNGs, see scripts/make_labeling_sample.py) exercises
the whole path. Real automated labeling needs Ground Truth's minimum of 1,250 objects (5,000+ recommended): with the
sample, a run stops at the manifest check (DatasetTooSmall) until you add data or set automated_labeling off.
Run a labeling job: `aws stepfunctions start-execution --state-machine-arn <LabelingStateMachineArn> --input '{}'`;
then train on its output: `--input '{"channels": {"train": "<output manifest key>", "validation": "<same>"}}'`.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from constructs import Construct

from sagemaker_cdk import (
    Algorithm,
    ArtifactBucket,
    Channel,
    LabelingJob,
    LabelingWorkteam,
    TaskType,
    TrainingData,
    TrainingJob,
)

from .config import ROOT, AppConfig
from .inference_stack import InferenceStack


class LabelingStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: AppConfig, inference: InferenceStack,
                 **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.bucket = ArtifactBucket(self, "LabelingArtifacts", removal_policy=removal)
        # The region's private workforce: this stack owns it (one per account and region); other stacks reuse the
        # team with LabelingWorkteam.from_workteam_arn(<WorkteamArn output>).
        self.workteam = LabelingWorkteam(self, "Workteam", removal_policy=removal)
        self.labeling = LabelingJob(
            self,
            "ShapeLabels",
            bucket=self.bucket,
            workteam=self.workteam,
            task_type=TaskType.image_classification(),
            labels=["square", "circle"],
            task_title="Square or circle?",
            task_description="Choose the shape drawn in the image.",
            task_keywords=["image classification", "shapes"],
            workers_per_object=3,
            task_time_limit=Duration.minutes(2),
            task_availability=Duration.days(2),
            automated_labeling=True,
            on_manifest=True,
            job_name_prefix="shape-labels",
        )
        images = sorted((ROOT / "data" / "labeling_sample" / "images").glob("*.png"))
        TrainingData(self, "SampleImages", bucket=self.bucket, prefix=self.labeling.input_prefix, files=images)
        # Labeled data feeds training: both channels read a run's augmented manifest (source-ref + label).
        self.training = TrainingJob(
            self,
            "ShapeClassifier",
            bucket=self.bucket,
            algorithm=Algorithm.built_in("image-classification", "1"),
            hyperparameters={"num_classes": 2, "num_training_samples": len(images), "image_shape": "3,32,32",
                             "num_layers": 18, "epochs": 10, "mini_batch_size": 32},
            channels=[Channel.from_labeling_job(self.labeling, "train"),
                      Channel.from_labeling_job(self.labeling, "validation")],
            instance_type="ml.p3.2xlarge",
            max_runtime=Duration.hours(1),
            network=inference.network,
        )
        CfnOutput(self, "WorkteamArn", value=self.workteam.workteam_arn)
        if self.workteam.labeling_portal_url is not None and self.workteam.user_pool is not None:
            CfnOutput(self, "LabelingPortal", value=self.workteam.labeling_portal_url)
            CfnOutput(self, "WorkerUserPoolId", value=self.workteam.user_pool.user_pool_id)
        CfnOutput(self, "LabelingStateMachineArn", value=self.labeling.state_machine.state_machine_arn)
        CfnOutput(self, "TrainingStateMachineArn", value=self.training.state_machine.state_machine_arn)
        CfnOutput(self, "LabelingInput", value=self.bucket.s3_uri(self.labeling.input_prefix))
        CfnOutput(self, "LabelingOutput", value=self.labeling.output_uri)

