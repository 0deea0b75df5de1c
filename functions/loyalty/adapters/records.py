"""The loyalty table's item layout: keys, items, and the transaction entries a ledger write is made of.

Items and access patterns (table ``loyalty``, keys ``pk``/``sk``, sparse index ``gsi1``):

=============================  ==========================  ==================================================
item                            pk / sk                     access pattern
=============================  ==========================  ==================================================
member summary                  MEMBER#<id> / ~SUMMARY      balances (``acct_<account>``, the ledger's sums),
                                                            version, tier, spend window, lots, expiring soon;
                                                            gsi1: DUE / <next due>#<id> (the scheduled job)
ledger entry                    MEMBER#<id> / L#<at>#<eid>  the member's ledger, newest first
idempotency guard               MEMBER#<id> / I#<idem id>   an entry's idempotency id, written once
expiry notice                   MEMBER#<id> / A#<idem id>   ``PointsExpiring`` (the stream publishes it)
order facts                     ORDER#<id> / FACTS          what an order earns and had refunded
SKU facts                       SKU#<sku> / FACTS           a SKU's category and brand (from catalog events),
                                                            read for an order's lines in one BatchGetItem
rules / campaign                CONFIG / RULES, CAMPAIGN#   the rule set and campaigns, in one Query
adjustment                      ADJUSTMENT#<id> / ADJ       gsi1: ADJUSTMENTS#pending / <at>#<id>
=============================  ==========================  ==================================================

``GET /me/loyalty`` is one Query on the member's partition, descending over ``sk BETWEEN 'L#' AND '~~'``:
the summary sorts last (``~``), so it comes first, followed by the newest entries; later pages start
after the cursor and hold entries only. Guards, notices and facts sort below ``L#`` and are never read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty.domain.ledger import Entry, legacy_reason
from loyalty.domain.member import MemberState
from loyalty.domain.plans import Notice
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize, serialize, serialize_value

Key = dict[str, dict[str, str]]
SUMMARY_SK = "~SUMMARY"
ENTRY_PREFIX = "L#"
PAGE_UPPER = "~~"
DUE_PK = "DUE"
CONFIG_PK = "CONFIG"
RULES_SK = "RULES"
CAMPAIGN_PREFIX = "CAMPAIGN#"
PENDING_ADJUSTMENTS = "ADJUSTMENTS#pending"
ACCOUNT_PREFIX = "acct_"


def member_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}"


def summary_key(member_id: str) -> Key:
    return {"pk": {"S": member_pk(member_id)}, "sk": {"S": SUMMARY_SK}}


def guard_key(member_id: str, idempotency_id: str) -> Key:
    return {"pk": {"S": member_pk(member_id)}, "sk": {"S": f"I#{idempotency_id}"}}


def order_key(order_id: str) -> Key:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "FACTS"}}


def sku_key(sku: str) -> Key:
    return {"pk": {"S": f"SKU#{sku}"}, "sk": {"S": "FACTS"}}


def rules_key() -> Key:
    return {"pk": {"S": CONFIG_PK}, "sk": {"S": RULES_SK}}


def campaign_key(campaign_id: str) -> Key:
    return {"pk": {"S": CONFIG_PK}, "sk": {"S": f"{CAMPAIGN_PREFIX}{campaign_id}"}}


def adjustment_key(adjustment_id: str) -> Key:
    return {"pk": {"S": f"ADJUSTMENT#{adjustment_id}"}, "sk": {"S": "ADJ"}}


def entry_sk(entry: Entry) -> str:
    return f"{ENTRY_PREFIX}{isoformat(entry.recorded_at)}#{entry.entry_id}"


def entry_item(entry: Entry) -> dict[str, Any]:
    return serialize(
        {
            "pk": member_pk(entry.member_id),
            "sk": entry_sk(entry),
            "type": "entry",
            "entry_id": entry.entry_id,
            "member_id": entry.member_id,
            "idempotency_id": entry.idempotency_id,
            "reason": entry.reason.value,
            "kind": entry.kind.value,
            "deltas": dict(entry.deltas),
            "recorded_at": isoformat(entry.recorded_at),
            "order_id": entry.order_id,
            "note": entry.note,
            "agent_id": entry.agent_id,
            "approved_by": entry.approved_by,
            "tier_change": list(entry.tier_change) if entry.tier_change else None,
        }
    )


def entry_from_item(item: dict[str, Any]) -> Entry:
    data = deserialize(item)
    reason, kind = legacy_reason(data["reason"], data.get("kind"))
    return Entry(
        member_id=data["member_id"],
        idempotency_id=data["idempotency_id"],
        reason=reason,
        kind=kind,
        deltas=data.get("deltas") or {},
        recorded_at=datetime.fromisoformat(data["recorded_at"]),
        order_id=data.get("order_id"),
        note=data.get("note"),
        agent_id=data.get("agent_id"),
        approved_by=data.get("approved_by"),
        tier_change=tuple(data["tier_change"]) if data.get("tier_change") else None,
    )


def notice_item(notice: Notice) -> dict[str, Any]:
    return serialize(
        {
            "pk": member_pk(notice.member_id),
            "sk": f"A#{notice.idempotency_id}",
            "type": "notice",
            "member_id": notice.member_id,
            "points": notice.points,
            "expires_at": isoformat(notice.expires_at),
            "recorded_at": isoformat(notice.recorded_at),
        }
    )


def append_entries(table: str, entry: Entry) -> list[dict[str, Any]]:
    """The guard (new: the idempotency id was never written) and the entry."""
    guard = serialize(
        {
            **{k: v["S"] for k, v in guard_key(entry.member_id, entry.idempotency_id).items()},
            "type": "guard",
            "entry_sk": entry_sk(entry),
        }
    )
    return [
        {
            "Put": {
                "TableName": table,
                "Item": guard,
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {"Put": {"TableName": table, "Item": entry_item(entry)}},
    ]


def balance_update(
    table: str,
    member_id: str,
    deltas: dict[str, int],
    *,
    sets: dict[str, Any] | None = None,
    doc_sets: dict[str, Any] | None = None,
    removes: tuple[str, ...] = (),
    expected_version: int | None = None,
    covers: int = 0,
    version_step: int = 1,
) -> dict[str, Any]:
    """The summary's update: balances moved by ``deltas`` (ADD), ``version`` one up, ``sets`` written.

    ``doc_sets``: fields of the summary's ``doc`` map (which exists: the summary does).
    ``expected_version``: the version the write was planned from (0: the summary must not exist yet;
    None: any version, as a checkout debit). ``covers``: the available points must still be at least this.
    """
    names: dict[str, str] = {"#v": "version"}
    values: dict[str, Any] = {":step": serialize_value(version_step)}
    adds = ["#v :step"]
    for i, (account, delta) in enumerate(sorted(deltas.items())):
        if delta:
            names[f"#a{i}"] = ACCOUNT_PREFIX + account
            values[f":a{i}"] = serialize_value(delta)
            adds.append(f"#a{i} :a{i}")
    assignments = []
    for i, (name, value) in enumerate(sorted((sets or {}).items())):
        names[f"#s{i}"] = name
        values[f":s{i}"] = serialize_value(value)
        assignments.append(f"#s{i} = :s{i}")
    for i, (name, value) in enumerate(sorted((doc_sets or {}).items())):
        names["#doc"] = "doc"
        names[f"#d{i}"] = name
        values[f":d{i}"] = serialize_value(value)
        assignments.append(f"#doc.#d{i} = :d{i}")
    expression = "ADD " + ", ".join(adds)
    if assignments:
        expression = "SET " + ", ".join(assignments) + " " + expression
    if removes:
        for i, name in enumerate(removes):
            names[f"#r{i}"] = name
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
    conditions = []
    if expected_version == 0:
        conditions.append("attribute_not_exists(pk)")
    elif expected_version is not None:
        conditions.append("#v = :expected")
        values[":expected"] = serialize_value(expected_version)
    if covers:
        names["#avail"] = ACCOUNT_PREFIX + "points"
        values[":covers"] = serialize_value(covers)
        conditions.append("#avail >= :covers")
    update: dict[str, Any] = {
        "TableName": table,
        "Key": summary_key(member_id),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if conditions:
        update["ConditionExpression"] = " AND ".join(conditions)
        update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"Update": update}


def summary_sets(state: MemberState) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The summary's attributes besides balances and version (and those to remove)."""
    doc = state.model_dump(mode="json", exclude={"balances", "version", "member_id"})
    sets: dict[str, Any] = {"type": "member", "member_id": state.member_id, "doc": doc}
    removes: tuple[str, ...] = ()
    if state.next_due is not None:
        sets.update(gsi1pk=DUE_PK, gsi1sk=f"{isoformat(state.next_due)}#{state.member_id}")
    else:
        removes = ("gsi1pk", "gsi1sk")
    return sets, removes


def member_from_item(member_id: str, item: dict[str, Any] | None) -> MemberState:
    if not item:
        return MemberState(member_id=member_id)
    data = deserialize(item)
    balances = {k[len(ACCOUNT_PREFIX) :]: v for k, v in data.items() if k.startswith(ACCOUNT_PREFIX)}
    return MemberState.model_validate(
        {
            **(data.get("doc") or {}),
            "member_id": member_id,
            "version": data.get("version", 0),
            "balances": balances,
        }
    )
