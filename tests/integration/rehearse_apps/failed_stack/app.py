"""Throwaway app: moto's CloudFormation rejects this stack at create time.

The endpoint names an endpoint config that does not exist: moto's SageMaker raises ValidationException while the
change set executes, the stack stays in REVIEW_IN_PROGRESS and `cdk deploy` fails.
"""
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

app = cdk.App()
stack = cdk.Stack(app, "RehearseFailedStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
s3.Bucket(stack, "Data", removal_policy=cdk.RemovalPolicy.DESTROY)
sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name="rehearsal-no-such-endpoint-config")
app.synth()
