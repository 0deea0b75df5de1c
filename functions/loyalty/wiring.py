"""What the loyalty functions are built from, in one place (``shop_kernel.wiring``).

Handlers look parts up through the module (``wiring.container.service()``); tests build
``LoyaltyContainer(store=fake, clock=FixedClock(...))`` and put it here.
"""

from __future__ import annotations

from typing import Any

from loyalty.adapters.claims import DynamoClaimStore
from loyalty.adapters.coupons import DynamoCouponStore
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.claim_service import GuestClaims
from loyalty.domain.coupon_service import CouponService
from loyalty.domain.service import LoyaltyService
from loyalty.settings import LoyaltySettings
from shop_kernel import aws
from shop_kernel.clock import Clock, SystemClock
from shop_kernel.dynamo import CursorCodec
from shop_kernel.guest_keys import GuestKeys
from shop_kernel.secrets import SecretKeyProvider
from shop_kernel.wiring import Container, provided


class LoyaltyContainer(Container):
    @provided
    def settings(self) -> LoyaltySettings:
        return LoyaltySettings.from_env()

    @provided
    def clock(self) -> Clock:
        return SystemClock()

    @provided
    def store(self) -> DynamoLoyaltyStore:
        return DynamoLoyaltyStore(aws.client("dynamodb"), self.settings().loyalty_table_name)

    @provided
    def service(self) -> LoyaltyService:
        return LoyaltyService(store=self.store(), clock=self.clock())

    @provided
    def coupon_store(self) -> DynamoCouponStore:
        s = self.settings()
        return DynamoCouponStore(aws.client("dynamodb"), s.loyalty_table_name, s.promotions_table_name)

    @provided
    def coupons(self) -> CouponService:
        store = self.store()
        return CouponService(
            store=self.coupon_store(), rules=lambda: store.configuration()[0], clock=self.clock()
        )

    @provided
    def claim_store(self) -> DynamoClaimStore:
        return DynamoClaimStore(aws.client("dynamodb"), self.settings().loyalty_table_name)

    @provided
    def guest_claims(self) -> GuestClaims:
        store = self.store()
        key = SecretKeyProvider(
            lambda: aws.client("secretsmanager"), self.settings().guest_email_key_secret_name
        )
        return GuestClaims(
            members=store.member,
            claims=self.claim_store(),
            rules=lambda: store.configuration()[0],
            guest_key=GuestKeys(key).of,
            clock=self.clock(),
        )

    @provided
    def cursors(self) -> CursorCodec:
        key = SecretKeyProvider(
            lambda: aws.client("secretsmanager"), self.settings().cursor_signing_key_secret_name
        )
        return CursorCodec(self.settings().loyalty_table_name, key)

    @provided
    def events_client(self) -> Any:
        return aws.client("events")


container = LoyaltyContainer()
