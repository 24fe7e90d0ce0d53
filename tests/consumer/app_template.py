#!/usr/bin/env python3
"""A user's CDK app, as `cdk init app --language python` lays it out, that uses every public construct.

tests/consumer/test_consumer_app.py copies this file as app.py into a fresh directory outside the repository,
next to a cdk.json holding the pinned CLI's default feature flags and the sample model, and synthesizes it with the
pinned CLI against the built wheel. tests/consumer/test_flag_independence.py builds the same app in-process with the
repository's cdk.json flags and with none, and compares the security-relevant properties.

Adding a public construct: use it below (the tests fail until every construct class in `sagemaker_cdk.__all__` is
instantiated somewhere in this app).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations, aws_events as events
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, ServerlessChecks

from sagemaker_cdk import (
    Algorithm,
    ApprovalDeployment,
    ArtifactBucket,
    AsyncEndpoint,
    AutoScaling,
    BacklogScaling,
    BatchTransformPipeline,
    Channel,
    CodeRepository,
    ContainerImage,
    ContinuousRange,
    DataCapture,
    Deployment,
    IntegerRange,
    InvocationApi,
    LabelingJob,
    LabelingWorkteam,
    MetricGate,
    Model,
    ModelData,
    ModelNetwork,
    ModelRegistration,
    ModelRegistry,
    NeoCompilation,
    NotebookInstance,
    Objective,
    RealtimeEndpoint,
    RolloutPipeline,
    ServerlessEndpoint,
    StudioDomain,
    StudioLifecycleConfig,
    TaskType,
    TrainingData,
    TrainingJob,
    TuningJob,
    Variant,
    subscribe_email,
)

HERE = Path(__file__).resolve().parent


def build(app: cdk.App, assets: Path = HERE / "models" / "xgboost") -> dict[str, cdk.Stack]:
    """Declare the app's stacks; `assets` holds model.tar.gz and sample/{train,validation}.csv."""
    artifact = ModelData.from_asset(assets / "model.tar.gz")
    image = ContainerImage.built_in("xgboost", "1.7-1")

    # Serving: a real-time endpoint with two variants, an HTTPS API, batch transform, async and serverless.
    serving = cdk.Stack(app, "ChurnServing")
    bucket = ArtifactBucket(serving, "Artifacts", removal_policy=RemovalPolicy.DESTROY)
    network = ModelNetwork(serving, "Network")
    champion = Model(serving, "Champion", image=image, model_data=artifact, network=network)
    # The challenger serves the newest approved version of the registry (the declared artifact until one is).
    registry = ModelRegistry(serving, "Registry", description="Churn models")
    challenger = Model(serving, "Challenger", image=image, network=network,
                       model_data=ModelData.from_registry(registry, fallback=artifact))
    endpoint = RealtimeEndpoint(
        serving,
        "Endpoint",
        variants=[
            Variant(model=champion, name="champion", weight=9,
                    autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=40)),
            Variant(model=challenger, name="challenger", weight=1),
        ],
        deployment=Deployment(mode="canary"),
        data_capture=DataCapture(bucket=bucket, sampling_percentage=10),
    )
    subscribe_email(endpoint.alarm_topic, "ml-oncall@example.com")
    InvocationApi(serving, "Api", endpoint=endpoint)
    BatchTransformPipeline(serving, "Batch", model=champion, bucket=bucket)

    async_model = Model(serving, "AsyncModel", image=image, model_data=artifact, network=network)
    async_endpoint = AsyncEndpoint(
        serving,
        "AsyncEndpoint",
        bucket=bucket,
        variants=[Variant(model=async_model, name="async")],
        scaling=BacklogScaling(max_capacity=2),
    )
    InvocationApi(
        serving,
        "AsyncApi",
        endpoint=async_endpoint,
        async_input_bucket=bucket.bucket,
        async_input_prefix=async_endpoint.input_prefix,
        sync_route=False,
    )
    serverless_model = Model(
        serving, "ServerlessModel", image=image, model_data=artifact, place_in_vpc=False, network_isolation=False
    )
    Validations.of(serverless_model).acknowledge(
        Acknowledgment(
            id="Annotation::sagemaker-cdk:model-outside-vpc",
            reason="Serverless Inference supports neither VPC placement nor network isolation.",
        )
    )
    serverless = ServerlessEndpoint(serving, "ServerlessEndpoint", model=serverless_model)
    InvocationApi(serving, "ServerlessApi", endpoint=serverless)

    # Training: data upload, a training job, tuning, a rollout into the serving endpoint, registration and
    # approval-gated deployment; Neo compilation.
    training = cdk.Stack(app, "ChurnTraining")
    training_bucket = ArtifactBucket(training, "Artifacts", removal_policy=RemovalPolicy.DESTROY)
    for channel in ("train", "validation"):
        TrainingData(training, f"{channel.title()}Data", bucket=training_bucket, prefix=f"{channel}/",
                     files=[assets / "sample" / f"{channel}.csv"])
    job = TrainingJob(
        training,
        "Training",
        bucket=training_bucket,
        algorithm=Algorithm.built_in("xgboost", "1.7-1"),
        hyperparameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": 100},
        channels=[Channel("train", content_type="text/csv"), Channel("validation", content_type="text/csv")],
        instance_type="ml.m5.xlarge",
        max_runtime=Duration.hours(1),
        network=network,
    )
    tuning = TuningJob(
        training,
        "Tuning",
        training=job,
        objective=Objective("validation:auc", "Maximize"),
        ranges=[ContinuousRange("eta", 0.05, 0.5, "Logarithmic"), IntegerRange("max_depth", 3, 8)],
        max_jobs=4,
        max_parallel_jobs=2,
    )
    RolloutPipeline(
        training,
        "Rollout",
        job=tuning,
        endpoint=endpoint,
        variants=["challenger"],
        metric_gate=MetricGate(0.75),
        schedule=events.Schedule.cron(week_day="MON", hour="3", minute="0"),
        on_new_data=False,
    )
    # Register every trained model for approval; approving a version deploys it to the challenger variant.
    registration = ModelRegistration(training, "Registration", job=job, registry=registry,
                                     instance_types=["ml.m5.large"])
    registration.grant_read_artifacts(challenger.role)
    ApprovalDeployment(training, "Approval", registration=registration, endpoint=endpoint, variants=["challenger"])
    NeoCompilation(
        training,
        "Neo",
        bucket=training_bucket,
        framework="xgboost",
        input_shape={"data": [1, 5]},
        target_device="ml_c5",
    )

    # Labeling: a private work team (the region's Cognito workforce) labels images; a team from another app, reused
    # by its ARN, classifies text.
    team = LabelingWorkteam(training, "Annotators")
    LabelingJob(
        training,
        "ImageLabels",
        bucket=training_bucket,
        workteam=team,
        task_type=TaskType.image_classification(),
        labels=["churned", "retained"],
        task_title="Churned or retained?",
        task_description="Pick the label that fits the customer",
    )
    reviewers = LabelingWorkteam.from_workteam_arn(
        training, "Reviewers", "arn:aws:sagemaker:us-east-1:111122223333:workteam/private-crowd/reviewers"
    )
    LabelingJob(
        training,
        "TextLabels",
        bucket=training_bucket,
        workteam=reviewers,
        task_type=TaskType.text_classification(),
        labels=["complaint", "praise"],
        task_title="Complaint or praise?",
        task_description="Classify the customer's message",
    )

    # Workspaces: a private notebook with a Git repository, and a VpcOnly Studio domain with a profile and a space.
    workspaces = cdk.Stack(app, "ChurnWorkspaces")
    workspace_bucket = ArtifactBucket(workspaces, "Artifacts", removal_policy=RemovalPolicy.DESTROY)
    repository = CodeRepository(workspaces, "Repo", repository_url="https://github.com/example/churn.git",
                                branch="main")
    NotebookInstance(workspaces, "Notebook", bucket=workspace_bucket, default_code_repository=repository)
    on_start = StudioLifecycleConfig(workspaces, "OnStart", app_type="JupyterLab",
                                     script="#!/bin/bash\nset -eu\npip install --quiet xgboost\n", default=True)
    studio = StudioDomain(workspaces, "Studio", bucket=workspace_bucket, lifecycle_configs=[on_start])
    analyst = studio.add_user_profile("Analyst", user_profile_name="analyst", persona="data-scientist")
    studio.add_shared_space("Team", space_name="team", owner=analyst)
    return {"serving": serving, "training": training, "workspaces": workspaces}


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app), ServerlessChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app)
    )
    app.synth()
