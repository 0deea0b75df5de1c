"""What the loyalty functions are built from, in one place (``shop_kernel.wiring``).

Handlers look parts up through the module (``wiring.container.service()``); tests build
``LoyaltyContainer(store=fake, clock=FixedClock(...))`` and put it here. Each provider imports what it
builds (decision 54), so a function loads only the parts its first request uses: ``GET /me/loyalty``
does not import the coupon store (pricing's contract and promotion models), the certificates or the
guest claims.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop_kernel.wiring import ContextContainer, provided

if TYPE_CHECKING:
    from loyalty.adapters.certificates import DynamoCertificates
    from loyalty.adapters.claims import DynamoClaimStore
    from loyalty.adapters.coupons import DynamoCouponStore
    from loyalty.adapters.dynamo import DynamoLoyaltyStore
    from loyalty.domain.certificate_service import CertificateService
    from loyalty.domain.claim_service import GuestClaims
    from loyalty.domain.coupon_service import CouponService
    from loyalty.domain.service import LoyaltyService
    from loyalty.settings import LoyaltySettings
    from shop_kernel.dynamo import CursorCodec


class LoyaltyContainer(ContextContainer):
    @provided
    def settings(self) -> LoyaltySettings:
        from loyalty.settings import LoyaltySettings

        return LoyaltySettings.from_env()

    @provided
    def store(self) -> DynamoLoyaltyStore:
        from loyalty.adapters.dynamo import DynamoLoyaltyStore

        return DynamoLoyaltyStore(self.dynamodb_client(), self.settings().loyalty_table_name)

    @provided
    def service(self) -> LoyaltyService:
        from loyalty.domain.service import LoyaltyService

        return LoyaltyService(store=self.store(), clock=self.clock())

    @provided
    def certificate_store(self) -> DynamoCertificates:
        from loyalty.adapters.certificates import DynamoCertificates

        return DynamoCertificates(self.dynamodb_client(), self.settings().loyalty_table_name)

    @provided
    def certificates(self) -> CertificateService:
        from loyalty.domain.certificate_service import CertificateService

        return CertificateService(store=self.certificate_store(), clock=self.clock())

    @provided
    def coupon_store(self) -> DynamoCouponStore:
        from loyalty.adapters.coupons import DynamoCouponStore

        s = self.settings()
        return DynamoCouponStore(self.dynamodb_client(), s.loyalty_table_name, s.promotions_table_name)

    @provided
    def coupons(self) -> CouponService:
        from loyalty.domain.coupon_service import CouponService

        store = self.store()
        return CouponService(
            store=self.coupon_store(), rules=lambda: store.configuration()[0], clock=self.clock()
        )

    @provided
    def claim_store(self) -> DynamoClaimStore:
        from loyalty.adapters.claims import DynamoClaimStore

        return DynamoClaimStore(self.dynamodb_client(), self.settings().loyalty_table_name)

    @provided
    def guest_claims(self) -> GuestClaims:
        from loyalty.domain.claim_service import GuestClaims
        from shop_kernel.guest_keys import GuestKeys
        from shop_kernel.secrets import SecretKeyProvider

        store = self.store()
        key = SecretKeyProvider(self.secrets_client, self.settings().guest_email_key_secret_name)
        return GuestClaims(
            members=store.member,
            claims=self.claim_store(),
            rules=lambda: store.configuration()[0],
            guest_key=GuestKeys(key).of,
            clock=self.clock(),
        )

    @provided
    def cursors(self) -> CursorCodec:
        from shop_kernel.dynamo import CursorCodec
        from shop_kernel.secrets import SecretKeyProvider

        key = SecretKeyProvider(self.secrets_client, self.settings().cursor_signing_key_secret_name)
        return CursorCodec(self.settings().loyalty_table_name, key)


container = LoyaltyContainer()
