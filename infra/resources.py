"""The resource definitions both the CDK app and the local stack are built from.

Pure data, no CDK import: ``infra/constructs`` turns these specs into CloudFormation resources, and
``infra/local`` creates the same tables, buses, rules and secrets in moto. ``tests/infra`` checks that
the synthesised template and the local resources agree, so the two cannot drift.

Physical names are ``shop-<stage>-<name>`` locally; in the cloud CloudFormation names them and
functions receive the names through environment variables (``<NAME>_TABLE_NAME`` etc.).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

APP = "shop"
CONTEXTS: tuple[str, ...] = (
    "catalog",
    "search",
    "inventory",
    "cart",
    "checkout",
    "fulfilment",
    "carriers",
    "customers",
    "loyalty",
    "pricing",
    "orders",
)  # grows with each bounded context
# Shoppers register themselves; staff accounts live in a second pool where only administrators create users,
# so no one can sign themselves up into a staff group.
SHOPPER_GROUPS: tuple[str, ...] = ("customers",)
STAFF_GROUPS: tuple[str, ...] = ("agents", "merchandisers", "ops")
COGNITO_GROUPS: tuple[str, ...] = SHOPPER_GROUPS + STAFF_GROUPS


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table: string keys, on-demand, PITR. Access patterns are documented per context."""

    name: str
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    indexes: tuple[IndexSpec, ...] = ()
    stream: Literal["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "KEYS_ONLY"] | None = None
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class SecretSpec:
    """A Secrets Manager secret with a generated value (the local stack generates one too).

    ``external``: the value belongs to another system (a Stripe key, a webhook signing secret). The
    generated value is a placeholder an operator replaces after the first deployment; rotation happens
    in that system, then here.
    """

    name: str
    description: str
    external: bool = False


@dataclass(frozen=True)
class BucketSpec:
    """A private S3 bucket: encrypted, public access blocked, TLS only, versioned, access-logged in the
    cloud. Functions reach it through ``<NAME>_BUCKET_NAME`` (``env_name(name, "bucket")``)."""

    name: str
    description: str
    # Objects are deleted this many days after they were written (None: kept).
    expire_after_days: int | None = None


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule on the stage's bus. ``target`` names a queue or the event log group."""

    name: str
    description: str
    pattern: dict[str, Any]
    target: str


@dataclass(frozen=True)
class StreamTrigger:
    table: str
    batch_size: int = 100
    # Only records whose new or old image has this ``type`` attribute reach the function.
    item_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueTrigger:
    """An SQS queue (a ``RuleSpec.target``) feeding the function, with partial batch failures.

    ``max_batching_window_s`` > 0 lets the mapping gather up to ``batch_size`` messages (above 10 it
    must) for that long before invoking: a burst (the demo seed's ~1,500 stock levels) is a few large
    batches the consumer handles at once instead of hundreds of ten-message invocations.
    """

    queue: str
    batch_size: int = 10
    max_batching_window_s: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 10_000:
            raise ValueError("an SQS batch holds 1 to 10,000 messages")
        if self.batch_size > 10 and not self.max_batching_window_s:
            raise ValueError("a batch above 10 messages needs a batching window (as in the cloud)")
        if not 0 <= self.max_batching_window_s <= 300:
            raise ValueError("the batching window is 0 to 300 seconds")


@dataclass(frozen=True)
class UserPoolTrigger:
    """The function is a Lambda trigger of the shoppers' user pool (the stateful stack's ``users`` pool).

    The pool names the function by its fixed ARN (``shop-<stage>-<name>``), so the stateful stack holds no
    reference to a context stack; the function's stack grants ``cognito-idp.amazonaws.com`` the invoke,
    scoped to that pool's ARN.
    """

    trigger: Literal["PostConfirmation", "PreTokenGeneration"]


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function. ``handler`` is ``<context>.handlers.<module>.handler`` under ``functions/``."""

    name: str
    context: str
    handler: str
    description: str
    memory_mb: int = 512
    timeout_s: int = 10
    tables_rw: tuple[str, ...] = ()
    tables_ro: tuple[str, ...] = ()
    # Tables (also in tables_rw/ro) this function may Scan: scheduled audits only, never a request path.
    audit_scans: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    publishes_events: bool = False
    stream: StreamTrigger | None = None
    # Access to the product search index: "read" (queries) or "write" (indexing). In the cloud this is
    # the OpenSearch domain (HTTP verbs granted accordingly), locally the embedded index on disk.
    search_index: Literal["read", "write"] | None = None
    # Extra layers by name (``layers/<name>/requirements.txt``) on top of the kernel layer.
    layers: tuple[str, ...] = ()
    # Invoked on a fixed rate by an EventBridge schedule (minutes); locally by a timer in the runner.
    schedule_minutes: int | None = None
    # Fed by an SQS queue that an EventBridge rule targets (rule -> queue -> function).
    queue: QueueTrigger | None = None
    # Workflows (``StateMachineSpec.name``) this function starts executions of; each one's ARN arrives in
    # ``workflow_env_name(name)`` and ``states:StartExecution`` is granted on it alone.
    starts_workflows: tuple[str, ...] = ()
    # Workflows whose waiting tasks this function answers (SendTaskSuccess/Failure/Heartbeat with a task
    # token it stored): granted on those state machines alone.
    answers_workflows: tuple[str, ...] = ()
    # Workflows whose executions this function reads (DescribeExecution, GetExecutionHistory: staff views);
    # each one's ARN arrives in ``workflow_env_name(name)``, and the grant covers its executions alone.
    reads_workflows: tuple[str, ...] = ()
    # Buckets (``BucketSpec.name``) whose objects the function reads and writes (s3:GetObject, s3:PutObject).
    buckets_rw: tuple[str, ...] = ()
    # Shopper groups (``SHOPPER_GROUPS``) this function may add users to: ``cognito-idp:AdminAddUserToGroup``
    # on the shoppers' pool only (IAM cannot narrow it to a group; the guard and the tests can).
    adds_to_shopper_groups: tuple[str, ...] = ()
    user_pool_trigger: UserPoolTrigger | None = None


@dataclass(frozen=True)
class StateMachineSpec:
    """A Step Functions workflow defined by ``state_machines/<definition>`` (ASL JSON): Standard, or
    Express (``express``) for a child that a Standard workflow runs as one Task (``startExecution.sync:2``).

    ``${Placeholder}`` values in the definition are filled from ``substitutions``, each a placeholder
    name and a resource reference: ``table:<spec name>`` (table name), ``bus`` (the stage's bus name),
    ``function:<spec name>`` (function ARN) or ``workflow:<spec name>`` (a child workflow's ARN, declared
    before its parent in ``WORKFLOWS``). The CDK app and the local stack fill them alike.
    """

    name: str
    definition: str
    description: str
    substitutions: tuple[tuple[str, str], ...] = ()
    express: bool = False


@dataclass(frozen=True)
class MetricAlarmSpec:
    """An alarm on a metric a context's functions publish (Powertools EMF: namespace ``APP``, dimension
    ``service`` = the context): raised when the period's maximum reaches ``threshold``."""

    name: str
    context: str
    metric: str
    description: str
    threshold: int = 1
    period_minutes: int = 15


@dataclass(frozen=True)
class ApiRoute:
    """A REST API resource tree ``/<prefix>/{proxy+}`` proxied to one function."""

    prefix: str
    function: str
    authorized: bool
    groups: tuple[str, ...] = field(default_factory=tuple)
    # A stricter gateway throttle for this prefix (requests per second, burst) than the stage's: a public
    # route that answers a guess (the application's own per-client limit stays the real bound).
    throttle: tuple[int, int] | None = None


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="catalog",
        indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
        stream="NEW_AND_OLD_IMAGES",
    ),
    # Search's own data (layout: search.adapters.dynamo): merchandisers' synonym groups and related-product
    # links, and its projection of the catalog's product events and inventory's stock levels.
    TableSpec(name="search"),
    # Locations, stock per SKU per location, reservations (layout: inventory.adapters.records). gsi1 lists
    # locations and the active reservations by expiry (the sweeper); TTL removes expired reservations.
    TableSpec(
        name="inventory",
        indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
        stream="NEW_AND_OLD_IMAGES",
        ttl_attribute="expires_at",
    ),
    # Guest and customer carts, and the cart's read model of catalog SKUs (layout:
    # cart.adapters.dynamo_carts). TTL removes carts left alone for 30 (guest) / 90 (customer) days.
    TableSpec(name="carts", ttl_attribute="expires_at"),
    # Promotions, promo codes with usage counts, code batches, campaign counts (layout:
    # pricing.adapters.records). gsi1 lists a promotion's codes and a batch's; the stream feeds the code
    # batch generator (batch items only).
    TableSpec(
        name="promotions",
        indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
        stream="NEW_AND_OLD_IMAGES",
    ),
    # Orders and their payment state, timelines, progress and shipments (owner: the orders context, layout:
    # orders.adapters.records; checkout writes orders through orders.contract), and checkout's own fraud
    # velocity and attempt counters (checkout.adapters.counters). gsi1 lists, sparsely, the orders waiting
    # for payment by deadline (the sweeper), and the staff search's stage, e-mail and phone partitions.
    TableSpec(
        name="orders",
        indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
        stream="NEW_AND_OLD_IMAGES",
        ttl_attribute="expires_at",
    ),
    # Customer profiles, consents and their history, notes, price groups, segments and the orders they are
    # computed from (layout: customers.adapters.dynamo). One partition per customer; the stream feeds its events.
    # gsi1 (sparse) lists the profiles with a birth date by month and day (the daily birthday job).
    TableSpec(
        name="customers",
        indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
        stream="NEW_AND_OLD_IMAGES",
    ),
    # Points ledgers, member summaries, order facts, rules and campaigns (layout: loyalty.adapters.records);
    # gift certificates by the digest of their code, their debits and batches (layout:
    # loyalty.adapters.certificate_records). gsi1 lists members due for the scheduled job, adjustments
    # waiting for approval and certificates; the stream publishes ledger entries, expiry notices, coupons and
    # issued certificates as events and feeds the certificate batches. TTL removes the balance check's
    # attempt counters (a Number ``expires_at``; the notices' ISO text of that name is never expired).
    TableSpec(
        name="loyalty",
        indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
        stream="NEW_IMAGE",
        ttl_attribute="expires_at",
    ),
    # Powertools idempotency records (checkout requests, Stripe webhook events): key ``id``, TTL
    # ``expiration``, as the library's DynamoDB persistence layer expects.
    TableSpec(name="idempotency", partition_key="id", sort_key=None, ttl_attribute="expiration"),
    # Orders' allocations into shipments, shipments with the fulfilment workflow's waiting task tokens
    # (layout: fulfilment.adapters.dynamo). Only GetItem by key: no index.
    TableSpec(name="fulfilment"),
    # Shipments, their tracking-number lookups and the carrier webhook deliveries seen (layout:
    # carriers.adapters.dynamo). gsi1 lists, sparsely, the open shipments of a carrier by last tracking
    # update (the poller, the stuck-shipment check); TTL forgets webhook deliveries after a week.
    TableSpec(
        name="shipments",
        indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
        stream="NEW_AND_OLD_IMAGES",
        ttl_attribute="expires_at",
    ),
)

