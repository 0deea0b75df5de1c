"""Pricing and promotions: the pure domain that cart and checkout share, and the promotions table's layout.

``pricing.domain`` is pure (nothing here talks to AWS): cart and checkout ship this package next to their
own code and implement its ports (price book, tax rates, carrier quotes, promotions, code redemptions, gift
certificates) with their own adapters. The promotions table's item layout is pricing's own
(``pricing.adapters.records``); others read and write it only through ``pricing.contract``.
"""
