"""Logger, tracer and metrics, created once per process and shared by every module of a function.

Service name and namespace come from the Powertools environment variables set by the ``ServiceFunction``
construct (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``). Responses may contain
personal or payment data, so handlers that trace do so with ``capture_response=False``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger()
metrics = Metrics()

CORRELATION_HEADER = "x-correlation-id"


@lru_cache(maxsize=1)
def get_tracer() -> Tracer:
    """The X-Ray tracer, created on first use.

    Creating it imports the X-Ray SDK, which costs the cold start more than the rest of an API function
    together (bench/README.md). API functions therefore rely on Lambda's active tracing (invocation and
    API Gateway segments, service map) and do not call this; event consumers and workflow tasks, where
    a cold start is invisible to shoppers, use it for per-call subsegments.
    """
    from aws_lambda_powertools import Tracer

    return Tracer()