BUCKETS: tuple[BucketSpec, ...] = (
    # Carriers' shipping labels (PDF/ZPL) by shipment (layout: carriers.adapters.labels).
    BucketSpec(
        name="shipping-labels",
        description="Shipping labels the carriers issued, one object per shipment",
        expire_after_days=365,
    ),
)

SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec(
        name="cursor-signing-key",
        description="HMAC key that signs pagination cursors so clients cannot forge them",
    ),
    SecretSpec(
        name="stripe-api-key",
        description="Stripe secret API key (sk_...) the checkout and payment functions call Stripe with",
        external=True,
    ),
    SecretSpec(
        name="stripe-webhook-signing",
        description="Stripe webhook endpoint signing secret (whsec_...) that verifies Stripe-Signature",
        external=True,
    ),
    SecretSpec(
        name="nova-poshta-api",
        description="Nova Poshta API 2.0 account: JSON {api_key, sender: {city_ref, sender_ref, contact_ref, "
        "address_ref, phone}} (carriers.adapters.novaposhta)",
        external=True,
    ),
    SecretSpec(
        name="carrier-webhook-signing",
        description="HMAC keys carriers sign tracking webhooks with: JSON {carrier id: key}",
        external=True,
    ),
    SecretSpec(
        name="customer-link-signing",
        description="HMAC key that signs consent confirmation and one-click unsubscribe links",
    ),
    SecretSpec(
        name="guest-email-key",
        description="HMAC key of guests' e-mails on OrderPlaced (shop_kernel.guest_keys): loyalty's guest points claim",
    ),
)

