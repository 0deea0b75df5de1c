"""The Lambda runtime stand-in: each function in its own process, with only its own spec's environment."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator

import boto3
import pytest

from infra.local.api import LocalGateway
from infra.local.apigw import HttpRequest
from infra.local.functions import FunctionError, FunctionInitError, LocalFunction
from infra.local.moto_server import MotoServer, aws_environment, free_port
from infra.resources import ApiRoute, FunctionSpec, env_name

ORDERS_READER = FunctionSpec(
    name="orders-reader",
    context="orders",
    handler="tests.integration.local.fake_functions.environment",
    description="answers with its environment",
    tables_rw=("orders",),
)
STOCK_READER = FunctionSpec(
    name="stock-reader",
    context="inventory",
    handler="tests.integration.local.fake_functions.environment",
    description="answers with its environment",
    tables_ro=("inventory",),
    secrets=("stripe-api-key",),
)
CRASHER = FunctionSpec(
    name="crasher",
    context="fake",
    handler="tests.integration.local.fake_functions.crash",
    description="exits its process when asked",
)
INVENTORY_READER = FunctionSpec(
    name="inventory-reader",
    context="inventory",
    handler="tests.integration.local.fake_functions.read_table",
    description="reads the table it is asked for; granted only the inventory table",
    tables_ro=("inventory",),
)
ROUTES = (
    ApiRoute(prefix="orders", function="orders-reader", authorized=False),
    ApiRoute(prefix="stock", function="stock-reader", authorized=False),
)


@pytest.fixture
def started() -> Iterator[list[LocalFunction]]:
    functions: list[LocalFunction] = []
    yield functions
    for function in functions:
        function.stop()


def _start(started: list[LocalFunction], spec: FunctionSpec) -> LocalFunction:
    function = LocalFunction("local", spec)
    started.append(function)
    function.wait_ready()
    return function


def _environment_through(gateway: LocalGateway, path: str) -> dict[str, str]:
    response = gateway.handle(HttpRequest(method="GET", path=path))
    assert response.status == 200
    environment: dict[str, str] = json.loads(response.body)["environment"]
    return environment


def test_a_function_behind_the_local_api_sees_only_its_own_specs_environment(
    started: list[LocalFunction], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two functions granted different tables, and a variable in the runner's own environment
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:12999")
    monkeypatch.setenv("DEVELOPER_SHELL_VARIABLE", "not for functions")
    gateway = LocalGateway(
        "local",
        {"orders-reader": _start(started, ORDERS_READER), "stock-reader": _start(started, STOCK_READER)},
        routes=ROUTES,
    )

    # WHEN each is invoked through the local API
    orders = _environment_through(gateway, "/orders/env")
    stock = _environment_through(gateway, "/stock/env")

    # THEN each sees its own table and not the other's, nor the runner's variables
    orders_table, stock_table = env_name("orders", "table"), env_name("inventory", "table")
    assert orders[orders_table] == "shop-local-orders"
    assert stock_table not in orders
    assert stock[stock_table] == "shop-local-inventory"
    assert orders_table not in stock
    assert "DEVELOPER_SHELL_VARIABLE" not in orders | stock
    # AND what the runtime and the local stage provide: moto's endpoint for all, Stripe's for its key holder
    assert orders["AWS_ENDPOINT_URL"] == stock["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5999"
    assert orders["AWS_LAMBDA_FUNCTION_NAME"] == "shop-local-orders-reader"
    assert (orders["POWERTOOLS_SERVICE_NAME"], stock["POWERTOOLS_SERVICE_NAME"]) == ("orders", "inventory")
    assert stock["STRIPE_API_BASE"] == "http://127.0.0.1:12999"
    assert "STRIPE_API_BASE" not in orders


def test_a_handler_that_cannot_be_imported_fails_its_start_with_the_import_error(
    started: list[LocalFunction],
) -> None:
    # GIVEN a spec naming a handler that does not exist
    missing = FunctionSpec(
        name="missing",
        context="fake",
        handler="tests.integration.local.fake_functions.no_such_handler",
        description="nothing",
    )

    # WHEN its process starts
    with pytest.raises(FunctionInitError) as failed:
        _start(started, missing)

    # THEN the error is the one the import raised in the function's process
    assert failed.value.error_type == "AttributeError"
    assert "no_such_handler" in failed.value.message


def test_an_exception_comes_back_with_its_type_and_the_functions_stack(started: list[LocalFunction]) -> None:
    # GIVEN a running function
    function = _start(started, CRASHER)

    # WHEN its handler raises
    with pytest.raises(FunctionError) as failed:
        function.invoke({"raise": True})

    # THEN the caller gets Lambda's error type and message, and the stack names the handler
    assert (failed.value.error_type, failed.value.message) == (
        "LookupError",
        "the fake function looked for nothing",
    )
    assert "fake_functions.py" in "".join(failed.value.stack)


def test_a_crashed_function_fails_that_invocation_and_the_next_runs_in_a_new_process(
    started: list[LocalFunction],
) -> None:
    # GIVEN a function that served one invocation
    function = _start(started, CRASHER)
    first = function.invoke({})["pid"]

    # WHEN its process exits in the middle of an invocation
    with pytest.raises(FunctionError) as failed:
        function.invoke({"crash": True})

    # THEN that invocation fails as Lambda's runtime exit does, and the next one gets a new process
    assert failed.value.error_type == "Runtime.ExitError"
    assert function.invoke({})["pid"] != first


def test_what_a_function_prints_reaches_the_runners_stdout(
    started: list[LocalFunction], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a running function that logs one JSON line per invocation
    function = _start(started, CRASHER)

    # WHEN it is invoked
    pid = function.invoke({})["pid"]

    # THEN its line arrives on the runner's stdout, where the console sorts function output
    expected = json.dumps({"level": "INFO", "message": "crash served", "pid": pid})
    deadline = time.monotonic() + 5
    seen = ""
    while expected not in seen and time.monotonic() < deadline:
        time.sleep(0.02)
        seen += capsys.readouterr().out
    assert expected in seen


def test_stopping_lets_the_invocation_in_flight_finish_and_refuses_later_ones(
    started: list[LocalFunction],
) -> None:
    # GIVEN a function in the middle of a slow invocation
    function = _start(started, CRASHER)
    answers: list[object] = []
    caller = threading.Thread(target=lambda: answers.append(function.invoke({"sleep": 0.5})))
    caller.start()
    time.sleep(0.1)

    # WHEN the runner stops it
    function.stop()
    caller.join()

    # THEN the invocation in flight got its answer, and a later one is refused rather than restarting it
    assert "pid" in answers[0]  # type: ignore[operator]
    with pytest.raises(FunctionError, match="shut down"):
        function.invoke({})


@pytest.fixture
def moto_server() -> Iterator[MotoServer]:
    port = free_port()
    saved = {name: os.environ.get(name) for name in aws_environment(port)}
    server = MotoServer(port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        from infra.local import moto_patches

        moto_patches.uninstall()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_a_call_the_functions_spec_does_not_grant_is_refused_as_iam_would_and_logged(
    moto_server: MotoServer, started: list[LocalFunction], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the inventory and orders tables on moto, and a function granted only the inventory table
    dynamodb = boto3.client("dynamodb")
    for name in ("shop-local-inventory", "shop-local-orders"):
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "one"}})
    function = _start(started, INVENTORY_READER)

    # WHEN it reads its own table, then the orders table (handling the error, then not)
    own = function.invoke({"table": "shop-local-inventory", "pk": "one"})
    handled = function.invoke({"table": "shop-local-orders", "pk": "one", "handle": True})
    with pytest.raises(FunctionError) as unhandled:
        function.invoke({"table": "shop-local-orders", "pk": "one"})

    # THEN its own table answers; the other is refused as IAM refuses it: a ClientError AccessDeniedException
    assert own == {"item": {"pk": {"S": "one"}}}
    assert handled == {"error": "AccessDeniedException"}
    assert unhandled.value.error_type == "ClientError"
    assert "AccessDeniedException" in unhandled.value.message
    assert "inventory-reader is not granted dynamodb:GetItem on shop-local-orders" in unhandled.value.message
    # AND each refusal is an ERROR line in the function's log naming the function, the action and the resource
    deadline = time.monotonic() + 5
    seen = ""
    while seen.count("AccessDeniedException") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
        seen += capsys.readouterr().out
    refusals = [json.loads(line) for line in seen.splitlines() if "AccessDeniedException" in line]
    assert len(refusals) == 2
    assert {(r["level"], r["function_name"], r["action"], r["resource"]) for r in refusals} == {
        ("ERROR", "inventory-reader", "dynamodb:GetItem", "shop-local-orders")
    }


def test_the_first_invocation_of_a_function_not_started_yet_starts_it_as_a_cold_start(
    started: list[LocalFunction],
) -> None:
    # GIVEN a function created without starting its process (the runner starts the routes' first, and
    # those the demo seed never reaches once it is done)
    function = LocalFunction("local", CRASHER, start=False)
    started.append(function)
    assert (function.ready, function.environments) == (False, [])

    # WHEN it is invoked
    answer = function.invoke({})

    # THEN the invocation started its process and was served by it once the handler was imported
    assert function.ready
    assert len(function.environments) == 1
    assert answer["pid"] != os.getpid()


def test_a_function_stopped_before_it_was_ever_started_fails_its_invocation_and_starts_nothing(
    started: list[LocalFunction],
) -> None:
    # GIVEN a function never started, which the stack stopped (it is shutting down)
    function = LocalFunction("local", CRASHER, start=False)
    function.stop()

    # WHEN something invokes it anyway
    with pytest.raises(FunctionError) as failure:
        function.invoke({})

    # THEN the invocation fails as an environment shut down, and no process was started
    assert type(failure.value) is FunctionError
    assert "shut down" in str(failure.value)
    assert function.environments == []
