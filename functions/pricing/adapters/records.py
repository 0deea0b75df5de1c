"""The promotions table's item layout, and the writes checkout makes when an order redeems codes.

============================  =====================  =========================================
pk                            sk                     what
============================  =====================  =========================================
PROMOTION                     <promotion id>         a promotion (``doc``: ``pricing.domain.Promotion``)
CONFIG#promotions             CONFIG                 every promotion in one item: ``version``, ``doc``
                                                     (a JSON list of promotions)
CODE#<CODE>                   CODE                   a promo code (``doc``) and ``uses`` so far;
                                                     ``disabled_at`` once disabled; gsi1: ``PROMO#<id>`` /
                                                     ``CODE#<CODE>`` or ``BATCH#<batch>#<index>``
CODE#<CODE>                   USE#<customer key>     one customer's ``uses`` of the code
                                                     (a personal code, loyalty's coupon, also has
                                                     ``owner``: the customer it is for)
BATCH#<batch id>              BATCH                  a code batch: ``doc`` (``CodeBatch``), ``seed``
                                                     (secret, never answered); streamed to the generator
REPORT#<promotion id>         CURRENCY#<currency>    campaign totals: ``orders``, ``cancelled``,
                                                     ``discount``, ``revenue`` (minor units)
REPORT_ORDER#<order id>       ORDER                  the order's ``shares`` as counted (``cancelled_at``
                                                     once taken off): each order counts once
============================  =====================  =========================================

The back office (``pricing.adapters.back_office``) keeps on a PROMOTION item its ``version`` (the ETag),
``created_at``, ``updated_at`` and ``archived_at``; an archived promotion leaves the config item, so cart
and checkout no longer see it (its codes answer ``unknown_code``) while the item stays for the orders
that name it. gsi1 lists a promotion's codes, and a batch's codes in index order.

A promotion is written together with the ``CONFIG#promotions`` item, in one transaction conditioned on
the version read (``promotion_write_items``). Cart and checkout read that one item in the
``BatchGetItem`` they already make, so a new or changed promotion applies on their next request, with
no Query and no process cache; a code's promotion is found there too.

The cart only reads (``cart.adapters.promotions``). Checkout puts ``code_redemption_items`` into its
order transaction: ``uses = uses + 1`` only while ``uses < :limit`` (for the code and for the customer).
A failed condition means another order was faster: the whole order is refused (409) and nothing is
counted. When that order is cancelled, checkout puts ``code_release_items`` into the transaction that
cancels it: the uses come back exactly once, because the order's cancellation is itself conditioned on
its version. Gift certificates are loyalty's (``loyalty.contract``), not this table's.
Pure data in the attribute-value form botocore sends; no SDK, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import TypeAdapter

from pricing.domain.models import CodeRedemption
from pricing.domain.ports import CodeUsage
from pricing.domain.promotions import PromoCode, Promotion
from shop_kernel.dynamo import deserialize

PROMOTIONS_PK = "PROMOTION"
PROMOTIONS_CONFIG_PK = "CONFIG#promotions"
CONFIG_SK = "CONFIG"
CODE_SK = "CODE"
_PROMOTION: TypeAdapter[Promotion] = TypeAdapter(Promotion)
_PROMOTIONS: TypeAdapter[list[Promotion]] = TypeAdapter(list[Promotion])


def code_key(code: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CODE#{code}"}, "sk": {"S": CODE_SK}}


def use_key(code: str, customer_key: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CODE#{code}"}, "sk": {"S": f"USE#{customer_key}"}}


def promotion_key(promotion_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": PROMOTIONS_PK}, "sk": {"S": promotion_id}}


def promotions_config_key() -> dict[str, dict[str, str]]:
    return {"pk": {"S": PROMOTIONS_CONFIG_PK}, "sk": {"S": CONFIG_SK}}


def is_promotions_config(item: dict[str, Any]) -> bool:
    return bool(item["pk"]["S"] == PROMOTIONS_CONFIG_PK and item["sk"]["S"] == CONFIG_SK)


def promotions_config_version(item: dict[str, Any] | None) -> int:
    """The version of the config item read (0: none written yet)."""
    return int(item["version"]["N"]) if item else 0


def promotions_from_config(item: dict[str, Any] | None) -> list[Promotion]:
    """Every promotion, from the config item (attribute-value form); none when it was never written."""
    return _PROMOTIONS.validate_json(item["doc"]["S"]) if item else []


def promotion_write_items(
    table: str, promotions: Sequence[Promotion], current: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """``TransactWriteItems`` entries that create or replace ``promotions`` (the others stay): one item
    each, and the config item conditioned on the version of ``current`` (the config item read, or None).
    A failed condition means another writer was faster: read the config item again and retry."""
    entries: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **promotion_key(p.id),
                    "type": {"S": "promotion"},
                    "doc": {"S": _PROMOTION.dump_json(p).decode()},
                },
            }
        }
        for p in promotions
    ]
    return [*entries, config_entry(table, current, promotions)]


def config_entry(
    table: str, current: dict[str, Any] | None, upsert: Sequence[Promotion], remove: Sequence[str] = ()
) -> dict[str, Any]:
    """The ``Put`` of the config item: ``current``'s promotions with ``upsert`` written over them and
    ``remove`` (archived) left out, conditioned on ``current``'s version."""
    merged = {p.id: p for p in promotions_from_config(current)}
    merged.update({p.id: p for p in upsert})
    for promotion_id in remove:
        merged.pop(promotion_id, None)
    version = promotions_config_version(current)
    config: dict[str, Any] = {
        "TableName": table,
        "Item": {
            **promotions_config_key(),
            "type": {"S": "promotions_config"},
            "version": {"N": str(version + 1)},
            "doc": {"S": _PROMOTIONS.dump_json(sorted(merged.values(), key=lambda p: p.id)).decode()},
        },
    }
    if version == 0:
        config["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        config["ConditionExpression"] = "version = :v"
        config["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
    return {"Put": config}


def promotion_from_item(item: dict[str, Any]) -> Promotion:
    return _PROMOTION.validate_json(deserialize(item)["doc"])


def promo_code_from_item(item: dict[str, Any]) -> PromoCode:
    return PromoCode.model_validate_json(deserialize(item)["doc"])


def usage_from_items(items: Iterable[dict[str, Any]], code: str, customer_key: str | None) -> CodeUsage:
    """The code's global count and this customer's, from whichever of their two items exist."""
    total = by_customer = 0
    for raw in items:
        item = deserialize(raw)
        if item["pk"] != f"CODE#{code}":
            continue
        if item["sk"] == CODE_SK:
            total = int(item.get("uses", 0))
        elif customer_key is not None and item["sk"] == f"USE#{customer_key}":
            by_customer = int(item.get("uses", 0))
    return CodeUsage(total=total, by_customer=by_customer)


def _count_use(table: str, key: dict[str, Any], limit: int | None, extra_set: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {":zero": {"N": "0"}, ":one": {"N": "1"}}
    # A disabled code counts no use: a checkout racing the merchandiser who disables it loses (409).
    condition = (
        "attribute_exists(pk) AND attribute_not_exists(disabled_at)" if key["sk"]["S"] == CODE_SK else None
    )
    if limit is not None:
        values[":limit"] = {"N": str(limit)}
        bounded = "(attribute_not_exists(uses) OR uses < :limit)"
        condition = f"{condition} AND {bounded}" if condition else bounded
    update: dict[str, Any] = {
        "TableName": table,
        "Key": key,
        "UpdateExpression": "SET uses = if_not_exists(uses, :zero) + :one" + extra_set,
        "ExpressionAttributeValues": values,
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}


def code_redemption_items(table: str, redemption: CodeRedemption) -> list[dict[str, Any]]:
    """Count one use of the code, and one by the customer when per-customer uses are tracked."""
    items = [_count_use(table, code_key(redemption.code), redemption.usage_limit)]
    if redemption.customer_key is not None:
        entry = _count_use(
            table,
            use_key(redemption.code, redemption.customer_key),
            redemption.per_customer_limit,
            ", #type = :use",
        )
        entry["Update"]["ExpressionAttributeNames"] = {"#type": "type"}
        entry["Update"]["ExpressionAttributeValues"][":use"] = {"S": "code_use"}
        items.append(entry)
    return items


def _give_back_use(table: str, key: dict[str, Any]) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": "SET uses = uses - :one",
            # Never below zero: a count that would go negative is a ledger error, refused loudly.
            "ConditionExpression": "uses >= :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def code_release_items(table: str, redemption: CodeRedemption) -> list[dict[str, Any]]:
    """Give back the use ``code_redemption_items`` counted (the code's, and the customer's)."""
    items = [_give_back_use(table, code_key(redemption.code))]
    if redemption.customer_key is not None:
        items.append(_give_back_use(table, use_key(redemption.code, redemption.customer_key)))
    return items


def personal_code_put(table: str, code: PromoCode, at: str) -> dict[str, Any]:
    """A new personal code (no use yet), listed with its promotion's codes; never over an existing code."""
    item = {
        **code_key(code.code),
        "type": {"S": "code"},
        "doc": {"S": code.model_dump_json(exclude_none=True)},
        "created_at": {"S": at},
        "owner": {"S": code.owner or ""},
        "gsi1pk": {"S": f"PROMO#{code.promotion_id}"},
        "gsi1sk": {"S": f"CODE#{code.code}"},
    }
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