EVENT_LOG_TARGET = "event-log"  # a CloudWatch log group in the cloud, a queue locally

RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        name="all-domain-events-to-log",
        description="Every domain event, kept searchable for support and debugging",
        pattern={"source": [{"prefix": "shop."}]},
        target=EVENT_LOG_TARGET,
    ),
    RuleSpec(
        name="catalog-products-to-cart",
        description="Product publications, changes, archivals and prices feed the cart's SKU facts",
        pattern={
            "source": ["shop.catalog"],
            "detail-type": ["ProductPublished", "ProductUpdated", "ProductArchived", "PriceChanged"],
        },
        target="cart-catalog-events",
    ),
    RuleSpec(
        name="catalog-products-to-search",
        description="Product publications, changes, archivals and prices feed search's documents",
        pattern={
            "source": ["shop.catalog"],
            "detail-type": ["ProductPublished", "ProductUpdated", "ProductArchived", "PriceChanged"],
        },
        target="search-events",
    ),
    RuleSpec(
        name="stock-levels-to-search",
        description="Stock levels per SKU and location feed the availability search hits show and filter on",
        pattern={"source": ["shop.inventory"], "detail-type": ["StockLevelChanged"]},
        target="search-events",
    ),
    RuleSpec(
        name="stock-levels-to-catalog",
        description="Stock levels per SKU and location feed the availability category listings show",
        pattern={"source": ["shop.inventory"], "detail-type": ["StockLevelChanged"]},
        target="catalog-stock-events",
    ),
    RuleSpec(
        name="fulfilment-requests-to-warehouse",
        description="Each shipment to pick and pack goes to the warehouse integration (locally its stand-in); "
        "the pickup store hears what waits there for collection",
        pattern={
            "source": ["shop.fulfilment"],
            "detail-type": ["FulfilmentRequested", "FulfilmentCancelled", "ShipmentReadyForCollection"],
        },
        target="warehouse-requests",
    ),
    RuleSpec(
        name="order-cancellations-to-fulfilment",
        description="Cancellation requests stop the order's fulfilment before dispatch; review decisions resume it",
        pattern={
            "source": ["shop.orders"],
            "detail-type": ["OrderCancellationRequested", "OrderReviewDecided"],
        },
        target="fulfilment-cancellations",
    ),
    RuleSpec(
        name="order-cancellations-to-checkout",
        description="A cancellation request for an order still waiting for payment cancels it at once",
        pattern={"source": ["shop.orders"], "detail-type": ["OrderCancellationRequested"]},
        target="checkout-cancellations",
    ),
    RuleSpec(
        name="shipment-status-to-fulfilment",
        description="Carrier tracking (delivered, failed, returned) ends the fulfilment workflow's wait",
        # Only the statuses the wait acts on: the others were queue deliveries and invocations that
        # ignored them, three per parcel (decision 73).
        pattern={
            "source": ["shop.carriers"],
            "detail-type": ["ShipmentStatusChanged"],
            "detail": {"data": {"status": ["delivered", "failed_delivery", "returned_to_sender"]}},
        },
        target="fulfilment-carrier-events",
    ),
    RuleSpec(
        name="order-news-to-orders",
        description="What checkout, fulfilment and carriers say about an order feeds its timeline and stage",
        # A carrier's booking moves no stage and its tracking number arrives again with the dispatch; a
        # capture is on the order item the timeline reads anyway: neither is routed, each saving a queue
        # delivery, an invocation and its writes per order (decision 73).
        pattern={
            "source": ["shop.checkout", "shop.fulfilment", "shop.carriers"],
            "detail-type": [
                "OrderPlaced",
                "OrderCancelled",
                "PaymentFailed",
                "PaymentRefunded",
                "FulfilmentRequested",
                "ElectronicLinesFulfilled",
                "OrderLinesDropped",
                "OrderLinesCancelled",
                "OrderCancellationRefused",
                "ShipmentReadyForCollection",
                "ShipmentCollected",
                "ShipmentStatusChanged",
            ],
            # Matchers in one list are alternatives: any event without a status, or a status but booked.
            "detail": {"data": {"status": [{"anything-but": ["booked"]}, {"exists": False}]}},
        },
        target="orders-events",
    ),
    RuleSpec(
        name="orders-to-customers",
        description="Placed and cancelled orders feed the customers' RFM segments",
        pattern={"source": ["shop.checkout"], "detail-type": ["OrderPlaced", "OrderCancelled"]},
        target="customers-order-events",
    ),
    RuleSpec(
        name="orders-to-loyalty",
        description="Placed, delivered, cancelled and refunded orders earn and give back loyalty points; "
        "confirmed orders issue the gift certificates they bought",
        pattern={
            "source": ["shop.checkout", "shop.orders", "shop.returns"],
            "detail-type": [
                "OrderPlaced",
                "OrderConfirmed",
                "OrderDelivered",
                "OrderCancelled",
                "ReturnRefunded",
            ],
        },
        target="loyalty-order-events",
    ),
    RuleSpec(
        name="coupon-triggers-to-loyalty",
        description="A tier reached and a birthday may issue a coupon; an erased customer's guest claims are forgotten",
        pattern={
            "source": ["shop.loyalty", "shop.customers"],
            "detail-type": ["TierChanged", "CustomerBirthdayReached", "CustomerErased"],
        },
        target="loyalty-order-events",
    ),
    RuleSpec(
        name="catalog-products-to-loyalty",
        description="Each SKU's category and brand, for loyalty's category and brand multipliers and return windows",
        pattern={"source": ["shop.catalog"], "detail-type": ["ProductPublished", "ProductUpdated"]},
        target="loyalty-order-events",
    ),
    RuleSpec(
        name="orders-to-pricing",
        description="Placed and cancelled orders feed the promotions' campaign report",
        pattern={"source": ["shop.checkout"], "detail-type": ["OrderPlaced", "OrderCancelled"]},
        target="pricing-order-events",
    ),
)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="catalog-api",
        context="catalog",
        handler="catalog.handlers.api.handler",
        description="Catalog / PIM REST API: public browsing and merchandiser administration",
        memory_mb=1024,
        timeout_s=29,
        tables_rw=("catalog",),
        secrets=("cursor-signing-key",),
    ),
    FunctionSpec(
        name="catalog-events",
        context="catalog",
        handler="catalog.handlers.stream.handler",
        description="Turns catalog table changes into ProductPublished/Updated/Archived and PriceChanged",
        timeout_s=60,
        publishes_events=True,
        stream=StreamTrigger(table="catalog", item_types=("product",)),
    ),
    FunctionSpec(
        name="catalog-stock-projector",
        context="catalog",
        handler="catalog.handlers.stock_projector.handler",
        description="Keeps the availability on category listings in step with inventory's stock levels",
        timeout_s=30,
        tables_rw=("catalog",),
        # Named, not read: catalog's repository is wired with its cursor codec (the key is fetched only to
        # sign a cursor), and outside the local stage an unset secret name is an error, not a local name.
        secrets=("cursor-signing-key",),
        # Stock levels come in bursts (a seed, a stock count); one invocation refreshes each product once.
        queue=QueueTrigger(queue="catalog-stock-events", batch_size=200, max_batching_window_s=1),
    ),
    FunctionSpec(
        name="search-api",
        context="search",
        handler="search.handlers.api.handler",
        description="Product search, suggestions, similar/related products; synonyms and links for merchandisers",
        memory_mb=1024,
        timeout_s=10,
        tables_rw=("search",),
        secrets=("cursor-signing-key",),
        search_index="read",
        layers=("search",),
    ),
    FunctionSpec(
        name="search-indexer",
        context="search",
        handler="search.handlers.indexer.handler",
        description="Keeps the search index in step with catalog and inventory events: products, prices, stock",
        timeout_s=60,
        tables_rw=("search",),
        # A batch's products are rebuilt in one index write: larger batches, fewer index commits.
        queue=QueueTrigger(queue="search-events", batch_size=200, max_batching_window_s=1),
        search_index="write",
        layers=("search",),
    ),
    FunctionSpec(
        name="inventory-api",
        context="inventory",
        handler="inventory.handlers.api.handler",
        description="Inventory REST API: public stock availability and pickup dates; ops locations and stock",
        memory_mb=1024,
        timeout_s=29,
        tables_rw=("inventory",),
        tables_ro=("catalog",),
    ),
    FunctionSpec(
        name="inventory-events",
        context="inventory",
        handler="inventory.handlers.stream.handler",
        description="Releases reservations TTL deleted; ReservationExpired/Released, StockLevelChanged on the bus",
        timeout_s=60,
        tables_rw=("inventory",),
        publishes_events=True,
        stream=StreamTrigger(table="inventory", item_types=("reservation", "stock")),
    ),
    FunctionSpec(
        name="inventory-sweeper",
        context="inventory",
        handler="inventory.handlers.sweeper.handler",
        description="Expires reservations past their expiry (TTL deletion can lag by hours)",
        timeout_s=60,
        tables_rw=("inventory",),
        schedule_minutes=5,
    ),
    FunctionSpec(
        name="inventory-reconciler",
        context="inventory",
        handler="inventory.handlers.reconciler.handler",
        description="Recounts stock holds that do not add up to their active reservations; reports drift",
        timeout_s=300,
        tables_rw=("inventory",),
        audit_scans=("inventory",),
        publishes_events=True,
        schedule_minutes=30,
    ),
    FunctionSpec(
        name="cart-api",
        context="cart",
        handler="cart.handlers.api.handler",
        description="Cart REST API: guest carts (X-Cart-Token) and customer carts, lines, codes, merge, pricing",
        memory_mb=1024,
        timeout_s=10,
        tables_rw=("carts",),
        # loyalty: gift certificates entered on the cart, read by code; a customer's points and the
        # redemption rules, read through loyalty's contract with the priced cart's facts (one BatchGetItem).
        tables_ro=("promotions", "inventory", "loyalty"),
    ),
    FunctionSpec(
        name="checkout-api",
        context="checkout",
        handler="checkout.handlers.api.handler",
        layers=("payments",),
        description="Checkout REST API: prices and reserves the cart, creates the order and its PaymentIntent",
        memory_mb=1024,
        timeout_s=29,
        # loyalty: gift certificates debited in the order's transaction, and a customer paying with points
        # has their summary and the redemption rules read and the points debited in it (loyalty.contract).
        tables_rw=("orders", "carts", "inventory", "promotions", "loyalty", "idempotency"),
        secrets=("stripe-api-key",),
    ),
    FunctionSpec(
        name="stripe-webhooks",
        context="checkout",
        handler="checkout.handlers.webhooks.handler",
        layers=("payments",),
        description="Stripe webhooks: verified, deduplicated; payment authorised, failed, cancelled, refunded",
        memory_mb=1024,
        timeout_s=29,
        # inventory: the authorisation extends the stock hold; promotions, loyalty: a cancellation gives
        # back the order's code uses, certificate debits and points in the same transaction.
        tables_rw=("orders", "inventory", "promotions", "loyalty", "idempotency"),
        secrets=("stripe-webhook-signing", "stripe-api-key"),
    ),
    FunctionSpec(
        name="checkout-events",
        context="checkout",
        handler="checkout.handlers.stream.handler",
        description="Order changes -> OrderPlaced/OrderCancelled on the bus, fulfilment started, stock released",
        timeout_s=60,
        tables_rw=("inventory",),
        publishes_events=True,
        # A guest order's OrderPlaced carries the keyed hash of the e-mail (loyalty's guest points claim).
        secrets=("guest-email-key",),
        stream=StreamTrigger(table="orders", item_types=("order",)),
        starts_workflows=("order-fulfilment",),
    ),
    FunctionSpec(
        name="checkout-sweeper",
        context="checkout",
        handler="checkout.handlers.sweeper.handler",
        layers=("payments",),
        description="Expires orders left unpaid past their payment deadline and cancels their PaymentIntent",
        timeout_s=60,
        # As the webhook: a late authorisation it finds extends the stock hold (inventory); an expiry
        # gives back code uses (promotions), certificate debits and points (loyalty), in the transaction
        # that cancels.
        tables_rw=("orders", "inventory", "promotions", "loyalty"),
        secrets=("stripe-api-key",),
        schedule_minutes=5,
    ),
    FunctionSpec(
        name="checkout-reconciler",
        context="checkout",
        handler="checkout.handlers.reconciler.handler",
        layers=("payments",),
        description="Compares orders with Stripe's PaymentIntents; voids, applies or flags what differs",
        timeout_s=300,
        # As the webhook: an authorisation it applies extends the hold (inventory), a cancellation that
        # follows gives back code uses (promotions), certificate debits and points (loyalty).
        tables_rw=("orders", "inventory", "promotions", "loyalty"),
        secrets=("stripe-api-key",),
        publishes_events=True,
        schedule_minutes=30,
    ),
    FunctionSpec(
        name="payment-tasks",
        context="checkout",
        handler="checkout.handlers.payment_tasks.handler",
        layers=("payments",),
        description="Fulfilment's payment steps: capture per shipment, release unshipped lines, void",
        timeout_s=29,
        # inventory: shipped units committed, dropped ones released; promotions and loyalty: a void
        # cancels the order and gives back its code uses, certificate debits and points in the same
        # transaction.
        tables_rw=("orders", "inventory", "promotions", "loyalty"),
        secrets=("stripe-api-key",),
    ),
    FunctionSpec(
        name="checkout-cancellations",
        context="checkout",
        handler="checkout.handlers.cancellations.handler",
        layers=("payments",),
        description="A buyer's cancellation of an order still waiting for payment: the order, then its PaymentIntent",
        timeout_s=30,
        # As the sweeper's expiry: the cancelling write gives back code uses (promotions), certificate
        # debits and points (loyalty); the orders stream (checkout-events) releases the stock.
        tables_rw=("orders", "promotions", "loyalty"),
        secrets=("stripe-api-key",),
        queue=QueueTrigger(queue="checkout-cancellations"),
    ),
    FunctionSpec(
        name="cart-catalog-projector",
        context="cart",
        handler="cart.handlers.catalog_projector.handler",
        description="Keeps the cart's SKU facts in step with the catalog's product and price events",
        timeout_s=30,
        tables_rw=("carts",),
        queue=QueueTrigger(queue="cart-catalog-events"),
    ),
    FunctionSpec(
        name="fulfilment-tasks",
        context="fulfilment",
        handler="fulfilment.handlers.tasks.handler",
        description="Fulfilment workflow tasks: allocate an order into shipments, ask the warehouse, cancel",
        timeout_s=30,
        tables_rw=("fulfilment",),
        # Locations (addresses, time zones, carrier cut-offs) through inventory's contract.
        tables_ro=("inventory",),
        publishes_events=True,
        # "Allocate shipments" answers its own task token (allocated, or routed to the review or the charge
        # of electronic lines): one Task instead of a Choice and a Task.
        answers_workflows=("order-fulfilment",),
    ),
    FunctionSpec(
        name="fulfilment-api",
        context="fulfilment",
        handler="fulfilment.handlers.api.handler",
        description="Fulfilment REST API: the warehouse reports a shipment packed (resumes the workflow)",
        timeout_s=10,
        tables_rw=("fulfilment",),
        publishes_events=True,
        answers_workflows=("order-fulfilment",),
    ),
    FunctionSpec(
        name="fulfilment-carrier-events",
        context="fulfilment",
        handler="fulfilment.handlers.carrier_events.handler",
        description="Carrier tracking -> the fulfilment workflow's wait for delivery answered",
        timeout_s=30,
        tables_rw=("fulfilment",),
        queue=QueueTrigger(queue="fulfilment-carrier-events"),
        answers_workflows=("order-fulfilment",),
    ),
    FunctionSpec(
        name="fulfilment-cancellations",
        context="fulfilment",
        handler="fulfilment.handlers.cancellations.handler",
        description="Cancellation requests and review decisions -> the workflow's waits ended or answered",
        timeout_s=30,
        tables_rw=("fulfilment",),
        publishes_events=True,
        queue=QueueTrigger(queue="fulfilment-cancellations"),
        answers_workflows=("order-fulfilment",),
    ),
    FunctionSpec(
        name="carrier-tasks",
        context="carriers",
        handler="carriers.handlers.tasks.handler",
        description="Fulfilment workflow tasks: quote carrier rates, book a shipment (label to S3), cancel it",
        timeout_s=30,
        tables_rw=("shipments",),
        secrets=("nova-poshta-api",),
        buckets_rw=("shipping-labels",),
    ),
    FunctionSpec(
        name="carrier-webhooks",
        context="carriers",
        handler="carriers.handlers.webhooks.handler",
        description="Carrier tracking webhooks: signed, deduplicated; advance the shipment's status",
        timeout_s=10,
        tables_rw=("shipments",),
        secrets=("carrier-webhook-signing",),
    ),
    FunctionSpec(
        name="carrier-tracking-poller",
        context="carriers",
        handler="carriers.handlers.poller.handler",
        description="Polls tracking of carriers without webhooks (Nova Poshta); counts shipments gone quiet",
        timeout_s=120,
        tables_rw=("shipments",),
        secrets=("nova-poshta-api",),
        schedule_minutes=15,
    ),
    FunctionSpec(
        name="carrier-events",
        context="carriers",
        handler="carriers.handlers.stream.handler",
        description="Shipment status changes -> ShipmentStatusChanged on the bus",
        timeout_s=60,
        publishes_events=True,
        stream=StreamTrigger(table="shipments", item_types=("shipment",)),
    ),
    FunctionSpec(
        name="customers-api",
        context="customers",
        handler="customers.handlers.api.handler",
        description="Customers REST API: profile, address book, consents, GDPR; staff agent view, notes, groups",
        memory_mb=1024,
        timeout_s=10,
        tables_rw=("customers",),
        secrets=("customer-link-signing",),
    ),
    FunctionSpec(
        name="customers-events",
        context="customers",
        handler="customers.handlers.stream.handler",
        description="Customers table changes -> CustomerRegistered, ConsentChanged, CustomerGroupChanged, ...",
        timeout_s=60,
        publishes_events=True,
        # Signs the double opt-in link a pending consent's ConsentConfirmationRequested carries.
        secrets=("customer-link-signing",),
        stream=StreamTrigger(
            table="customers",
            item_types=("registration", "profile", "consent", "group", "segments", "erasure"),
        ),
    ),
    FunctionSpec(
        name="customers-order-events",
        context="customers",
        handler="customers.handlers.order_events.handler",
        description="Remembers each customer's placed and cancelled orders and recomputes their RFM segments",
        timeout_s=30,
        tables_rw=("customers",),
        # Named, not read: the container wires the service with its link signer (fetched only to sign).
        secrets=("customer-link-signing",),
        queue=QueueTrigger(queue="customers-order-events"),
    ),
    FunctionSpec(
        name="customers-birthdays",
        context="customers",
        handler="customers.handlers.birthdays.handler",
        description="Daily: CustomerBirthdayReached (id and year only) for each customer whose birthday is today",
        timeout_s=120,
        tables_ro=("customers",),
        publishes_events=True,
        schedule_minutes=1440,
    ),
    FunctionSpec(
        name="loyalty-api",
        context="loyalty",
        handler="loyalty.handlers.api.handler",
        description="Loyalty REST API: points, tier, ledger, coupons, guest claim; rules, campaigns, adjustments, gift certificates",
        memory_mb=1024,
        timeout_s=10,
        tables_rw=("loyalty",),
        # Whether a coupon's code was used: pricing's code items, read through its contract.
        tables_ro=("promotions",),
        # guest-email-key: keys the caller's verified e-mail for the guest points claim.
        secrets=("cursor-signing-key", "guest-email-key"),
    ),
    FunctionSpec(
        name="loyalty-earning",
        context="loyalty",
        handler="loyalty.handlers.order_events.handler",
        description="Order events -> points and cashback earned (pending), reversed on returns and cancellations; SKU facts; coupons on their triggers",
        timeout_s=30,
        # Promotions: an automatic coupon's code is written by pricing's contract in loyalty's transaction.
        tables_rw=("loyalty", "promotions"),
        queue=QueueTrigger(queue="loyalty-order-events"),
    ),
    FunctionSpec(
        name="loyalty-events",
        context="loyalty",
        handler="loyalty.handlers.stream.handler",
        description="Ledger entries, notices, coupons, certificates -> Points*, TierChanged, CouponIssued, GiftCertificateIssued",
        timeout_s=60,
        publishes_events=True,
        stream=StreamTrigger(table="loyalty", item_types=("entry", "notice", "coupon", "gift_certificate")),
    ),
    FunctionSpec(
        name="loyalty-certificate-batches",
        context="loyalty",
        handler="loyalty.handlers.certificate_batches.handler",
        description="Writes a gift certificate batch, a chunk per change of the batch (idempotent)",
        timeout_s=120,
        tables_rw=("loyalty",),
        # One record at a time: each chunk is up to 200 conditional writes.
        stream=StreamTrigger(table="loyalty", batch_size=1, item_types=("gift_certificate_batch",)),
    ),
    FunctionSpec(
        name="loyalty-maturity",
        context="loyalty",
        handler="loyalty.handlers.maturity.handler",
        description="Matures pending points and cashback after the return window; expires and announces points; win-back coupons",
        timeout_s=300,
        tables_rw=("loyalty", "promotions"),
        schedule_minutes=30,
    ),
    FunctionSpec(
        name="pricing-api",
        context="pricing",
        handler="pricing.handlers.api.handler",
        description="Promotions back office: promotions, codes, code batches, campaign reports for merchandisers",
        memory_mb=1024,
        timeout_s=29,
        tables_rw=("promotions",),
        secrets=("cursor-signing-key",),
    ),
    FunctionSpec(
        name="pricing-code-batches",
        context="pricing",
        handler="pricing.handlers.code_batches.handler",
        description="Generates a code batch's codes, a chunk per change of the batch (collision-safe, idempotent)",
        timeout_s=120,
        tables_rw=("promotions",),
        # One record at a time: each chunk is up to 1,000 conditional writes.
        stream=StreamTrigger(table="promotions", batch_size=1, item_types=("code_batch",)),
    ),
    FunctionSpec(
        name="pricing-campaign-projector",
        context="pricing",
        handler="pricing.handlers.campaign_projector.handler",
        description="Counts placed and cancelled orders per promotion for the campaign report (once per order)",
        timeout_s=30,
        tables_rw=("promotions",),
        queue=QueueTrigger(queue="pricing-order-events"),
    ),
    FunctionSpec(
        name="orders-api",
        context="orders",
        handler="orders.handlers.api.handler",
        description="Orders REST API: a customer's orders with their timeline; staff search, order view, cancellations, reviews",
        memory_mb=1024,
        timeout_s=10,
        tables_rw=("orders",),
        secrets=("cursor-signing-key",),
        publishes_events=True,
        reads_workflows=("order-fulfilment",),
    ),
    FunctionSpec(
        name="orders-events",
        context="orders",
        handler="orders.handlers.events.handler",
        description="Order news from checkout, fulfilment and carriers -> the order's timeline, shipments and stage",
        timeout_s=30,
        tables_rw=("orders",),
        publishes_events=True,
        queue=QueueTrigger(queue="orders-events"),
    ),
    FunctionSpec(
        name="customers-registration",
        context="customers",
        handler="customers.handlers.registration.handler",
        description="Cognito post-confirmation: a self-registered shopper joins customers and is registered once",
        timeout_s=5,
        tables_rw=("customers",),
        # Named, not read: the container wires the service with its link signer (fetched only to sign).
        secrets=("customer-link-signing",),
        adds_to_shopper_groups=("customers",),
        user_pool_trigger=UserPoolTrigger(trigger="PostConfirmation"),
    ),
    FunctionSpec(
        name="customers-token-claims",
        context="customers",
        handler="customers.handlers.token_claims.handler",
        description="Cognito pre-token generation: the price_group claim from the group staff set here",
        timeout_s=5,
        tables_ro=("customers",),
        user_pool_trigger=UserPoolTrigger(trigger="PreTokenGeneration"),
    ),
)

