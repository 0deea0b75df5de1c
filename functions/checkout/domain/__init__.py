"""Checkout domain: orders from priced carts, payment state, fraud screening. Pure Python, no I/O."""
