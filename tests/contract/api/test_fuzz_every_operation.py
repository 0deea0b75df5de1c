"""Every operation of ``/openapi.json`` x every role, fuzzed with schemathesis against the local stack.

Each operation gets 5 schema-valid and 5 schema-invalid requests, each sent as anonymous, customers,
agents, merchandisers and ops, with every schemathesis check and the project's own status rules on every
answer (``fuzzing``). ``make bench`` runs the same with 50 of each (``bench/fuzz.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.contract.api import fuzzing
from tests.contract.api.known_values import KnownValues
from tests.contract.api.local_stack import ROLES, RunningStack

pytestmark = [pytest.mark.xdist_group("contract-api"), pytest.mark.slow, pytest.mark.timeout(900)]

CI_EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 5}


def _has_inputs(document: dict[str, Any], label: str) -> bool:
    method, path = label.split(" ", 1)
    item = document["paths"][path]
    operation = item[method.lower()]
    return bool(operation.get("parameters") or item.get("parameters") or operation.get("requestBody"))


def _label(result: Any) -> str:
    if isinstance(result, Ok):
        return f"{result.ok().method.upper()} {result.ok().path}"
    error = result.err()
    return f"{(getattr(error, 'method', None) or '').upper()} {getattr(error, 'path', '')}".strip()


def test_every_operation_answers_every_role_as_its_document_says(
    contract_stack: RunningStack,
    api_document: dict[str, Any],
    fuzz_schema: Any,
    known: KnownValues,
    subtests: pytest.Subtests,
) -> None:
    # GIVEN the stack's document, real ids from its catalog, carts and orders, and a token per role
    auth_by_role = {role: contract_stack.auth_headers(role) for role in ROLES}
    fuzzed: dict[str, dict[str, fuzzing.OperationReport]] = {}

    # WHEN every operation is fuzzed as every role
    for result in fuzz_schema.get_all_operations():
        with subtests.test(msg=_label(result)):
            assert isinstance(result, Ok), f"schemathesis cannot read this operation: {result.err()}"
            operation = result.ok()
            by_role = fuzzing.fuzz_operation(
                operation,
                auth_by_role,
                api=contract_stack.api,
                known=known,
                examples=CI_EXAMPLES,
                derandomize=True,
            )
            label = f"{operation.method.upper()} {operation.path}"
            fuzzed[label] = by_role

            # THEN no answer broke a check: no 5xx, every status, content type and body as documented,
            # refusals as the access and domain rules say
            failing = [report.summary() for report in by_role.values() if report.failures]
            if failing:
                pytest.fail("\n".join(failing), pytrace=False)

    # AND every operation of the document was fuzzed as every role, with the cases asked for unless the
    # operation has no input to vary (one request is all there is to send)
    assert sorted(fuzzed) == fuzzing.document_operations(api_document)
    for label, by_role in fuzzed.items():
        assert sorted(by_role) == sorted(ROLES)
        for report in by_role.values():
            positive = report.cases[GenerationMode.POSITIVE.value]
            assert positive >= CI_EXAMPLES[GenerationMode.POSITIVE] or (
                positive >= 1 and not _has_inputs(api_document, label)
            ), f"{label} as {report.role}: only {positive} schema-valid cases were generated"


def test_the_fuzzer_has_real_values_for_every_path_parameter_and_the_cart_token(
    api_document: dict[str, Any], known: KnownValues
) -> None:
    # GIVEN the ids listed through the API and made through it (warehouse, carts, orders)
    # WHEN the document's path parameters are collected
    names = {
        parameter["name"]
        for item in api_document["paths"].values()
        for method, operation in item.items()
        if method in fuzzing.HTTP_METHODS or method == "parameters"
        for parameter in (operation if method == "parameters" else operation.get("parameters", []))
        if parameter["in"] == "path"
    }

    # THEN every setup step worked, and each path parameter and the cart token have real values to draw
    assert not known.notes, known.notes
    assert sorted(name for name in names if not known.get(name)) == []
    assert known.get("x-cart-token")
