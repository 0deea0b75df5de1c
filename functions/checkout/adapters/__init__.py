"""Checkout's adapters: its table's item layouts and the clients' calls behind the domain's ports.

The package defines nothing: what a function is built from is declared in ``checkout.wiring``, so importing one
adapter module (a layout another context's contract reads) loads no wiring.
"""
