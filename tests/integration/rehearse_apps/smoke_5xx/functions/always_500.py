"""Test fixture: fails every request the way a broken backend would."""
import json
import os


def handler(event, context):
    return {"statusCode": 500, "body": json.dumps({"error": f"backend unavailable (MODE={os.environ.get('MODE')})"})}
