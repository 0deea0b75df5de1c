"""Order events (EventBridge -> SQS) -> points earned, and given back on returns and cancellations.

* ``ProductPublished`` / ``ProductUpdated`` (``shop.catalog``): each SKU's category and brand, kept so
  that an order's lines carry them (category and brand multipliers, the category's return window).

* ``OrderPlaced`` (``shop.checkout``, the order is paid: authorised, or paid by certificates): the lines
  whose SKU sells a gift certificate (the catalog's ``gift_certificate`` attribute) are held for the
  order's confirmation (guests' orders too); a customer's order is recorded (its lines, for earning later); with ``LOYALTY_EARN_ON=OrderPlaced`` it
  earns at once. A guest's order with ``guest_key`` (2.2) is recorded on the guest member of that key,
  whose points the customer with that verified e-mail may claim (``loyalty.domain.claims``); a guest
  order without one earns nothing.
* ``OrderConfirmed`` (``shop.orders``: fraud review passed or was not needed, and the order went to be
  fulfilled): each unit of its held gift certificate lines is issued as a certificate worth the line's
  unit price, once per order, line and unit. Either event may come first; an order held for review and
  rejected is cancelled, never confirmed, and issues none.
* ``OrderDelivered`` (``shop.orders``, the default trigger): the order earns its points and cashback,
  pending until its return window closes.
* ``ReturnRefunded`` (``shop.returns``): what the refund no longer earns is taken back, proportionally.
* ``OrderCancelled`` (``shop.checkout``): everything the order earned is taken back; an order cancelled
  before loyalty heard of it is remembered so that it never earns. The gift certificates it bought are
  voided (what was spent of them meanwhile stays spent), and none is issued after it.

Automatic coupons (``loyalty.domain.coupon_service``), each once per trigger occurrence:

* ``OrderPlaced``: the member's last order time moves (win-back) and their first order may bring one.
* ``TierChanged`` (``shop.loyalty``, loyalty's own, from the bus): reaching a tier may bring one.
* ``CustomerBirthdayReached`` (``shop.customers``): the birthday coupon of that year.
* ``CustomerErased`` (``shop.customers``): the customer's guest claim markers are deleted.

Every write is idempotent (an entry per order and refund id), so replays and duplicates add nothing.
An event about an order not recorded yet (out of order) fails alone and the queue retries it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty import wiring
from loyalty.domain.certificates import SoldLine
from loyalty.domain.claims import guest_member_id
from loyalty.domain.orders import OrderFacts, OrderLine
from loyalty.inbound.orders import OrderConfirmed, OrderDelivered
from loyalty.inbound.returns import ReturnRefunded
from shop_kernel.money import Money
from shop_kernel.observability import get_tracer, logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def sold_certificates(data: dict[str, Any], selling: set[str]) -> int:
    """The order's gift certificate lines (SKUs in ``selling``) held for its confirmation; how many
    certificates were issued now (only when ``OrderConfirmed`` came first). An order held for fraud review
    is confirmed only when an agent approves it: a stolen card buying certificates is the classic fraud."""
    lines = [
        SoldLine(
            line=n,
            sku=line["sku"],
            quantity=line["quantity"],
            face_value=Money.of(line["unit_price"]["amount"], line["unit_price"]["currency"]),
        )
        for n, line in enumerate(data["lines"])
        if line["sku"] in selling
    ]
    return len(wiring.container.certificates().order_placed(data["order_id"], lines))


def order_confirmed(data: dict[str, Any]) -> str:
    event = OrderConfirmed.model_validate(data)
    issued = wiring.container.certificates().order_confirmed(event.order_id)
    return f"{len(issued)} certificates"


def order_placed(data: dict[str, Any]) -> str:
    # One read of the SKUs' facts serves both the certificates sold and the member's order.
    known, selling = wiring.container.store().sku_facts_and_gift_certificates(
        sorted({line["sku"] for line in data["lines"]})
    )
    issued = sold_certificates(data, selling)
    customer = data.get("customer_id")
    if not customer:
        outcome = _guest_order_placed(data, known)
        return f"{outcome}, {issued} certificates" if issued else outcome
    facts = _facts(data, customer)
    service = wiring.container.service()
    recorded = service.record_order(facts, known)
    coupon = wiring.container.coupons().order_placed(customer, facts.order_id, facts.placed_at)
    if wiring.container.settings().loyalty_earn_on == "OrderPlaced":
        return f"{service.earn(facts.order_id, customer, facts.placed_at)}, coupon {coupon}"
    return f"{'recorded' if recorded else 'duplicate'}, coupon {coupon}"


def _guest_order_placed(data: dict[str, Any], known: Mapping[str, tuple[str | None, str | None]]) -> str:
    """A guest order earns on the guest member of its e-mail's key (claimable later); without a key
    (no e-mail, or a checkout before 2.2) it earns nothing."""
    if not data.get("guest_key"):
        return "guest"
    facts = _facts(data, guest_member_id(data["guest_key"]))
    service = wiring.container.service()
    recorded = service.record_order(facts, known)
    if wiring.container.settings().loyalty_earn_on == "OrderPlaced":
        return f"guest {service.earn(facts.order_id, None, facts.placed_at)}"
    return "guest recorded" if recorded else "guest duplicate"


def _facts(data: dict[str, Any], member_id: str) -> OrderFacts:
    return OrderFacts(
        order_id=data["order_id"],
        member_id=member_id,
        currency=data["currency"],
        placed_at=_at(data["placed_at"]),
        lines=tuple(
            OrderLine(
                sku=line["sku"],
                quantity=line["quantity"],
                total=line["total"]["amount"],
                category=line.get("category"),
                brand=line.get("brand"),
            )
            for line in data["lines"]
        ),
    )


def order_delivered(data: dict[str, Any]) -> str:
    event = OrderDelivered.model_validate(data)
    if wiring.container.settings().loyalty_earn_on != "OrderDelivered":
        return "not-the-trigger"
    service = wiring.container.service()
    if event.customer_id is None:
        # A guest order earns only when it was recorded (its OrderPlaced carried the e-mail's key).
        if wiring.container.store().order(event.order_id) is None:
            return "guest"
        return f"guest {service.earn(event.order_id, None, _at(event.delivered_at))}"
    return service.earn(event.order_id, event.customer_id, _at(event.delivered_at))


def return_refunded(data: dict[str, Any]) -> str:
    event = ReturnRefunded.model_validate(data)
    service = wiring.container.service()
    refund_id = f"return#{event.return_id}"
    return service.refund(event.order_id, refund_id, event.refunded_total.amount, _at(event.refunded_at))


def order_cancelled(data: dict[str, Any]) -> str:
    voided = wiring.container.certificates().void_for_order(data["order_id"])
    service = wiring.container.service()
    outcome = service.cancel(data["order_id"], _at(data["cancelled_at"]))
    return f"{outcome}, {voided} certificates voided" if voided else outcome


def product_described(data: dict[str, Any]) -> str:
    """A product's SKUs, its category and brand: what earning multiplies by and the return window uses."""
    product = data["product"]
    skus = [variant["sku"] for variant in product["variants"]]
    brand = (product.get("brand") or {}).get("id")
    gift = frozenset(v["sku"] for v in product["variants"] if _sells_certificate(product, v))
    written = wiring.container.store().project_product(
        product["version"], skus, product["category"]["id"], brand, gift
    )
    return f"{written} skus"


