"""Mutation testing of the money and stock paths: do the fast tests notice when a check is broken?

mutmut 3 changes one thing at a time in the modules below (a comparison flipped, a condition dropped, a
number moved by one, a string or argument replaced) and runs the unit tests that reach the changed
function; a mutant the tests do not notice "survived". The score is killed (+ timeouts) over mutants
that have tests.

mutmut names a mutant after its file path, with only a leading ``src/`` dropped, and only counts a test
as reaching a function when that name matches the module the test imported. Our code is imported as
``checkout.domain.payments`` from ``functions/`` (and ``shop_kernel`` from ``layers/kernel/python``), so
mutmut cannot run on the repository as it is laid out. The pass therefore runs in a staging copy
(``.mutation/``, ignored by git and by pytest's collection): the packages of ``functions/`` and the kernel
side by side under ``src/``, the unit tests and their shared files under ``tests/``, and a ``pyproject.toml``
with the same pytest settings but ``pythonpath = ["src", "."]``. Nothing else differs.

The tests driving it are the fast unit suites of the three contexts and one lean moto test of the
reservation entries (the other moto-backed suites take minutes, times several hundred mutants). One worker, ``nice``: the machine is shared. Survivors are
triaged in ``TRIAGE`` (equivalent mutants and mutants of log or message text only, each with its reason);
any other survivor is a gap the tests must close, and the JSON lists it with its diff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STAGING = REPO / ".mutation"

MODULES = {
    "checkout.domain.payments": "functions/checkout/domain/payments.py",
    "checkout.domain.service": "functions/checkout/domain/service.py",
    "checkout.domain.screening": "functions/checkout/domain/screening.py",
    "inventory.domain.reservations": "functions/inventory/domain/reservations.py",
    # What a refused transaction means now lives with each owner (it was the service's _explain).
    "cart.contract": "functions/cart/contract.py",
    "inventory.contract": "functions/inventory/contract.py",
    "pricing.contract": "functions/pricing/contract.py",
    "inventory.adapters.records": "functions/inventory/adapters/records.py",
    "pricing.domain.codes": "functions/pricing/domain/codes.py",
    "pricing.domain.gift_certificates": "functions/pricing/domain/gift_certificates.py",
}
# The fast unit suites, plus the one moto test that sends the reservation entries to DynamoDB (a second or
# two): string mutants of those entries (a condition, a key, an attribute name) only show on the wire.
TEST_DIRS = [
    "tests/unit/checkout",
    "tests/unit/inventory",
    "tests/unit/pricing",
    "tests/unit/cart/test_cart_contract.py",
    "tests/integration/inventory/test_reservation_writes_keep_stock_right.py",
]
TEST_SUPPORT = ["tests/conftest.py", "tests/support.py", "tests/events", "infra"]
SOURCE_ROOTS = [REPO / "functions", REPO / "layers" / "kernel" / "python"]

# Survivors that are not gaps, by mutant name (mutmut's names are stable while the function's text is).
# "equivalent": the mutant behaves exactly like the original for every input the code can receive.
# "message": only the text of a log line, error message or exception changes; no decision does.
NOTES = [
    "A complete pass (python -m bench mutation) at 592668f: main at df3616d with screening.py added to the "
    "modules, on a machine shared with other work (load average about 8 on 2 cores).",
    "Fraud screening moved from payments.py to screening.py (an order gift certificates pay in full is "
    "screened at checkout), so the former payments _screen mutants are screening's x_screen now.",
    "The pass's survivors were then run again (python -m bench.mutation --recheck) with the tests written "
    "for them; pass_before_recheck keeps the pass's own figures.",
]

# The first pass, on main at cec9d0a with the suites as they were (unit tests only, 704 s on a loaded machine).
BASELINE: dict[str, Any] = {
    "modules": {
        "checkout.domain.payments": {"no tests": 513},
        "checkout.domain.service": {"no tests": 498},
        "inventory.domain.reservations": {"killed": 187, "survived": 172, "no tests": 88},
        "pricing.domain.codes": {"killed": 165, "survived": 8, "not checked": 5},
        "pricing.domain.gift_certificates": {"killed": 117, "survived": 16},
    },
    "total": {"killed": 469, "survived": 196, "no tests": 1099, "not checked": 5, "score_percent": 70.5},
}

_P = "checkout.domain.payments.x\u01c1PaymentEvents\u01c1"
_MESSAGE = ("message", "only the text of the error or outcome changes; the field, code and decision do not")
_UNUSED_INDEX = (
    "equivalent",
    "EnteredCode.index is never read (errors carry their field name, built from the loop's index)",
)
_REFUND_INTENT = (
    "equivalent",
    "the PaymentIntent built from a refunded charge only serves the order look-up, which reads its id and "
    "metadata; status, amount and currency are never read",
)
_UNREACHABLE = (
    "equivalent",
    "unreachable (pragma: no cover): the order was checked PENDING_PAYMENT just above, so cancelled() is never None",
)
_S = "checkout.domain.service.x\u01c1CheckoutService\u01c1"
_UNREACHABLE_RESUME = (
    "equivalent",
    "unreachable (pragma: no cover): the cart and its order are written in one transaction",
)
_RISK_DUMP = (
    "equivalent",
    "the assessment dumped in python or json mode gives the same order document: Order.risk is written as "
    "JSON (model_dump_json) and read back from it, and the shopper's view leaves it out",
)
TRIAGE: dict[str, tuple[str, str]] = {
    **{
        f"pricing.domain.gift_certificates.x_validate_certificates__mutmut_{n}": _MESSAGE
        for n in (15, 16, 34, 38, 39)
    },
    **{f"pricing.domain.gift_certificates.x__check__mutmut_{n}": _MESSAGE for n in (8, 9, 21, 22, 43, 44)},
    "pricing.domain.gift_certificates.x_balance_changed__mutmut_13": _MESSAGE,
    **{f"pricing.domain.codes.x_validate_codes__mutmut_{n}": _MESSAGE for n in (38, 42, 43)},
    "pricing.domain.codes.x_validate_codes__mutmut_20": _UNUSED_INDEX,
    "pricing.domain.codes.x__check_code__mutmut_58": _UNUSED_INDEX,
    "pricing.domain.codes.x_code_no_longer_available__mutmut_13": _MESSAGE,
    **{f"{_P}_change__mutmut_{n}": _MESSAGE for n in (26, 27, 28)},
    **{f"{_P}_place__mutmut_{n}": _RISK_DUMP for n in (34, 35, 36)},
    **{f"{_S}_screen_uncarded__mutmut_{n}": _RISK_DUMP for n in (22, 23, 24)},
    **{f"{_P}_refunded__mutmut_{n}": _REFUND_INTENT for n in (19, 20, 21, 28, 29)},
    f"{_P}_refunded__mutmut_16": (
        "equivalent",
        "a charge without a currency: '' and 'XXXX' are both refused by Money (ValidationError), as before",
    ),
    f"{_P}_refunded__mutmut_45": (
        "equivalent",
        "Stripe's charge object always carries amount_refunded (a required integer), so the default is never used",
    ),
    **{f"{_P}expire__mutmut_{n}": _UNREACHABLE for n in range(35, 41)},
    "checkout.domain.screening.x_screen__mutmut_34": (
        "equivalent",
        "an order's shipping address is always in its destination country (contact_for refuses any other), "
        "so screening the destination country instead changes nothing",
    ),
    "checkout.domain.service.x__on_cart__mutmut_5": _MESSAGE,
    f"{_P}_order__mutmut_8": (
        "equivalent",
        "an intent without our order id then looks up order None, which does not exist: still ignored",
    ),
    f"{_P}handle__mutmut_67": (
        "equivalent",
        "Stripe's payment_intent.succeeded always carries amount_received, so the default is never used",
    ),
    **{f"{_P}authorised__mutmut_{n}": _MESSAGE for n in (32, 34, 42, 43, 44)},
    **{f"checkout.domain.service.x_cart_checked_out__mutmut_{n}": _MESSAGE for n in (1, 5, 6)},
    "checkout.domain.screening.x_screen__mutmut_12": (
        "equivalent",
        "every order's buyer carries the contact e-mail (new_order sets it; contact_for refuses a checkout "
        "without one), so a guest's e-mail fallback is never used",
    ),
    **{
        f"checkout.domain.screening.x_screen__mutmut_{n}": (
            "equivalent",
            "RiskSignals.email is carried for a reviewer, but no rule reads it and the assessment stored on "
            "the order does not include the signals",
        )
        for n in (54, 65)
    },
    f"{_S}_store_country__mutmut_5": (
        "equivalent",
        "a location with pickup set is always a store (LocationBody refuses a warehouse with pickup), so "
        "'not pickup' alone decides as the whole condition does",
    ),
    f"{_S}_resume__mutmut_8": _UNREACHABLE_RESUME,
    **{
        name: (
            "equivalent",
            "DynamoDB expression keywords (SET, AND) are case-insensitive; attribute names and placeholders unchanged",
        )
        for name in (
            "inventory.adapters.records.x_commit_stock_item__mutmut_13",
            "inventory.adapters.records.x_commit_stock_item__mutmut_16",
            "inventory.adapters.records.x_extend_reservation_item__mutmut_15",
            "inventory.adapters.records.x_release_stock_item__mutmut_12",
            "inventory.adapters.records.x_reserve_stock_item__mutmut_12",
        )
    },
    **{
        f"inventory.adapters.records.x_reservation_item__mutmut_{n}": (
            "equivalent",
            "Fulfilment has only string fields: its python and json dumps are the same",
        )
        for n in (28, 29, 30)
    },
    **{f"checkout.domain.service.x__sellable_facts__mutmut_{n}": _MESSAGE for n in (30, 34, 35)},
    **{f"{_S}place__mutmut_{n}": _MESSAGE for n in (11, 12, 13, 22, 26, 27, 37, 38, 91)},
    **{
        f"inventory.adapters.records.x_reservation_item__mutmut_{n}": (
            "equivalent",
            "Allocation has only string, integer and optional string fields: its python and json dumps are the same",
        )
        for n in (41, 42, 43)
    },
    "inventory.adapters.records.x_reservation_item__mutmut_11": (
        "equivalent",
        "a reservation's sort key is the constant RESERVATION whatever the id",
    ),
    "inventory.adapters.records.x_expired_tombstone_items__mutmut_14": (
        "equivalent",
        "a reservation's sort key is the constant RESERVATION whatever the id",
    ),
}


def _pytest_config() -> str:
    """The repository's pytest settings, with the staged source on the path instead of ``functions/``."""
    settings = dict(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"])
    settings["pythonpath"] = ["src", "."]
    settings["addopts"] = f"{settings.get('addopts', '')} -p no:cacheprovider".strip()
    settings.pop("norecursedirs", None)
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _mutmut_config() -> str:
    only = ", ".join(f'"src/{path.removeprefix("functions/")}"' for path in MODULES.values())
    tests = ", ".join(f'"{path}"' for path in TEST_DIRS)
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        'also_copy = ["infra"]\n'
        f"only_mutate = [{only}]\n"
        f"pytest_add_cli_args_test_selection = [{tests}]\n"
        'pytest_add_cli_args = ["-q", "-x"]\n'
        "use_git_change_detection = false\n"
    )


