"""Logger, tracer and metrics, created once per process and shared by every module of a function.

Service name and namespace come from the Powertools environment variables set by the ``ServiceFunction``
construct (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``). Responses may contain
personal or payment data, so handlers trace with ``capture_response=False``.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

CORRELATION_HEADER = "x-correlation-id"
