"""Loyalty's domain: the points ledger, earning and redemption rules, tiers, cashback and expiry.

Pure Python: no SDK. ``ledger`` is what is stored (entries and the member's balances), ``rules`` the
configuration merchandisers edit, ``earning`` what an order is worth and what a return takes back,
``schedule`` what the scheduled job matures and expires, ``service`` the use cases over the store port.
"""
