"""Test fixture (not the project's handler): starts a transform job for an object created under INPUT_PREFIX."""
import os
import time

import boto3

sagemaker = boto3.client("sagemaker")


def handler(event, context):
    bucket, key = event["detail"]["bucket"]["name"], event["detail"]["object"]["key"]
    name = f"rehearsal-{int(time.time() * 1000)}"
    sagemaker.create_transform_job(
        TransformJobName=name, ModelName=os.environ["MODEL_NAME"],
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{key}"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": os.environ["OUTPUT_PATH"]},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    return {"transformJobName": name}
