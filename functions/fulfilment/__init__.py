"""Fulfilment: a paid order's shipments from allocation to delivery, and the workflow's waiting tokens.

Entry points (``handlers/``): the workflow's tasks (``tasks``), the warehouse's packed and the stores'
collected callbacks and agents' review decisions (``api``), the carrier tracking consumer
(``carrier_events``), the orders context's cancellation requests (``cancellations``). Domain (``domain/``):
shipment planning, picking, cancellation rules and requests, events. Inbound contracts (``inbound/``): the
events fulfilment consumes before their publisher exists. Adapters (``adapters/``): the fulfilment table,
Step Functions callbacks, inventory's locations.
"""
