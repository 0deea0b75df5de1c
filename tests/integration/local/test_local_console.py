"""The runner's console: functions' JSON lines routed to a file, their warnings summarised, JSON lines on demand."""

from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from infra.local.console import FunctionOutput, JsonFormatter, summarise_function_record


@pytest.fixture
def output() -> FunctionOutput:
    return FunctionOutput(io.StringIO(), io.StringIO())


def test_json_lines_go_to_the_file_and_other_lines_to_the_console(output: FunctionOutput) -> None:
    # GIVEN a function's Powertools log line, an EMF metrics line and the runner's banner
    record = {"level": "INFO", "message": "projected", "service": "cart"}
    metrics = {"_aws": {"CloudWatchMetrics": []}, "SkuFactsWritten": [4.0]}

    # WHEN they are printed, the way print() writes (text, then the newline)
    for line in (json.dumps(record), json.dumps(metrics), "The shop runs locally", "{not json"):
        output.write(line)
        output.write("\n")

    # THEN only the human lines reach the console, and the file holds every JSON line as it was
    assert output.console.getvalue() == "The shop runs locally\n{not json\n"  # type: ignore[attr-defined]
    assert [json.loads(line) for line in output.sink.getvalue().splitlines()] == [record, metrics]  # type: ignore[attr-defined]


def test_a_functions_warning_or_error_becomes_one_console_line(
    output: FunctionOutput, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a function logging an exception
    record = {
        "level": "ERROR",
        "message": "the projection failed",
        "function_name": "shop-local-cart-catalog-projector",
        "exception": "Traceback (most recent call last):\n  File \"x.py\"\nKeyError: 'sku'",
        "correlation_id": "abc",
    }

    # WHEN it is printed
    with caplog.at_level(logging.INFO, logger="function"):
        output.write(json.dumps(record) + "\n")
        output.write(json.dumps({"level": "INFO", "message": "fine"}) + "\n")

    # THEN one line says who failed and why; the INFO line stays in the file only
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "ERROR",
            "shop-local-cart-catalog-projector: the projection failed (KeyError: 'sku') correlation=abc",
        )
    ]


def test_lines_written_by_threads_at_once_are_never_mixed(output: FunctionOutput) -> None:
    # GIVEN eight threads printing JSON lines in two writes each
    def emit(n: int) -> None:
        for i in range(200):
            output.write(json.dumps({"thread": n, "i": i}))
            output.write("\n")

    threads = [threading.Thread(target=emit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN every line in the file is one whole JSON object
    lines = output.sink.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1600
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_json_logs_carry_the_access_fields() -> None:
    # GIVEN the access line the gateway logs
    record = logging.LogRecord("infra.local.access", logging.INFO, "api.py", 1, "%s %s", ("GET", "/x"), None)
    record.status = 200
    record.function = "catalog-api"

    # WHEN formatted for --json-logs
    entry = json.loads(JsonFormatter().format(record))

    # THEN
    assert entry["message"] == "GET /x"
    assert (entry["level"], entry["logger"], entry["status"], entry["function"]) == (
        "INFO",
        "infra.local.access",
        200,
        "catalog-api",
    )
    assert entry["timestamp"].endswith("Z")


def test_summary_falls_back_to_the_service_name() -> None:
    assert summarise_function_record({"service": "search", "message": "slow"}) == "search: slow"


def test_with_json_logs_every_line_reaches_the_console_whole() -> None:
    # GIVEN --json-logs (no sink) and two threads printing metrics lines in pieces
    output = FunctionOutput(io.StringIO(), None)

    def emit(n: int) -> None:
        for i in range(300):
            output.write(json.dumps({"_aws": {}, "thread": n, "i": i}))
            output.write("\n")

    threads = [threading.Thread(target=emit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN the console gets every line, each one whole JSON
    lines = output.console.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1200
    assert all(json.loads(line)["_aws"] == {} for line in lines)
