"""Fuzzing every operation of ``/openapi.json`` as every role, with schemathesis, against a running API.

One run per operation and role sends ``examples`` schema-valid requests (positive mode) and ``examples``
schema-invalid ones (negative mode) and runs every schemathesis check on each answer, plus this
project's own rules:

- **access**: an operation outside the caller's groups answers 401 (anonymous) or 403 (signed in);
- **refusals**: a schema-valid request from an allowed role gets its success status or a domain refusal
  (404, 409, 412, or 422 for a business rule) — never 400, and never a 422 whose field errors carry
  pydantic's type/format codes, which would mean the document allows what the server's own validator
  rejects;
- **problems**: every error answer is ``application/problem+json`` with ``type``, ``title`` and its
  own ``status``.

Path parameters and the cart token are drawn from real ids the stack returned (``known_values``) as
often as they are invented, so the routes behind an id are reached too. Failures are collected rather
than raised, so one run reports every distinct failure of an operation and the counts for
``bench/results/fuzz.json``; the pytest suite and ``bench/fuzz.py`` share this module.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import typing
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from pydantic_core import core_schema
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup

from tests.contract.api.known_values import KnownValues

PROBLEM_JSON = "application/problem+json"
REQUEST_TIMEOUT_S = 30
MAX_RESPONSE_TIME_S = 10
# Who may call what: the groups each protected path prefix admits (everything else is public); the first
# prefix of the document's path template that matches decides, so a narrower one comes before its wider one.
# The document only says "bearer token"; these are the groups the routes require (``shop_kernel.auth``).
ACCESS: tuple[tuple[str, frozenset[str]], ...] = (
    ("/admin/catalog/", frozenset({"merchandisers"})),
    ("/admin/search/", frozenset({"merchandisers"})),
    ("/admin/inventory/", frozenset({"ops"})),
    # Fraud review decisions are the agents' only (before the wider /admin/orders: the first match wins).
    ("/admin/orders/{order_id}/review", frozenset({"agents"})),
    ("/admin/orders", frozenset({"agents", "ops"})),
    ("/admin/fulfilment/shipments/", frozenset({"ops"})),
    ("/admin/customers", frozenset({"agents", "ops"})),
    ("/admin/promotions", frozenset({"merchandisers"})),
    # Loyalty: agents look members up and adjust; merchandisers own the rules and campaigns.
    ("/admin/loyalty/members", frozenset({"agents"})),
    ("/admin/loyalty/adjustments", frozenset({"agents"})),
    ("/admin/loyalty/rules", frozenset({"merchandisers"})),
    ("/admin/loyalty/campaigns", frozenset({"merchandisers"})),
    ("/admin/loyalty/gift-certificate", frozenset({"merchandisers"})),  # certificates and their batches
    ("/me/", frozenset({"customers"})),
    ("/me", frozenset({"customers"})),  # DELETE /me: the customer's erasure
)
# 428: a resource that exists needs If-Match to change (PUT creates without it): a refusal that depends on
# state the request cannot know, like 404 and 409.
DOMAIN_REFUSALS = frozenset({404, 409, 412, 422, 428})
# Operations a schema-valid request cannot pass because they verify a signature over the body that only the
# partner can compute (Stripe and carriers sign their webhooks): their documented 400 for a bad signature is the refusal.
SIGNED_OPERATIONS = frozenset({"/webhooks/stripe", "/webhooks/carriers/{carrier}"})
# A 422 whose field errors carry pydantic's own error types (int_type, string_pattern_mismatch, missing,
# extra_forbidden...) came from request validation of a rule the document could have stated, not from a
# business rule. ``value_error``/``assertion_error`` come from the models' own validators (unique codes,
# a non-zero delta): business rules, so a documented domain refusal. Domain code uses its own codes.
VALIDATOR_CODES = frozenset(typing.get_args(core_schema.ErrorType)) - {"value_error", "assertion_error"}
SCHEMATHESIS_CONFIG = {
    "checks": {
        # 429: an attempt limit (checkouts and code entries per cart, customer and address per hour) that
        # the fuzzer's many requests from one address reach; it says when to come back (Retry-After).
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "304", "401", "403", "404", "409", "412", "422", "428", "429"]
        },
        "max_response_time": MAX_RESPONSE_TIME_S,
    }
}
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def load_schema(api: str) -> Any:
    """The stack's document, with the checks configured for this project's refusal rules."""
    config = schemathesis.Config.from_dict(SCHEMATHESIS_CONFIG)
    # Requests go to ``api`` explicitly (``case.call(base_url=...)``): the document's server is "/".
    return schemathesis.openapi.from_url(f"{api}/openapi.json", config=config, timeout=REQUEST_TIMEOUT_S)


def document_operations(document: dict[str, Any]) -> list[str]:
    """``METHOD /path`` of every operation the document declares."""
    return sorted(
        f"{method.upper()} {path}"
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    )


def allowed_roles(path: str) -> frozenset[str] | None:
    """The groups admitted to ``path``; ``None`` for a public operation."""
    for prefix, groups in ACCESS:
        if path.startswith(prefix):
            return groups
    return None


def _problem(response: Any) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def problem_details_for_errors(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx/5xx answer is a problem document naming its own status."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    assert content_type == PROBLEM_JSON, (
        f"{response.status_code} answered as {content_type or 'no Content-Type'}, not {PROBLEM_JSON}"
    )
    body = _problem(response)
    assert body is not None, f"{response.status_code} problem body is not a JSON object"
    assert isinstance(body.get("type"), str), f"the problem has no type: {body}"
    assert isinstance(body.get("title"), str), f"the problem has no title: {body}"
    assert body.get("status") == response.status_code, (
        f"the problem says status {body.get('status')}, the response {response.status_code}"
    )


def _validator_errors(response: Any) -> list[str]:
    body = _problem(response) or {}
    return [
        f"{error.get('field')}: {error.get('message')} ({error.get('code')})"
        for error in body.get("errors") or []
        if isinstance(error, dict) and error.get("code") in VALIDATOR_CODES
    ]


def access_and_refusals_for(role: str) -> Callable[[Any, Any, Any], None]:
    """The project's status rules for ``role`` (see the module docstring), as a schemathesis check."""

    def access_and_refusals(ctx: Any, response: Any, case: Any) -> None:
        status = response.status_code
        admitted = allowed_roles(case.operation.path)
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if admitted is not None and role not in admitted:
            expected = 401 if role == "anonymous" else 403
            assert status == expected or (not positive and status in (401, 403)), (
                f"{role} may not call this operation: expected {expected}, got {status}"
            )
            return
        if not positive or 200 <= status < 300:
            return
        if status == 304 and _header(case, "if-none-match") is not None:
            return  # the representation the client holds is current: a documented revalidation answer
        if status == 400 and case.operation.path in SIGNED_OPERATIONS:
            return
        if status == 429 and response.headers.get("retry-after"):
            return  # an attempt limit (checkouts, code entries per hour): state the request cannot know
        assert status in DOMAIN_REFUSALS, (
            f"a schema-valid request from {role} got {status}; only success or a domain refusal "
            f"({', '.join(map(str, sorted(DOMAIN_REFUSALS)))}) is allowed"
        )
        rejected = _validator_errors(response) if status == 422 else []
        assert not rejected, "request validation refused a request the document allows: " + "; ".join(
            rejected
        )

    access_and_refusals.__name__ = "access_and_refusals"
    return access_and_refusals


