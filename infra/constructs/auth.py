"""The Cognito user pools: shoppers register themselves, staff are created by administrators.

Two pools, because what protects them differs: the shoppers' pool (group ``customers``) has self sign-up
and optional TOTP; the staff pool (``agents``, ``merchandisers``, ``ops``) has no self sign-up, so nobody
can make themselves staff, and requires TOTP in production. API Gateway's Cognito authorizer trusts both
and ``shop_kernel.auth`` reads ``cognito:groups`` from the claims.

A B2B shopper's negotiated prices follow the ``custom:price_group`` claim of their ID token, which the pool's
pre-token-generation trigger (``customers-token-claims``) sets from the group staff set in the customers
context, and suppresses when there is none; the user pool attribute of that name decides nothing. The app
clients may read the attribute but not write it (a client's default is to write every attribute). The
post-confirmation trigger (``customers-registration``) puts a shopper who confirmed their sign-up in
``customers``. Both are named by the ARN their fixed names give (``_wire_triggers``).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.resources import FUNCTIONS, SHOPPER_GROUPS, STAFF_GROUPS, FunctionSpec, physical_name
from infra.stages import StageConfig

_GROUP_DESCRIPTIONS = {
    "customers": "Shoppers with an account: their orders, returns, loyalty",
    "agents": "Call-center agents acting for customers",
    "merchandisers": "Catalog and pricing administration",
    "ops": "Operations: fulfilment, inventory, refunds",
}
PRICE_GROUP_ATTRIBUTE = "price_group"  # the token claim is custom:price_group (shop_kernel.auth)


class ShopUserPool(Construct):
    """``user_pool`` and ``client`` for shoppers, ``staff_pool`` and ``staff_client``, ``groups[name]``."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = _pool(
            self,
            "UserPool",
            stage,
            name="users",
            self_sign_up=True,
            mfa=cognito.Mfa.OPTIONAL,
            custom_attributes={PRICE_GROUP_ATTRIBUTE: cognito.StringAttribute(max_len=64, mutable=True)},
        )
        _wire_triggers(self.user_pool, stage)
        self.staff_pool = _pool(
            self,
            "StaffPool",
            stage,
            name="staff",
            self_sign_up=False,
            mfa=cognito.Mfa.REQUIRED if stage.is_production else cognito.Mfa.OPTIONAL,
        )
        readable = cognito.ClientAttributes().with_standard_attributes(
            email=True, email_verified=True, fullname=True, phone_number=True
        )
        self.client = _client(
            self.user_pool,
            "StorefrontClient",
            physical_name(stage.name, "web"),
            read=readable.with_custom_attributes(PRICE_GROUP_ATTRIBUTE),
        )
        self.staff_client = _client(
            self.staff_pool, "StaffClient", physical_name(stage.name, "staff-web"), read=readable
        )
        self.groups = {
            **{name: _group(self, self.user_pool, name) for name in SHOPPER_GROUPS},
            **{name: _group(self, self.staff_pool, name) for name in STAFF_GROUPS},
        }
        self._acknowledge_findings(stage)

    @property
    def pools(self) -> list[cognito.IUserPool]:
        return [self.user_pool, self.staff_pool]

    def _acknowledge_findings(self, stage: StageConfig) -> None:
        acknowledge(
            self.user_pool.node.default_child,
            "COG2",
            "Shoppers' MFA is optional (TOTP) so that they can register and check out without friction; "
            "staff sign in through the staff pool, which requires MFA in production.",
        )
        if not stage.is_production:
            acknowledge(
                self.staff_pool.node.default_child,
                "COG2",
                f"The {stage.name} staff pool holds test accounts only; production requires MFA.",
            )
        if not stage.threat_protection:
            reason = (
                f"Threat protection (Cognito Plus plan, billed per active user) is enabled in production "
                f"only; the {stage.name} pools hold test accounts."
            )
            for pool in self.pools:
                acknowledge(pool.node.default_child, "COG3", reason)
                acknowledge(pool.node.default_child, "COG8", reason)


