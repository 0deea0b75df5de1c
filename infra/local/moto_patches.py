"""Keeps moto's DynamoDB transactions proportional to the items they touch, for the local stack.

moto 5.2 backs up a table for rollback by deep-copying the whole table, stream history included, once
per operation of every ``TransactWriteItems``. Every catalog write is a transaction, so seeding a few
hundred products became quadratic (minutes, then more). The patch snapshots only the items a
transaction names and the stream's length, restores exactly those on failure, and lets moto's own
table backup be a no-op. Rollback behaviour is unchanged: a cancelled transaction leaves no item and
no stream record behind (``tests/integration/local/test_local_moto_patches.py``).

Installed by ``MotoServer.start`` and in ``MotoProcess``'s server; anything moto does not expect (an op this module cannot read) falls
back to moto's original deep copy.

It also serialises DynamoDB writes. moto's server answers requests on threads, and its backend checks a
condition and applies the update without a lock: under concurrent checkouts two transactions could both
pass ``available >= :q``, and a cancelled transaction's rollback could restore an item another thread had
just written. DynamoDB itself serialises conflicting writes per item, so one process-wide lock around every
moto write (put, update, delete, batch write, transaction) makes the local stack behave like it
(``tests/integration/inventory/test_oversell.py`` races buyers against the server).

And it keeps EventBridge's ``PutEvents`` cheap. For every target of every matching rule, moto 5.2 fills
the default input template by parsing eight JSONPath expressions with ``jsonpath_ng.ext.parse``, which
builds a fresh PLY parser each time: 50-80 ms of CPU per event on the local bus, the largest cost of
seeding the demo catalog (every published product is an event, and the stream pollers that publish them
hold the GIL while the seed waits). Parsed expressions are immutable, so parsing each text once and
reusing it changes no result (``tests/integration/local/test_local_moto_patches.py``).

Last, DynamoDB Streams' ``GetRecords`` answers with ``json.dumps`` of the records moto already holds in
the wire shape, instead of walking every attribute value through moto's generic response serializer:
the stream pollers read every record of the catalog table while the demo catalog is seeded, and that
serializer was an eighth of the process's CPU then. The JSON is the same (dates as epoch seconds).
And the server's request dispatcher lists moto's package directory (``listdir`` + ``isdir`` per entry)
on every request to recognise a service name in the host; the listing is taken once.

And a ``Query`` on a table's own key reads only the asked partition. moto 5.2 sorts every item of the
table (``Table.all_items``) and then keeps those with the hash key, so each query cost the whole table:
the catalog's and search's stock look-ups (one query per SKU) were a quarter of the process's CPU while
the demo was seeded. The partition's items are exactly what moto's filter kept, and moto sorts them by
range key afterwards, so results, order and pages are unchanged. A ``Query`` on a global or local
secondary index did the same (every item sorted, then filtered on the index's hash attribute): the
catalog's import and search's documents made ~1,750 of them at 4-9 ms each. It now gets the items whose
first index hash attribute has the asked value from a look-up per table and attribute, built at the first
such query and kept current by ``Table.put_item``, ``Table.delete_item`` and the backend's
``update_item`` (which changes an item in place); a rolled-back transaction drops the table's look-ups.
moto still applies every key condition, filter, limit and page to those items and sorts them by the
index's keys then the table's (a total order), so the answers are moto's
(``tests/integration/local/test_local_moto_index_lookup.py`` compares them on a random workload).

And DynamoDB's item operations (Query, Scan, GetItem, BatchGetItem, PutItem, UpdateItem, DeleteItem,
BatchWriteItem) answer with ``json.dumps`` of the dict moto built, as ``GetRecords`` does above: moto's
generic serializer walked the operation's output shape for every attribute value of every item, two
thirds of a small ``Query``'s CPU (profiled in-process: 5.9 -> 1.8 ms per query, client included). Blobs go
as base64 and capacity units as doubles, as the serializer sends them; errors and other operations still go
through it (``tests/integration/local/test_local_moto_item_answers.py`` compares the parsed answers for
every attribute type).
And the action's method is found from the handler class's method names listed once per class, not by
``inspect.getmembers`` on every request (a few hundred microseconds of every request's CPU).

And SQS reads the clock (a ``datetime`` subtraction, ~25 us) once per message of the queue whenever it
lists the visible messages or counts them, and it counts them for every message sent (``SendMessage``
reads one attribute through ``Queue.attributes``, which computes them all) and received (the retention
check does the same): with the seed's ~1,500 stock events queued that was the queue's depth in clock
readings per message, 0.75 s of CPU per receive of a 1,000-deep queue. The patched listing and counts
read the clock once per call, and the retention check reads the retention period alone; every answer
is the same. ``Queue.attributes`` also turned each of its ~20 attribute names from camel case into a
Python name character by character on every call, and ``SendMessage`` computes the attributes once per
message: two fifths of the CPU of an EventBridge ``PutEvents`` that a rule delivers to queues (profiled:
6 ms per stock event with 12 rules on the bus). The conversion is a pure function of the name, so it is
memoised for SQS's models; the answers are the same. And while ``SendMessage`` runs, the three message
counts it never reads are not computed at all (each walked the queue: with a consumer behind, every event
a rule delivered cost the queue's depth, a third of ``PutEvents``' CPU while the demo was seeded).

And ``PutEvents`` builds each event's message once, not once per rule: moto deep-copied it, parsed its
detail, and serialised and parsed it again to match it, for every rule on the bus (15), though a stock event
matches three. The patched call flattens the message once, matches every rule's pattern against that, and
copies it only for a rule that matches; what reaches the targets is what moto sent (same test module).

And five per-request costs that a CPU profile of the moto process during the demo seed showed (cProfile per
request thread, thread CPU time; ``docs/decisions.md``, the seed's fourth pass). moto drew every request id
(52 characters) and every SQS receipt handle (185) one ``random.choice`` at a time, about 6 % of its CPU:
they are drawn with one ``choices`` call from moto's own seedable generator, same alphabet and length. A new
DynamoDB item checked the 400 KB limit by re-measuring every attribute already set at each attribute it set
(quadratic in the attributes, 5 %): it is measured once, and refused exactly when moto refused it (sizes only
add up, so a prefix over the limit means the whole is). ``DeleteMessage`` walked the queue twice, building
each message's list of receipt handles twice (5 % with the seed's stock events queued): one walk, no lists,
the same answers and errors. The action's name went from camel case to a Python name character by character
on every request: memoised, as SQS's attribute names above. And ``PutEvents``'s copy of the message for each
matching rule is parsed from its JSON text instead of deep-copied (the message is JSON: it was serialised to
match it). A condition or filter expression's text was split into tokens by six regular expressions per
token, twice per conditional ``PutItem`` (moto parses it to validate, then again to apply it): the tokens
of a text are kept (they depend on the text alone) and each parse gets new nodes from them.
And a conditional write's whole condition was parsed three times (moto's request validation, the check,
the put): half of a ``TransactWriteItems``' CPU (a projector's 90 conditional puts: 96 -> 50 ms in
process). The parsed condition, which evaluation only reads, is kept per text, names and values.
And a rule target without an input transformer gets moto's default template filled without jsonpath
(eight path look-ups per target per event): ``PutEvents`` of ten stock events with three matching
rules 14 -> 10.6 ms in process, the same event delivered.
And the stack's data-plane calls (DynamoDB's item operations; SQS's receive, delete and visibility) have
their JSON body read by ``json.loads`` instead of moto's walk of the operation's input shape over every
value, when that walk would read it alike: no blob (``B``, ``BS``), no null, integers at the top only
(``int()`` as the walk does). A 20-put transaction 10.1 -> 6.5 ms in process, a ``Query`` 684 -> 607 us.
``tests/integration/local/test_local_moto_request_costs.py`` compares each with moto's own.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import string
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import jsonpath_ng.ext
from moto import backends as moto_backends
from moto.core import responses as core_responses
from moto.core.utils import unix_time, unix_time_millis
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.events import models as events_models
from moto.events.models import EventPattern, EventsBackend
from moto.events.utils import EventTemplateParser
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.moto_random import MotoRandom
from moto.sqs import models as sqs_models
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Queue, SQSBackend

_state = threading.local()
_original_transact = DynamoDBBackend.transact_write_items
_original_copy_module = dynamodb_models.copy
_write_lock = threading.RLock()
_SERIALISED_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item")
_original_writes: dict[str, Any] = {name: getattr(DynamoDBBackend, name) for name in _SERIALISED_WRITES}

Snapshot = tuple[
    dict[tuple[Any, ...], tuple[Table, DynamoType, DynamoType | None, Any]],
    dict[str, tuple[StreamShard, int]],
]


class _TableBackupSkipper:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend."""

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if getattr(_state, "snapshotted", False) and isinstance(value, Table):
            return value  # the item-level snapshot below makes the table backup unnecessary
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _snapshot(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Snapshot | None:
    items: dict[tuple[Any, ...], tuple[Table, DynamoType, DynamoType | None, Any]] = {}
    streams: dict[str, tuple[StreamShard, int]] = {}
    try:
        for entry in transact_items:
            [(_, op)] = entry.items()
            table = backend.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or op["Item"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            ident = (table.name, hash_value, range_value)
            if ident not in items:
                current = table.get_item(hash_value, range_value)
                items[ident] = (table, hash_value, range_value, copy.deepcopy(current))
            if table.stream_shard is not None and table.name not in streams:
                streams[table.name] = (table.stream_shard, len(table.stream_shard.items))
    except Exception:
        return None
    return items, streams


def _restore(snapshot: Snapshot) -> None:
    items, streams = snapshot
    for table, hash_value, range_value, original in items.values():
        _drop_lookups(table)  # items are put back by hand, past the look-ups' hooks
        if range_value is not None:
            if original is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = original
        elif original is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = original
    for shard, length in streams.values():
        del shard.items[length:]


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    with _write_lock:
        snapshot = _snapshot(self, transact_items)
        if snapshot is None:
            return _original_transact(self, transact_items)  # type: ignore[no-any-return]
        _state.snapshotted = True
        try:
            return _original_transact(self, transact_items)  # type: ignore[no-any-return]
        except Exception:
            _restore(snapshot)
            raise
        finally:
            _state.snapshotted = False


def _serialised(name: str) -> Any:
    original = _original_writes[name]

    def write(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return original(self, *args, **kwargs)

    write.__name__ = name
    write.__wrapped__ = original  # type: ignore[attr-defined]
    return write


_patched_writes: dict[str, Any] = {name: _serialised(name) for name in _SERIALISED_WRITES}

_original_jsonpath_parse = jsonpath_ng.ext.parse
# moto imports ``parse`` from ``jsonpath_ng.ext`` inside the function on every call, so this is what it gets.
_cached_jsonpath_parse = functools.lru_cache(maxsize=512)(_original_jsonpath_parse)

_original_query = Table.query
_original_all_items = Table.all_items
_original_table_put = Table.put_item
_original_table_delete = Table.delete_item
_LOOKUP_TYPES = frozenset({"S", "N", "B"})  # the types a key attribute can have (hashable DynamoTypes)


class _AttributeLookup:
    """A table's items by the value of one attribute (S, N or B only), for index queries.

    Kept current by every write moto makes to the table's items (``Table.put_item``, ``Table.delete_item``,
    the backend's ``update_item``, which changes an item in place); a rollback that puts items back by hand
    drops the table's look-ups, to be rebuilt on the next index query."""

    def __init__(self, table: Table, attr: str) -> None:
        self.attr = attr
        self.by_value: dict[DynamoType, dict[int, Any]] = {}
        self.indexed_as: dict[int, DynamoType] = {}
        for item in _original_all_items(table):
            self.add(item)

    def add(self, item: Any) -> None:
        self.remove(item)
        value = item.attrs.get(self.attr)
        if value is not None and value.type in _LOOKUP_TYPES:
            self.by_value.setdefault(value, {})[id(item)] = item
            self.indexed_as[id(item)] = value

    def remove(self, item: Any) -> None:
        value = self.indexed_as.pop(id(item), None)
        if value is not None:
            bucket = self.by_value.get(value)
            if bucket is not None:
                bucket.pop(id(item), None)
                if not bucket:
                    del self.by_value[value]


class _Lookups(dict[str, _AttributeLookup]):
    """A table's look-ups, from one installation of the patch (an uninstalled patch sees no writes, so
    look-ups from before are never trusted again). A deep copy (moto's own table backup) starts empty."""

    def __init__(self) -> None:
        super().__init__()
        self.installation = _installation[0]

    def __deepcopy__(self, memo: dict[int, Any]) -> _Lookups:
        return _Lookups()


_installation = [0]


def _lookups(table: Table) -> _Lookups:
    found = table.__dict__.get("_shop_lookups")
    if found is None or found.installation != _installation[0]:
        found = table.__dict__["_shop_lookups"] = _Lookups()
    return found  # type: ignore[no-any-return]


def _drop_lookups(table: Table) -> None:
    table.__dict__.pop("_shop_lookups", None)


def _reindex(table: Table, item: Any) -> None:
    for lookup in _lookups(table).values():
        lookup.add(item)


def _unindex(table: Table, item: Any) -> None:
    for lookup in _lookups(table).values():
        lookup.remove(item)


def _stored(table: Table, item: Any) -> bool:
    """Whether ``item`` (this very object) is still one of the table's items."""
    held = table.items.get(item.hash_key)
    if held is None:
        return False
    return (held.get(item.range_key) if table.range_key_attr else held) is item


def _index_candidates(table: Table, attr: str, value: DynamoType) -> list[Any]:
    """Every item of ``table`` whose ``attr`` equals ``value`` (and maybe a few more: moto filters them)."""
    with _write_lock:  # a look-up is built, and read, with no write half done
        lookup = _lookups(table).get(attr)
        if lookup is None:
            lookup = _lookups(table)[attr] = _AttributeLookup(table, attr)
        return [item for item in lookup.by_value.get(value, {}).values() if _stored(table, item)]


def _table_put(self: Table, *args: Any, **kwargs: Any) -> Any:
    with _write_lock:
        item = _original_table_put(self, *args, **kwargs)
        if self.__dict__.get("_shop_lookups"):
            _reindex(self, item)
        return item


def _table_delete(self: Table, *args: Any, **kwargs: Any) -> Any:
    with _write_lock:
        item = _original_table_delete(self, *args, **kwargs)
        if item is not None and self.__dict__.get("_shop_lookups"):
            _unindex(self, item)
        return item


def _update_item(self: DynamoDBBackend, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
    """moto's ``update_item`` (serialised), then the item's look-up entries moved to its new values: moto
    changes the stored item in place, so its old entries would otherwise stay under the old values."""
    with _write_lock:
        try:
            return _original_writes["update_item"](self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            if table is not None and table.__dict__.get("_shop_lookups"):
                try:
                    hash_value = DynamoType(key[table.hash_key_attr])
                    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                    item = table.get_item(hash_value, range_value)
                except Exception:
                    _drop_lookups(table)  # a key this cannot read: rebuild on the next index query
                else:
                    if item is not None:
                        _reindex(table, item)


def _query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    # moto's backend passes index_name as the 8th positional argument (after hash_key, the 7th of args).
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name:
        conditions = kwargs.get("hash_key_conditions") or []
        if conditions and conditions[0][1].type in _LOOKUP_TYPES:
            _state.lookup = conditions[0]
        try:
            return _original_query(self, hash_key, *args, **kwargs)
        finally:
            _state.lookup = None
    if hash_key is None:
        return _original_query(self, hash_key, *args, **kwargs)
    _state.partition = hash_key
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        _state.partition = None


def _all_items(self: Table) -> Any:
    """Inside a base-table ``Query``: the asked partition only (moto filters it to that anyway). Inside an
    index ``Query``: the items whose first index hash attribute has the asked value, in no order (moto keeps
    those matching every key condition and sorts them by the index's keys then the table's, a total order)."""
    lookup = getattr(_state, "lookup", None)
    if lookup is not None:
        _state.lookup = None  # only the query's own look-up is narrowed
        return _index_candidates(self, *lookup)
    partition = getattr(_state, "partition", None)
    if partition is None:
        return _original_all_items(self)
    _state.partition = None
    found = self.items.get(partition)
    if found is None:
        return []
    return list(found.values()) if self.range_key_attr else [found]


_original_retention_check = SQSBackend.is_message_valid_based_on_retention_period


def _within_retention(self: SQSBackend, queue_name: str, message: Any) -> bool:
    retention_s = int(getattr(self.get_queue(queue_name), "message_retention_period"))  # noqa: B009 - set from the attributes
    return bool(retention_s + message.sent_timestamp / 1000 > unix_time())


_QUEUE_VIEWS = (
    "messages",
    "approximate_number_of_messages",
    "approximate_number_of_messages_not_visible",
    "approximate_number_of_messages_delayed",
)
_original_queue_views: dict[str, Any] = {name: Queue.__dict__[name] for name in _QUEUE_VIEWS}


def _visible_messages(self: Queue) -> list[Any]:
    """``Queue.messages`` (visible and not delayed) with the clock read once, not twice per message."""
    now = unix_time_millis()
    return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]


_sending = threading.local()  # set while SQSBackend.send_message runs on this thread


def _count_visible(self: Queue) -> int:
    if getattr(_sending, "active", False):
        return 0
    return len(_visible_messages(self))


def _count_not_visible(self: Queue) -> int:
    if getattr(_sending, "active", False):
        return 0
    now = unix_time_millis()
    return sum(1 for m in self._messages if not now > m.visible_at)


def _count_delayed(self: Queue) -> int:
    if getattr(_sending, "active", False):
        return 0
    now = unix_time_millis()
    return sum(1 for m in self._messages if now < m.delayed_until)


_original_send_message = SQSBackend.send_message


def _send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
    """moto's ``send_message``, with the queue's three message counts not walked: it reads
    ``Queue.attributes`` (which computes every attribute) for ``ContentBasedDeduplication`` alone."""
    _sending.active = True
    try:
        return _original_send_message(self, *args, **kwargs)
    finally:
        _sending.active = False


_patched_queue_views: dict[str, property] = {
    "messages": property(_visible_messages),
    "approximate_number_of_messages": property(_count_visible),
    "approximate_number_of_messages_not_visible": property(_count_not_visible),
    "approximate_number_of_messages_delayed": property(_count_delayed),
}


_original_camelcase_to_underscores = sqs_models.camelcase_to_underscores
_memoised_camelcase_to_underscores = functools.lru_cache(maxsize=1024)(_original_camelcase_to_underscores)

_original_get_records = DynamoDBStreamsHandler.get_records
_original_list_of_moto_modules = moto_backends.list_of_moto_modules


@functools.cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(_original_list_of_moto_modules())


def _listed_moto_modules() -> Iterable[str]:
    return _moto_modules()


def _epoch_seconds(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):  # a binary attribute: base64 text on DynamoDB's JSON wire
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _get_records_as_json(self: DynamoDBStreamsHandler) -> str:
    limit = self._get_param("Limit")
    result = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
    return json.dumps(result, default=_epoch_seconds)


_original_put_events = EventsBackend.put_events


def _plain_entry(entry: dict[str, Any]) -> bool:
    """An entry moto accepts without a remark: source, detail type and a JSON object as detail."""
    if not (entry.get("Source") and entry.get("DetailType") and entry.get("Detail")):
        return False
    try:
        return isinstance(json.loads(entry["Detail"]), dict)
    except ValueError:
        return False


def _put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """moto's ``put_events`` with each event's message built, and flattened for matching, once per event
    instead of once per rule on the bus; only a rule that matches gets its own copy to send. moto deep-copied
    the message, parsed the detail, and serialised and parsed it again to match, for each of the bus's 15
    rules, though most rules match few events. Anything moto would refuse or remark on goes to moto's own."""
    if len(events) > 10 or not all(_plain_entry(entry) for entry in events):
        return _original_put_events(self, events)
    entries: list[dict[str, Any]] = []
    for event in events:
        event_id = str(events_models.random.uuid4())
        entries.append({"EventId": event_id})
        event_bus = self.describe_event_bus(self._normalize_event_bus_arn(event.get("EventBusName")))
        message = copy.deepcopy(events_models._BASE_EVENT_MESSAGE)
        message.update(
            {
                "id": event_id,
                "detail-type": event["DetailType"],
                "source": event["Source"],
                "account": self.account_id,
                "time": event.get("Time", unix_time()),
                "region": self.region_name,
                "resources": event.get("Resources", []),
                "detail": json.loads(event["Detail"]),
                "ingestion-time": unix_time(),
            }
        )
        text = json.dumps(message)
        flat = EventPattern._flatten_dict(json.loads(text))
        for rule in event_bus.rules.values():
            pattern = rule.event_pattern.get_pattern()
            if pattern and not rule.event_pattern._does_event_match(flat, pattern):
                continue
            # The message is JSON (it was just serialised): parsing its text is a deep copy, 3-4 times cheaper.
            rule.send_to_targets(json.loads(text))
    return entries


_original_dynamo_serialized = DynamoHandler.serialized
# The item operations the stack makes thousands of; their answers are attribute values, counts, keys and
# consumed capacity, which JSON carries as they are (blobs as base64, as the wire has them; capacity units
# as the shape's doubles, though moto counts some in integers). Not the transactions (few calls).
_ITEM_OPERATIONS = frozenset(
    {
        "Query",
        "Scan",
        "GetItem",
        "BatchGetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
    }
)


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _dynamo_serialized(self: DynamoHandler, action_result: Any) -> Any:
    """An item operation's answer as ``json.dumps`` of what moto built, not through moto's generic
    serializer (which walks the operation's output shape for every attribute value: two thirds of a
    ``Query``'s CPU in the server). Errors and every other operation go through moto's serializer."""
    result = getattr(action_result, "result", None)
    if not isinstance(result, dict) or self._get_action() not in _ITEM_OPERATIONS:
        return _original_dynamo_serialized(self, action_result)
    if "ConsumedCapacity" in result:
        result = {**result, "ConsumedCapacity": _as_doubles(result["ConsumedCapacity"])}
    headers = dict(self.response_headers)
    headers["Content-Type"] = "application/x-amz-json-1.0"
    return 200, headers, json.dumps(result, default=_wire_value)


def _as_doubles(capacity: Any) -> Any:
    """Consumed capacity with its units as the output shape's doubles (``1`` -> ``1.0``)."""
    if isinstance(capacity, dict):
        return {name: _as_doubles(value) for name, value in capacity.items()}
    if isinstance(capacity, list):
        return [_as_doubles(value) for value in capacity]
    return float(capacity) if isinstance(capacity, int) and not isinstance(capacity, bool) else capacity


_original_method_names = core_responses.method_names_from_class


@functools.cache
def _method_names(clazz: type) -> tuple[str, ...]:
    return tuple(_original_method_names(clazz))


def _listed_method_names(clazz: object) -> list[str]:
    """moto's ``method_names_from_class`` (``inspect.getmembers`` of the handler class, on every request
    to find the action's method) listed once per class; the cache is emptied when the patch is installed
    or removed, the only times a handler class's methods change."""
    return list(_method_names(clazz))  # type: ignore[arg-type]


_ITEM_SIZE_LIMIT = 405_000  # moto's: DynamoDB's 400 KB "between 409 and 410 KB" in practice
_original_item_init = Item.__init__
_original_get_random_string = MotoRandom.get_random_string
_original_receipt_handle = sqs_models.generate_receipt_handle
_original_delete_message = Queue.delete_message


# --- request parameters read as JSON ---------------------------------------------------------------------

_original_parse_parameters = core_responses.BaseResponse.parse_parameters
# The stack's data-plane calls on the JSON protocol. Their input shapes hold nothing moto's shape parser reads
# differently from ``json.loads`` but blobs (DynamoDB's ``B`` and ``BS`` attribute values, base64-decoded),
# nulls (dropped) and integers (``int()`` of what came): ``_READ_DIFFERENTLY`` and ``_integer_members``.
_PLAIN_JSON_OPERATIONS: dict[str, frozenset[str]] = {
    "dynamodb": frozenset(
        {
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "BatchWriteItem",
            "TransactGetItems",
            "TransactWriteItems",
        }
    ),
    "sqs": frozenset({"ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility"}),
}
# A blob's key or a null anywhere (in a string too: then moto's parser reads it, which is only slower).
_READ_DIFFERENTLY = re.compile(rb'"BS?"\s*:|null')
_INTEGERS = frozenset({"integer", "long", "short", "byte"})


@functools.lru_cache(maxsize=64)
def _integer_members(service: str, operation: str) -> tuple[str, ...] | None:
    """The operation's top-level integer members; None when an integer is nested (then moto parses)."""
    from moto.core.responses import get_service_model

    shape = get_service_model(service).operation_model(operation).input_shape
    top = tuple(name for name, member in shape.members.items() if member.type_name in _INTEGERS)
    nested = [member for member in shape.members.values() if member.type_name not in _INTEGERS]
    return None if any(_holds_integer(member, set()) for member in nested) else top


def _holds_integer(shape: Any, seen: set[str]) -> bool:
    if shape.type_name in _INTEGERS:
        return True
    if shape.name in seen:
        return False
    seen.add(shape.name)
    if shape.type_name == "structure":
        return any(_holds_integer(member, seen) for member in shape.members.values())
    if shape.type_name == "list":
        return _holds_integer(shape.member, seen)
    if shape.type_name == "map":
        return _holds_integer(shape.value, seen)
    return False


def _parse_parameters(self: Any, request: Any) -> None:
    """moto's ``parse_parameters`` (a walk of the operation's input shape over every value of the body: a sixth
    of a 90-put transaction's CPU), but a data-plane call whose body ``json.loads`` reads as that walk would
    is read so."""
    service = self.boto3_service_name
    if service in _PLAIN_JSON_OPERATIONS and "json" in (request.content_type or ""):
        operation = self._get_action()
        body = request.data
        integers = (
            _integer_members(service, operation) if operation in _PLAIN_JSON_OPERATIONS[service] else None
        )
        if integers is not None and body and not _READ_DIFFERENTLY.search(body):
            parsed = json.loads(body)
            if isinstance(parsed, dict):
                for name in integers:
                    if name in parsed:
                        parsed[name] = int(parsed[name])
                self.params = parsed
                return
    _original_parse_parameters(self, request)


_original_core_camelcase = core_responses.camelcase_to_underscores
_memoised_core_camelcase = functools.lru_cache(maxsize=1024)(_original_core_camelcase)


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's ``Item.__init__`` with the item's size measured once: moto re-measured every attribute already
    set at each one it set. Refused exactly when moto refused it: sizes only add up, so some prefix of the
    attributes exceeded the limit exactly when all of them do. Later writes still go through moto's check."""
    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > _ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(self.attrs, values)


def _random_string(
    self: MotoRandom, length: int = 20, include_digits: bool = True, lower_case: bool = False
) -> str:
    """moto's ``get_random_string`` (request ids among others) drawn in one ``choices`` call, not one
    ``choice`` per character: the same alphabet and length, from the same seedable generator."""
    pool = string.ascii_letters + (string.digits if include_digits else "")
    drawn = "".join(self.choices(pool, k=length))
    return drawn.lower() if lower_case else drawn


def _receipt_handle() -> str:
    """An SQS receipt handle as moto's (185 lower-case letters), drawn in one call."""
    return "".join(mock_random.choices(string.ascii_lowercase, k=185))


def _delete_message(self: Queue, receipt_handle: str) -> None:
    """moto's ``Queue.delete_message`` in one walk of the queue, without building each message's list of
    receipt handles twice: the same messages go, the same handles count as deleted, the same error."""
    if receipt_handle in self.deleted_messages:
        return  # already deleted: moto accepts it again
    kept: list[Any] = []
    found = False
    for message in self._messages:
        if message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles:
            found = True
            self.pending_messages.discard(message)
            self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
            continue
        kept.append(message)
    if not found:
        raise ReceiptHandleIsInvalid()
    self._messages = kept


_original_lex = ConditionExpressionParser._lex_condition_expression


@functools.lru_cache(maxsize=1024)
def _tokens(expression: str) -> tuple[tuple[str, str], ...]:
    """A condition expression's tokens as moto's lexer finds them (a text it refuses raises, uncached)."""
    lexed = _original_lex(ConditionExpressionParser(expression, None, None))
    return tuple((node.nonterminal, node.text) for node in lexed)


def _lex_condition_expression(self: ConditionExpressionParser) -> deque[Any]:
    """moto's lexer, its tokens kept per expression text: new nodes (with new child lists) on every parse."""
    node, literal = ConditionExpressionParser.Node, ConditionExpressionParser.Kind.LITERAL
    return deque(
        node(nonterminal=kind, kind=literal, text=text, value=text, children=[])
        for kind, text in _tokens(self.condition_expression)  # type: ignore[arg-type]
    )


_original_condition_parse = ConditionExpressionParser.parse
_PARSED_KEPT = 4096  # parsed conditions kept; all are dropped when more are made (a transaction has <= 100)
_parsed: dict[tuple[str, str, str], tuple[Any, tuple[str, ...], tuple[str, ...]]] = {}


def _condition_parse(self: ConditionExpressionParser) -> Any:
    """moto's ``parse``, its answer kept per expression, names and values: a conditional write's condition was
    parsed three times (the request's validation, the check, the put), half of a transaction's CPU. The tree is
    only read when an item is evaluated against it, so the same text with the same names and values shares
    one; the names and values the parse found are set on each parser as moto's parse sets them. Values that
    are not JSON (binary, after moto's request parse) are parsed each time; a refused text is never kept."""
    try:
        key = (
            self.condition_expression or "",
            json.dumps(self.expression_attribute_names, sort_keys=True),
            json.dumps(self.expression_attribute_values, sort_keys=True),
        )
    except TypeError:
        return _original_condition_parse(self)
    kept = _parsed.get(key)
    if kept is None:
        op = _original_condition_parse(self)
        if len(_parsed) >= _PARSED_KEPT:
            _parsed.clear()
        _parsed[key] = (op, tuple(self.expr_attr_names_found), tuple(self.expr_attr_values_found))
        return op
    op, names, values = kept
    self.expr_attr_names_found.extend(names)
    self.expr_attr_values_found.extend(values)
    return op


_original_template_parse = EventTemplateParser.parse
# A string moto's default template takes as it is: no quote, backslash or control character to escape.
_TEMPLATE_SAFE = re.compile(r'[^"\\\x00-\x1f]+')


def _template_safe(value: Any) -> bool:
    return isinstance(value, str) and _TEMPLATE_SAFE.fullmatch(value) is not None


def _template_parse(input_template: Any, input_paths_map: Any, event: Any) -> Any:
    """moto's ``EventTemplateParser.parse`` for a target without an input transformer, without jsonpath:
    moto fills its default template by finding eight paths in the event (a third of ``PutEvents``' CPU with
    three rules matching each stock event), substitutes them as text and parses the result. The same
    fields in the same order, the detail copied as the JSON round trip copies it; anything the text
    substitution would not carry through unchanged (a quote in a string, a missing field) goes to moto's."""
    if input_template or input_paths_map or not isinstance(event, dict):
        return _original_template_parse(input_template, input_paths_map, event)
    strings = [event.get(name) for name in ("id", "detail-type", "source", "region")]
    resources, detail, at = event.get("resources"), event.get("detail"), event.get("time")
    if not (
        all(_template_safe(value) for value in strings)
        and isinstance(resources, list)
        and all(_template_safe(value) for value in resources)
        and isinstance(detail, dict)
        and isinstance(at, (int, float))
        and not isinstance(at, bool)
        and "ingestion-time" in event
    ):
        return _original_template_parse(input_template, input_paths_map, event)  # type: ignore[arg-type]
    event_id, detail_type, source, region = strings
    return {
        "id": event_id,
        "time": json.loads(str(at)),
        "version": "0",
        "detail-type": detail_type,
        "source": source,
        "region": region,
        "resources": list(resources),
        "detail": json.loads(json.dumps(detail)),
    }


# Every replacement as (owner, attribute, moto's own, ours): install sets the last, uninstall the third, so a
# patch is one line here and cannot be installed without being undone.
_REPLACEMENTS: tuple[tuple[Any, str, Any, Any], ...] = (
    (jsonpath_ng.ext, "parse", _original_jsonpath_parse, _cached_jsonpath_parse),
    (
        sqs_models,
        "camelcase_to_underscores",
        _original_camelcase_to_underscores,
        _memoised_camelcase_to_underscores,
    ),
    (DynamoDBStreamsHandler, "get_records", _original_get_records, _get_records_as_json),
    (DynamoHandler, "serialized", _original_dynamo_serialized, _dynamo_serialized),
    (core_responses, "method_names_from_class", _original_method_names, _listed_method_names),
    (moto_backends, "list_of_moto_modules", _original_list_of_moto_modules, _listed_moto_modules),
    (Table, "query", _original_query, _query),
    (Table, "all_items", _original_all_items, _all_items),
    (Table, "put_item", _original_table_put, _table_put),
    (Table, "delete_item", _original_table_delete, _table_delete),
    (SQSBackend, "is_message_valid_based_on_retention_period", _original_retention_check, _within_retention),
    (SQSBackend, "send_message", _original_send_message, _send_message),
    (EventsBackend, "put_events", _original_put_events, _put_events),
    *((Queue, name, _original_queue_views[name], view) for name, view in _patched_queue_views.items()),
    (dynamodb_models, "copy", _original_copy_module, _TableBackupSkipper()),
    (DynamoDBBackend, "transact_write_items", _original_transact, _transact_write_items),
    *((DynamoDBBackend, name, _original_writes[name], write) for name, write in _patched_writes.items()),
    (DynamoDBBackend, "update_item", _original_writes["update_item"], _update_item),
    (Item, "__init__", _original_item_init, _item_init),
    (MotoRandom, "get_random_string", _original_get_random_string, _random_string),
    (sqs_models, "generate_receipt_handle", _original_receipt_handle, _receipt_handle),
    (Queue, "delete_message", _original_delete_message, _delete_message),
    (core_responses, "camelcase_to_underscores", _original_core_camelcase, _memoised_core_camelcase),
    (ConditionExpressionParser, "_lex_condition_expression", _original_lex, _lex_condition_expression),
    (ConditionExpressionParser, "parse", _original_condition_parse, _condition_parse),
    (EventTemplateParser, "parse", _original_template_parse, staticmethod(_template_parse)),
    (core_responses.BaseResponse, "parse_parameters", _original_parse_parameters, _parse_parameters),
)


def install() -> None:
    """Idempotent; affects every moto backend in this process."""
    if DynamoDBBackend.transact_write_items is _transact_write_items:
        return
    _method_names.cache_clear()
    _parsed.clear()
    _installation[0] += 1
    for owner, name, _, ours in _REPLACEMENTS:
        setattr(owner, name, ours)


def uninstall() -> None:
    """Puts moto back as it was (tests that install the patch leave other tests unaffected)."""
    if DynamoDBBackend.transact_write_items is _transact_write_items:
        _method_names.cache_clear()
        for owner, name, theirs, _ in reversed(_REPLACEMENTS):
            setattr(owner, name, theirs)


@contextmanager
def installed() -> Iterator[None]:
    """The patches for a block (tests): installed on entry, moto as it was on exit."""
    install()
    try:
        yield
    finally:
        uninstall()
