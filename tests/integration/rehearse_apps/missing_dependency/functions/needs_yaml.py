"""Test fixture: PyYAML is not in this package, nor in the Lambda Python runtime."""
import yaml


def handler(event, context):
    return {"statusCode": 200, "body": yaml.safe_dump(event)}