def stage() -> Path:
    """A fresh staging copy: ``src/`` (every function package + the kernel), the unit tests, the config."""
    shutil.rmtree(STAGING, ignore_errors=True)
    src = STAGING / "src"
    src.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for root in SOURCE_ROOTS:
        for package in sorted(root.iterdir()):
            if package.is_dir() and (package / "__init__.py").exists():
                shutil.copytree(package, src / package.name, ignore=ignore)
    _stage_tests()
    (STAGING / "pyproject.toml").write_text(_pytest_config() + _mutmut_config())
    return STAGING


def _stage_tests() -> None:
    """The selected tests and their shared files, as they are now in the repository."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for path in [*TEST_SUPPORT, *TEST_DIRS]:
        source, target = REPO / path, STAGING / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)


def _mutmut(*args: str) -> str:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = ["nice", "-n", "10", str(Path(sys.executable).parent / "mutmut"), *args]
    done = subprocess.run(command, cwd=STAGING, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"mutmut {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _module_of(mutant: str) -> str:
    return next(
        module for module in sorted(MODULES, key=len, reverse=True) if mutant.startswith(module + ".")
    )


def results() -> dict[str, str]:
    """Every mutant's status, by name, as ``mutmut results --all true`` prints them."""
    out = _mutmut("results", "--all", "true")
    pattern = re.compile(r"^\s+(\S+): (.+)$")
    return {m.group(1): m.group(2).strip() for line in out.splitlines() if (m := pattern.match(line))}


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
names = json.load(sys.stdin)
json.dump({name: get_diff_for_mutant(name) for name in names}, sys.stdout)
"""


def diffs(mutants: list[str]) -> dict[str, str]:
    """The changed lines of each mutant (without file headers), read in one process."""
    if not mutants:
        return {}
    done = subprocess.run(
        ["nice", "-n", "10", sys.executable, "-c", _DIFFS],
        cwd=STAGING,
        input=json.dumps(mutants),
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        name: "\n".join(
            line
            for line in text.splitlines()
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
        )
        for name, text in json.loads(done.stdout).items()
    }


def _score(counts: Counter[str]) -> float | None:
    tested = counts["killed"] + counts["timeout"] + counts["survived"] + counts["suspicious"]
    return round(100 * (counts["killed"] + counts["timeout"]) / tested, 1) if tested else None


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    started = time.perf_counter()
    stage()
    (STAGING / "started").write_text(f"{time.time():.1f}")
    (STAGING / "commit").write_text(_head())
    _mutmut("run", "--max-children", "1")
    (STAGING / "seconds").write_text(f"{time.perf_counter() - started:.1f}")
    return report()


def _head() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip()


def _counts(statuses: dict[str, str]) -> dict[str, Counter[str]]:
    by_module: dict[str, Counter[str]] = {module: Counter() for module in MODULES}
    for mutant, status in statuses.items():
        by_module[_module_of(mutant)][status] += 1
    return by_module


def recheck() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """After tests were added for a complete pass's survivors: the tests as they are now replace the staged
    ones and only the survivors (and the mutants no test reached) run again (same source, so the same mutants). The pass's own figures are
    kept beside the new ones. A change to a mutated module needs a full pass instead."""
    if not (STAGING / "seconds").exists():
        raise SystemExit("no complete pass in .mutation/ to re-check: run python -m bench mutation first")
    before = STAGING / "before_recheck.json"
    statuses = results()
    if not before.exists():  # a second re-check still compares with the pass itself
        by_module = _counts(statuses)
        total: Counter[str] = sum(by_module.values(), Counter())
        figures = {
            "modules": {
                m: {**dict(sorted(c.items())), "score_percent": _score(c)} for m, c in by_module.items()
            },
            "total": {**dict(sorted(total.items())), "score_percent": _score(total)},
        }
        before.write_text(json.dumps(figures, indent=2))
    # Survivors, and mutants no test reached then (a new test may reach them).
    survivors = sorted(m for m, s in statuses.items() if s in ("survived", "no tests"))
    _stage_tests()
    (STAGING / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)  # map tests to functions afresh
    started = time.perf_counter()
    _mutmut("run", "--max-children", "1", *survivors)
    done = {
        "mutants": len(survivors),
        "seconds": round(time.perf_counter() - started, 1),
        "tests_at_commit": _head(),
    }
    runs = STAGING / "recheck.json"
    earlier = json.loads(runs.read_text()) if runs.exists() else []
    runs.write_text(json.dumps([*earlier, done]))
    return report()


def report() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """The figures of the last pass in ``.mutation/`` (triage can be refined without running it again)."""
    complete = (STAGING / "seconds").exists()
    if complete:
        seconds = float((STAGING / "seconds").read_text())
    else:  # stopped before the end: time until the last mutant's result was saved
        last = max(path.stat().st_mtime for path in (STAGING / "mutants").rglob("*.meta"))
        seconds = last - float((STAGING / "started").read_text())
    statuses = results()
    by_module = _counts(statuses)
    survivors = sorted(m for m, s in statuses.items() if s == "survived")
    changed = diffs(survivors)
    triaged = {
        m: {"kind": TRIAGE[m][0], "why": TRIAGE[m][1], "diff": changed[m]} for m in survivors if m in TRIAGE
    }
    gaps = {m: changed[m] for m in survivors if m not in TRIAGE}
    untested = sorted(m for m, s in statuses.items() if s == "no tests")
    total: Counter[str] = sum(by_module.values(), Counter())
    figures: dict[str, Any] = {
        "tool": "mutmut 3.8.1",
        "tests": TEST_DIRS,
        "modules": {
            module: {"file": MODULES[module], **dict(sorted(c.items())), "score_percent": _score(c)}
            for module, c in by_module.items()
        },
        "total": {**dict(sorted(total.items())), "score_percent": _score(total)},
        "survivors_triaged": triaged,
        "survivors_not_triaged": gaps,
        "no_tests": untested,
        "stale_triage_entries": sorted(
            m for m in TRIAGE if statuses.get(m) not in ("survived", "not checked")
        ),
        "source_measured_at_commit": (STAGING / "commit").read_text().strip(),
        "seconds": round(seconds, 1),
        "complete": complete,
        # How the recorded pass went (written by hand; a pass run through `make bench` to the end needs none).
        "notes": NOTES,
        "baseline_before_new_tests": BASELINE,
    }
    rechecked = STAGING / "recheck.json"
    if rechecked.exists():
        figures["pass_before_recheck"] = json.loads((STAGING / "before_recheck.json").read_text())
        figures["recheck"] = json.loads(rechecked.read_text())
    summary: list[tuple[str, str, str]] = []
    for module, counts in by_module.items():
        summary.append(
            (
                f"{module}: killed / survived / timeout / no tests / not checked",
                f"{counts['killed']} / {counts['survived']} / {counts['timeout']} / {counts['no tests']}"
                f" / {counts['not checked']}",
                f"score {_score(counts)} %",
            )
        )
    summary += [
        (
            f"mutation score, all {len(MODULES)} modules",
            f"{_score(total)} %",
            "killed + timeout over mutants with tests",
        ),
        (
            "survivors: triaged / not triaged",
            f"{len(triaged)} / {len(gaps)}",
            "target: every survivor on a money, stock or security check killed; the rest explained",
        ),
        (
            "mutation pass",
            f"{seconds:.0f} s"
            + ("" if complete else f", stopped: {total['not checked']} mutants not checked"),
            "1 worker, nice 10; unit tests + one moto test",
        ),
    ]
    if "recheck" in figures:
        passed, runs = figures["pass_before_recheck"]["total"], figures["recheck"]
        summary += [
            (
                f"the pass itself (source at {figures['source_measured_at_commit']}), before its survivors' tests",
                f"{passed['score_percent']} %, {passed.get('survived', 0)} survived",
                "survivors (and mutants with no test) run again with the tests at "
                + ", then ".join(
                    f"{r['tests_at_commit']}: {r['mutants']} mutants, {r['seconds']:.0f} s" for r in runs
                ),
            )
        ]
    summary += [
        (
            "first pass, before any of its tests (commit cec9d0a)",
            f"{BASELINE['total']['score_percent']} %, {BASELINE['total']['no tests']} mutants with no test",
            "payments.py and service.py were reached by no fast test",
        ),
    ]
    return figures, summary


# ``python -m bench.mutation --report``: re-triage the last pass, no new run; ``--recheck``: run the last
# complete pass's survivors again with the tests as they are now.
if __name__ == "__main__":
    from bench.results import render_readme, write

    if sys.argv[1:] not in (["--report"], ["--recheck"]):
        raise SystemExit(
            "usage: python -m bench.mutation --report | --recheck   (a full pass: python -m bench mutation)"
        )
    write("mutation", *(recheck() if sys.argv[1:] == ["--recheck"] else report()))
    render_readme()
