"""Orders (OMS): the orders table, each order's timeline, the customers' and staff's order API.

Entry points (``handlers/``): the order API (``api``), the consumer that projects other contexts'
events into each order's timeline (``events``). Domain (``domain/``): the order model, its progress
and timeline, staff search. Adapters (``adapters/``): the orders table's layout and reads, the
fulfilment workflow's executions. ``contract.py``: what checkout writes in its own transactions.
"""
