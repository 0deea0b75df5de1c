"""Gift certificates: stored value loyalty issues and keeps, spent as a tender at checkout.

A certificate is a bearer secret: whoever holds the code can spend it. So a code is drawn from a
cryptographic source (``new_code``: 16 characters of an alphabet without look-alikes, about 78 bits), is
kept only as its SHA-256 ``digest`` (the key it is found by) and a ``masked`` form for listings, and is
shown in full once: in the answer that issued it (a batch's codes can be exported from the batch's
secret seed, see ``batch_code``). A code is typed by people: ``normalise`` trims and upper-cases it, as
cart and checkout do with every code.

Status is computed, never stored: ``voided`` (a merchandiser withdrew it; nothing can be spent), else
``expired`` (past ``expires_at``), ``spent`` (no balance left) or ``active``. Checkout's conditional debit
(``loyalty.contract.debit_certificate``) refuses a voided certificate or a balance that moved; the 409
it answers is ``balance_changed`` on the cart's certificates, as it always was.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shop_kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from shop_kernel.ids import new_id
from shop_kernel.money import Money

# No 0/O, 1/I/L, U (ambiguous when read aloud or printed), no vowels but A and E, so no words by accident.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LENGTH = 4, 4
PREFIX = "GC"
MAX_AMOUNT = 10_000_000  # 100 000.00 in the currency's minor units: a certificate, not a bank account
MAX_BATCH = 10_000


def normalise(raw: str) -> str:
    """Codes are case-insensitive and typed by people: compare them trimmed and upper-cased."""
    return raw.strip().upper()


def _group(chars: str) -> str:
    return "-".join(chars[i : i + GROUP_LENGTH] for i in range(0, len(chars), GROUP_LENGTH))


def new_code() -> str:
    """A fresh code, e.g. ``GC-7Q4K-29XZ-MHD3-P8TW`` (16 random characters: ~78 bits)."""
    return f"{PREFIX}-" + _group("".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH)))


def batch_code(seed: bytes, index: int, attempt: int = 0) -> str:
    """Code ``index`` of a batch: derived from the batch's secret seed, so a retried chunk writes the same
    codes and an export re-derives them; without the seed they are as unguessable as ``new_code``."""
    digest = hmac.new(seed, f"{index}:{attempt}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(GROUPS * GROUP_LENGTH):
        number, rest = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[rest])
    return f"{PREFIX}-" + _group("".join(chars))


def digest(code: str) -> str:
    """What a certificate is stored and found by: the SHA-256 of its normalised code (hex)."""
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def masked(code: str) -> str:
    """The code as listings show it: its prefix and last four characters, e.g. ``GC-****-****-****-P8TW``."""
    text = normalise(code)
    head = len(PREFIX) + 1 if text.startswith(f"{PREFIX}-") else 0
    hidden = "".join("-" if c == "-" else "*" for c in text[head:-4])
    return text[:head] + hidden + text[-4:]


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    SPENT = "spent"
    EXPIRED = "expired"
    VOIDED = "voided"


class Origin(StrEnum):
    ISSUED = "issued"  # by a merchandiser, one at a time
    BATCH = "batch"  # by a merchandiser, in bulk
    ORDER = "order"  # sold: a paid order's gift certificate line


class GiftCertificate(BaseModel):
    """A certificate as loyalty keeps it (never with its code: ``masked`` is all a listing shows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="gc_<ULID>", examples=["gc_01JDZZZZZZZZZZZZZZZZZZZZZZ"])
    masked_code: str = Field(examples=["GC-****-****-****-P8TW"])
    initial: Money = Field(description="The value issued")
    balance: Money = Field(description="What is left to spend")
    expires_at: AwareDatetime | None = None
    note: str | None = Field(default=None, description="The merchandiser's note for the recipient")
    origin: Origin
    issued_at: AwareDatetime
    issued_by: str | None = Field(default=None, description="The merchandiser's id; none when sold")
    batch_id: str | None = None
    order_id: str | None = Field(default=None, description="The order that bought it, when sold")
    voided_at: AwareDatetime | None = None
    voided_by: str | None = None

    def status(self, now: datetime) -> CertificateStatus:
        if self.voided_at is not None:
            return CertificateStatus.VOIDED
        if self.expires_at is not None and now >= self.expires_at:
            return CertificateStatus.EXPIRED
        if self.balance.amount <= 0:
            return CertificateStatus.SPENT
        return CertificateStatus.ACTIVE


