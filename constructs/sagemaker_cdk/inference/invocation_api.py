"""InvocationApi: an API Gateway REST API with a Lambda function in front of one SageMaker real-time endpoint.

Deploys:
- a regional REST API (stage "prod") with `POST /invocations` (InvokeEndpoint) and, when `async_input_bucket` is
  given, `POST /async-invocations` (InvokeEndpointAsync on an input already uploaded under `async_input_prefix`);
  IAM (SigV4) authorization by default, request validation, stage throttling, JSON access logs, execution logs
  (errors and info, never request bodies), X-Ray tracing, optional WAF web ACL association;
- the `lambda/invoke_endpoint` function (latest Python runtime, X-Ray, reserved concurrency, own log group);
- a role allowed `sagemaker:InvokeEndpoint`/`InvokeEndpointAsync` on this endpoint only, and `s3:GetObject` on the
  async input prefix only (plus `kms:Decrypt` on the bucket's key when it has one);
- log groups for the function and the access logs, with retention and optional KMS encryption.

Timeouts. API Gateway stops waiting for a REST integration after 29 s by default; SageMaker lets a model take up to
60 s. The function's timeout (default 29 s) is also the integration timeout, and the function's SageMaker client gives
up reading 3 s before it, so a slow model yields the handler's own JSON 502 rather than API Gateway's bare 504. For a
model that needs up to 60 s: request a quota increase of "Maximum integration timeout in milliseconds" for REST APIs
(Service Quotas, API Gateway; regional and private APIs only) and set `timeout=Duration.seconds(65)`; or use
`/async-invocations`, which answers in milliseconds whatever the model's latency.

Cost: API Gateway REST requests ($3.50 per million in us-east-1), Lambda duration (512 MB by default, billed for the
whole model latency), CloudWatch Logs ingestion and storage (one access-log line and one function log line per
request), X-Ray traces beyond the free tier. Reserved concurrency costs nothing but caps the function for the account.

Logging needs API Gateway's account-level CloudWatch Logs role (set once per account and region; without it the
stage fails to deploy with "CloudWatch Logs role ARN must be set in account settings"). By default the construct
sets it (`set_account_logging_role=True`): one retained, least-privilege role per stack and an
AWS::ApiGateway::Account resource, instead of CDK's automatic role with a managed policy (the project turns that off,
`@aws-cdk/aws-apigateway:disableCloudWatchRole`). Pass False where the account setting is managed elsewhere.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Protocol, Sequence, runtime_checkable

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ..core._types import typed
from ..core._functions import project_function
from ..core._validation import PropErrors, acknowledge, is_token, nag_resource
from ..core.artifact_bucket import ArtifactBucket

STAGE_NAME = "prod"
API_GATEWAY_DEFAULT_TIMEOUT = Duration.seconds(29)
# The function's SageMaker client stops reading this long before the function times out, to answer a clean 502.
READ_TIMEOUT_MARGIN_SECONDS = 3
SYNC_PATH = "invocations"
ASYNC_PATH = "async-invocations"

Authorization = Literal["iam", "cognito", "api_key"]
_AUTHORIZATIONS = ("iam", "cognito", "api_key")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_WAF_ARN = re.compile(r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/.+$")
_TEXT_TYPES = ("application/json", "text/")


@runtime_checkable
class EndpointRef(Protocol):
    """What InvocationApi needs from an endpoint: a created RealtimeEndpoint or an imported one both fit."""

    @property
    def endpoint_name(self) -> str: ...

    @property
    def endpoint_arn(self) -> str: ...


class InvocationApi(Construct):
    """A REST API that invokes one SageMaker endpoint through a Lambda function.

    Args:
        endpoint: the endpoint to invoke (anything with `endpoint_name` and `endpoint_arn`).
        async_input_bucket: bucket holding inputs for asynchronous inference (an ArtifactBucket or any
            s3.IBucket). Default: the AsyncEndpoint's bucket in front of one; otherwise None, and no
            `/async-invocations` route. The endpoint must have an async inference config for the route to work.
        async_input_prefix: key prefix, inside `async_input_bucket`, that callers may name as input. Default: the
            AsyncEndpoint's input prefix in front of one, otherwise "async-input/". Must end with "/".
        authorization: "iam" (SigV4; grant callers with `grant_invoke`), "cognito" (a Cognito user pool
            authorizer on `user_pool`; callers send an ID token in `Authorization`) or "api_key" (an API key and a
            usage plan, `x-api-key` header; for machine clients outside AWS). Default: "iam".
        user_pool: the user pool for "cognito". Default: None (required with "cognito", refused otherwise).
        throttle_rate_limit: stage steady-state requests per second. Default: 20.
        throttle_burst_limit: stage burst. Default: 10, the default reserved concurrency, so that a burst never
            meets a throttled function.
        allowed_content_types: request content types passed to the model. Default: application/json, text/csv.
            Types that are neither JSON nor text are also registered as API binary media types.
        memory_size: function memory in MB. Default: 512 (the function waits on I/O; 512 MB buys a faster cold
            start and JSON parsing of large bodies than 128 MB for little more cost).
        timeout: function timeout, also the API Gateway integration timeout. Default: 29 s, API Gateway's default
            maximum. Above 29 s requires the quota increase described in the module docstring (a warning says so).
        reserved_concurrency: concurrent executions reserved for the function, which also caps them, 1-1000.
            Default: none (no reservation). Reserving takes the amount out of the account's
            unreserved pool, which Lambda keeps at 100 or more: on new accounts whose concurrency quota is 10
            or 50, any reservation fails the deploy. Set it where the quota allows, to guarantee and cap.
        log_retention: retention of the function and access log groups. Default: one year (a year of audit
            trail; lower it for high-volume development stacks).
        waf_web_acl_arn: a regional WAFv2 web ACL to associate with the stage. Default: None (no WAF; cdk-nag's
            AwsSolutions-APIG3 is acknowledged, with a warning annotation).
        encryption_key: KMS key for both log groups. Default: a new key with rotation enabled. The key's policy
            must allow the CloudWatch Logs service principal of the region; a key defined in the same app is
            granted that here.
        set_account_logging_role: set API Gateway's account-level CloudWatch Logs role, which access and execution
            logging need (see the module docstring). Default: True.
        sync_route: add `POST /invocations` (InvokeEndpoint). Default: True, and False in front of an
            `AsyncEndpoint`, which answers only InvokeEndpointAsync (True there raises a ValueError).

    In front of an `AsyncEndpoint`, `async_input_bucket` and `async_input_prefix` default to the endpoint's bucket
    and input prefix, so `InvocationApi(self, "Api", endpoint=async_endpoint)` serves `POST /async-invocations`.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: EndpointRef,
        async_input_bucket: ArtifactBucket | s3.IBucket | None = None,
        async_input_prefix: str | None = None,
        authorization: Authorization = "iam",
        user_pool: cognito.IUserPool | None = None,
        throttle_rate_limit: float = 20,
        throttle_burst_limit: int = 10,
        allowed_content_types: Sequence[str] = ("application/json", "text/csv"),
        memory_size: int = 512,
        timeout: Duration = API_GATEWAY_DEFAULT_TIMEOUT,
        reserved_concurrency: int | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        waf_web_acl_arn: str | None = None,
        encryption_key: kms.IKey | None = None,
        sync_route: bool | None = None,
        set_account_logging_role: bool = True,
    ) -> None:
        super().__init__(scope, id)
        from .async_endpoint import AsyncEndpoint

        if isinstance(endpoint, AsyncEndpoint):
            if sync_route:
                raise ValueError(
                    f"InvocationApi {id}: invalid props:\n  - sync_route (True) in front of AsyncEndpoint "
                    f"{endpoint.node.id!r}, which answers only InvokeEndpointAsync: a sync route would fail on every "
                    "request; drop sync_route (the API serves POST /async-invocations)"
                )
            sync_route = False
            async_input_bucket = async_input_bucket or endpoint.bucket.bucket
            if async_input_prefix is None:
                async_input_prefix = endpoint.input_prefix
        if isinstance(async_input_bucket, ArtifactBucket):
            async_input_bucket = async_input_bucket.bucket
        sync_route = True if sync_route is None else sync_route
        if async_input_prefix is None:
            async_input_prefix = "async-input/"
        if not sync_route and async_input_bucket is None:
            raise ValueError(
                "InvocationApi: invalid props:\n  - sync_route (False) without async_input_bucket leaves no route: "
                "keep sync_route=True, or pass async_input_bucket for /async-invocations"
            )
        self.sync_route = sync_route
        timeout_seconds = _validate(
            endpoint=endpoint,
            async_input_prefix=async_input_prefix,
            authorization=authorization,
            user_pool=user_pool,
            throttle_rate_limit=throttle_rate_limit,
            throttle_burst_limit=throttle_burst_limit,
            allowed_content_types=allowed_content_types,
            memory_size=memory_size,
            timeout=timeout,
            reserved_concurrency=reserved_concurrency,
            waf_web_acl_arn=waf_web_acl_arn,
        )
        self.endpoint = endpoint
        self.authorization = authorization
        self.async_input_bucket = async_input_bucket
        self.async_input_prefix = async_input_prefix
        content_types = [t.strip().lower() for t in allowed_content_types]

        if timeout_seconds is not None and timeout_seconds > API_GATEWAY_DEFAULT_TIMEOUT.to_seconds():
            Annotations.of(self).add_warning_v2(
                "sagemaker-cdk:integration-timeout-quota",
                f"timeout is {timeout_seconds:g} s: API Gateway REST integrations stop at 29 s unless the "
                "'Maximum integration timeout in milliseconds' quota is raised for this account and region",
            )
        if reserved_concurrency is not None and not is_token(throttle_burst_limit) and not is_token(reserved_concurrency):
            if throttle_burst_limit > reserved_concurrency:
                Annotations.of(self).add_warning_v2(
                    "sagemaker-cdk:burst-above-concurrency",
                    f"throttle_burst_limit ({throttle_burst_limit}) exceeds reserved_concurrency "
                    f"({reserved_concurrency}): bursts will be throttled by Lambda and answered 500 by API Gateway",
                )

        # ---------------------------------------------------------------------------------------- logs
        if encryption_key is None:
            encryption_key = kms.Key(
                self, "LogKey", description=f"Encrypts the logs of {self.node.path}", enable_key_rotation=True
            )
        self.encryption_key = encryption_key
        if isinstance(encryption_key, kms.Key):
            encryption_key.grant_encrypt_decrypt(
                iam.ServicePrincipal(f"logs.{Stack.of(self).region}.amazonaws.com")
            )
        self.function_log_group = logs.LogGroup(
            self, "FunctionLogs", retention=log_retention, encryption_key=encryption_key
        )
        self.access_log_group = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, encryption_key=encryption_key
        )
        self.log_groups = [self.function_log_group, self.access_log_group]

        # ---------------------------------------------------------------------------------------- function
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Invokes SageMaker endpoint {endpoint.endpoint_name} for the InvocationApi",
        )
        self.function_log_group.grant_write(self.role)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeOneEndpoint",
                actions=[
                    *(["sagemaker:InvokeEndpoint"] if sync_route else []),
                    *(["sagemaker:InvokeEndpointAsync"] if async_input_bucket is not None else []),
                ],
                resources=[endpoint.endpoint_arn],
            )
        )
        environment = {
            "ENDPOINT_NAME": endpoint.endpoint_name,
            "ALLOWED_CONTENT_TYPES": ",".join(content_types),
            "LOG_LEVEL": "INFO",
        }
        if timeout_seconds is not None:
            read_timeout = max(1, int(timeout_seconds) - READ_TIMEOUT_MARGIN_SECONDS)
            environment["SAGEMAKER_READ_TIMEOUT_SECONDS"] = str(read_timeout)
        if async_input_bucket is not None:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="ReadAsyncInputs",
                    actions=["s3:GetObject"],
                    resources=[async_input_bucket.arn_for_objects(f"{async_input_prefix}*")],
                )
            )
            if async_input_bucket.encryption_key is not None:
                async_input_bucket.encryption_key.grant_decrypt(self.role)
            environment["ASYNC_INPUT_BUCKET"] = async_input_bucket.bucket_name
            environment["ASYNC_INPUT_PREFIX"] = async_input_prefix

        self.function = project_function(
            self,
            "Function",
            package="invoke_endpoint",
            description=f"API Gateway -> SageMaker endpoint {endpoint.endpoint_name}",
            memory_size=memory_size,
            timeout=timeout,
            reserved_concurrency=reserved_concurrency,
            role=self.role,
            environment=environment,
            log_group=self.function_log_group,
        )

        # ---------------------------------------------------------------------------------------- API
        self.api = apigw.RestApi(
            self,
            "Api",
            description=f"Invokes SageMaker endpoint {endpoint.endpoint_name}",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            binary_media_types=[t for t in content_types if not t.startswith(_TEXT_TYPES)] or None,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                throttling_rate_limit=throttle_rate_limit,
                throttling_burst_limit=throttle_burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,  # request and response bodies are model inputs: keep them out of logs
                metrics_enabled=True,
                tracing_enabled=True,
            ),
        )
        self.stage = self.api.deployment_stage
        self.account_logging: apigw.CfnAccount | None = None
        if set_account_logging_role:
            self.account_logging = account_logging_role(self)
            self.stage.node.add_dependency(self.account_logging)
        self.validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        method_options = self._method_options(authorization, user_pool)
        integration = apigw.LambdaIntegration(self.function, timeout=timeout)

        self.sync_method: apigw.Method | None = None
        if sync_route:
            self.sync_method = self.api.root.add_resource(SYNC_PATH).add_method(
                "POST",
                integration,
                request_validator=self.validator,
                request_parameters={"method.request.header.Content-Type": True},
                request_models=self._sync_models(content_types),
                **method_options,
            )
        self.async_method: apigw.Method | None = None
        if async_input_bucket is not None:
            self.async_method = self.api.root.add_resource(ASYNC_PATH).add_method(
                "POST",
                integration,
                request_validator=self.validator,
                request_parameters={"method.request.header.Content-Type": True},
                request_models={"application/json": self._async_model()},
                **method_options,
            )

        self.usage_plan: apigw.UsagePlan | None = None
        self.api_key: apigw.IApiKey | None = None
        if authorization == "api_key":
            self.usage_plan = self.api.add_usage_plan(
                "UsagePlan",
                throttle=apigw.ThrottleSettings(rate_limit=throttle_rate_limit, burst_limit=throttle_burst_limit),
                api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.stage)],
            )
            self.api_key = self.api.add_api_key("ApiKey")
            self.usage_plan.add_api_key(self.api_key)

        self.web_acl_association: wafv2.CfnWebACLAssociation | None = None
        if waf_web_acl_arn is not None:
            self.web_acl_association = wafv2.CfnWebACLAssociation(
                self, "WebAclAssociation", resource_arn=self.stage.stage_arn, web_acl_arn=waf_web_acl_arn
            )

        self._acknowledge(authorization, waf=waf_web_acl_arn is not None)

    # ------------------------------------------------------------------------------------------------ public API

    @property
    def url(self) -> str:
        """The stage URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod/ (ends with a slash)."""
        return self.api.url

    @property
    def invocations_url(self) -> str:
        """URL of `POST /invocations`."""
        return self.api.url_for_path(f"/{SYNC_PATH}")

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow `grantee` to call this API's routes (execute-api:Invoke, POST on the deployed stage only).

        Only meaningful with authorization="iam"; the other modes authenticate callers by token or key.
        """
        paths = [f"/{path}" for path, method in ((SYNC_PATH, self.sync_method), (ASYNC_PATH, self.async_method))
                 if method is not None]
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[self.api.arn_for_execute_api("POST", path, STAGE_NAME) for path in paths],
        )

    def metric_5xx(self, **props: Any) -> cloudwatch.Metric:
        """API 5XXError: count of server-side errors (model failures, throttling). Default: Sum over 5 minutes."""
        return self.api.metric_server_error(**_metric_props(props, "Sum"))

    def metric_4xx(self, **props: Any) -> cloudwatch.Metric:
        """API 4XXError: count of rejected requests (auth, validation, 413/415). Default: Sum over 5 minutes."""
        return self.api.metric_client_error(**_metric_props(props, "Sum"))

    def metric_count(self, **props: Any) -> cloudwatch.Metric:
        """API Count: requests received. Default: Sum over 5 minutes."""
        return self.api.metric_count(**_metric_props(props, "Sum"))

    def metric_latency(self, **props: Any) -> cloudwatch.Metric:
        """API Latency in ms, request received to response sent. Default: p99 over 5 minutes."""
        return self.api.metric_latency(**_metric_props(props, "p99"))

    def metric_integration_latency(self, **props: Any) -> cloudwatch.Metric:
        """API IntegrationLatency in ms (the function, including the model). Default: p99 over 5 minutes."""
        return self.api.metric_integration_latency(**_metric_props(props, "p99"))

    def metric_function_throttles(self, **props: Any) -> cloudwatch.Metric:
        """Lambda Throttles: invocations refused by reserved concurrency. Default: Sum over 5 minutes."""
        return self.function.metric_throttles(**_metric_props(props, "Sum"))

    # ------------------------------------------------------------------------------------------------ internals

    def _method_options(self, authorization: str, user_pool: cognito.IUserPool | None) -> dict[str, Any]:
        if authorization == "cognito":
            assert user_pool is not None  # checked by _validate
            self.authorizer: apigw.IAuthorizer | None = apigw.CognitoUserPoolsAuthorizer(
                self, "Authorizer", cognito_user_pools=[user_pool]
            )
            return {"authorization_type": apigw.AuthorizationType.COGNITO, "authorizer": self.authorizer}
        self.authorizer = None
        if authorization == "api_key":
            return {"authorization_type": apigw.AuthorizationType.NONE, "api_key_required": True}
        return {"authorization_type": apigw.AuthorizationType.IAM}

    def _sync_models(self, content_types: list[str]) -> dict[str, apigw.IModel]:
        if "application/json" not in content_types:
            return {}
        model = self.api.add_model(
            "JsonPayload",
            content_type="application/json",
            description="Any JSON document: the model container defines the payload",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4,
                title="JsonPayload",
                type=[
                    apigw.JsonSchemaType.OBJECT,
                    apigw.JsonSchemaType.ARRAY,
                    apigw.JsonSchemaType.STRING,
                    apigw.JsonSchemaType.NUMBER,
                    apigw.JsonSchemaType.BOOLEAN,
                ],
            ),
        )
        return {"application/json": model}

    def _async_model(self) -> apigw.IModel:
        return self.api.add_model(
            "AsyncRequest",
            content_type="application/json",
            description="Asynchronous inference request: where the input already is in S3",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4,
                title="AsyncRequest",
                type=apigw.JsonSchemaType.OBJECT,
                required=["input_location"],
                properties={
                    "input_location": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, min_length=1, max_length=1024),
                    "content_type": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, max_length=1024),
                    "accept": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, max_length=1024),
                    "inference_id": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, max_length=64),
                    "request_ttl_seconds": apigw.JsonSchema(type=apigw.JsonSchemaType.INTEGER, minimum=60),
                    "invocation_timeout_seconds": apigw.JsonSchema(type=apigw.JsonSchemaType.INTEGER, minimum=1),
                },
                additional_properties=False,
            ),
        )

    def _acknowledge(self, authorization: str, *, waf: bool) -> None:
        """Acknowledge the cdk-nag findings this design accepts, each on the construct that raises it."""
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support "
            "no resource-level permissions; every other statement of this role names one resource",
        )
        if self.async_input_bucket is not None:
            inputs = self.async_input_bucket.arn_for_objects(f"{self.async_input_prefix}*")
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, inputs)}]",
                "s3:GetObject is limited to the async input prefix (async_input_prefix): callers may only name "
                "inputs under it, and the object keys are not known in advance",
            )
        for finding in ("Serverless-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(
                self.function,
                finding,
                "invoked synchronously by API Gateway only: every failure reaches the caller as an HTTP error, so "
                "there is no asynchronous event for a dead-letter queue to keep",
            )
        methods = [m for m in (self.sync_method, self.async_method) if m is not None]
        if authorization != "cognito":
            for method in methods:
                acknowledge(
                    method,
                    "AwsSolutions-COG4",
                    f"authorization={authorization!r} was chosen: "
                    + (
                        "callers sign requests with SigV4 and need execute-api:Invoke (grant_invoke); Cognito "
                        "suits end users, this API serves AWS principals"
                        if authorization == "iam"
                        else "machine clients outside AWS authenticate with an API key tied to a throttled usage plan"
                    ),
                )
        if authorization == "api_key":
            for method in methods:
                acknowledge(
                    method,
                    "AwsSolutions-APIG4",
                    "authorization='api_key' was chosen: every method requires an API key (api_key_required) "
                    "bound to a throttled usage plan instead of an authorizer",
                )
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(
                self.function,
                f"{pack}-LambdaInsideVPC",
                "the function calls only the SageMaker runtime API and holds no data; a VPC placement would add a "
                "runtime interface endpoint and ENI cold starts without narrowing what the function can reach",
            )
            acknowledge(
                self.stage,
                f"{pack}-APIGWCacheEnabledAndEncrypted",
                "inference requests are POSTs whose answers depend on the model version and body: caching them "
                "would serve stale or wrong predictions, so the stage cache stays off",
            )
            acknowledge(
                self.stage,
                f"{pack}-APIGWSSLEnabled",
                "the integration is a Lambda proxy, not an HTTP backend: there is no backend TLS connection for "
                "an API Gateway client certificate to authenticate",
            )
        if not waf:
            for finding in ("AwsSolutions-APIG3", "HIPAA.Security-APIGWAssociatedWithWAF",
                            "NIST.800.53.R5-APIGWAssociatedWithWAF"):
                acknowledge(
                    self.stage,
                    finding,
                    "no waf_web_acl_arn was given: the API is not public-anonymous (authorization is "
                    f"{authorization!r}) and stage throttling bounds the load; pass waf_web_acl_arn to associate a "
                    "regional web ACL",
                )


def _metric_props(props: dict[str, Any], statistic: str) -> dict[str, Any]:
    return {"statistic": statistic, "period": Duration.minutes(5), **props}


def _validate(
    *,
    endpoint: Any,
    async_input_prefix: Any,
    authorization: Any,
    user_pool: Any,
    throttle_rate_limit: Any,
    throttle_burst_limit: Any,
    allowed_content_types: Any,
    memory_size: Any,
    timeout: Any,
    reserved_concurrency: Any,
    waf_web_acl_arn: Any,
) -> float | None:
    """Check every prop, raise once; return the timeout in seconds (None when it is a token)."""
    errors = PropErrors("InvocationApi")
    if not isinstance(getattr(endpoint, "endpoint_name", None), str) or not isinstance(
        getattr(endpoint, "endpoint_arn", None), str
    ):
        errors.add(
            f"endpoint ({endpoint!r}) must have string endpoint_name and endpoint_arn: pass a RealtimeEndpoint "
            "or an object with both attributes",
            type_error=True,
        )
    if authorization not in _AUTHORIZATIONS:
        errors.add(f"authorization ({authorization!r}) is not supported: use one of 'iam', 'cognito', 'api_key'")
    elif authorization == "cognito" and user_pool is None:
        errors.add("authorization ('cognito') needs a user pool: pass user_pool=<cognito.IUserPool>")
    elif authorization != "cognito" and user_pool is not None:
        errors.add(f"user_pool is only used with authorization='cognito' (got {authorization!r}): drop user_pool")

    if not is_token(async_input_prefix):
        if not isinstance(async_input_prefix, str):
            errors.add(f"async_input_prefix must be a string, got {async_input_prefix!r}", type_error=True)
        elif not async_input_prefix or async_input_prefix.startswith("/") or not async_input_prefix.endswith("/"):
            errors.add(
                f"async_input_prefix ({async_input_prefix!r}) must be a non-empty key prefix without a leading "
                "'/' and ending with '/': e.g. 'async-input/'"
            )

    errors.number_in_range("throttle_rate_limit", throttle_rate_limit, 0.001, 10_000)
    errors.number_in_range("throttle_burst_limit", throttle_burst_limit, 0, 5_000, integer=True)
    errors.number_in_range("memory_size", memory_size, 128, 10_240, integer=True)
    if reserved_concurrency is not None:
        errors.number_in_range("reserved_concurrency", reserved_concurrency, 1, 1_000, integer=True)

    if isinstance(allowed_content_types, str) or not isinstance(allowed_content_types, (list, tuple)):
        errors.add(
            f"allowed_content_types must be a list of media types, got {allowed_content_types!r}: "
            "e.g. ['application/json', 'text/csv']",
            type_error=True,
        )
    elif not allowed_content_types:
        errors.add("allowed_content_types is empty: allow at least one media type, e.g. ['application/json']")
    else:
        for content_type in allowed_content_types:
            if is_token(content_type):
                continue
            if not isinstance(content_type, str) or not _MEDIA_TYPE.match(content_type.strip().lower()):
                errors.add(
                    f"allowed_content_types has {content_type!r}, not a media type: use 'type/subtype' "
                    "without parameters, e.g. 'text/csv'"
                )

    timeout_seconds: float | None = None
    if not isinstance(timeout, Duration):
        errors.add(f"timeout must be a Duration, got {timeout!r}: e.g. Duration.seconds(29)", type_error=True)
    else:
        try:
            timeout_seconds = timeout.to_seconds()
        except Exception:  # noqa: BLE001 - a Duration built from a token cannot be converted: skip the check
            timeout_seconds = None
        if timeout_seconds is not None and not 5 <= timeout_seconds <= 900:
            errors.add(
                f"timeout ({timeout_seconds:g} s) must be between 5 and 900 seconds: the function needs a few "
                "seconds to call SageMaker; use Duration.seconds(29) behind API Gateway's default limit"
            )

    if waf_web_acl_arn is not None and not is_token(waf_web_acl_arn):
        if not isinstance(waf_web_acl_arn, str) or not _WAF_ARN.match(waf_web_acl_arn):
            errors.add(
                f"waf_web_acl_arn ({waf_web_acl_arn!r}) is not a regional WAFv2 web ACL ARN: use "
                "arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id> (CLOUDFRONT-scope ACLs cannot "
                "protect a regional API)"
            )
    errors.raise_if_any()
    return timeout_seconds


ACCOUNT_LOGGING_ID = "ApiGatewayAccountLogging"


def account_logging_role(scope: Construct) -> apigw.CfnAccount:
    """The stack's AWS::ApiGateway::Account with a least-privilege CloudWatch Logs role (created once per stack).

    The role is retained on stack deletion: the account setting outlives the stack and other APIs keep logging.
    """
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(ACCOUNT_LOGGING_ID)
    if existing is not None:
        return existing.node.find_child("Account")  # type: ignore[return-value]
    holder = Construct(stack, ACCOUNT_LOGGING_ID)
    log_groups = stack.format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    role = iam.Role(
        holder,
        "Role",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="API Gateway account-level role: writes access and execution logs to CloudWatch Logs",
    )
    # A customer-managed policy (HIPAA/NIST IAMNoInlinePolicy), retained with the role so that logging keeps working.
    policy = iam.ManagedPolicy(
        role,
        "CloudWatchLogs",
        description="API Gateway account-level logging: CloudWatch Logs writes",
        roles=[role],
        document=iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                        "logs:GetLogEvents",
                        "logs:FilterLogEvents",
                    ],
                    resources=[log_groups],
                ),
                # DescribeLogGroups has no resource type (Service Authorization Reference, CloudWatch Logs):
                # it matches only Resource "*", so next to a log-group ARN it would never be granted.
                iam.PolicyStatement(actions=["logs:DescribeLogGroups"], resources=["*"]),
            ]
        ),
    )
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    policy.apply_removal_policy(RemovalPolicy.RETAIN)
    acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::{nag_resource(stack, log_groups)}]",
        "API Gateway writes execution logs to log groups it names after each API and stage "
        "(API-Gateway-Execution-Logs_<id>/<stage>), across every API of the account and region.",
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "logs:DescribeLogGroups supports no resource-level permissions (Service Authorization Reference, "
        "CloudWatch Logs): it is granted on '*' or not at all, and it only lists log group names.",
    )
    account = apigw.CfnAccount(holder, "Account", cloud_watch_role_arn=role.role_arn)
    account.node.add_dependency(role)  # and its policy, a child of the role
    return account