def _header(case: Any, name: str) -> str | None:
    for key, value in (case.headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def builtin_checks() -> list[Any]:
    load_all_checks()
    return [check for check in CHECKS.get_all() if callable(check)]


@dataclass
class OperationReport:
    """What one operation answered to one role."""

    operation: str
    role: str
    cases: Counter[str] = field(default_factory=Counter)  # per generation mode
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # distinct failure -> one reproduction
    failure_count: int = 0
    checks: list[str] = field(default_factory=list)
    modes_without_cases: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def record_failure(self, key: str, reproduction: str) -> None:
        self.failure_count += 1
        self.failures.setdefault(key, reproduction)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "role": self.role,
            "cases": dict(self.cases),
            "cases_sent": sum(self.cases.values()),
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "checks": self.checks,
            "modes_without_cases": self.modes_without_cases,
            "failures": self.failure_count,
            "distinct_failures": {key: self.failures[key][:600] for key in sorted(self.failures)},
            "seconds": round(self.seconds, 2),
        }

    def summary(self) -> str:
        lines = [f"{self.operation} as {self.role}: {len(self.failures)} distinct failure(s)"]
        for key, reproduction in sorted(self.failures.items()):
            lines.append(f"  - {key}\n      {reproduction}")
        return "\n".join(lines)


