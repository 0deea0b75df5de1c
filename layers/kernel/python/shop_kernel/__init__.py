"""Shared kernel of the commerce backend.

Everything every bounded context needs and nothing more: money, ids, clock, settings, errors mapped to
problem+json, observability, the event envelope and its publisher, auth claims and DynamoDB helpers.
Modules are imported individually (``from shop_kernel.money import Money``) so that a Lambda pays only
for what it uses at cold start.
"""
