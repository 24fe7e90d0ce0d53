"""TrainingStack: trains and tunes built-in XGBoost 1.7-1 on the sample data, registers the best model in the
InferenceStack's ModelRegistry for approval, and deploys approved versions to the endpoint's challenger variant."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack, aws_events as events
from constructs import Construct

from sagemaker_cdk import (
    Algorithm,
    ApprovalDeployment,
    ArtifactBucket,
    Channel,
    ContinuousRange,
    IntegerRange,
    MetricGate,
    ModelRegistration,
    Objective,
    TrainingData,
    TrainingJob,
    TuningJob,
    subscribe_email,
)

from .config import ROOT, AppConfig
from .inference_stack import InferenceStack


class TrainingStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: AppConfig, inference: InferenceStack, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        # Training data and artifacts get a bucket of their own: every grant on it stays in this stack, so cdk-nag
        # acknowledgements name it directly (a cross-stack import has an unpredictable export name).
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.bucket = ArtifactBucket(self, "TrainingArtifacts", removal_policy=removal)
        sample = ROOT / "models" / "xgboost" / "sample"
        for channel in ("train", "validation"):
            TrainingData(self, f"{channel.title()}Data", bucket=self.bucket, prefix=f"{channel}/",
                         files=[sample / f"{channel}.csv"])
        self.training = TrainingJob(
            self,
            "Training",
            bucket=self.bucket,
            algorithm=Algorithm.built_in("xgboost", config.xgboost_version),
            hyperparameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": 100,
                             "max_depth": 5, "eta": 0.2, "subsample": 0.8},
            channels=[Channel("train", content_type="text/csv"), Channel("validation", content_type="text/csv")],
            instance_type="ml.m5.xlarge",
            max_runtime=Duration.hours(1),
            network=inference.network,
        )
        self.tuning = TuningJob(
            self,
            "Tuning",
            training=self.training,
            objective=Objective("validation:auc", "Maximize"),
            ranges=[ContinuousRange("eta", 0.05, 0.5, "Logarithmic"), IntegerRange("max_depth", 3, 8)],
            max_jobs=8,
            max_parallel_jobs=2,
        )
        # Tune weekly; register the best model if it clears the bar, pending a human's approval in Studio.
        self.registration = ModelRegistration(
            self,
            "Registration",
            job=self.tuning,
            registry=inference.registry,
            metric_gate=MetricGate(0.75),
            instance_types=[config.instance_type],
            git_revision=config.git_revision or None,
            schedule=events.Schedule.cron(week_day="MON", hour="3", minute="0"),
        )
        # The challenger model (InferenceStack) may read what is registered: it serves the newest approved version.
        self.registration.grant_read_artifacts(inference.challenger.role)
        # Approving a version deploys it to the challenger variant through the endpoint's blue/green guardrails.
        self.approval = ApprovalDeployment(
            self, "Approval", registration=self.registration, endpoint=inference.endpoint, variants=["challenger"]
        )
        if config.alarm_email:
            subscribe_email(self.approval.topic, config.alarm_email)
        CfnOutput(self, "TrainingStateMachineArn", value=self.training.state_machine.state_machine_arn)
        CfnOutput(self, "TuningStateMachineArn", value=self.tuning.state_machine.state_machine_arn)
        CfnOutput(self, "RegistrationStateMachineArn", value=self.registration.state_machine.state_machine_arn)
        CfnOutput(self, "ApprovalStateMachineArn", value=self.approval.state_machine.state_machine_arn)
        CfnOutput(self, "ApprovalTopicArn", value=self.approval.topic.topic_arn)
        CfnOutput(self, "FailureTopicArn", value=self.training.failure_topic.topic_arn)
