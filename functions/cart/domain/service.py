"""Cart use cases: read, apply one change from ``cart.domain.changes``, write conditionally.

Every write is read (one round trip: cart + SKU facts + stock) then a write conditioned on the version
read. When another write won in between and the client did not pin a version with ``If-Match``, the
change is applied again to the fresh cart (a few times at most, after a short random pause so racing
requests spread out instead of colliding again in lockstep), so concurrent adds never lose a line;
with ``If-Match`` the client asked for exactly that version, and a mismatch is a 412.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cart.domain import changes
from cart.domain.changes import Lifetimes, Merged
from cart.domain.lines import Limits
from cart.domain.models import (
    AddLine,
    CartOwner,
    CartSettingsBody,
    CartStatus,
    NewCart,
    OwnerKind,
    StoredCart,
)
from cart.domain.ports import CartRead, CartStore, VersionConflict
from shop_kernel.clock import Clock
from shop_kernel.errors import Conflict, NotFound, PreconditionFailed

MAX_ATTEMPTS = 8
RETRY_BASE_S = 0.01
RETRY_CAP_S = 0.2

Change = Callable[[CartRead, StoredCart], StoredCart]


def jittered_pause(attempt: int) -> None:
    """Full-jitter exponential backoff after the ``attempt``-th lost race: at most 0.2 s, 0.9 s in all."""
    time.sleep(random.uniform(0, min(RETRY_CAP_S, RETRY_BASE_S * 2**attempt)))


def no_cart() -> NotFound:
    # The same answer for "never existed", "expired", "merged" and "not yours": nothing to learn from it.
    return NotFound("no such cart")


@dataclass
class CartService:
    store: CartStore
    clock: Clock
    limits: Limits = field(default_factory=Limits)
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    pause: Callable[[int], None] = jittered_pause  # between attempts after a lost race

    # --- reads ----------------------------------------------------------------------------------

    def current(self, owner: CartOwner) -> StoredCart:
        cart = self.store.get(owner)
        if cart is None or cart.status is not CartStatus.OPEN:
            raise no_cart()
        return cart

    # --- writes ---------------------------------------------------------------------------------

    def create(self, owner: CartOwner, body: NewCart, replacing: StoredCart | None = None) -> StoredCart:
        """A new cart; ``replacing`` is the owner's checked-out cart it takes the place of."""
        cart = changes.new_cart(owner.kind, body, self.clock.now(), self.lifetimes)
        expected = replacing.version if replacing is not None else 0
        cart = changes.touched(
            cart.model_copy(update={"version": expected}), self.clock.now(), self.lifetimes
        )
        try:
            self.store.save(owner, cart, expected)
        except VersionConflict as exc:
            raise Conflict("a cart exists already: add to it, or sign in to merge") from exc
        return cart

    def open_customer_cart(self, owner: CartOwner, body: NewCart) -> tuple[StoredCart, bool]:
        """The customer's open cart (False) or a new one (True), replacing one that became an order."""
        existing = self.store.get(owner)
        if existing is not None and existing.status is CartStatus.OPEN:
            return existing, False
        replacing = existing if existing is not None and existing.status is CartStatus.CHECKED_OUT else None
        return self.create(owner, body, replacing), True

    def _write(
        self,
        owner: CartOwner,
        skus: Sequence[str],
        change: Change,
        if_match: int | None,
        *,
        create: bool = False,
        with_stock: bool = False,
    ) -> StoredCart:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                self.pause(attempt)
            read = self.store.load(owner, skus, with_stock=with_stock)
            cart = self._writable(owner, read.cart, create)
            if if_match is not None and cart.version != if_match:
                raise PreconditionFailed("the cart changed since you read it", version=cart.version)
            updated = change(read, cart)
            if updated is cart:
                return cart
            try:
                self.store.save(owner, updated, cart.version)
            except VersionConflict:
                if if_match is not None:
                    raise PreconditionFailed("the cart changed since you read it") from None
                continue
            return updated
        raise Conflict("the cart is being changed by another request; retry")

    def _writable(self, owner: CartOwner, cart: StoredCart | None, create: bool) -> StoredCart:
        if cart is not None and cart.status is CartStatus.OPEN:
            return cart
        if create and owner.kind is OwnerKind.CUSTOMER:
            if cart is None:
                # A customer's first write opens their cart; its version 0 means "must not exist yet".
                return changes.new_cart(owner.kind, NewCart(), self.clock.now(), self.lifetimes)
            if cart.status is CartStatus.CHECKED_OUT:
                # The last cart became an order: the next purchase starts from an empty cart.
                return changes.reopened(cart, self.clock.now(), self.lifetimes)
        raise no_cart()

    def add_line(self, owner: CartOwner, body: AddLine, if_match: int | None = None) -> StoredCart:
        def apply(read: CartRead, cart: StoredCart) -> StoredCart:
            quantity = changes.add_line(
                cart, body.sku, body.quantity, read.facts.get(body.sku), read.stock, self.limits
            )
            return changes.set_line(cart, body.sku, quantity, self.clock.now(), self.lifetimes)

        return self._write(owner, [body.sku], apply, if_match, create=True, with_stock=True)

    def set_quantity(
        self, owner: CartOwner, sku: str, quantity: int, if_match: int | None = None
    ) -> StoredCart:
        def apply(read: CartRead, cart: StoredCart) -> StoredCart:
            changes.change_quantity(cart, sku, quantity, read.facts.get(sku), read.stock, self.limits)
            return changes.set_line(cart, sku, quantity, self.clock.now(), self.lifetimes)

        return self._write(owner, [sku], apply, if_match, with_stock=True)

    def remove_line(self, owner: CartOwner, sku: str, if_match: int | None = None) -> StoredCart:
        return self._write(
            owner,
            [],
            lambda _, cart: changes.remove_line(cart, sku, self.clock.now(), self.lifetimes),
            if_match,
        )

    def change_settings(
        self, owner: CartOwner, body: CartSettingsBody, if_match: int | None = None
    ) -> StoredCart:
        def apply(read: CartRead, cart: StoredCart) -> StoredCart:
            facts = (
                self.store.facts([line.sku for line in cart.lines])
                if "currency" in body.model_fields_set
                else {}
            )
            stock = read.stock if "pickup_location_id" in body.model_fields_set else None
            return changes.change_settings(cart, body, facts, stock, self.clock.now(), self.lifetimes)

        return self._write(
            owner, [], apply, if_match, create=True, with_stock="pickup_location_id" in body.model_fields_set
        )

    def add_code(
        self,
        owner: CartOwner,
        kind: str,
        code: str,
        validate: Callable[[StoredCart], None],
        if_match: int | None = None,
    ) -> StoredCart:
        """Adds a code after ``validate`` (a preview pricing of the changed cart) accepted it."""

        def apply(_: CartRead, cart: StoredCart) -> StoredCart:
            updated = changes.add_code(cart, kind, code, self.clock.now(), self.lifetimes)
            if updated is not cart:
                validate(updated)
            return updated

        return self._write(owner, [], apply, if_match)

    def remove_code(self, owner: CartOwner, kind: str, code: str, if_match: int | None = None) -> StoredCart:
        return self._write(
            owner,
            [],
            lambda _, cart: changes.remove_code(cart, kind, code, self.clock.now(), self.lifetimes),
            if_match,
        )

    def merge(self, customer: CartOwner, guest: CartOwner) -> Merged:
        """Idempotent: merging a guest cart already merged into this customer's cart answers that cart."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                self.pause(attempt)
            guest_cart = self.store.get(guest)
            mine = self.store.get(customer)
            if guest_cart is None:
                raise no_cart()
            if guest_cart.status is CartStatus.MERGED:
                if mine is not None and guest_cart.merged_into == mine.id:
                    return Merged(mine, guest_cart, (), ())
                raise no_cart()
            if guest_cart.status is not CartStatus.OPEN:
                raise no_cart()  # it became an order: nothing left to merge
            base = mine
            if mine is not None and mine.status is not CartStatus.OPEN:
                base = changes.reopened(mine, self.clock.now(), self.lifetimes)
            facts = self.store.facts([line.sku for line in guest_cart.lines])
            merged = changes.merge(base, guest_cart, facts, self.limits, self.clock.now(), self.lifetimes)
            try:
                self.store.save_merge(
                    customer,
                    merged.cart,
                    mine.version if mine else 0,
                    guest,
                    merged.closed_guest,
                    guest_cart.version,
                )
            except VersionConflict:
                continue
            return merged
        raise Conflict("the carts are being changed by another request; retry")
