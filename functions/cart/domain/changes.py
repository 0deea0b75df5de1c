"""Pure changes to a cart: each takes the cart as read and returns the cart to write, or raises a 4xx.

No I/O here; ``cart.domain.service`` reads, applies one of these and writes conditionally.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cart.domain.lines import (
    Limits,
    check_available,
    check_line_count,
    check_order_units,
    check_quantity,
    check_sellable,
)
from cart.domain.models import (
    CartSettingsBody,
    CartStatus,
    Line,
    NewCart,
    OwnerKind,
    SkuFacts,
    StoredCart,
)
from cart.domain.ports import Stock
from pricing.domain import normalise_code
from shop_kernel.clock import isoformat
from shop_kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from shop_kernel.ids import new_id

MAX_CODES = 10


@dataclass(frozen=True)
class Lifetimes:
    """How long an untouched cart lives; every write starts the clock again."""

    guest: timedelta = timedelta(days=30)
    customer: timedelta = timedelta(days=90)

    def for_owner(self, kind: OwnerKind) -> timedelta:
        return self.guest if kind is OwnerKind.GUEST else self.customer


def new_cart(kind: OwnerKind, body: NewCart, now: datetime, lifetimes: Lifetimes) -> StoredCart:
    at = isoformat(now)
    return StoredCart(
        id=new_id("cart"),
        owner_kind=kind,
        currency=body.currency,
        destination_country=body.destination_country,
        shipping_method=body.shipping_method,
        created_at=at,
        updated_at=at,
        expires_at=int((now + lifetimes.for_owner(kind)).timestamp()),
    )


def reopened(closed: StoredCart, now: datetime, lifetimes: Lifetimes) -> StoredCart:
    """A fresh, empty cart replacing a checked-out one, keeping its settings and version sequence.

    The version carries on so that the conditional write over the closed cart holds, and so that an
    ETag of the old cart can never match the new one.
    """
    body = NewCart(
        currency=closed.currency,
        destination_country=closed.destination_country,
        shipping_method=closed.shipping_method,
    )
    return new_cart(closed.owner_kind, body, now, lifetimes).model_copy(update={"version": closed.version})


def touched(cart: StoredCart, now: datetime, lifetimes: Lifetimes, **changes: object) -> StoredCart:
    """The next version of ``cart`` with ``changes``, its TTL pushed out from ``now``."""
    return cart.model_copy(
        update={
            **changes,
            "version": cart.version + 1,
            "updated_at": isoformat(now),
            "expires_at": int((now + lifetimes.for_owner(cart.owner_kind)).timestamp()),
        }
    )


def _replace_line(cart: StoredCart, sku: str, quantity: int, now: datetime) -> tuple[Line, ...]:
    existing = cart.line(sku)
    if existing is None:
        return (*cart.lines, Line(sku=sku, quantity=quantity, added_at=isoformat(now)))
    return tuple(
        line.model_copy(update={"quantity": quantity}) if line.sku == sku else line for line in cart.lines
    )


def add_line(
    cart: StoredCart,
    sku: str,
    quantity: int,
    facts: SkuFacts | None,
    stock: Stock | None,
    limits: Limits,
) -> int:
    """The line's quantity after adding ``quantity`` (checked); the caller writes it with ``set_line``."""
    check_sellable(sku, facts, cart.currency, "body.sku")
    existing = cart.line(sku)
    total = quantity + (existing.quantity if existing else 0)
    check_quantity(total, limits, "body.quantity")
    check_order_units(_units(cart) + quantity, limits, "body.quantity")
    if existing is None:
        check_line_count(len(cart.lines) + 1, limits, "body.sku")
    if not (facts and facts.digital):  # electronic goods have no stock to run out of
        check_available(sku, total, stock, cart.pickup_location_id, "body.quantity")
    return total


def set_line(cart: StoredCart, sku: str, quantity: int, now: datetime, lifetimes: Lifetimes) -> StoredCart:
    return touched(cart, now, lifetimes, lines=_replace_line(cart, sku, quantity, now))


def change_quantity(
    cart: StoredCart,
    sku: str,
    quantity: int,
    facts: SkuFacts | None,
    stock: Stock | None,
    limits: Limits,
) -> None:
    if cart.line(sku) is None:
        raise _no_line(sku)
    check_sellable(sku, facts, cart.currency, "path.sku")
    check_quantity(quantity, limits, "body.quantity")
    current = cart.line(sku)
    check_order_units(_units(cart) - (current.quantity if current else 0) + quantity, limits, "body.quantity")
    if not (facts and facts.digital):
        check_available(sku, quantity, stock, cart.pickup_location_id, "body.quantity")


def remove_line(cart: StoredCart, sku: str, now: datetime, lifetimes: Lifetimes) -> StoredCart:
    if cart.line(sku) is None:
        raise _no_line(sku)
    return touched(cart, now, lifetimes, lines=tuple(line for line in cart.lines if line.sku != sku))


def _units(cart: StoredCart) -> int:
    return sum(line.quantity for line in cart.lines)


def _no_line(sku: str) -> NotFound:
    message = f"{sku} is not in the cart"
    return NotFound(message, errors=[FieldError(field="path.sku", message=message, code="not_in_cart")])


