"""The REST API: one ``/<prefix>`` + ``/<prefix>/{proxy+}`` pair per ``ApiRoute``, proxied to its function.

Routes marked ``authorized`` sit behind the Cognito user-pools authorizer (API Gateway validates the
token; the function checks the caller's groups with ``shop_kernel.auth.require``). The stage is
throttled, traced with X-Ray and access-logged as JSON. API Gateway's own errors (bad token, throttling,
unknown route, oversized body, integration failure) are answered as ``application/problem+json`` in the
same shape as the functions' errors, so clients parse one error format.

The API is deployed before the functions' stacks and names each function by ARN; it creates no invoke
permission. Each function grants API Gateway those itself, from ``invoke_source_arns``: one per route path,
any method, this API's stage only (the scope CDK gives a method's own permission).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.resources import API_ROUTES, API_THROTTLE_BURST, API_THROTTLE_RATE, APP, ApiRoute, physical_name
from infra.stages import StageConfig

PROBLEM_BASE = "https://problems.shop.example/"  # the same base as shop_kernel.errors.PROBLEM_BASE
PROBLEM_JSON = "application/problem+json"
# The same lists as shop_kernel.cors (a test holds them equal): what a storefront on another origin may
# send (X-Cart-Token for guest carts and checkout) and read from an answer.
ALLOWED_HEADERS = [
    "Accept-Language",
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Cart-Token",
    "X-Correlation-Id",
]
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "X-Cart-Token",
    "X-Request-Id",
    "Retry-After",
    "Idempotent-Replayed",
    "Content-Language",
]
# API Gateway's own answers cannot set X-Request-Id; they carry request_id in the body and API Gateway's
# x-amzn-RequestId header (the same id), which scripts may read too.
GATEWAY_EXPOSED_HEADERS = [*EXPOSED_HEADERS, "x-amzn-RequestId"]
RETRY_AFTER_S = 1
# WAF rate rules count requests per client address over a sliding window (60-600 s).
WAF_RATE_WINDOW_S = 300
WAF_RATE_PER_IP = 2000
WAF_CHECKOUT_RATE_PER_IP = 100  # checkouts and code entries per address per window
_TOO_MANY_BODY = "too-many-requests"


@dataclass(frozen=True)
class GatewayProblem:
    name: str  # the ResponseType's name; also the construct id
    response_type: apigw.ResponseType
    status: int
    slug: str
    title: str


# Statuses follow the kernel's error types; every type API Gateway can emit is listed so that none
# falls back to its default {"message": ...} body.
GATEWAY_PROBLEMS: tuple[GatewayProblem, ...] = (
    GatewayProblem(
        "UNAUTHORIZED", apigw.ResponseType.UNAUTHORIZED, 401, "unauthorized", "Authentication required"
    ),
    GatewayProblem(
        "EXPIRED_TOKEN", apigw.ResponseType.EXPIRED_TOKEN, 401, "unauthorized", "Authentication required"
    ),
    GatewayProblem("ACCESS_DENIED", apigw.ResponseType.ACCESS_DENIED, 403, "forbidden", "Not allowed"),
    GatewayProblem("INVALID_API_KEY", apigw.ResponseType.INVALID_API_KEY, 403, "forbidden", "Not allowed"),
    GatewayProblem(
        "INVALID_SIGNATURE", apigw.ResponseType.INVALID_SIGNATURE, 403, "forbidden", "Not allowed"
    ),
    GatewayProblem("WAF_FILTERED", apigw.ResponseType.WAF_FILTERED, 403, "forbidden", "Not allowed"),
    # API Gateway answers an unknown path with "Missing Authentication Token"; to a client it is a 404.
    GatewayProblem(
        "MISSING_AUTHENTICATION_TOKEN",
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        404,
        "not-found",
        "Not found",
    ),
    GatewayProblem(
        "RESOURCE_NOT_FOUND", apigw.ResponseType.RESOURCE_NOT_FOUND, 404, "not-found", "Not found"
    ),
    GatewayProblem(
        "BAD_REQUEST_PARAMETERS",
        apigw.ResponseType.BAD_REQUEST_PARAMETERS,
        400,
        "malformed-request",
        "The request could not be read",
    ),
    GatewayProblem(
        "BAD_REQUEST_BODY",
        apigw.ResponseType.BAD_REQUEST_BODY,
        400,
        "malformed-request",
        "The request could not be read",
    ),
    GatewayProblem(
        "REQUEST_TOO_LARGE",
        apigw.ResponseType.REQUEST_TOO_LARGE,
        413,
        "payload-too-large",
        "The request body is too large",
    ),
    GatewayProblem(
        "UNSUPPORTED_MEDIA_TYPE",
        apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
        415,
        "unsupported-media-type",
        "Unsupported media type",
    ),
    GatewayProblem("THROTTLED", apigw.ResponseType.THROTTLED, 429, "too-many-requests", "Too many requests"),
    GatewayProblem(
        "QUOTA_EXCEEDED", apigw.ResponseType.QUOTA_EXCEEDED, 429, "too-many-requests", "Too many requests"
    ),
    GatewayProblem("DEFAULT_4_XX", apigw.ResponseType.DEFAULT_4_XX, 400, "bad-request", "Bad request"),
    GatewayProblem(
        "INTEGRATION_TIMEOUT",
        apigw.ResponseType.INTEGRATION_TIMEOUT,
        504,
        "timeout",
        "The service took too long to answer",
    ),
    GatewayProblem(
        "INTEGRATION_FAILURE",
        apigw.ResponseType.INTEGRATION_FAILURE,
        503,
        "dependency-unavailable",
        "A service we depend on is unavailable",
    ),
    GatewayProblem(
        "DEFAULT_5_XX",
        apigw.ResponseType.DEFAULT_5_XX,
        503,
        "dependency-unavailable",
        "A service we depend on is unavailable",
    ),
)

ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "user": "$context.authorizer.claims.sub",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "errorType": "$context.error.responseType",
    "errorMessage": "$context.error.message",
    "wafStatus": "$context.waf.status",
    "xrayTraceId": "$context.xrayTraceId",
}


def problem_template(problem: GatewayProblem) -> str:
    """The mapping template of one gateway response (``messageString`` is already a quoted string).

    ``request_id`` as in the functions' problems (``shop_kernel.openapi.Problem``).
    """
    return (
        f'{{"type":"{PROBLEM_BASE}{problem.slug}","title":"{problem.title}","status":{problem.status},'
        '"detail":$context.error.messageString,"request_id":"$context.requestId"}'
    )


def gateway_cors_headers(origins: tuple[str, ...]) -> dict[str, str]:
    """CORS response parameters of a gateway response, so a storefront can read API Gateway's errors.

    One origin is a static header. With several, the request's Origin is echoed: a gateway response
    holds no data of ours (a problem type, API Gateway's message, the request id), and the functions'
    answers, which do, check the origin against the list themselves.
    """
    if not origins:
        return {}
    allow = f"'{origins[0]}'" if len(origins) == 1 else "method.request.header.Origin"
    return {
        "Access-Control-Allow-Origin": allow,
        "Access-Control-Expose-Headers": "'" + ", ".join(GATEWAY_EXPOSED_HEADERS) + "'",
        "Vary": "'Origin'",
    }


class ShopApi(Construct):
    """``api`` (the RestApi), ``authorizer`` and ``methods[(prefix, path)]`` for tests and monitoring."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        user_pools: Sequence[cognito.IUserPool],
        functions: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/{APP}/{stage.name}/api-access",
            retention=stage.log_retention,
            removal_policy=stage.removal_policy,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=physical_name(stage.name, "api"),
            description="Shop commerce backend: catalog, search, carts, checkout, orders, returns, loyalty",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,  # API Gateway needs an account-level role to write execution logs
            deploy_options=self._stage_options(stage),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=list(stage.cors_allow_origins),
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=ALLOWED_HEADERS,
                expose_headers=EXPOSED_HEADERS,
                max_age=Duration.hours(1),
            )
            if stage.cors_allow_origins
            else None,
        )
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=list(user_pools),
            authorizer_name=physical_name(stage.name, "cognito"),
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        self.validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        integrations: dict[str, apigw.LambdaIntegration] = {}
        for route in API_ROUTES:
            if route.function not in integrations:
                integrations[route.function] = apigw.LambdaIntegration(
                    functions[route.function], proxy=True, allow_test_invoke=False
                )
            self._add_route(route, integrations[route.function])
        self._add_gateway_responses(stage)
        self._acknowledge_findings()
        self._protect_with_waf(stage)

    def invoke_source_arns(self, function: str) -> dict[str, str]:
        """The execute-api ARNs spec ``function`` is invoked from, by construct id: its routes, both paths."""
        arns: dict[str, str] = {}
        for route in API_ROUTES:
            if route.function != function:
                continue
            name = "".join(part.title() for part in route.prefix.replace("/", "-").split("-"))
            for suffix, path in (("", f"/{route.prefix}"), ("Proxy", f"/{route.prefix}/*")):
                arns[f"ApiInvoke{name}{suffix}"] = self.api.arn_for_execute_api("*", path, self.stage.name)
        return arns

    def _stage_options(self, stage: StageConfig) -> apigw.StageOptions:
        return apigw.StageOptions(
            stage_name=stage.name,
            tracing_enabled=True,
            metrics_enabled=True,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            # Full request/response logging would copy tokens and personal data into the logs.
            data_trace_enabled=False,
            throttling_rate_limit=API_THROTTLE_RATE,
            throttling_burst_limit=API_THROTTLE_BURST,
            method_options={
                f"/{route.prefix}/{path}ANY": apigw.MethodDeploymentOptions(
                    throttling_rate_limit=route.throttle[0], throttling_burst_limit=route.throttle[1]
                )
                for route in API_ROUTES
                if route.throttle
                for path in ("", "{proxy+}/")
            },
            access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
            access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
        )

    def _add_route(self, route: ApiRoute, integration: apigw.LambdaIntegration) -> None:
        resource = self.api.root.resource_for_path(route.prefix)
        proxy = resource.add_resource("{proxy+}")
        authorizer = self.authorizer if route.authorized else None
        authorization = apigw.AuthorizationType.COGNITO if route.authorized else apigw.AuthorizationType.NONE
        self.methods[(route.prefix, "")] = resource.add_method(
            "ANY",
            integration,
            request_validator=self.validator,
            authorization_type=authorization,
            authorizer=authorizer,
        )
        self.methods[(route.prefix, "{proxy+}")] = proxy.add_method(
            "ANY",
            integration,
            request_validator=self.validator,
            request_parameters={"method.request.path.proxy": True},
            authorization_type=authorization,
            authorizer=authorizer,
        )
        if not route.authorized:
            for path in ("", "{proxy+}"):
                method = self.methods[(route.prefix, path)]
                reason = (
                    f"/{route.prefix} is public by design (storefront browsing without an account); "
                    "writes and personal data live under authorized prefixes."
                )
                acknowledge(method.node.default_child, "APIG4", reason)
                acknowledge(method.node.default_child, "COG4", reason)

    def _add_gateway_responses(self, stage: StageConfig) -> None:
        for problem in GATEWAY_PROBLEMS:
            headers = {"Content-Type": f"'{PROBLEM_JSON}'", "Cache-Control": "'no-store'"}
            if problem.status == 401:
                headers["WWW-Authenticate"] = "'Bearer'"
            if problem.status in (429, 503, 504):
                headers["Retry-After"] = f"'{RETRY_AFTER_S}'"
            headers.update(gateway_cors_headers(stage.cors_allow_origins))
            template = problem_template(problem)
            self.api.add_gateway_response(
                problem.name.title().replace("_", ""),
                type=problem.response_type,
                status_code=str(problem.status),
                response_headers=headers,
                # API Gateway picks the template by the client's Accept header, falling back to
                # application/json; both keys carry the same problem document.
                templates={"application/json": template, PROBLEM_JSON: template},
            )

    def _acknowledge_findings(self) -> None:
        acknowledge(
            self.api.node.find_child("CloudWatchRole"),
            "IAM4",
            "The account-level API Gateway logging role uses the AWS managed policy made for exactly "
            "this purpose (create and write CloudWatch log groups for any API in the account).",
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        )
        for child in self.api.node.find_all():
            if isinstance(child, apigw.Method) and child.http_method == "OPTIONS":
                reason = (
                    "CORS preflight requests carry no credentials by specification; the mock answers them."
                )
                acknowledge(child.node.default_child, "APIG4", reason)
                acknowledge(child.node.default_child, "COG4", reason)

    def _protect_with_waf(self, stage: StageConfig) -> None:
        # Per-IP rate rules protect every cloud stage (a dev API is as easy to flood as prod's); the
        # managed rule groups, billed per request, follow the stage's ``waf`` setting.
        managed = (
            [
                _managed_rule(
                    "AWSManagedRulesCommonRuleSet",
                    0,
                    # Catalog imports post bodies far over the rule set's 8 KB; the API and the kernel
                    # enforce their own size limits.
                    count_only=("SizeRestrictions_BODY",),
                ),
                _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 1),
            ]
            if stage.waf
            else []
        )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=physical_name(stage.name, "api"),
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(physical_name(stage.name, "api")),
            rules=[
                *managed,
                _rate_rule("rate-limit-per-ip", 2, WAF_RATE_PER_IP),
                # Each checkout holds stock and opens a PaymentIntent, and each code entry is a guess at a
                # promo code or certificate: far fewer per address than reads.
                _rate_rule(
                    "rate-limit-checkout-per-ip",
                    3,
                    WAF_CHECKOUT_RATE_PER_IP,
                    scope_down=_posts_under(("/checkout", "/promo-codes", "/gift-certificates")),
                ),
            ],
            custom_response_bodies={
                _TOO_MANY_BODY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(
                        {
                            "type": f"{PROBLEM_BASE}too-many-requests",
                            "title": "Too many requests",
                            "status": 429,
                            "detail": "this address sent too many requests; retry after the Retry-After seconds",
                        }
                    ),
                )
            },
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )


