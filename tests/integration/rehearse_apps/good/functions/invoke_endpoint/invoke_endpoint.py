"""Test fixture (not the project's handler): forwards a CSV row to ENDPOINT_NAME."""
import os

import boto3

runtime = boto3.client("sagemaker-runtime")


def handler(event, context):
    response = runtime.invoke_endpoint(EndpointName=os.environ["ENDPOINT_NAME"], ContentType="text/csv",
                                       Body=event["body"].encode())
    return {"statusCode": 200, "headers": {"Content-Type": "text/csv"}, "body": response["Body"].read().decode()}
