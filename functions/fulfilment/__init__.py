"""Fulfilment: a paid order's shipments from allocation to delivery, and the workflow's waiting tokens.

Entry points (``handlers/``): the workflow's tasks (``tasks``), the warehouse's packed callback
(``api``), the carrier tracking consumer (``carrier_events``). Domain (``domain/``): shipment planning,
picking, events. Adapters (``adapters/``): the fulfilment table, Step Functions callbacks.
"""