def _rate_rule(
    name: str, priority: int, limit: int, scope_down: wafv2.CfnWebACL.StatementProperty | None = None
) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        # A 429 problem with Retry-After, like the API's own limits, instead of WAF's bare 403.
        action=wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                    response_code=429,
                    custom_response_body_key=_TOO_MANY_BODY,
                    response_headers=[
                        wafv2.CfnWebACL.CustomHTTPHeaderProperty(
                            name="Retry-After", value=str(WAF_RATE_WINDOW_S)
                        )
                    ],
                )
            )
        ),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=limit,
                aggregate_key_type="IP",
                evaluation_window_sec=WAF_RATE_WINDOW_S,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=_visibility(name),
    )


def _posts_under(prefixes: Sequence[str]) -> wafv2.CfnWebACL.StatementProperty:
    """POST requests whose path starts with one of ``prefixes`` (the stage name is not in the URI WAF sees)."""
    paths = [
        wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="CONTAINS",
                search_string=prefix,
                text_transformations=[
                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")
                ],
            )
        )
        for prefix in prefixes
    ]
    method = wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY",
            search_string="POST",
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    path = (
        wafv2.CfnWebACL.StatementProperty(or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=paths))
        if len(paths) > 1
        else paths[0]
    )
    return wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[method, path])
    )


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _managed_rule(name: str, priority: int, count_only: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in count_only
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )
