"""Two checkouts spend the same points at once against the local moto *server* (real HTTP, threads):
each sends loyalty's ``debit_points`` part in its own transaction; exactly one wins, the other is refused
as ``InsufficientPoints``, and the balance never goes below zero."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from loyalty import contract
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.errors import InsufficientPoints
from loyalty.domain.service import LoyaltyService

from infra.local.moto_server import MotoServer, aws_environment, free_port
from infra.local.provision import provision
from infra.resources import physical_name
from shop_kernel.clock import FixedClock
from shop_kernel.transact import Reason, refusal

STAGE = "race"
AT = datetime(2026, 12, 1, tzinfo=UTC)
TRIALS = 5


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    port = free_port()
    saved = {name: os.environ.get(name) for name in aws_environment(port)}
    server = MotoServer(port)
    server.start()
    try:
        provision(STAGE)
        yield server
    finally:
        server.stop()
        from infra.local import moto_patches

        moto_patches.uninstall()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _client(server: MotoServer) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=server.url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_checkouts_spending_the_same_points_at_once_exactly_one_wins(
    moto_server: MotoServer, trial: int
) -> None:
    # GIVEN a member with 100 points
    table = physical_name(STAGE, "loyalty")
    member = f"race-member-{trial}"
    LoyaltyService(DynamoLoyaltyStore(_client(moto_server), table), FixedClock(AT)).adjust(
        member, 100, "seed", "agent"
    )
    clients = [_client(moto_server), _client(moto_server)]
    start = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def checkout(n: int) -> None:
        part = contract.debit_points(table, member, 80, f"ord_{trial}_{n}", AT)
        start.wait()
        try:
            clients[n].transact_write_items(TransactItems=list(part.entries))
            outcomes[n] = "won"
        except ClientError as exc:
            reasons = [Reason.from_response(r) for r in exc.response.get("CancellationReasons", [])]
            outcomes[n] = refusal([part], reasons)

    # WHEN two checkouts debit 80 of them at the same moment
    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN exactly one won, the other was told the points are not there, and 20 are left
    assert outcomes.count("won") == 1
    lost = next(o for o in outcomes if o != "won")
    assert isinstance(lost, InsufficientPoints)
    summary = clients[0].get_item(TableName=table, Key=contract.member_key(member), ConsistentRead=True)[
        "Item"
    ]
    assert contract.available_points([summary], member) == 20