def change_settings(
    cart: StoredCart,
    body: CartSettingsBody,
    facts: Mapping[str, SkuFacts],
    stock: Stock | None,
    now: datetime,
    lifetimes: Lifetimes,
) -> StoredCart:
    """Currency, destination, shipping method, pickup store; every line must still be sellable."""
    changes = body.model_dump(exclude_unset=True)
    if "currency" in changes:
        for line in cart.lines:
            check_sellable(line.sku, facts.get(line.sku), changes["currency"], "body.currency")
    pickup = changes.get("pickup_location_id", cart.pickup_location_id)
    changes_pickup = "pickup_location_id" in changes and pickup is not None
    if changes_pickup and stock is not None and pickup not in stock.pickup_stores:
        message = f"{pickup} is not a store where orders can be collected"
        raise ValidationFailed.on("body.pickup_location_id", message, "not_a_pickup_store")
    return touched(cart, now, lifetimes, **changes)


def add_code(cart: StoredCart, kind: str, raw: str, now: datetime, lifetimes: Lifetimes) -> StoredCart:
    """Adds a promo code (``promo_codes``) or gift certificate (``gift_certificates``); re-adding is a no-op."""
    code = normalise_code(raw)
    if not code:  # only spaces: no code could match, and an empty key cannot be looked up (was a 500)
        raise ValidationFailed.on("body.code", "enter the code as printed on the voucher", "blank_code")
    current: tuple[str, ...] = getattr(cart, kind)
    if code in current:
        return cart
    if len(current) >= MAX_CODES:
        raise ValidationFailed.on("body.code", f"at most {MAX_CODES} codes per cart", "too_many_codes")
    return touched(cart, now, lifetimes, **{kind: (*current, code)})


def remove_code(cart: StoredCart, kind: str, raw: str, now: datetime, lifetimes: Lifetimes) -> StoredCart:
    code = normalise_code(raw)
    current: tuple[str, ...] = getattr(cart, kind)
    if code not in current:
        message = f"{code} is not in the cart"
        raise NotFound(message, errors=[FieldError(field="path.code", message=message, code="not_in_cart")])
    return touched(cart, now, lifetimes, **{kind: tuple(c for c in current if c != code)})


@dataclass(frozen=True)
class Dropped:
    sku: str
    quantity: int
    reason: str


@dataclass(frozen=True)
class Merged:
    cart: StoredCart
    closed_guest: StoredCart
    dropped: tuple[Dropped, ...]
    capped: tuple[str, ...]


def merge(
    customer_cart: StoredCart | None,
    guest: StoredCart,
    facts: Mapping[str, SkuFacts],
    limits: Limits,
    now: datetime,
    lifetimes: Lifetimes,
) -> Merged:
    """Guest lines into the customer cart: quantities summed and capped at the per-line limit, lines that
    cannot be sold in the customer cart's currency (or beyond the line limit) dropped and reported;
    codes united. The guest cart is closed, pointing at the customer cart."""
    if guest.status is not CartStatus.OPEN:
        raise Conflict("this guest cart was already merged")
    base = customer_cart or new_cart(
        OwnerKind.CUSTOMER,
        NewCart(
            currency=guest.currency,
            destination_country=guest.destination_country,
            shipping_method=guest.shipping_method,
        ),
        now,
        lifetimes,
    )
    if not base.lines and customer_cart is not None:
        base = base.model_copy(
            update={"currency": guest.currency, "destination_country": guest.destination_country}
        )
    lines = {line.sku: line for line in base.lines}
    dropped: list[Dropped] = []
    capped: list[str] = []
    for line in guest.lines:
        sku_facts = facts.get(line.sku)
        if sku_facts is None or not sku_facts.sellable or not sku_facts.has_price_in(base.currency):
            dropped.append(Dropped(line.sku, line.quantity, "not_sellable_in_currency"))
            continue
        existing = lines.get(line.sku)
        if existing is None and len(lines) >= limits.max_lines:
            dropped.append(Dropped(line.sku, line.quantity, "too_many_lines"))
            continue
        wanted = line.quantity + (existing.quantity if existing else 0)
        room = limits.max_units_per_order - sum(kept.quantity for kept in lines.values())
        quantity = min(wanted, limits.max_quantity_per_line, room + (existing.quantity if existing else 0))
        if quantity <= 0:
            dropped.append(Dropped(line.sku, line.quantity, "above_order_limit"))
            continue
        if quantity < wanted:
            capped.append(line.sku)
        lines[line.sku] = (existing or line).model_copy(update={"quantity": quantity})
    merged = touched(
        base,
        now,
        lifetimes,
        lines=tuple(lines.values()),
        promo_codes=tuple(dict.fromkeys((*base.promo_codes, *guest.promo_codes)))[:MAX_CODES],
        gift_certificates=tuple(dict.fromkeys((*base.gift_certificates, *guest.gift_certificates)))[
            :MAX_CODES
        ],
    )
    closed = touched(guest, now, lifetimes, status=CartStatus.MERGED, merged_into=merged.id)
    return Merged(merged, closed, tuple(dropped), tuple(capped))
