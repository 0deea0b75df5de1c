"""The Cognito user pool: shoppers and staff sign in with their email; groups decide what they may do.

Groups come from ``COGNITO_GROUPS`` (``customers``, ``agents``, ``merchandisers``, ``ops``); API Gateway's
Cognito authorizer validates the token and ``shop_kernel.auth`` reads ``cognito:groups`` from its claims.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.resources import COGNITO_GROUPS, physical_name
from infra.stages import StageConfig

_GROUP_DESCRIPTIONS = {
    "customers": "Shoppers with an account: their orders, returns, loyalty",
    "agents": "Call-center agents acting for customers",
    "merchandisers": "Catalog and pricing administration",
    "ops": "Operations: fulfilment, inventory, refunds",
}


class ShopUserPool(Construct):
    """``user_pool``, the storefront ``client`` and ``groups[name]``."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=physical_name(stage.name, "users"),
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            sign_in_case_sensitive=False,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Plus is the plan with threat protection (adaptive authentication, compromised passwords).
            feature_plan=cognito.FeaturePlan.PLUS
            if stage.threat_protection
            else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION
            if stage.threat_protection
            else None,
            deletion_protection=stage.is_production,
            removal_policy=stage.removal_policy,
        )
        self.client = self.user_pool.add_client(
            "StorefrontClient",
            user_pool_client_name=physical_name(stage.name, "web"),
            # A browser cannot keep a client secret; SRP never sends the password.
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        self.groups = {
            name: cognito.UserPoolGroup(
                self,
                f"{name.title()}Group",
                user_pool=self.user_pool,
                group_name=name,
                description=_GROUP_DESCRIPTIONS.get(name, name),
            )
            for name in COGNITO_GROUPS
        }
        pool_resource = self.user_pool.node.default_child
        acknowledge(
            pool_resource,
            "COG2",
            "MFA is optional (TOTP) so that shoppers can register and check out without friction; "
            "staff accounts (agents, merchandisers, ops) enrol TOTP as part of onboarding.",
        )
        if not stage.threat_protection:
            reason = (
                f"Threat protection (Cognito Plus plan, billed per active user) is enabled in production "
                f"only; the {stage.name} pool holds test accounts."
            )
            acknowledge(pool_resource, "COG3", reason)
            acknowledge(pool_resource, "COG8", reason)
