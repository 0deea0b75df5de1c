"""The kernel's clients: an event handler registered on the kernel reaches every client it makes."""

from __future__ import annotations

from typing import Any

import pytest

from shop_kernel import aws


class Stopped(Exception):
    """Raised by the test's handler so no call leaves the process."""


def test_a_registered_handler_sees_the_calls_of_clients_made_later_and_after_a_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a handler registered before any client exists (as the local stack's worker registers its guard)
    monkeypatch.setattr(aws, "_handlers", [])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.reset_clients()
    seen: list[str] = []

    def stop(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append(f"{model.name} {params.get('TableName')}")
        raise Stopped

    aws.register("before-parameter-build", stop)
    try:
        # WHEN a client makes a call, then the clients are reset and a new one makes another
        with pytest.raises(Stopped):
            aws.client("dynamodb").get_item(TableName="first", Key={"pk": {"S": "x"}})
        aws.reset_clients()
        with pytest.raises(Stopped):
            aws.client("dynamodb").get_item(TableName="second", Key={"pk": {"S": "x"}})
    finally:
        aws.reset_clients()

    # THEN the handler saw both calls before they were sent
    assert seen == ["GetItem first", "GetItem second"]
