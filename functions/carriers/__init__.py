"""Carriers: rates, delivery estimates, branch lookup, shipment booking with labels, and tracking.

Read top to bottom: ``handlers`` (workflow tasks, tracking webhooks, the tracking poller, the stream that
publishes ``ShipmentStatusChanged``), ``domain`` (the ``Carrier`` port, the shipment status machine, the
service), ``adapters`` (Nova Poshta, the local stand-in, DynamoDB, S3).
"""
