"""Throwaway app: the Lambda package imports a module it does not ship (and the Lambda runtime lacks)."""
import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

app = cdk.App()
stack = cdk.Stack(app, "RehearseMissingDependency", env=cdk.Environment(account="123456789012", region="us-east-1"))
lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="needs_yaml.handler",
                 code=lambda_.Code.from_asset("functions"))
app.synth()
