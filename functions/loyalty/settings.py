"""The loyalty functions' environment, read once per cold start."""

from __future__ import annotations

from typing import Literal

from shop_kernel.settings import ServiceSettings, local_default


class LoyaltySettings(ServiceSettings):
    loyalty_table_name: str = local_default("shop-local-loyalty")
    cursor_signing_key_secret_name: str = local_default("shop-local-cursor-signing-key")
    # Pricing's table: automatic coupons' codes are written (and their uses read) through its contract.
    promotions_table_name: str = local_default("shop-local-promotions")
    # Keys a customer's verified e-mail the way checkout keyed guest orders' (the guest points claim).
    guest_email_key_secret_name: str = local_default("shop-local-guest-email-key")
    # The order event that earns points: the delivery (the default) or, for a shop without delivery
    # events, the placement. The return window counts from it.
    loyalty_earn_on: Literal["OrderDelivered", "OrderPlaced"] = "OrderDelivered"
    # Members the scheduled job handles per run (the rest are due at the next run).
    loyalty_due_batch: int = 500
