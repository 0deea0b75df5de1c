"""A carrier webhook is believed only with a signature of its exact body, made with that carrier's key,
within five minutes; and only bodies the carrier's parser understands are read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from carriers.adapters.standin import parse_webhook
from carriers.domain.models import ShipmentStatus
from carriers.domain.webhooks import WebhookRejected, sign, verify

KEY = b"whk_standin_key"
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
BODY = b'{"id":"whd_1","carrier":"standin","events":[]}'


def test_a_fresh_signature_of_the_exact_body_verifies():
    # GIVEN a body signed now WHEN verified THEN nothing is raised
    verify(BODY, sign(BODY, KEY, int(NOW.timestamp())), KEY, NOW)


@pytest.mark.parametrize(
    ("body", "header", "why"),
    [
        (BODY.replace(b"whd_1", b"whd_2"), sign(BODY, KEY, int(NOW.timestamp())), "does not match"),
        (BODY, sign(BODY, b"another carrier's key", int(NOW.timestamp())), "does not match"),
        (BODY, sign(BODY, KEY, int((NOW - timedelta(minutes=6)).timestamp())), "too old"),
        (BODY, None, "missing"),
        (BODY, "v1=abc", "no timestamp"),
    ],
    ids=["tampered", "other key", "replayed later", "unsigned", "no timestamp"],
)
def test_forged_tampered_or_replayed_deliveries_are_refused(body, header, why):
    # WHEN a delivery is not what the carrier signed just now THEN it is refused as a 400
    with pytest.raises(WebhookRejected, match=why) as refused:
        verify(body, header, KEY, NOW)
    assert refused.value.status == 400


def test_the_standin_body_reads_as_tracking_events_and_a_foreign_one_does_not():
    # GIVEN a stand-in delivery
    body = {
        "id": "whd_1",
        "carrier": "standin",
        "events": [
            {
                "id": "e1",
                "tracking_number": "SI1",
                "status": "picked_up",
                "occurred_at": "2026-12-03T10:00:00Z",
            }
        ],
    }
    # WHEN parsed THEN it is the delivery id and the event in our status
    delivery_id, [event] = parse_webhook(body)
    assert delivery_id == "whd_1"
    assert event.status is ShipmentStatus.DISPATCHED
    assert event.occurred_at == NOW
    # AND a body naming another carrier, or an unknown status, is not read
    with pytest.raises(ValueError, match="another carrier"):
        parse_webhook({**body, "carrier": "nova-poshta"})
    with pytest.raises(ValueError, match="teleported"):
        parse_webhook({**body, "events": [{**body["events"][0], "status": "teleported"}]})
