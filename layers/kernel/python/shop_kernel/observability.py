"""Logger, tracer and metrics, created once per process and shared by every module of a function.

Service name and namespace come from the Powertools environment variables set by the ``ServiceFunction``
construct (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``). Responses may contain
personal or payment data, so handlers that trace do so with ``capture_response=False``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

    from shop_kernel.events import DomainEvent

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


def record_published(events: Sequence[DomainEvent]) -> None:
    """One metric (named after the detail-type) and one log line per event a function put on the bus."""
    for event in events:
        metrics.add_metric(name=event.detail_type, unit="Count", value=1)
        logger.info(
            "published", extra={"detail_type": event.detail_type, "event_id": event.metadata.event_id}
        )
