"""Stripe for the local stack: the stand-in (or Stripe test mode), and the secrets functions read it from.

Checkout and the webhook function read the API key and the webhook signing secret from Secrets Manager
(``shop-<stage>-stripe-api-key``, ``shop-<stage>-stripe-webhook-signing``), as in the cloud, and reach
Stripe at ``STRIPE_API_BASE`` when it is set. So the runner starts the stand-in with the API's webhook
URL, stores the stand-in's key and signing secret in those two secrets (replacing ``provision``'s
placeholders) and exports ``STRIPE_API_BASE``; the runner passes it on to the functions whose spec holds the
API key (``functions.runtime_environment``).

``STRIPE_API_KEY=sk_test_...`` selects Stripe test mode instead (``STRIPE_STANDIN=1`` keeps the stand-in):
no stand-in, the key and ``STRIPE_WEBHOOK_SECRET`` (printed by ``stripe listen``) go into the secrets,
``STRIPE_API_BASE`` stays unset. A live key is refused in every mode: the local stack must never move real money.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from infra.local import REGION
from infra.local.moto_server import choose_port, port_is_free
from infra.local.stripe_standin import (
    DEFAULT_API_KEY,
    DEFAULT_STRIPE_PORT,
    StandinConfig,
    StripeStandin,
    use_real_stripe,
)
from infra.resources import physical_name

log = logging.getLogger("infra.local.stripe")

# The two secrets of infra.resources.SECRETS that hold Stripe credentials.
API_KEY_RESOURCE = "stripe-api-key"
SIGNING_RESOURCE = "stripe-webhook-signing"
WEBHOOK_PATH = "/webhooks/stripe"
API_BASE_VARIABLE = "STRIPE_API_BASE"
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


class StripeSetupError(RuntimeError):
    """The developer's Stripe settings cannot be used (a live key, test mode without its secret)."""


@dataclass
class LocalStripe:
    """What the runner started: the stand-in, or nothing in test mode."""

    standin: StripeStandin | None
    webhook_url: str
    credentials: tuple[str, str] | None = None  # (API key, webhook secret) for the stage's two secrets

    @property
    def url(self) -> str | None:
        return self.standin.url if self.standin else None

    def describe(self) -> str:
        """``standin <url>`` or ``test mode``: what ``/health`` reports."""
        return f"standin {self.standin.url}" if self.standin else "test mode"

    def store_credentials(self, stage: str) -> None:
        """Put the key and the signing secret into the stage's secrets (once provision has made them)."""
        if self.credentials is not None:
            store_credentials(stage, *self.credentials)

    def stop(self) -> None:
        if self.standin is not None:
            self.standin.stop()


def webhook_url(api_port: int) -> str:
    return f"http://127.0.0.1:{api_port}{WEBHOOK_PATH}"


def start_stripe(
    stage: str,
    api_port: int,
    port: int | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    store: bool = True,
) -> LocalStripe:
    """Start the stand-in on ``port`` (default 12111, else a free one), or select Stripe test mode.

    With ``store=False`` the secrets are left for ``LocalStripe.store_credentials``: the runner starts
    Stripe before moto's resources exist, so the functions' environments can name the stand-in early.
    """
    env = os.environ if environ is None else environ
    refuse_live_keys(env)
    url = webhook_url(api_port)
    if use_real_stripe(env):
        stripe = _use_test_mode(env, url)
    else:
        standin = StripeStandin(_standin_config(env, url), port=_standin_port(port))
        standin.start()
        os.environ[API_BASE_VARIABLE] = standin.url
        credentials = (standin.api.config.api_key or DEFAULT_API_KEY, standin.webhook_secret)
        stripe = LocalStripe(standin, url, credentials)
    if store:
        stripe.store_credentials(stage)
    return stripe


def refuse_live_keys(env: Mapping[str, str]) -> None:
    key = env.get("STRIPE_API_KEY", "")
    if key.startswith(LIVE_KEY_PREFIXES):
        raise StripeSetupError(
            "STRIPE_API_KEY is a live key: the local stack never uses one. "
            "Unset it (the stand-in needs none) or use an sk_test_ key for Stripe test mode."
        )


def _use_test_mode(env: Mapping[str, str], url: str) -> LocalStripe:
    secret = env.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret.startswith("whsec_"):
        raise StripeSetupError(
            f"Stripe test mode (STRIPE_API_KEY=sk_test_...) needs STRIPE_WEBHOOK_SECRET: run "
            f"`stripe listen --forward-to {url}` and export the whsec_... secret it prints "
            "(or set STRIPE_STANDIN=1 to keep the local stand-in)."
        )
    # Functions talk to api.stripe.com when it is unset; one left in the shell would send them elsewhere.
    if os.environ.pop(API_BASE_VARIABLE, None) is not None:
        log.warning("%s unset: Stripe test mode uses api.stripe.com", API_BASE_VARIABLE)
    log.info("Stripe test mode; forward webhooks with `stripe listen --forward-to %s`", url)
    return LocalStripe(None, url, (env["STRIPE_API_KEY"], secret))


def _standin_config(env: Mapping[str, str], url: str) -> StandinConfig:
    # Events always go to this stack's API, whatever STRIPE_WEBHOOK_URL says.
    return dataclasses.replace(StandinConfig.from_env(env), webhook_url=url)


def _standin_port(requested: int | None) -> int:
    """``requested`` (it must be free), else 12111, else 0: the OS picks one as the server binds it."""
    if requested is not None or port_is_free(DEFAULT_STRIPE_PORT):
        return choose_port(requested, DEFAULT_STRIPE_PORT, "the Stripe stand-in")
    log.warning("port %d for the Stripe stand-in is in use; using a free one", DEFAULT_STRIPE_PORT)
    return 0


def store_credentials(stage: str, api_key: str, webhook_secret: str) -> None:
    """Put the key and the signing secret into the stage's two Stripe secrets (created by provision)."""
    secretsmanager: Any = boto3.client("secretsmanager", region_name=REGION)
    for name, value in ((API_KEY_RESOURCE, api_key), (SIGNING_RESOURCE, webhook_secret)):
        secretsmanager.put_secret_value(SecretId=physical_name(stage, name), SecretString=value)