GIFT_CERTIFICATE_ATTRIBUTE = "gift_certificate"


def _sells_certificate(product: dict[str, Any], variant: dict[str, Any]) -> bool:
    """A product (or one variant) whose boolean ``gift_certificate`` attribute is true."""
    attributes = [*(product.get("attributes") or []), *(variant.get("attributes") or [])]
    return any(a.get("code") == GIFT_CERTIFICATE_ATTRIBUTE and a.get("value") is True for a in attributes)


def tier_changed(data: dict[str, Any]) -> str:
    coupons = wiring.container.coupons()
    return coupons.tier_changed(data["member_id"], data.get("from_tier"), data.get("to_tier"))


def birthday_reached(data: dict[str, Any]) -> str:
    # customers' event: ids and the year only (the birth date stays in the customers context).
    return wiring.container.coupons().birthday(data["customer_id"], int(data["year"]))


def customer_erased(data: dict[str, Any]) -> str:
    """The claim markers tying the customer to a guest key go; the ledgers are financial records."""
    return f"{wiring.container.claim_store().forget_claims(data['customer_id'])} claims forgotten"


HANDLERS = {
    ("shop.catalog", "ProductPublished"): product_described,
    ("shop.catalog", "ProductUpdated"): product_described,
    ("shop.checkout", "OrderPlaced"): order_placed,
    ("shop.orders", "OrderConfirmed"): order_confirmed,
    ("shop.orders", "OrderDelivered"): order_delivered,
    ("shop.returns", "ReturnRefunded"): return_refunded,
    ("shop.checkout", "OrderCancelled"): order_cancelled,
    ("shop.loyalty", "TierChanged"): tier_changed,
    ("shop.customers", "CustomerBirthdayReached"): birthday_reached,
    ("shop.customers", "CustomerErased"): customer_erased,
}


def handle(record: SQSRecord) -> None:
    event = json.loads(record.body)
    key = (event.get("source"), event.get("detail-type"))
    handle_event = HANDLERS.get(key)  # type: ignore[call-overload]
    if handle_event is None:
        logger.warning("not an order event loyalty handles; dropped", extra={"detail_type": key[1]})
        return
    data = (event.get("detail") or {})["data"]
    outcome = handle_event(data)
    metrics.add_metric(name=f"Loyalty{key[1]}", unit="Count", value=1)
    logger.info(
        "order event", extra={"detail_type": key[1], "order_id": data.get("order_id"), "outcome": outcome}
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
