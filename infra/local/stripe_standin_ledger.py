"""The stand-in's Stripe account: PaymentIntents, charges, refunds, payment methods and events.

The PaymentIntent status machine follows Stripe's for the calls we make:

    requires_payment_method --(payment_method)--> requires_confirmation --confirm--> ...
    confirm: requires_capture (manual) | succeeded (automatic) | requires_action (3-D Secure)
             | requires_payment_method + last_payment_error (declined, 402)
    requires_capture --capture--> succeeded (partial capture releases the rest)
    requires_capture --capture final_capture=false--> requires_capture (multicapture: the rest stays held)
    any open status --cancel--> canceled (an uncaptured charge, or what multicapture left, is released)
    succeeded --refund(s)--> (charge) refunded up to the captured amount

Multicapture (``payment_method_options[card][request_multicapture]=if_available``) is available on the
charge (``payment_method_details.card.multicapture.status``) for the brands Stripe lists (Visa, Mastercard,
Amex, Discover); without it ``final_capture=false`` is refused, as Stripe refuses it. ``settlement(id)``
is the account's ledger of one PaymentIntent: authorised = captured + voided + still capturable.

Every change records an ``Event`` (``evt_...``) in order and hands it to ``publish`` (the webhook
dispatcher). One lock guards the account, so concurrent requests see Stripe's serialised view.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.local.stripe_standin_cards import (
    DECLINES,
    MAXIMUM_AMOUNT,
    MINIMUM_AMOUNTS,
    TEST_CARDS,
    minor_unit_exponent,
)
from infra.local.stripe_standin_wire import (
    Params,
    StripeError,
    format_amount,
    invalid_state,
    merge_metadata,
    new_id,
    no_such,
)

OPEN_STATUSES = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
PI_CREATE_PARAMS = (
    "amount", "currency", "capture_method", "confirm", "confirmation_method", "customer", "description",
    "metadata", "payment_method", "payment_method_types", "allowed_payment_method_types",
    "excluded_payment_method_types", "automatic_payment_methods", "receipt_email",
    "return_url", "setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix",
    "transfer_group", "off_session", "payment_method_options", "error_on_requires_action",
)  # fmt: skip
PI_UPDATE_PARAMS = (
    "amount", "currency", "capture_method", "customer", "description", "metadata", "payment_method",
    "payment_method_types", "allowed_payment_method_types", "excluded_payment_method_types", "receipt_email",
    "setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_group",
    "payment_method_options",
)  # fmt: skip
# What may change only before the PaymentIntent is confirmed.
PI_PAYMENT_TERMS = (
    "amount", "currency", "capture_method", "payment_method", "payment_method_types", "allowed_payment_method_types",
)  # fmt: skip
PI_CONFIRM_PARAMS = (
    "payment_method", "return_url", "receipt_email", "setup_future_usage", "shipping", "off_session",
    "payment_method_options", "error_on_requires_action", "capture_method", "use_stripe_sdk", "mandate_data",
)  # fmt: skip
PI_CAPTURE_PARAMS = (
    "amount_to_capture",
    "metadata",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "final_capture",
)
PI_CANCEL_PARAMS = ("cancellation_reason",)
REFUND_CREATE_PARAMS = ("payment_intent", "charge", "amount", "reason", "metadata", "instructions_email")
SUPPORTED_METHOD_TYPES = ("card", "link")
# What a charge's payment_method_details.card copies from the PaymentMethod (fraud screening reads
# fingerprint and country).
CHARGE_CARD_FIELDS = (
    "brand",
    "country",
    "exp_month",
    "exp_year",
    "fingerprint",
    "funding",
    "last4",
    "wallet",
)
BILLING_FIELDS = ("address", "email", "name", "phone")
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
MULTICAPTURE_BRANDS = ("visa", "mastercard", "amex", "discover")
EXPANDABLE_PREFIXES = {"pi_": "payment_intents", "ch_": "charges", "re_": "refunds", "pm_": "payment_methods"}


@dataclass(frozen=True)
class Caller:
    """The API request that caused a change; its ids go on the events, as Stripe's ``event.request``."""

    request_id: str | None = None
    idempotency_key: str | None = None


