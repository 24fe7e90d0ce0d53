"""WorkspacesStack: where the team works: a private notebook instance that stops itself after an idle hour, and a
VpcOnly Studio domain with a data scientist, an MLOps engineer and a shared JupyterLab space.

The stack owns its bucket and network (the stack-wide `ModelNetwork`, with the workspace interface endpoints), so it
deploys and deletes on its own. Deleting it deletes the users' apps and spaces first (StudioTeardown); the bucket,
the KMS keys and the domain's home EFS are retained (see the README's Workspaces section).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from sagemaker_cdk import ArtifactBucket, NotebookInstance, StudioDomain

from .config import AppConfig


class WorkspacesStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.bucket = ArtifactBucket(self, "WorkspaceArtifacts", removal_policy=removal)
        self.notebook = NotebookInstance(
            self, "Notebook", bucket=self.bucket, bucket_prefixes=["notebooks/"], idle_minutes=60
        )
        self.studio = StudioDomain(self, "Studio", bucket=self.bucket, bucket_prefixes=["studio/"])
        self.data_scientist = self.studio.add_user_profile(
            "DataScientist", user_profile_name="data-scientist", persona="data-scientist"
        )
        self.mlops = self.studio.add_user_profile(
            "MlopsEngineer", user_profile_name="mlops-engineer", persona="mlops"
        )
        self.shared_space = self.studio.add_shared_space(
            "TeamSpace", space_name="team", owner=self.data_scientist, ebs_size_gb=20
        )
        CfnOutput(self, "NotebookInstanceName", value=self.notebook.notebook_instance_name)
        CfnOutput(self, "StudioDomainId", value=self.studio.domain_id)
        CfnOutput(self, "StudioUrl", value=self.studio.url)