API_ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute(prefix="catalog", function="catalog-api", authorized=False),
    ApiRoute(prefix="admin/catalog", function="catalog-api", authorized=True, groups=("merchandisers",)),
    ApiRoute(prefix="search", function="search-api", authorized=False),
    ApiRoute(prefix="admin/search", function="search-api", authorized=True, groups=("merchandisers",)),
    ApiRoute(prefix="inventory", function="inventory-api", authorized=False),
    ApiRoute(prefix="admin/inventory", function="inventory-api", authorized=True, groups=("ops",)),
    ApiRoute(prefix="cart", function="cart-api", authorized=False),
    ApiRoute(prefix="me/cart", function="cart-api", authorized=True, groups=("customers",)),
    ApiRoute(prefix="checkout", function="checkout-api", authorized=False),
    ApiRoute(prefix="me/checkout", function="checkout-api", authorized=True, groups=("customers",)),
    # The orders context: a customer's orders with their timelines; staff search and read any order, with
    # the contact details events do not carry. Guests read theirs through checkout (with the cart token).
    ApiRoute(prefix="me/orders", function="orders-api", authorized=True, groups=("customers",)),
    ApiRoute(prefix="admin/orders", function="orders-api", authorized=True, groups=("agents", "ops")),
    # The orders API's OpenAPI document (GET /orders/openapi.json), public like the other contexts' documents:
    # without it the document was served nowhere a client (or the local gateway) could ask.
    ApiRoute(prefix="orders", function="orders-api", authorized=False),
    # The customer's own data: /me itself (DELETE erases) and what no more specific /me/... prefix serves.
    ApiRoute(prefix="me", function="customers-api", authorized=True, groups=("customers",)),
    ApiRoute(prefix="admin/customers", function="customers-api", authorized=True, groups=("agents", "ops")),
    # Links followed from a message without signing in: verified by their signed token.
    ApiRoute(prefix="customers", function="customers-api", authorized=False),
    # The loyalty API's OpenAPI document; members and staff use the authorised prefixes below.
    ApiRoute(prefix="loyalty", function="loyalty-api", authorized=False),
    ApiRoute(prefix="me/loyalty", function="loyalty-api", authorized=True, groups=("customers",)),
    ApiRoute(prefix="me/coupons", function="loyalty-api", authorized=True, groups=("customers",)),
    # Anyone may check a gift certificate's balance by its code: throttled hard at the gateway, and
    # limited per client address by loyalty itself.
    ApiRoute(prefix="loyalty/gift-certificates", function="loyalty-api", authorized=False, throttle=(5, 10)),
    # Agents look members up and adjust; merchandisers edit rules and campaigns (checked per route).
    ApiRoute(
        prefix="admin/loyalty", function="loyalty-api", authorized=True, groups=("agents", "merchandisers")
    ),
    ApiRoute(prefix="admin/promotions", function="pricing-api", authorized=True, groups=("merchandisers",)),
    # Stripe calls this without a token; every request is verified by its Stripe-Signature instead.
    ApiRoute(prefix="webhooks/stripe", function="stripe-webhooks", authorized=False),
    # The warehouse system (a machine user of the ops group) reports packed shipments, stores collections.
    ApiRoute(prefix="admin/fulfilment", function="fulfilment-api", authorized=True, groups=("ops",)),
    # Carriers call this without a token; each request is verified by its HMAC signature instead.
    ApiRoute(prefix="webhooks/carriers", function="carrier-webhooks", authorized=False),
)