def _combinations(names: list[str], known: KnownValues, limit: int) -> list[dict[str, str]]:
    """Up to ``limit`` assignments of real values to the parameters ``names`` that have some.

    Values that only make sense together (an order id and its cart's token, a history collection and
    an id in it) come from ``known.groups``; the others cycle through their pools independently.
    """
    pools = {name: known.get(name) for name in names if known.get(name)}
    if not pools:
        return []
    lowered = {name.lower(): name for name in names}
    groups = [g for g in known.groups if set(g) <= set(lowered) and set(g) & {n.lower() for n in pools}]
    cycles = {name: itertools.cycle(values) for name, values in pools.items()}
    size = min(limit, max(len(values) for values in pools.values()))
    assignments = []
    for index in range(size):
        assignment = {name: next(cycle) for name, cycle in cycles.items()}
        if groups:
            assignment.update({lowered[key]: value for key, value in groups[index % len(groups)].items()})
        assignments.append(assignment)
    return assignments


def _parameter_names(operation: Any) -> dict[str, str]:
    return {
        p.name: str(p.location.value if hasattr(p.location, "value") else p.location)
        for p in operation.iter_parameters()
    }


def case_strategy(operation: Any, mode: GenerationMode, known: KnownValues, variants: int = 4) -> Any:
    """Invented cases, and four times as many with real path ids and cart tokens where the operation has them."""
    strategies = [operation.as_strategy(generation_mode=mode)]
    locations = {
        name: where for name, where in _parameter_names(operation).items() if where in ("path", "header")
    }
    for assignment in _combinations(list(locations), known, variants):
        fixed: dict[str, dict[str, str]] = {}
        for name, value in assignment.items():
            key = "path_parameters" if locations[name] == "path" else "headers"
            fixed.setdefault(key, {})[name] = value
        strategies.append(operation.as_strategy(generation_mode=mode, **fixed))
    return st.one_of(strategies)


_QUOTED = re.compile(r"(?<![A-Za-z])'[^']*'")  # a quoted value, not an apostrophe


def _failure_key(failure: BaseException) -> str:
    """The failure in one line, generated values masked so one fault is counted once."""
    title = getattr(failure, "title", None) or type(failure).__name__
    message = getattr(failure, "message", None) or str(failure)
    first = next((line.strip() for line in str(message).splitlines() if line.strip()), "")
    return _QUOTED.sub("'…'", f"{title}: {first}")[:300]


