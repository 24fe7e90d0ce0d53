"""Test fixture: a handler module with no entry in the smoke table (rehearse only checks that it imports)."""


def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