class StripeLedger:
    def __init__(
        self, clock: Callable[[], float], api_version: str, publish: Callable[[dict[str, Any]], int]
    ) -> None:
        self._clock = clock
        self._api_version = api_version
        self._publish = publish
        self._lock = threading.RLock()
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.payment_methods: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._events_by_id: dict[str, dict[str, Any]] = {}
        self._card_of_pm: dict[str, str] = {}  # pm id -> test token, for its outcomes
        self._released: dict[str, int] = {}  # charge id -> amount released by a partial capture or cancel
        self._failing_captures: dict[str, bool] = {}  # intent id -> its next capture is declined

    def _now(self) -> int:
        return int(self._clock())

    # ---- events -------------------------------------------------------------------------------------

    def _emit(self, event_type: str, obj: dict[str, Any], caller: Caller) -> None:
        event: dict[str, Any] = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": self._api_version,
            "created": self._now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": caller.request_id, "idempotency_key": caller.idempotency_key},
            "type": event_type,
        }
        self.events.append(event)
        self._events_by_id[event["id"]] = event
        event["pending_webhooks"] = self._publish(copy.deepcopy(event))

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        with self._lock:
            event = self._events_by_id.get(event_id)
            if event is None:
                raise no_such("event", event_id, "id")
            return copy.deepcopy(event)

    def list_events(self, params: Params) -> dict[str, Any]:
        with self._lock:
            types = set(params.strings("types") or [])
            single = params.text("type")
            if single:
                types.add(single)
            newest_first = [e for e in reversed(self.events) if not types or _type_matches(e["type"], types)]
            return self._page(newest_first, params, "/v1/events")

    def _page(self, items: list[dict[str, Any]], params: Params, url: str) -> dict[str, Any]:
        limit = params.integer("limit") or 10
        if not 1 <= limit <= 100:
            raise StripeError(400, "Invalid limit: must be between 1 and 100", param="limit")
        ids = [item["id"] for item in items]
        after, before = params.text("starting_after"), params.text("ending_before")
        for cursor, name in ((after, "starting_after"), (before, "ending_before")):
            if cursor and cursor not in ids:
                raise no_such("object", cursor, name, status=400)
        if after:
            window = items[ids.index(after) + 1 :]
            page = window[:limit]
        elif before:
            window = items[: ids.index(before)]
            page = window[-limit:]
        else:
            window = items
            page = window[:limit]
        return {"object": "list", "data": copy.deepcopy(page), "has_more": len(window) > limit, "url": url}

    # ---- payment intents ---------------------------------------------------------------------------

    def create_payment_intent(self, raw: dict[str, Any], caller: Caller) -> dict[str, Any]:
        params = Params(raw, PI_CREATE_PARAMS)
        currency = _currency(params)
        amount = _amount(params, currency, required=True)
        methods = _method_config(params)
        confirm = bool(params.boolean("confirm"))
        if not confirm:
            for name in ("return_url", "off_session", "error_on_requires_action"):
                if name in params:
                    raise StripeError(400, f"You can only pass `{name}` when `confirm=true`.", param=name)
        with self._lock:
            intent_id = new_id("pi")
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_details": {"tip": {}},
                "amount_received": 0,
                "application": None,
                "application_fee_amount": None,
                "allowed_payment_method_types": methods["allowed_payment_method_types"],
                "automatic_payment_methods": methods["automatic_payment_methods"],
                "canceled_at": None,
                "cancellation_reason": None,
                "capture_method": params.text("capture_method", choices=CAPTURE_METHODS) or "automatic_async",
                "client_secret": f"{intent_id}_secret_{new_id('x', 25)[2:]}",
                "confirmation_method": params.text("confirmation_method", choices=("automatic", "manual")) or "automatic",
                "created": self._now(),
                "currency": currency,
                "customer": params.text("customer"),
                "customer_account": None,
                "description": params.text("description"),
                "excluded_payment_method_types": params.strings("excluded_payment_method_types"),
                "last_payment_error": None,
                "latest_charge": None,
                "livemode": False,
                "metadata": merge_metadata({}, params.mapping("metadata")),
                "next_action": None,
                "on_behalf_of": None,
                "payment_method": None,
                "payment_method_configuration_details": None,
                "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None, "request_multicapture": _multicapture(params), "request_three_d_secure": "automatic"}},
                "payment_method_types": methods["payment_method_types"],
                "processing": None,
                "receipt_email": params.text("receipt_email"),
                "review": None,
                "setup_future_usage": params.text("setup_future_usage", choices=("on_session", "off_session")),
                "shipping": params.mapping("shipping"),
                "source": None,
                "statement_descriptor": params.text("statement_descriptor"),
                "statement_descriptor_suffix": params.text("statement_descriptor_suffix"),
                "status": "requires_payment_method",
                "transfer_data": None,
                "transfer_group": params.text("transfer_group"),
            }  # fmt: skip
            pm_token = params.text("payment_method")
            if pm_token:
                intent["payment_method"] = self._payment_method(pm_token)["id"]
                intent["status"] = "requires_confirmation"
            self.payment_intents[intent_id] = intent
            self._emit("payment_intent.created", intent, caller)
            if confirm:
                return self._confirm(intent, params, caller, from_browser=False)
            return copy.deepcopy(intent)

    def _intent(self, intent_id: str) -> dict[str, Any]:
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, "intent")
        return intent

    def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._intent(intent_id))

    def update_payment_intent(self, intent_id: str, raw: dict[str, Any], caller: Caller) -> dict[str, Any]:
        params = Params(raw, PI_UPDATE_PARAMS)
        with self._lock:
            intent = self._intent(intent_id)
            terms = [name for name in PI_PAYMENT_TERMS if name in params]
            if terms and intent["status"] not in OPEN_STATUSES:
                raise invalid_state(
                    f"This PaymentIntent's {terms[0]} could not be updated because it has a status of "
                    f"{intent['status']}. You may only update the {terms[0]} of a PaymentIntent with one of "
                    f"the following statuses: {', '.join(OPEN_STATUSES)}."
                )
            currency = _currency(params, required=False) or intent["currency"]
            changes: dict[str, Any] = {"currency": currency}
            amount = _amount(params, currency, required=False)
            if amount is not None:
                changes["amount"] = amount
            if {"payment_method_types", "allowed_payment_method_types", "automatic_payment_methods"} & set(
                params.raw
            ):
                changes.update(_method_config(params))
            for name in (
                "customer",
                "description",
                "receipt_email",
                "statement_descriptor",
                "statement_descriptor_suffix",
                "transfer_group",
            ):
                if name in params:
                    changes[name] = params.text(name)
            if "capture_method" in params:
                changes["capture_method"] = params.text("capture_method", choices=CAPTURE_METHODS)
            if "shipping" in params:
                changes["shipping"] = params.mapping("shipping") or None
            changes["metadata"] = merge_metadata(intent["metadata"], params.mapping("metadata"))
            pm_token = params.text("payment_method")
            if pm_token:
                changes["payment_method"] = self._payment_method(pm_token)["id"]
                changes["status"] = "requires_confirmation"
            intent.update(changes)
            return copy.deepcopy(intent)

    def confirm_payment_intent(
        self,
        intent_id: str,
        raw: dict[str, Any],
        caller: Caller,
        *,
        from_browser: bool = False,
        billing_details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``billing_details``: what the browser's payment form collected (Stripe Elements sends it)."""
        params = Params(raw, PI_CONFIRM_PARAMS)
        with self._lock:
            return self._confirm(
                self._intent(intent_id),
                params,
                caller,
                from_browser=from_browser,
                billing_details=billing_details,
            )

    def _confirm(
        self,
        intent: dict[str, Any],
        params: Params,
        caller: Caller,
        *,
        from_browser: bool,
        billing_details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if intent["status"] not in OPEN_STATUSES:
            raise invalid_state(
                f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}."
            )
        # Checked before a PaymentMethod is made, so a refused form leaves nothing behind.
        billing = normalise_billing_details(billing_details) if billing_details is not None else None
        pm_token = params.text("payment_method")
        payment_method = self._payment_method(pm_token) if pm_token else None
        if payment_method is None and intent["payment_method"]:
            payment_method = self.payment_methods[intent["payment_method"]]
        if payment_method is not None and billing is not None:
            payment_method["billing_details"] = billing
        if payment_method is None:
            raise StripeError(
                400,
                "You cannot confirm this PaymentIntent because it's missing a payment method. Update the "
                "PaymentIntent with a payment method and then confirm it again.",
                code="payment_intent_unexpected_state",
                param="payment_method",
            )
        apm = intent["automatic_payment_methods"] or {}
        if (
            not from_browser
            and apm.get("enabled")
            and apm.get("allow_redirects") != "never"
            and not params.text("return_url")
        ):
            raise StripeError(
                400,
                "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, some "
                "of which may require a full page redirect to succeed. You must provide a `return_url` when "
                "confirming, or set `automatic_payment_methods[allow_redirects]=never`.",
                param="return_url",
            )
        intent["payment_method"] = payment_method["id"]
        intent["last_payment_error"] = None
        card = TEST_CARDS[self._card_of_pm[payment_method["id"]]]
        if card.outcome == "authentication_required":
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={intent['id']}",
                },
            }
            self._emit("payment_intent.requires_action", intent, caller)
            return copy.deepcopy(intent)
        if card.outcome in DECLINES:
            self._decline(intent, payment_method, card.outcome, caller)
        self._authorise(intent, payment_method, caller)
        return copy.deepcopy(intent)

    def authenticate(self, intent_id: str, succeed: bool, caller: Caller) -> dict[str, Any]:
        """The shopper completes (or fails) the 3-D Secure challenge in the browser."""
        with self._lock:
            intent = self._intent(intent_id)
            if intent["status"] != "requires_action":
                raise invalid_state(
                    f"This PaymentIntent has a status of {intent['status']}; only one in requires_action "
                    "waits for authentication."
                )
            payment_method = self.payment_methods[intent["payment_method"]]
            intent["next_action"] = None
            if succeed:
                self._authorise(intent, payment_method, caller)
                return copy.deepcopy(intent)
            intent.update(
                status="requires_payment_method",
                payment_method=None,
                last_payment_error={
                    "code": "payment_intent_authentication_failure",
                    "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
                    "message": "The provided PaymentMethod has failed authentication. You can provide "
                    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
                    "payment_method": copy.deepcopy(payment_method),
                    "type": "invalid_request_error",
                },
            )
            self._emit("payment_intent.payment_failed", intent, caller)
            return copy.deepcopy(intent)

    def _new_charge(
        self, intent: dict[str, Any], payment_method: dict[str, Any], status: str
    ) -> dict[str, Any]:
        charge_id = new_id("ch")
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            # The charge keeps the details as they were when it was made, as in Stripe.
            "billing_details": copy.deepcopy(payment_method["billing_details"]),
            "captured": False,
            "created": self._now(),
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "outcome": {
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
            "paid": status == "succeeded",
            "payment_intent": intent["id"],
            "payment_method": payment_method["id"],
            "payment_method_details": {
                "card": {
                    **{key: payment_method["card"][key] for key in CHARGE_CARD_FIELDS},
                    "multicapture": {"status": _multicapture_status(intent, payment_method)},
                    "network": payment_method["card"]["brand"],
                    "three_d_secure": None,
                },
                "type": "card",
            },
            "receipt_email": intent["receipt_email"],
            "refunded": False,
            "status": status,
        }
        self.charges[charge_id] = charge
        intent["latest_charge"] = charge_id
        return charge

    def _decline(
        self, intent: dict[str, Any], payment_method: dict[str, Any], outcome: str, caller: Caller
    ) -> None:
        code, decline_code, message = DECLINES[outcome]
        charge = self._new_charge(intent, payment_method, "failed")
        charge.update(
            failure_code=code,
            failure_message=message,
            outcome={
                "network_status": "declined_by_network",
                "reason": decline_code,
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            },
        )
        error = {
            "charge": charge["id"],
            "code": code,
            "decline_code": decline_code,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "message": message,
            "payment_method": copy.deepcopy(payment_method),
            "type": "card_error",
        }
        intent.update(status="requires_payment_method", payment_method=None, last_payment_error=error)
        self._emit("charge.failed", charge, caller)
        self._emit("payment_intent.payment_failed", intent, caller)
        raise StripeError(
            402,
            message,
            type="card_error",
            code=code,
            saved=True,
            charge=charge["id"],
            decline_code=decline_code,
            payment_intent=copy.deepcopy(intent),
            payment_method=copy.deepcopy(payment_method),
        )

    def _authorise(self, intent: dict[str, Any], payment_method: dict[str, Any], caller: Caller) -> None:
        charge = self._new_charge(intent, payment_method, "succeeded")
        if intent["capture_method"] == "manual":
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
            self._emit("charge.succeeded", charge, caller)
            self._emit("payment_intent.amount_capturable_updated", intent, caller)
            return
        charge.update(captured=True, amount_captured=charge["amount"], balance_transaction=new_id("txn"))
        intent.update(status="succeeded", amount_received=intent["amount"])
        self._emit("charge.succeeded", charge, caller)
        self._emit("payment_intent.succeeded", intent, caller)

    def capture_payment_intent(self, intent_id: str, raw: dict[str, Any], caller: Caller) -> dict[str, Any]:
        params = Params(raw, PI_CAPTURE_PARAMS)
        final = params.boolean("final_capture")
        with self._lock:
            intent = self._intent(intent_id)
            if intent["status"] != "requires_capture":
                raise invalid_state(
                    f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
                    "Only a PaymentIntent with one of the following statuses may be captured: requires_capture."
                )
            charge = self.charges[intent["latest_charge"]]
            multicapture = charge["payment_method_details"]["card"]["multicapture"]["status"] == "available"
            if final is False and not multicapture:
                raise StripeError(
                    400,
                    "final_capture can only be set to false when multicapture is available for this PaymentIntent.",
                    param="final_capture",
                )
            capturable = intent["amount_capturable"]
            amount = params.integer("amount_to_capture", positive=True) or capturable
            if amount > capturable:
                raise StripeError(
                    400,
                    f"The amount_to_capture ({amount}) must be less than or equal to the amount_capturable "
                    f"({capturable}) on this PaymentIntent.",
                    code="amount_too_large",
                    param="amount_to_capture",
                )
            if self._failing_captures.pop(intent_id, False):
                self._decline_capture(intent, charge, caller)
            charge.update(
                captured=True,
                amount_captured=charge["amount_captured"] + amount,
                balance_transaction=new_id("txn"),
            )
            intent["metadata"] = merge_metadata(intent["metadata"], params.mapping("metadata"))
            intent.update(
                amount_received=intent["amount_received"] + amount, amount_capturable=capturable - amount
            )
            if final is False:
                self._emit("charge.captured", charge, caller)
                self._emit("payment_intent.amount_capturable_updated", intent, caller)
                return copy.deepcopy(intent)
            self._release(charge, capturable - amount)
            intent.update(status="succeeded", amount_capturable=0)
            self._emit("charge.captured", charge, caller)
            self._emit("payment_intent.succeeded", intent, caller)
            return copy.deepcopy(intent)

    def _release(self, charge: dict[str, Any], amount: int) -> None:
        """What is authorised and will not be captured goes back to the card (as a refund of the charge)."""
        self._released[charge["id"]] = self._released.get(charge["id"], 0) + amount
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]

    def _decline_capture(self, intent: dict[str, Any], charge: dict[str, Any], caller: Caller) -> None:
        """A capture the issuer refuses (a later multicapture, a lapsed authorisation): 402, nothing taken."""
        code, decline_code, message = DECLINES["generic_decline"]
        error = {
            "charge": charge["id"],
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "type": "card_error",
        }
        intent["last_payment_error"] = error
        self._emit("payment_intent.payment_failed", intent, caller)
        raise StripeError(
            402, message, type="card_error", code=code, decline_code=decline_code, charge=charge["id"]
        )

    def decline_next_capture(self, intent_id: str) -> dict[str, Any]:
        """Test helper: the next capture of this PaymentIntent is declined by the issuer."""
        with self._lock:
            self._intent(intent_id)
            self._failing_captures[intent_id] = True
            return {"id": intent_id, "decline_next_capture": True}

    def expire_authorisation(self, intent_id: str) -> dict[str, Any]:
        """Test helper: the authorisation window passed (Stripe cancels the PaymentIntent, ``automatic``)."""
        return self.cancel_payment_intent(intent_id, {}, Caller(new_id("req", 14), None), reason="automatic")

    def settlement(self, intent_id: str) -> dict[str, int]:
        """The ledger of one PaymentIntent: what was authorised, captured, voided (released uncaptured)
        and is still capturable; authorised = captured + voided + capturable, always."""
        with self._lock:
            intent = self._intent(intent_id)
            charge = self.charges.get(intent["latest_charge"] or "")
            authorised = charge["amount"] if charge is not None and charge["status"] == "succeeded" else 0
            return {
                "authorised": authorised,
                "captured": intent["amount_received"],
                "voided": self._released.get(charge["id"], 0) if charge is not None else 0,
                "capturable": intent["amount_capturable"],
            }

    def cancel_payment_intent(
        self, intent_id: str, raw: dict[str, Any], caller: Caller, *, reason: str | None = None
    ) -> dict[str, Any]:
        """``reason``: Stripe's own (``automatic``: the authorisation expired), which callers cannot pass."""
        params = Params(raw, PI_CANCEL_PARAMS)
        reason = reason or params.text("cancellation_reason", choices=CANCELLATION_REASONS)
        with self._lock:
            intent = self._intent(intent_id)
            if intent["status"] not in CANCELABLE:
                raise invalid_state(
                    f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. "
                    f"Only a PaymentIntent with one of the following statuses may be canceled: {', '.join(CANCELABLE)}."
                )
            release = intent["amount_capturable"] if intent["status"] == "requires_capture" else 0
            intent.update(
                status="canceled",
                canceled_at=self._now(),
                cancellation_reason=reason,
                amount_capturable=0,
                next_action=None,
            )
            if release:
                # Canceling an authorisation refunds what is left of its uncaptured charge (no Refund object
                # is made); after multicapture's partial captures, only the rest.
                charge = self.charges[intent["latest_charge"]]
                self._release(charge, release)
                self._emit("charge.refunded", charge, caller)
            self._emit("payment_intent.canceled", intent, caller)
            return copy.deepcopy(intent)

    # ---- refunds, charges, payment methods ---------------------------------------------------------

    def create_refund(self, raw: dict[str, Any], caller: Caller) -> dict[str, Any]:
        params = Params(raw, REFUND_CREATE_PARAMS)
        reason = params.text("reason", choices=REFUND_REASONS)
        amount = params.integer("amount", positive=True)
        with self._lock:
            charge = self._refundable_charge(params)
            released = self._released.get(charge["id"], 0)
            remaining = charge["amount_captured"] - (charge["amount_refunded"] - released)
            if remaining <= 0:
                raise StripeError(
                    400,
                    f"Charge {charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                    saved=True,
                )
            amount = remaining if amount is None else amount
            if amount > remaining:
                exponent = minor_unit_exponent(charge["currency"])
                raise StripeError(
                    400,
                    f"Refund amount ({format_amount(amount, charge['currency'], exponent)}) is greater than "
                    f"unrefunded amount on charge ({format_amount(remaining, charge['currency'], exponent)})",
                    code="amount_too_large",
                    param="amount",
                    saved=True,
                )
            refund = {
                "id": new_id("re"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": new_id("txn"),
                "charge": charge["id"],
                "created": self._now(),
                "currency": charge["currency"],
                "destination_details": {
                    "card": {
                        "reference_status": "pending",
                        "reference_type": "acquirer_reference_number",
                        "type": "refund",
                    },
                    "type": "card",
                },
                "metadata": merge_metadata({}, params.mapping("metadata")),
                "payment_intent": charge["payment_intent"],
                "reason": reason,
                "receipt_number": None,
                "source_transfer_reversal": None,
                "status": "succeeded",
                "transfer_reversal": None,
            }
            self.refunds[refund["id"]] = refund
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            self._emit("refund.created", refund, caller)
            self._emit("charge.refunded", charge, caller)
            if self._card_of_pm.get(charge["payment_method"]) == "pm_card_refundFail":
                self._fail_refund(refund, charge, caller)
            return copy.deepcopy(refund)

    def _refundable_charge(self, params: Params) -> dict[str, Any]:
        intent_id, charge_id = params.text("payment_intent"), params.text("charge")
        if not intent_id and not charge_id:
            raise StripeError(
                400,
                "One of the following params should be provided for this request: payment_intent or charge.",
            )
        if intent_id:
            intent = self.payment_intents.get(intent_id)
            if intent is None:
                raise no_such("payment_intent", intent_id, "payment_intent", status=400)
            charge_id = intent["latest_charge"] if intent["status"] == "succeeded" else None
            if charge_id is None:
                raise invalid_state(
                    f"This PaymentIntent ({intent_id}) does not have a successful charge to refund."
                )
        charge = self.charges.get(str(charge_id))
        if charge is None:
            raise no_such("charge", str(charge_id), "charge", status=400)
        if not charge["captured"] or charge["status"] != "succeeded":
            raise StripeError(
                400, f"Charge {charge['id']} has not been captured.", code="charge_not_refundable", saved=True
            )
        return charge

    def _fail_refund(self, refund: dict[str, Any], charge: dict[str, Any], caller: Caller) -> None:
        """``pm_card_refundFail``: the refund succeeds at first and fails afterwards, as at the bank."""
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        refund.update(
            status="failed",
            failure_reason="expired_or_canceled_card",
            failure_balance_transaction=new_id("txn"),
        )
        self._emit("refund.updated", refund, caller)
        self._emit("refund.failed", refund, caller)

    def retrieve(self, collection: str, object_id: str, kind: str) -> dict[str, Any]:
        with self._lock:
            found = getattr(self, collection).get(object_id)
            if found is None:
                raise no_such(kind, object_id, "id")
            return copy.deepcopy(found)

    def list_payment_intents(self, params: Params) -> dict[str, Any]:
        """Newest first, optionally within ``created[gte|gt|lte|lt]`` (epoch seconds) and of a ``customer``."""
        created = params.mapping("created", ("gte", "gt", "lte", "lt")) or {}
        bounds = {op: int(value) for op, value in created.items()}
        tests = {
            "gte": lambda c, b: c >= b,
            "gt": lambda c, b: c > b,
            "lte": lambda c, b: c <= b,
            "lt": lambda c, b: c < b,
        }
        customer = params.text("customer")
        with self._lock:
            matching = [
                i
                for i in reversed(self.payment_intents.values())
                if all(tests[op](i["created"], bound) for op, bound in bounds.items())
                and (not customer or i["customer"] == customer)
            ]
            return self._page(matching, params, "/v1/payment_intents")

    def list_refunds(self, params: Params) -> dict[str, Any]:
        with self._lock:
            intent_id, charge_id = params.text("payment_intent"), params.text("charge")
            matching = [
                r
                for r in reversed(self.refunds.values())
                if (not intent_id or r["payment_intent"] == intent_id)
                and (not charge_id or r["charge"] == charge_id)
            ]
            return self._page(matching, params, "/v1/refunds")

    def _payment_method(self, token: str) -> dict[str, Any]:
        """A test token (``pm_card_visa``) becomes a new PaymentMethod, as Stripe does in test mode."""
        if token in self.payment_methods:
            return self.payment_methods[token]
        card = TEST_CARDS.get(token)
        if card is None:
            raise no_such("PaymentMethod", token, "payment_method", status=400)
        now = self._now()
        method: dict[str, Any] = {
            "id": new_id("pm"),
            "object": "payment_method",
            "billing_details": normalise_billing_details({}),
            "card": {
                "brand": card.brand,
                "country": card.country,
                "display_brand": card.brand,
                "exp_month": 12,
                "exp_year": 2034,
                "fingerprint": card.fingerprint,
                "funding": card.funding,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": None},
                "wallet": None,
            },
            "created": now,
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": "card",
        }
        self.payment_methods[method["id"]] = method
        self._card_of_pm[method["id"]] = token
        return method

    def expand(self, obj: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        """Replaces the ids named in ``expand[]`` with their objects (one level, as the stand-in needs)."""
        with self._lock:
            for field in fields:
                value = obj.get(field)
                collection = EXPANDABLE_PREFIXES.get(value[:3]) if isinstance(value, str) else None
                if field not in obj or (value is not None and collection is None):
                    raise StripeError(400, f"This property cannot be expanded ({field}).", param="expand")
                if collection is not None:
                    obj[field] = copy.deepcopy(getattr(self, collection)[value])
            return obj


def normalise_billing_details(raw: Any) -> dict[str, Any]:
    """Stripe's ``billing_details`` from what the payment form sent: every key present (null when not
    given), ``address`` null when empty, the country as an upper-case ISO code; unknown keys refused."""
    _known_keys(raw, BILLING_FIELDS, "billing_details")
    details: dict[str, Any] = {
        name: _optional_string(raw, name, "billing_details") for name in BILLING_FIELDS if name != "address"
    }
    address = raw.get("address")
    details["address"] = _address(address) if address else None
    return dict(sorted(details.items()))


def _address(raw: Any) -> dict[str, Any]:
    param = "billing_details[address]"
    _known_keys(raw, ADDRESS_FIELDS, param)
    address = {name: _optional_string(raw, name, param) for name in ADDRESS_FIELDS}
    country = address["country"]
    if country is not None:
        if len(country) != 2 or not country.isalpha():
            raise StripeError(
                400,
                f"Country '{country}' is unknown. Try using a 2-character alphanumeric country code instead, such as 'US', 'EG', or 'GB'.",
                param=f"{param}[country]",
            )
        address["country"] = country.upper()
    return address


def _known_keys(raw: Any, names: tuple[str, ...], param: str) -> None:
    if not isinstance(raw, dict):
        raise StripeError(400, f"Invalid hash: {param}", param=param)
    for key in raw:
        if key not in names:
            raise StripeError(
                400,
                f"Received unknown parameter: {param}[{key}]",
                code="parameter_unknown",
                param=f"{param}[{key}]",
            )


def _optional_string(raw: dict[str, Any], name: str, param: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise StripeError(400, f"Invalid string: {value!r}", param=f"{param}[{name}]")
    return value or None


def _type_matches(event_type: str, wanted: set[str]) -> bool:
    return any(event_type == w or (w.endswith(".*") and event_type.startswith(w[:-1])) for w in wanted)


def _currency(params: Params, *, required: bool = True) -> str | None:
    currency = params.text("currency", required=required)
    if currency is None:
        return None
    currency = currency.lower()
    if currency not in MINIMUM_AMOUNTS:
        raise StripeError(
            400,
            f"Invalid currency: {currency}. The stand-in supports: {', '.join(sorted(MINIMUM_AMOUNTS))}",
            param="currency",
        )
    return currency


def _amount(params: Params, currency: str | None, *, required: bool) -> int | None:
    amount = params.integer("amount", required=required)
    if amount is None or currency is None:
        return amount
    minimum = MINIMUM_AMOUNTS[currency]
    if amount < minimum:
        shown = format_amount(minimum, currency, minor_unit_exponent(currency))
        raise StripeError(400, f"Amount must be at least {shown}", code="amount_too_small", param="amount")
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(
            400, "Amount must be no more than 99999999", code="amount_too_large", param="amount"
        )
    return amount


def _multicapture(params: Params) -> str | None:
    options = params.mapping("payment_method_options") or {}
    card = options.get("card")
    value = card.get("request_multicapture") if isinstance(card, dict) else None
    if value not in (None, "if_available", "never"):
        raise StripeError(
            400,
            "Invalid payment_method_options[card][request_multicapture]: must be one of if_available or never",
            param="payment_method_options[card][request_multicapture]",
        )
    return str(value) if value is not None else None


def _multicapture_status(intent: dict[str, Any], payment_method: dict[str, Any]) -> str:
    requested = intent["payment_method_options"]["card"].get("request_multicapture") == "if_available"
    manual = intent["capture_method"] == "manual"
    available = requested and manual and payment_method["card"]["brand"] in MULTICAPTURE_BRANDS
    return "available" if available else "unavailable"


def _method_config(params: Params) -> dict[str, Any]:
    """Which payment methods the intent takes: a list of types, or the Dashboard's (``automatic_payment_methods``).

    The SDK's API version names the list ``allowed_payment_method_types``; older versions called it
    ``payment_method_types``, which is still accepted. With neither, automatic payment methods are on
    (the default since API 2023-08-16).
    """
    allowed = params.strings("allowed_payment_method_types")
    legacy = params.strings("payment_method_types")
    automatic = params.mapping("automatic_payment_methods", allowed=("enabled", "allow_redirects"))
    if legacy is not None and (automatic is not None or allowed is not None):
        raise StripeError(
            400,
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
            param="payment_method_types",
        )
    types = allowed if allowed is not None else legacy
    if types is not None:
        unsupported = [t for t in types if t not in SUPPORTED_METHOD_TYPES]
        if unsupported:
            raise StripeError(
                400,
                f"The payment method type {unsupported[0]!r} is invalid (the stand-in knows card and link).",
                code="payment_intent_invalid_parameter",
                param="allowed_payment_method_types" if allowed is not None else "payment_method_types",
            )
    if types is not None and automatic is None:
        return {
            "allowed_payment_method_types": allowed,
            "payment_method_types": types,
            "automatic_payment_methods": None,
        }
    automatic = automatic or {"enabled": "true"}
    enabled = params.boolean("automatic_payment_methods[enabled]", automatic.get("enabled"))
    redirects = automatic.get("allow_redirects") or "always"
    if redirects not in ("always", "never"):
        raise StripeError(
            400,
            "Invalid allow_redirects: must be one of always or never",
            param="automatic_payment_methods[allow_redirects]",
        )
    config = {"enabled": bool(enabled), "allow_redirects": redirects} if enabled else None
    return {
        "allowed_payment_method_types": allowed,
        "payment_method_types": types or (["card", "link"] if enabled else ["card"]),
        "automatic_payment_methods": config,
    }