def _pool(
    scope: Construct,
    construct_id: str,
    stage: StageConfig,
    *,
    name: str,
    self_sign_up: bool,
    mfa: cognito.Mfa,
    custom_attributes: dict[str, cognito.ICustomAttribute] | None = None,
) -> cognito.UserPool:
    return cognito.UserPool(
        scope,
        construct_id,
        user_pool_name=physical_name(stage.name, name),
        self_sign_up_enabled=self_sign_up,
        sign_in_aliases=cognito.SignInAliases(email=True),
        auto_verify=cognito.AutoVerifiedAttrs(email=True),
        sign_in_case_sensitive=False,
        custom_attributes=custom_attributes,
        password_policy=cognito.PasswordPolicy(
            min_length=12,
            require_lowercase=True,
            require_uppercase=True,
            require_digits=True,
            require_symbols=True,
            temp_password_validity=Duration.days(3),
        ),
        mfa=mfa,
        mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        # Plus is the plan with threat protection (adaptive authentication, compromised passwords).
        feature_plan=cognito.FeaturePlan.PLUS if stage.threat_protection else cognito.FeaturePlan.ESSENTIALS,
        standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION
        if stage.threat_protection
        else None,
        deletion_protection=stage.is_production,
        removal_policy=stage.removal_policy,
    )


def _wire_triggers(pool: cognito.UserPool, stage: StageConfig) -> None:
    """The shoppers' pool's Lambda triggers (``FunctionSpec.user_pool_trigger``), named by the ARN the
    functions' fixed names give: the functions live in their context's stack, deployed after this one, and
    grant ``cognito-idp.amazonaws.com`` the invoke themselves (``ServiceFunction``). No reference, no cycle.
    Pre-token generation is the V1 event (ID token claims), which every feature plan offers."""
    triggers: dict[str, FunctionSpec] = {}
    for spec in FUNCTIONS:
        if spec.user_pool_trigger is not None:
            if spec.user_pool_trigger.trigger in triggers:
                raise ValueError(f"two functions are the pool's {spec.user_pool_trigger.trigger} trigger")
            triggers[spec.user_pool_trigger.trigger] = spec
    if not triggers:
        return

    def arn(spec: FunctionSpec) -> str:
        return Stack.of(pool).format_arn(
            service="lambda",
            resource="function",
            resource_name=physical_name(stage.name, spec.name),
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    post_confirmation = triggers.get("PostConfirmation")
    pre_token = triggers.get("PreTokenGeneration")
    cfn_pool = pool.node.default_child
    assert isinstance(cfn_pool, cognito.CfnUserPool)
    cfn_pool.lambda_config = cognito.CfnUserPool.LambdaConfigProperty(
        post_confirmation=arn(post_confirmation) if post_confirmation else None,
        pre_token_generation_config=cognito.CfnUserPool.PreTokenGenerationConfigProperty(
            lambda_arn=arn(pre_token), lambda_version="V1_0"
        )
        if pre_token
        else None,
    )


def _client(
    pool: cognito.UserPool, construct_id: str, name: str, *, read: cognito.ClientAttributes
) -> cognito.UserPoolClient:
    return pool.add_client(
        construct_id,
        user_pool_client_name=name,
        # A browser cannot keep a client secret; SRP never sends the password.
        generate_secret=False,
        auth_flows=cognito.AuthFlow(user_srp=True),
        disable_o_auth=True,
        prevent_user_existence_errors=True,
        enable_token_revocation=True,
        access_token_validity=Duration.hours(1),
        id_token_validity=Duration.hours(1),
        refresh_token_validity=Duration.days(30),
        read_attributes=read,
        # Users may edit their own contact details, never an attribute that decides what they pay.
        write_attributes=cognito.ClientAttributes().with_standard_attributes(
            email=True, fullname=True, phone_number=True
        ),
    )


def _group(scope: Construct, pool: cognito.UserPool, name: str) -> cognito.UserPoolGroup:
    return cognito.UserPoolGroup(
        scope,
        f"{name.title()}Group",
        user_pool=pool,
        group_name=name,
        description=_GROUP_DESCRIPTIONS.get(name, name),
    )
