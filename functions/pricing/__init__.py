"""Pricing and promotions: the pure domain that cart and checkout share.

Only ``pricing.domain`` lives here. Cart and checkout ship this package next to their own code and
implement its ports (price book, tax rates, carrier quotes, promotions, code redemptions, gift
certificates) with their own adapters; nothing in this package talks to AWS.
"""