class CertificateBalance(BaseModel):
    """What cart and checkout read of a certificate by its code (``loyalty.contract``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    balance: Money
    expires_at: AwareDatetime | None = None
    voided: bool = False


Amount = Annotated[Money, Field(description="The certificate's value (minor units and currency)")]
Note = Annotated[str, Field(min_length=1, max_length=500, description="A note for the recipient")]


class IssueRequest(BaseModel):
    """One certificate (``POST /admin/loyalty/gift-certificates``)."""

    model_config = ConfigDict(extra="forbid")

    amount: Amount
    expires_at: AwareDatetime | None = Field(default=None, description="None: the certificate never expires")
    note: Note | None = None

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if not 0 < value.amount <= MAX_AMOUNT:
            raise ValueError(f"the amount must be above 0 and at most {MAX_AMOUNT} minor units")
        return value


class BatchRequest(IssueRequest):
    """``count`` certificates of one amount (``POST /admin/loyalty/gift-certificate-batches``)."""

    count: int = Field(ge=1, le=MAX_BATCH, description="How many certificates")


def new_certificate(
    code: str,
    amount: Money,
    origin: Origin,
    issued_at: datetime,
    *,
    certificate_id: str | None = None,
    expires_at: datetime | None = None,
    note: str | None = None,
    issued_by: str | None = None,
    batch_id: str | None = None,
    order_id: str | None = None,
) -> GiftCertificate:
    """A certificate worth ``amount`` with nothing spent yet (it keeps only the masked ``code``)."""
    return GiftCertificate(
        id=certificate_id or new_id("gc"),
        masked_code=masked(code),
        initial=amount,
        balance=amount,
        expires_at=expires_at,
        note=note,
        origin=origin,
        issued_at=issued_at,
        issued_by=issued_by,
        batch_id=batch_id,
        order_id=order_id,
    )


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed.on("body.expires_at", "the expiry must be in the future", "in_the_past")


class BatchStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"


class CertificateBatch(BaseModel):
    """A bulk issue: its certificates are written in chunks after the request (see decision 55)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="gcb_<ULID>")
    count: int
    amount: Money
    expires_at: AwareDatetime | None = None
    note: str | None = None
    issued_by: str
    created_at: AwareDatetime
    issued: int = Field(default=0, description="Certificates written so far")

    @property
    def status(self) -> Literal["running", "done"]:
        return "done" if self.issued >= self.count else "running"


class CertificateBalanceChanged(Conflict):
    """Checkout's debit lost: the balance priced was spent elsewhere, or the certificate was voided (the
    same problem, type ``conflict``, as when pricing kept certificates)."""


def balance_changed(code: str, prefix: str = "body") -> CertificateBalanceChanged:
    """The 409 checkout answers when the conditional debit fails (the shopper's cart is re-priced)."""
    message = f"the balance of gift certificate {code} changed: the cart has been re-priced"
    error = FieldError(field=f"{prefix}.gift_certificates", message=message, code="balance_changed")
    return CertificateBalanceChanged(message, errors=[error])


class CertificateLedgerMismatch(Exception):
    """A give-back was refused: the debit it returns is not in the certificate's ledger, or was given back
    already (never a race: the give-back is conditioned on the order's own version). Nothing was written."""

    def __init__(self, code: str) -> None:
        super().__init__(f"{code}: the ledger does not show what would be given back")
        self.code = code


class UnknownCertificate(NotFound):
    type_slug = "unknown-gift-certificate"
    title = "No such gift certificate"


class CertificateVoided(Conflict):
    """The certificate was voided already (a void happens once)."""

    type_slug = "gift-certificate-voided"
    title = "The gift certificate is voided"


__all__ = [
    "ALPHABET",
    "BatchRequest",
    "CertificateBalance",
    "CertificateBalanceChanged",
    "CertificateBatch",
    "CertificateLedgerMismatch",
    "CertificateStatus",
    "CertificateVoided",
    "GiftCertificate",
    "IssueRequest",
    "Origin",
    "UnknownCertificate",
    "balance_changed",
    "batch_code",
    "check_expiry",
    "digest",
    "masked",
    "new_certificate",
    "new_code",
    "normalise",
]


@dataclass(frozen=True)
class SoldLine:
    """A paid order's line that is a gift certificate: ``quantity`` certificates of ``face_value``."""

    line: int
    sku: str
    quantity: int
    face_value: Money


@dataclass(frozen=True)
class SoldOrder:
    """What loyalty knows of an order's sold certificates, however its events arrived: the secret seed and
    the lines (from ``OrderPlaced``; None and empty before it), whether it was confirmed or cancelled,
    and the indexes of the certificates issued so far (``line * 1000 + unit``)."""

    seed: bytes | None = None
    lines: tuple[SoldLine, ...] = ()
    confirmed: bool = False
    cancelled: bool = False
    indexes: tuple[int, ...] = ()

    @property
    def issuable(self) -> bool:
        return self.seed is not None and bool(self.lines) and self.confirmed and not self.cancelled


def unit_indexes(lines: Sequence[SoldLine]) -> list[tuple[SoldLine, int]]:
    """Each unit of each line with its index: one certificate per unit, the same index every time."""
    return [(line, line.line * 1_000 + unit) for line in lines for unit in range(line.quantity)]