WORKFLOWS: tuple[StateMachineSpec, ...] = (
    # Express: two synchronous tasks that the fulfilment workflow runs as one of its states (one Standard
    # transition instead of two; an Express execution bills a request and its duration, not transitions).
    StateMachineSpec(
        name="shipment-dispatch",
        definition="shipment_dispatch.asl.json",
        description="A packed shipment booked with its carrier, then its packed lines captured",
        substitutions=(
            ("CarrierTasksFunction", "function:carrier-tasks"),
            ("PaymentTasksFunction", "function:payment-tasks"),
        ),
        express=True,
    ),
    StateMachineSpec(
        name="order-fulfilment",
        definition="order_fulfilment.asl.json",
        description="From a paid order to its delivery: review, stock, picking, shipping, capture",
        substitutions=(
            ("FulfilmentTasksFunction", "function:fulfilment-tasks"),
            ("CarrierTasksFunction", "function:carrier-tasks"),
            ("PaymentTasksFunction", "function:payment-tasks"),
            ("ShipmentDispatchWorkflow", "workflow:shipment-dispatch"),
        ),
    ),
)

METRIC_ALARMS: tuple[MetricAlarmSpec, ...] = (
    # carrier-tracking-poller counts open shipments without a tracking update for STUCK_AFTER_HOURS.
    MetricAlarmSpec(
        name="shipments-stuck",
        context="carriers",
        metric="StuckShipments",
        description="Shipments without a tracking update for too long: a parcel lost, or webhooks not arriving "
        "(the poller's log lists their ids)",
        period_minutes=30,
    ),
)

SEARCH_INDEX_ALIAS = "products"  # the alias queries read; a reindex points it at a fresh index

EVENT_ARCHIVE_RETENTION_DAYS = 365
API_THROTTLE_RATE = 200
API_THROTTLE_BURST = 400


def physical_name(stage: str, name: str) -> str:
    return f"{APP}-{stage}-{name}"


def env_name(resource: str, kind: str) -> str:
    """``env_name("catalog", "table")`` -> ``CATALOG_TABLE_NAME``: how functions learn physical names."""
    return f"{resource.upper().replace('-', '_')}_{kind.upper()}_NAME"


def workflow_env_name(name: str) -> str:
    """``workflow_env_name("order-fulfilment")`` -> ``ORDER_FULFILMENT_STATE_MACHINE_ARN``."""
    return f"{name.upper().replace('-', '_')}_STATE_MACHINE_ARN"


def workflow(name: str) -> StateMachineSpec:
    return next(w for w in WORKFLOWS if w.name == name)


def bucket(name: str) -> BucketSpec:
    return next(b for b in BUCKETS if b.name == name)


def table(name: str) -> TableSpec:
    return next(t for t in TABLES if t.name == name)


def function(name: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.name == name)
