"""API fuzz, the deeper pass: every operation of ``/openapi.json`` x every role, 50 + 50 cases each.

The same harness as ``tests/contract/api`` (schemathesis with every check, plus the access, refusal and
problem+json rules), against the local stack started as ``make run`` starts it, with a new random seed
per run instead of the suite's fixed one. It asserts nothing: each operation x role's cases, statuses,
checks and distinct failures go to ``bench/results/fuzz.json``; the suite is what fails a build.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from schemathesis import GenerationMode

from tests.contract.api import fuzzing
from tests.contract.api.known_values import discover
from tests.contract.api.local_stack import ROLES, local_stack

EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 50}
SEED_PRODUCTS = 20


def _kind(failure: str) -> str:
    """A failure's kind across operations and roles (``Undocumented status code: 404``)."""
    title, _, detail = failure.partition(": ")
    if title == "Undocumented status code":
        return f"{title}: {detail.split('Received: ')[-1][:3]}"
    if "access_and_refusals" not in detail:
        return title
    if "request validation refused" in detail:
        return "access_and_refusals: request validation refused a schema-valid request"
    if "may not call this operation" in detail:
        return "access_and_refusals: a role outside the operation's groups was not refused"
    status = detail.split(" got ", 1)[-1][:3]
    return f"access_and_refusals: a schema-valid request from an allowed role got {status}"


def _totals(reports: list[fuzzing.OperationReport]) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for report in reports:
        statuses.update({str(s): n for s, n in report.statuses.items()})
        kinds.update({_kind(f) for f in report.failures})
    failing = [r for r in reports if r.failures]
    return {
        "cases_sent": sum(sum(r.cases.values()) for r in reports),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(n for s, n in statuses.items() if s.startswith("5")),
        "operation_roles_failing": len(failing),
        "operations_failing": len({r.operation for r in failing}),
        "failure_kinds_by_operation_roles": dict(kinds.most_common()),
    }


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-fuzz-") as state,
        local_stack(Path(state), SEED_PRODUCTS) as stack,
    ):
        document = requests.get(f"{stack.api}/openapi.json", timeout=30).json()
        known = discover(stack.api, stack.auth_headers)
        schema = fuzzing.load_schema(stack.api)
        auth_by_role = {role: stack.auth_headers(role) for role in ROLES}

        def progress(by_role: dict[str, fuzzing.OperationReport]) -> None:
            report = next(iter(by_role.values()))
            failing = sum(1 for r in by_role.values() if r.failures)
            print(
                f"    {report.operation}: {failing}/{len(by_role)} roles failing", file=sys.stderr, flush=True
            )

        fuzz_started = time.perf_counter()
        reports = fuzzing.fuzz_all(
            schema,
            auth_by_role,
            api=stack.api,
            known=known,
            examples=EXAMPLES,
            derandomize=False,
            on_operation=progress,
        )
        fuzz_seconds = time.perf_counter() - fuzz_started
    operations = fuzzing.document_operations(document)
    fuzzed = sorted({r.operation for r in reports})
    totals = _totals(reports)
    figures = {
        "operations_in_document": len(operations),
        "operations_fuzzed": len(fuzzed),
        "operations_not_fuzzed": sorted(set(operations) - set(fuzzed)),
        "roles": list(ROLES),
        "examples_per_operation_and_role": {mode.value: n for mode, n in EXAMPLES.items()},
        "known_values": known.counts(),
        "known_values_notes": known.notes,
        "totals": totals,
        "fuzz_seconds": round(fuzz_seconds, 1),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "operation_roles": [r.as_dict() for r in reports],
    }
    pairs = len(reports)
    summary = [
        ("operations fuzzed / in the document", f"{len(fuzzed)} / {len(operations)}", "every operation"),
        ("operation x role pairs", str(pairs), f"{len(ROLES)} roles: {', '.join(ROLES)}"),
        (
            "cases sent",
            str(totals["cases_sent"]),
            f"{EXAMPLES[GenerationMode.POSITIVE]} schema-valid + {EXAMPLES[GenerationMode.NEGATIVE]} "
            "schema-invalid per pair (fewer where an operation has nothing to vary)",
        ),
        ("responses >= 500", str(totals["server_errors"]), "target 0"),
        (
            "pairs with a failed check",
            f"{totals['operation_roles_failing']} / {pairs} ({totals['operations_failing']} operations)",
            "target 0; the kinds are in the JSON",
        ),
        ("fuzz time", f"{fuzz_seconds:.0f} s", "the CI pass (5 + 5 per pair) is in tests/contract/api"),
    ]
    return figures, summary
