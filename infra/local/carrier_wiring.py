"""The carrier stand-in for the local stack, and the secret the webhook function verifies it with.

The runner starts the stand-in with the API's carrier webhook URL (``/webhooks/carriers/standin``),
exports ``CARRIER_STANDIN_URL`` (handed to the functions that hold a carrier account, see
``functions.runtime_environment``) and, once ``provision`` made the secrets, stores the stand-in's
signing key in ``carrier-webhook-signing`` as ``{"standin": key}``. Its timeline (seconds after a
booking at which the parcel is picked up, in transit, delivered) comes from ``CARRIER_STANDIN_TIMELINE``
(default ``10,20,40``): a demo order is delivered well within a minute of its booking.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from infra.local import REGION
from infra.local.carrier_standin import (
    CARRIER_ID,
    DEFAULT_CARRIER_PORT,
    CarrierStandin,
    CarrierStandinConfig,
)
from infra.local.moto_server import choose_port, port_is_free
from infra.resources import physical_name

log = logging.getLogger("infra.local.carrier")

SIGNING_RESOURCE = "carrier-webhook-signing"
URL_VARIABLE = "CARRIER_STANDIN_URL"


def webhook_url(api_port: int) -> str:
    return f"http://127.0.0.1:{api_port}/webhooks/carriers/{CARRIER_ID}"


@dataclass
class LocalCarrier:
    standin: CarrierStandin

    @property
    def url(self) -> str:
        return self.standin.url

    def describe(self) -> str:
        return f"standin {self.standin.url}"

    def store_credentials(self, stage: str) -> None:
        """The stand-in's webhook key into the stage's signing secret (once provision has made it)."""
        secretsmanager: Any = boto3.client("secretsmanager", region_name=REGION)
        secretsmanager.put_secret_value(
            SecretId=physical_name(stage, SIGNING_RESOURCE),
            SecretString=json.dumps({CARRIER_ID: self.standin.webhook_key}),
        )

    def stop(self) -> None:
        self.standin.stop()


def start_carrier(
    stage: str,
    api_port: int,
    port: int | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    store: bool = True,
) -> LocalCarrier:
    """Start the stand-in on ``port`` (default 12112, else a free one) and export its URL."""
    config = CarrierStandinConfig(webhook_url=webhook_url(api_port))
    timeline = CarrierStandinConfig.timeline_from_env(environ)
    if timeline is not None:
        config = dataclasses.replace(config, timeline=timeline)
    standin = CarrierStandin(config, port=_port(port))
    standin.start()
    os.environ[URL_VARIABLE] = standin.url
    carrier = LocalCarrier(standin)
    if store:
        carrier.store_credentials(stage)
    return carrier


def _port(requested: int | None) -> int:
    if requested is not None or port_is_free(DEFAULT_CARRIER_PORT):
        return choose_port(requested, DEFAULT_CARRIER_PORT, "the carrier stand-in")
    log.warning("port %d for the carrier stand-in is in use; using a free one", DEFAULT_CARRIER_PORT)
    return 0
