"""Loyalty's refusals, mapped once to problem+json by the kernel (``shop_kernel.http``)."""

from __future__ import annotations

from shop_kernel.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed


class InsufficientPoints(Conflict):
    """The member's available points do not cover the debit (checked by the database, not by a read)."""

    type_slug = "insufficient-points"
    title = "Not enough points"


class PointsAlreadySpent(Conflict):
    """This order has debited points already: the second debit adds nothing."""

    type_slug = "points-already-spent"


class PointsAlreadyRestored(Conflict):
    """The order's points were given back already (a restore happens once)."""

    type_slug = "points-already-restored"


class NothingToRestore(Conflict):
    """The order debited no points, so there is nothing to give back."""

    type_slug = "nothing-to-restore"


class LoyaltyBusy(Conflict):
    """The member's summary changed between the read and the write several times; try again."""

    type_slug = "loyalty-busy"
    retry_after_s = 1


class UnknownMember(NotFound):
    type_slug = "unknown-member"


class AdjustmentRefused(ValidationFailed):
    """An adjustment that may not be made or approved (its own author approving it, a finished one)."""


class AlreadyClaimed(Conflict):
    """The points of guest orders with this e-mail were claimed already (a claim happens once)."""

    type_slug = "already-claimed"


class NothingToClaim(NotFound):
    """No guest order with this e-mail earned points."""

    type_slug = "nothing-to-claim"


class EmailNotVerified(Forbidden):
    """Guest points are claimed with a verified e-mail only (the token's ``email_verified``)."""

    type_slug = "email-not-verified"


__all__ = [
    "AdjustmentRefused",
    "AlreadyClaimed",
    "DomainError",
    "EmailNotVerified",
    "InsufficientPoints",
    "LoyaltyBusy",
    "NothingToClaim",
    "NothingToRestore",
    "PointsAlreadyRestored",
    "PointsAlreadySpent",
    "UnknownMember",
]
