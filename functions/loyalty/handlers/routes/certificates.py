"""Gift certificates: merchandisers issue (one, or a batch), list, read and void them; anyone checks a
balance by code.

The balance check is ``POST /loyalty/gift-certificates/balance`` with the code in the body, not in the
path: a path lands in API Gateway's access logs, CloudFront's and proxies' logs and the browser's history,
and the code is the certificate's only secret. It is limited per client address (here, in loyalty's
table, so the local stack enforces it too; the gateway's method throttle is the coarse first line).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from loyalty import wiring
from loyalty.domain.certificates import (
    BatchRequest,
    CertificateBatch,
    CertificateStatus,
    GiftCertificate,
    IssueRequest,
    Origin,
)
from loyalty.handlers.routes.common import STAFF_ONLY, Cursor, caller
from shop_kernel.auth import Group
from shop_kernel.clock import isoformat
from shop_kernel.http import json_response
from shop_kernel.money import Money
from shop_kernel.openapi import BEARER_SECURITY, documented, ok, problem

router = Router()
CertificateId = Annotated[
    str, Path(pattern=r"^gc_[0-9A-HJKMNP-TV-Z]{26}$", description="The certificate's id")
]
BatchId = Annotated[str, Path(pattern=r"^gcb_[0-9A-HJKMNP-TV-Z]{26}$", description="The batch's id")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Certificates per page")]
CodesSize = Annotated[int, Query(ge=1, le=1000, description="Codes per page")]
Offset = Annotated[int, Query(ge=0, le=10_000, description="The first code's position in the batch")]
SCOPE = "gift-certificates"

_VIEW: dict[str, Any] = {
    "id": "gc_01JDZZZZZZZZZZZZZZZZZZZZZZ",
    "masked_code": "GC-****-****-****-P8TW",
    "status": "active",
    "initial": {"amount": 100000, "currency": "UAH"},
    "balance": {"amount": 45000, "currency": "UAH"},
    "expires_at": "2027-12-31T23:59:59Z",
    "note": "Happy birthday!",
    "origin": "issued",
    "issued_at": "2026-12-03T10:00:00Z",
    "issued_by": "d4c3b2a1-0f9e-4d8c-b7a6-958473625140",
    "batch_id": None,
    "order_id": None,
    "voided_at": None,
}
_BATCH: dict[str, Any] = {
    "id": "gcb_01JDZZZZZZZZZZZZZZZZZZZZZZ",
    "status": "running",
    "count": 500,
    "issued": 200,
    "amount": {"amount": 2500, "currency": "EUR"},
    "expires_at": None,
    "note": None,
    "created_at": "2026-12-03T10:00:00Z",
}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class CertificateView(BaseModel):
    """A certificate as staff see it: never its code, only its masked form."""

    model_config = _examples(_VIEW)

    id: str
    masked_code: str = Field(examples=["GC-****-****-****-P8TW"])
    status: CertificateStatus
    initial: Money
    balance: Money
    expires_at: AwareDatetime | None
    note: str | None
    origin: Origin
    issued_at: AwareDatetime
    issued_by: str | None
    batch_id: str | None
    order_id: str | None
    voided_at: AwareDatetime | None


class IssuedView(BaseModel):
    model_config = _examples({"code": "GC-7Q4K-29XZ-MHD3-P8TW", "certificate": _VIEW})

    code: str = Field(
        description="The code, shown this once: hand it to the recipient", examples=["GC-7Q4K-29XZ-MHD3-P8TW"]
    )
    certificate: CertificateView


class CertificateList(BaseModel):
    model_config = _examples({"items": [_VIEW], "next_cursor": None})

    items: list[CertificateView]
    next_cursor: str | None


class BatchView(BaseModel):
    model_config = _examples(_BATCH)

    id: str
    status: str = Field(description="running, or done when every certificate is written")
    count: int
    issued: int = Field(description="Certificates written so far")
    amount: Money
    expires_at: AwareDatetime | None
    note: str | None
    created_at: AwareDatetime


class BatchCodes(BaseModel):
    model_config = _examples(
        {"batch_id": _BATCH["id"], "offset": 0, "codes": ["GC-7Q4K-29XZ-MHD3-P8TW"], "next_offset": 1}
    )

    batch_id: str
    offset: int
    codes: list[str] = Field(description="The codes, in batch order (written ones only)")
    next_offset: int | None


class BalanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1, max_length=64, description="The code as printed", examples=["GC-7Q4K-29XZ-MHD3-P8TW"]
    )


class BalanceView(BaseModel):
    model_config = _examples(
        {
            "balance": {"amount": 45000, "currency": "UAH"},
            "currency": "UAH",
            "expires_at": "2027-12-31T23:59:59Z",
            "status": "active",
        }
    )

    balance: Money
    currency: str
    expires_at: AwareDatetime | None
    status: CertificateStatus


def certificate_view(certificate: GiftCertificate, now: datetime) -> dict[str, Any]:
    body = certificate.model_dump(mode="json", exclude={"voided_by"})
    return {**body, "status": certificate.status(now).value}


def batch_view(batch: CertificateBatch) -> dict[str, Any]:
    return {**batch.model_dump(mode="json", exclude={"issued_by"}), "status": batch.status}


_NO_SUCH = problem(404, "No such gift certificate")


@router.post(
    "/admin/loyalty/gift-certificates",
    summary="Issue a gift certificate",
    description="For merchandisers: one certificate of an amount, with an optional expiry and a note for the "
    "recipient. The answer holds its code: the only time it is shown.",
    tags=["gift certificates"],
    security=BEARER_SECURITY,
    responses=documented(ok(IssuedView, "Issued", status=201), *STAFF_ONLY),
)
def post_certificate(body: IssueRequest):
    merchandiser = caller(router, Group.MERCHANDISERS)
    c = wiring.container
    code, certificate = c.certificates().issue(body, merchandiser)
    view = {"code": code, "certificate": certificate_view(certificate, c.clock().now())}
    return json_response(view, 201, {"Cache-Control": "no-store"})


@router.get(
    "/admin/loyalty/gift-certificates",
    summary="List gift certificates",
    description="For merchandisers: newest first, each with its masked code, balance and status.",
    tags=["gift certificates"],
    security=BEARER_SECURITY,
    responses=documented(ok(CertificateList, "A page of certificates"), *STAFF_ONLY),
)
def list_certificates(limit: PageSize = 20, cursor: Cursor = None):
    caller(router, Group.MERCHANDISERS)
    c = wiring.container
    found, last = c.certificate_store().page(limit, c.cursors().decode(cursor, SCOPE))
    now = c.clock().now()
    items = [certificate_view(g, now) for g in found]
    return json_response({"items": items, "next_cursor": c.cursors().encode(last, SCOPE)})


@router.get(
    "/admin/loyalty/gift-certificates/<certificate_id>",
    summary="Read a gift certificate",
    description="For merchandisers: its value, balance, status and where it came from (never its code).",
    tags=["gift certificates"],
    security=BEARER_SECURITY,
    responses=documented(ok(CertificateView, "The certificate"), *STAFF_ONLY, _NO_SUCH),
)
def get_certificate(certificate_id: CertificateId):
    caller(router, Group.MERCHANDISERS)
    c = wiring.container
    return json_response(certificate_view(c.certificate_store().by_id(certificate_id), c.clock().now()))


@router.post(
    "/admin/loyalty/gift-certificates/<certificate_id>/void",
    summary="Void a gift certificate",
    description="For merchandisers: nothing more can be spent from it (a checkout racing the void loses "
    "with a 409). An order that spent from it before and is cancelled still gets its money back onto it.",
    tags=["gift certificates"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(CertificateView, "Voided"), *STAFF_ONLY, _NO_SUCH, problem(409, "Voided already")
    ),
)
def void_certificate(certificate_id: CertificateId):
    merchandiser = caller(router, Group.MERCHANDISERS)
    c = wiring.container
    now = c.clock().now()
    return json_response(certificate_view(c.certificate_store().void(certificate_id, merchandiser, now), now))


@router.post(
    "/admin/loyalty/gift-certificate-batches",
    summary="Issue gift certificates in bulk",
    description="For merchandisers: `count` certificates of one amount (1 to 10 000), written after this "
    "answer in chunks; follow the batch for progress and export its codes when it is done.",
    tags=["gift certificates"],
    security=BEARER_SECURITY,
    responses=documented(ok(BatchView, "Accepted: being written", status=202), *STAFF_ONLY),
)
def post_batch(body: BatchRequest):
    merchandiser = caller(router, Group.MERCHANDISERS)
    batch = wiring.container.certificates().start_batch(body, merchandiser)
    return json_response(batch_view(batch), 202)


@router.get(
    "/admin/loyalty/gift-certificate-batches/<certificate_batch_id>",
    summary="A bulk issue's progress",
    description="For merchandisers: how many of the batch's certificates are written.",
    tags=["gift certificates"],
    security=BEARER_SECURITY,
    responses=documented(ok(BatchView, "The batch"), *STAFF_ONLY, problem(404, "No such batch")),
)
def get_batch(certificate_batch_id: BatchId):
    caller(router, Group.MERCHANDISERS)
    return json_response(batch_view(wiring.container.certificates().batch(certificate_batch_id)))


@router.get(
    "/admin/loyalty/gift-certificate-batches/<certificate_batch_id>/codes",
    summary="Export a batch's codes",
    description="For merchandisers, to print them: the written certificates' codes in batch order, a page "
    "at a time (`offset`, `limit`).",
    tags=["gift certificates"],
    security=BEARER_SECURITY,
    responses=documented(ok(BatchCodes, "A page of codes"), *STAFF_ONLY, problem(404, "No such batch")),
)
def get_batch_codes(certificate_batch_id: BatchId, offset: Offset = 0, limit: CodesSize = 100):
    caller(router, Group.MERCHANDISERS)
    batch, codes = wiring.container.certificates().batch_codes(certificate_batch_id, offset, limit)
    after = offset + len(codes)
    body = {
        "batch_id": batch.id,
        "offset": offset,
        "codes": codes,
        "next_offset": after if after < batch.issued else None,
    }
    return json_response(body, headers={"Cache-Control": "no-store"})


@router.post(
    "/loyalty/gift-certificates/balance",
    summary="Check a gift certificate's balance",
    description="Public: the balance, currency, expiry and status of the certificate a code names. The code "
    "goes in the body so it never lands in access logs. Limited per client address: over the limit it is "
    "a 429 with Retry-After; an unknown code counts too.",
    tags=["gift certificates"],
    responses=documented(ok(BalanceView, "The certificate's balance"), _NO_SUCH),
)
def post_balance(body: BalanceBody):
    identity = (router.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    c = wiring.container
    certificate = c.certificates().check_balance(body.code, identity.get("sourceIp") or None)
    view = {
        "balance": certificate.balance.model_dump(mode="json"),
        "currency": certificate.balance.currency,
        "expires_at": isoformat(certificate.expires_at) if certificate.expires_at else None,
        "status": certificate.status(c.clock().now()).value,
    }
    return json_response(view, headers={"Cache-Control": "no-store"})
