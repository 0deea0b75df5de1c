"""The customers table: item layouts and the ``CustomerStore`` on DynamoDB.

One partition per customer, so everything about them is one Query (export, agent view, erasure):

| pk                | sk                          | type             | what                                      |
|-------------------|-----------------------------|------------------|-------------------------------------------|
| ``CUST#<sub>``    | ``REGISTERED``              | registration     | when the customer registered (written once) |
| ``CUST#<sub>``    | ``PROFILE``                 | profile          | names, phones, address book, preferences, |
|                   |                             |                  | birth date; gsi1 ``BIRTHDAY#<MM-DD>`` / sub |
| ``CUST#<sub>``    | ``CONSENT#<channel>``       | consent          | a channel's current consent (versioned)   |
| ``CUST#<sub>``    | ``CONSENTLOG#<at>#<ulid>``  | consent_record   | append-only consent history (IP-less)     |
| ``CUST#<sub>``    | ``NOTE#<note id>``          | note             | an agent's note                           |
| ``CUST#<sub>``    | ``GROUP``                   | group            | the B2B price group staff set (versioned) |
| ``CUST#<sub>``    | ``SEGMENTS``                | segments         | RFM scores and segment names (versioned)  |
| ``CUST#<sub>``    | ``ORDER#<order id>``        | order_fact       | a placed order's time, total, cancelled   |
| ``CUST#<sub>``    | ``ERASED``                  | erasure          | tombstone: when the customer was erased   |
| ``ORDER#<id>``    | ``OWNER``                   | order_owner      | whose order it is (``OrderCancelled`` names the order only) |

Access patterns: a customer's everything (Query ``pk``, consistent); an order's owner (GetItem); whose
birthday is on a day (Query gsi1 ``BIRTHDAY#<MM-DD>``: the sparse index holds the profiles with a birth
date, keyed by month and day only, so erasing the profile removes the entry). No Scan. Every write to a customer's partition carries a ConditionCheck that the tombstone is absent, and
erasure writes the tombstone first, then lists and deletes the rest: a write either landed before the
listing (and is deleted) or is refused, so nothing outlives an erasure.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from customers.domain.models import (
    Consent,
    CustomerConsentRecord,
    CustomerNote,
    CustomerProfile,
    CustomerRecord,
    GroupAssignment,
    OrderFact,
    Segments,
)
from customers.domain.ports import VersionConflict
from shop_kernel.dynamo import deserialize, query_all, serialize
from shop_kernel.ids import new_ulid

BATCH_WRITE_LIMIT = 25
_CONDITION_FAILED = ("ConditionalCheckFailedException", "TransactionCanceledException")


def customer_pk(customer_id: str) -> str:
    return f"CUST#{customer_id}"


def birthday_pk(month_day: str) -> str:
    return f"BIRTHDAY#{month_day}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _item(customer_id: str, sk: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    return serialize(
        {"pk": customer_pk(customer_id), "sk": sk, "type": kind, "customer_id": customer_id, **fields}
    )


def view_of(image: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stream image as plain fields (what ``customers.domain.events.events_for_change`` reads)."""
    if not image:
        return None
    fields = deserialize(image)
    fields.pop("pk", None)
    fields.pop("sk", None)
    return fields


def _strip(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k not in {"pk", "sk", "type", "customer_id", *names}}


def record_from_items(customer_id: str, items: list[dict[str, Any]]) -> CustomerRecord:
    parts: dict[str, Any] = {"consents": [], "consent_history": [], "notes": [], "orders": []}
    for raw in items:
        fields = deserialize(raw)
        kind = fields.get("type")
        if kind == "profile":
            profile = _strip(fields, "gsi1pk", "gsi1sk")
            parts["profile"] = CustomerProfile.model_validate({**profile, "customer_id": customer_id})
        elif kind == "consent":
            parts["consents"].append(Consent.model_validate(_strip(fields)))
        elif kind == "consent_record":
            parts["consent_history"].append(CustomerConsentRecord.model_validate(_strip(fields)))
        elif kind == "note":
            parts["notes"].append(CustomerNote.model_validate(_strip(fields)))
        elif kind == "group":
            parts["group"] = GroupAssignment.model_validate(_strip(fields))
        elif kind == "segments":
            parts["segments"] = Segments.model_validate(_strip(fields))
        elif kind == "order_fact":
            parts["orders"].append(OrderFact.model_validate(_strip(fields)))
        elif kind == "registration":
            parts["registered_at"] = fields["registered_at"]
        elif kind == "erasure":
            parts["erased_at"] = fields["erased_at"]
    return CustomerRecord(customer_id=customer_id, **parts)


class DynamoCustomerStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- reads -----------------------------------------------------------------------------------------

    def birthdays(self, month_day: str) -> list[str]:
        """The customers whose birth date falls on ``MM-DD`` (every page of the sparse index)."""
        items = query_all(
            self._client,
            TableName=self._table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :day",
            ExpressionAttributeValues={":day": {"S": birthday_pk(month_day)}},
            ProjectionExpression="gsi1sk",
        )
        return [item["gsi1sk"]["S"] for item in items]

    def load(self, customer_id: str) -> CustomerRecord:
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": customer_pk(customer_id)}},
            ConsistentRead=True,
        )
        return record_from_items(customer_id, items)

    def price_group(self, customer_id: str) -> str | None:
        found = self._client.get_item(
            TableName=self._table,
            Key=_key(customer_pk(customer_id), "GROUP"),
            ProjectionExpression="#group",
            ExpressionAttributeNames={"#group": "group"},
            ConsistentRead=True,
        )
        group = deserialize(found["Item"]).get("group") if "Item" in found else None
        return str(group) if group else None

    # --- writes ----------------------------------------------------------------------------------------

    def _not_erased(self, customer_id: str) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": _key(customer_pk(customer_id), "ERASED"),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _put(self, item: dict[str, Any], expected_version: int | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": item}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        elif expected_version > 0:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
        else:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": put}

    def _transact(self, parts: list[dict[str, Any]]) -> None:
        try:
            self._client.transact_write_items(TransactItems=parts)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _CONDITION_FAILED:
                raise VersionConflict(str(exc)) from exc
            raise

    def _guarded(self, customer_id: str, put: dict[str, Any]) -> list[dict[str, Any]]:
        """``put`` with the check that the customer is not erased. A replace needs it as much as a create:
        one landing after erasure listed the items to delete would outlive the erasure."""
        return [self._not_erased(customer_id), put]

    def save_profile(
        self, profile: CustomerProfile, expected_version: int | None, registered_at: str | None = None
    ) -> None:
        fields = profile.model_dump(mode="json", exclude={"customer_id"})
        if profile.birth_date is not None:
            fields.update(
                gsi1pk=birthday_pk(profile.birth_date.strftime("%m-%d")), gsi1sk=profile.customer_id
            )
        item = _item(profile.customer_id, "PROFILE", "profile", fields)
        parts = self._guarded(profile.customer_id, self._put(item, expected_version))
        if registered_at is not None:
            parts.append(self._put(self._registration(profile.customer_id, registered_at)))
        self._transact(parts)

    def _registration(self, customer_id: str, registered_at: str) -> dict[str, Any]:
        return _item(customer_id, "REGISTERED", "registration", {"registered_at": registered_at})

    def register(self, customer_id: str, registered_at: str) -> bool:
        try:
            self._transact(
                self._guarded(customer_id, self._put(self._registration(customer_id, registered_at)))
            )
        except VersionConflict:
            return False
        return True

    def save_consent(
        self, customer_id: str, consent: Consent, expected_version: int, record: CustomerConsentRecord
    ) -> None:
        state = _item(
            customer_id, f"CONSENT#{consent.channel.value}", "consent", consent.model_dump(mode="json")
        )
        entry = _item(
            customer_id,
            f"CONSENTLOG#{record.at}#{new_ulid()}",
            "consent_record",
            record.model_dump(mode="json"),
        )
        parts = [
            *self._guarded(customer_id, self._put(state, expected_version)),
            self._put(entry),
        ]
        self._transact(parts)

    def save_group(self, customer_id: str, group: GroupAssignment, expected_version: int) -> None:
        item = _item(customer_id, "GROUP", "group", group.model_dump(mode="json"))
        self._transact(self._guarded(customer_id, self._put(item, expected_version)))

    def add_note(self, customer_id: str, note: CustomerNote) -> None:
        item = _item(customer_id, f"NOTE#{note.id}", "note", note.model_dump(mode="json"))
        self._transact([self._not_erased(customer_id), self._put(item)])

    def save_segments(self, customer_id: str, segments: Segments, expected_version: int) -> None:
        item = _item(customer_id, "SEGMENTS", "segments", segments.model_dump(mode="json"))
        self._transact(self._guarded(customer_id, self._put(item, expected_version)))

    # --- orders ----------------------------------------------------------------------------------------

    def _owner(self, order_id: str) -> dict[str, Any] | None:
        found = self._client.get_item(
            TableName=self._table, Key=_key(f"ORDER#{order_id}", "OWNER"), ConsistentRead=True
        )
        return deserialize(found["Item"]) if "Item" in found else None

    def record_order(self, customer_id: str, fact: OrderFact) -> bool:
        owner = {
            "pk": f"ORDER#{fact.order_id}",
            "sk": "OWNER",
            "type": "order_owner",
            "order_id": fact.order_id,
            "customer_id": customer_id,
            "cancelled": False,
        }
        order = _item(customer_id, f"ORDER#{fact.order_id}", "order_fact", fact.model_dump(mode="json"))
        try:
            self._transact([self._not_erased(customer_id), self._put(serialize(owner)), self._put(order)])
            return True
        except VersionConflict:
            if self._erased(customer_id):
                raise
        known = self._owner(fact.order_id)
        if known is None or known.get("customer_id"):
            return False  # placed already: a replay
        # Cancelled before we saw it placed (the queue does not keep order): remember it as cancelled.
        cancelled = fact.model_copy(update={"cancelled": True})
        marked = serialize({**owner, "cancelled": True, "cancelled_at": known.get("cancelled_at")})
        claim = {
            "Put": {
                "TableName": self._table,
                "Item": marked,
                "ConditionExpression": "attribute_not_exists(customer_id)",
            }
        }
        order = _item(customer_id, f"ORDER#{fact.order_id}", "order_fact", cancelled.model_dump(mode="json"))
        self._transact([self._not_erased(customer_id), claim, self._put(order)])
        return True

    def _erased(self, customer_id: str) -> bool:
        found = self._client.get_item(
            TableName=self._table, Key=_key(customer_pk(customer_id), "ERASED"), ConsistentRead=True
        )
        return "Item" in found

    def cancel_order(self, order_id: str, at: str) -> str | None:
        owner = self._client.update_item(
            TableName=self._table,
            Key=_key(f"ORDER#{order_id}", "OWNER"),
            UpdateExpression="SET #type = :type, order_id = :order, cancelled = :yes, cancelled_at = if_not_exists(cancelled_at, :at)",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={
                ":type": {"S": "order_owner"},
                ":order": {"S": order_id},
                ":yes": {"BOOL": True},
                ":at": {"S": at},
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
        customer_id = deserialize(owner).get("customer_id")
        if not customer_id:
            return None
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(customer_pk(customer_id), f"ORDER#{order_id}"),
                UpdateExpression="SET cancelled = :yes",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":yes": {"BOOL": True}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _CONDITION_FAILED:
                return None  # the customer was erased
            raise
        return str(customer_id)

    # --- erasure ---------------------------------------------------------------------------------------

    def erase(self, customer_id: str, erased_at: str, requested_by: str) -> None:
        tombstone = _item(
            customer_id, "ERASED", "erasure", {"erased_at": erased_at, "requested_by": requested_by}
        )
        try:
            self._client.put_item(
                TableName=self._table, Item=tombstone, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _CONDITION_FAILED:
                raise
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": customer_pk(customer_id)}},
            ProjectionExpression="pk, sk, order_id",
            ConsistentRead=True,
        )
        keys = [_key(item["pk"]["S"], item["sk"]["S"]) for item in items if item["sk"]["S"] != "ERASED"]
        keys += [_key(f"ORDER#{item['order_id']['S']}", "OWNER") for item in items if "order_id" in item]
        self._delete(keys)

    def _delete(self, keys: list[dict[str, Any]]) -> None:
        for start in range(0, len(keys), BATCH_WRITE_LIMIT):
            pending = {
                self._table: [
                    {"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_WRITE_LIMIT]
                ]
            }
            while pending:
                response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
