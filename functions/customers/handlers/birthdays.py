"""The daily job: ``CustomerBirthdayReached`` for every customer whose birthday is today (UTC).

The birth date stays in this context; the event carries the customer's id and the year. Its id is fixed
by customer and year, and loyalty issues one coupon per customer and year, so a re-run (or a retried
invocation) gives no one a second coupon.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from customers import wiring
from customers.domain.birthdays import birthday_month_days
from customers.domain.events import birthday_reached
from shop_kernel.clock import isoformat
from shop_kernel.observability import get_tracer, logger, metrics

tracer = get_tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    c = wiring.container
    now = c.clock().now()
    customers = [sub for day in birthday_month_days(now.date()) for sub in c.store().birthdays(day)]
    events = [birthday_reached(sub, now.year, isoformat(now)) for sub in customers]
    c.publisher().publish(events)  # ten to a PutEvents call; a rejected entry fails the run (retried)
    metrics.add_metric(name="CustomerBirthdays", unit="Count", value=len(events))
    logger.info("birthdays announced", extra={"customers": len(events)})
    return {"birthdays": len(events)}
