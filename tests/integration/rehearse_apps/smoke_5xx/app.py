"""Throwaway app: the handler answers the smoke event (rehearse_smoke_events.json) with a 500."""
import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

app = cdk.App()
stack = cdk.Stack(app, "RehearseSmoke5xx", env=cdk.Environment(account="123456789012", region="us-east-1"))
lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="always_500.handler",
                 code=lambda_.Code.from_asset("functions"), environment={"MODE": "broken"})
app.synth()
