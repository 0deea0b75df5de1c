"""What the customers routes share: path parameters, the caller, the ETag and the answers they document."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from customers.domain.models import MarketingChannel
from shop_kernel.auth import Group, require

# A Cognito sub (a UUID) or, locally, any id of that alphabet.
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
CustomerIdPath = Annotated[
    str, Path(pattern=CUSTOMER_ID_PATTERN, description="The customer's id (Cognito sub)")
]
ChannelPath = Annotated[MarketingChannel, Path(description="The marketing channel")]
ETAG = {"ETag": "The version: send it back in If-Match to change what you read"}


def caller_id(router: Router, *groups: Group) -> str:
    return require(router.current_event.raw_event, *groups).subject
