"""Type checks for jsii interfaces (private): `isinstance(x, aws_sns.ITopic)` raises, jsii protocols are not runtime
checkable, so a value implements an interface when it carries the interface's identifying attribute."""

from __future__ import annotations

from typing import Any

from ..core._validation import PropErrors

# interface -> the attribute every implementation has
ATTRIBUTES = {
    "aws_lambda.IFunction": "function_arn",
    "aws_kms.IKey": "key_arn",
    "aws_sns.ITopic": "topic_arn",
    "aws_cognito.IUserPool": "user_pool_id",
    "aws_cognito.IUserPoolClient": "user_pool_client_id",
}


def expect_interface(errors: PropErrors, prop: str, value: Any, interface: str) -> bool:
    attribute = ATTRIBUTES[interface]
    if value is not None and not isinstance(value, (str, int, float, bool, list, dict, tuple)):
        try:
            if getattr(value, attribute, None) is not None:
                return True
        except Exception:  # noqa: BLE001 - a jsii object that cannot answer is not an implementation
            pass
    errors.add(f"{prop} must be an {interface}, got {type(value).__name__} {value!r}", type_error=True)
    return False