def fuzz_operation(
    operation: Any,
    auth_by_role: dict[str, dict[str, str]],
    *,
    api: str,
    known: KnownValues,
    examples: dict[GenerationMode, int],
    derandomize: bool,
) -> dict[str, OperationReport]:
    """Sends each generated case as every role: ``examples[mode]`` cases per generation mode.

    Generating a case costs more than sending it, and the same request sent by each role is what the
    access rule compares, so the cases are drawn once per operation and replayed per role.
    """
    label = f"{operation.method.upper()} {operation.path}"
    checks = builtin_checks()
    if operation.path in SIGNED_OPERATIONS:
        # No generated request carries a valid signature: acceptance of valid data is the access rule's
        # business here (it allows the documented signature refusal), not the generic check's.
        checks = [check for check in checks if check.__name__ != "positive_data_acceptance"]
    targets = []
    for role, auth in auth_by_role.items():
        report = OperationReport(operation=label, role=role)
        own_checks = [problem_details_for_errors, access_and_refusals_for(role)]
        report.checks = sorted({c.__name__ for c in checks} | {c.__name__ for c in own_checks})
        targets.append(_Target(report, auth, [*checks, *own_checks]))
    with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="fuzz") as pool:
        for mode, count in examples.items():
            try:
                _run_mode(operation, mode, targets, api, known, count, derandomize, pool)
            except hypothesis.errors.Unsatisfiable:
                # Nothing to negate (an operation without parameters or body): no negative case exists.
                for target in targets:
                    target.report.modes_without_cases.append(mode.value)
    return {target.report.role: target.report for target in targets}


@dataclass
class _Target:
    report: OperationReport
    auth: dict[str, str]
    checks: list[Any]
    session: requests.Session = field(default_factory=requests.Session)


def _send_as(case: Any, mode: GenerationMode, target: _Target, api: str) -> None:
    report, auth, session = target.report, target.auth, target.session
    started = time.perf_counter()
    report.cases[mode.value] += 1
    try:
        response = case.call(base_url=api, session=session, headers=auth, timeout=REQUEST_TIMEOUT_S)
    except requests.RequestException as exc:
        report.record_failure(f"transport: {type(exc).__name__}", case.as_curl_command(headers=auth))
        return
    report.statuses[response.status_code] += 1
    try:
        case.validate_response(
            response, checks=target.checks, headers=auth, transport_kwargs={"base_url": api}
        )
    except FailureGroup as group:
        for failure in group.exceptions:
            report.record_failure(_failure_key(failure), _reproduction(case, response, auth))
    except AssertionError as failure:
        report.record_failure(_failure_key(failure), _reproduction(case, response, auth))
    finally:
        report.seconds += time.perf_counter() - started


def _run_mode(
    operation: Any,
    mode: GenerationMode,
    targets: list[_Target],
    api: str,
    known: KnownValues,
    examples: int,
    derandomize: bool,
    pool: ThreadPoolExecutor,
) -> None:
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=case_strategy(operation, mode, known))
    def send(case: Any) -> None:
        # The roles are sent concurrently: the local gateway is threaded, and checks run client-side.
        list(pool.map(lambda target: _send_as(case, mode, target, api), targets))

    send()


def _reproduction(case: Any, response: Any, auth: dict[str, str]) -> str:
    shown = {k: ("Bearer <token>" if k == "Authorization" else v) for k, v in auth.items()}
    body = response.content[:300].decode(errors="replace") if response.content else ""
    return f"{case.as_curl_command(headers=shown)}  ->  {response.status_code} {body}"


def fuzz_all(
    schema: Any,
    auth_by_role: dict[str, dict[str, str]],
    *,
    api: str,
    known: KnownValues,
    examples: dict[GenerationMode, int],
    derandomize: bool,
    on_operation: Callable[[dict[str, OperationReport]], None] | None = None,
) -> list[OperationReport]:
    """Every operation of ``schema`` as every role of ``auth_by_role``."""
    reports: list[OperationReport] = []
    for result in schema.get_all_operations():
        by_role = fuzz_operation(
            result.ok(), auth_by_role, api=api, known=known, examples=examples, derandomize=derandomize
        )
        reports.extend(by_role.values())
        if on_operation is not None:
            on_operation(by_role)
    return reports
