"""One wiring mechanism: each context's functions are built from one container, looked up through its module.

The rule, checked on every module under ``functions/``:

* a context with handlers declares ``<context>/wiring.py`` with one module-level ``container``, an instance
  of a ``shop_kernel.wiring.Container`` subclass defined there;
* no module defines a ``reset`` function or a module-level ``lru_cache``/``cache`` (a factory that would
  need resetting), except the pure memos listed in ``PURE_MEMOS``: functions of their arguments alone,
  built from no setting, client or clock, so nothing a test or an environment changes can make them stale;
* nothing takes ``container`` out of a wiring module by name (``from cart.wiring import container``): the
  handler would keep the instance it imported, and a test's or the harness's replacement would not reach it;
* importing another context's contract loads none of its wiring, and of its adapters only the layouts.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
# (module path under functions/, function name): why it may stay a cache.
PURE_MEMOS = {
    ("search/adapters/embedded_schema.py", "stem_en"): "a word's English stem: the same answer for ever",
}
CACHES = {"lru_cache", "cache"}


def _modules() -> list[Path]:
    return sorted(FUNCTIONS.rglob("*.py"))


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute):
            names.add(target.attr)
        elif isinstance(target, ast.Name):
            names.add(target.id)
    return names


def resettable_wiring(source: str, relative: str) -> list[str]:
    """The module-level ``reset`` functions and cached factories of module ``relative`` (its ``source``),
    outside ``PURE_MEMOS``."""
    found = []
    for node in ast.parse(source, relative).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name == "reset":
            found.append(f"{relative}:{node.lineno} defines reset()")
        elif _decorator_names(node) & CACHES and (relative, node.name) not in PURE_MEMOS:
            found.append(f"{relative}:{node.lineno} caches {node.name}() at module level")
    return found


def containers_taken_by_name(path: Path) -> list[str]:
    relative = str(path.relative_to(FUNCTIONS))
    return [
        f"{relative}:{node.lineno} imports container from {node.module}"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").endswith("wiring")
        and any(alias.name == "container" for alias in node.names)
    ]


def test_no_function_module_keeps_a_cache_that_would_need_resetting() -> None:
    # GIVEN every module under functions/
    # WHEN its module-level functions are read
    found = [
        problem
        for path in _modules()
        for problem in resettable_wiring(path.read_text(), str(path.relative_to(FUNCTIONS)))
    ]
    # THEN none is a reset() or a cached factory: what a function is built from is in its container
    assert found == [], "\n".join(found)


def test_the_rule_sees_a_cached_factory_and_a_reset_but_not_a_listed_memo() -> None:
    # GIVEN a module written the old way, and the listed memo's module
    old_way = (
        "from functools import cache, lru_cache\n"
        "@lru_cache(maxsize=1)\ndef store(): ...\n"
        "@functools.cache\ndef clock(): ...\n"
        "def reset(): ...\n"
    )
    memo = "@lru_cache(maxsize=65_536)\ndef stem_en(word): ...\n"
    # WHEN the rule reads them
    found = resettable_wiring(old_way, "cart/adapters/__init__.py")
    # THEN each part of the old way is named, and the memo passes
    assert resettable_wiring(memo, "search/adapters/embedded_schema.py") == []
    assert [line.split(" ", 1)[1] for line in found] == [
        "caches store() at module level",
        "caches clock() at module level",
        "defines reset()",
    ]


def test_each_context_with_functions_declares_one_container_in_its_wiring_module() -> None:
    from shop_kernel.wiring import Container

    # GIVEN every context that has handlers
    contexts = sorted(p.parent.name for p in FUNCTIONS.glob("*/handlers"))
    for context in contexts:
        # WHEN its wiring module is imported
        wiring = __import__(f"{context}.wiring", fromlist=["container"])
        instances = {name for name, value in vars(wiring).items() if isinstance(value, Container)}
        # THEN it holds exactly one container, named ``container``, of a class it declares
        assert instances == {"container"}, f"{context}.wiring holds {sorted(instances)}"
        assert type(wiring.container).__module__ == wiring.__name__
        assert type(wiring.container).providers(), f"{context}'s container provides nothing"


def test_handlers_look_the_container_up_through_its_module() -> None:
    # GIVEN every module under functions/
    # WHEN its imports are read
    found = [problem for path in _modules() for problem in containers_taken_by_name(path)]
    # THEN none took the instance itself: a replaced container reaches every handler
    assert found == [], "\n".join(found)


def test_a_contract_loads_no_wiring_and_of_its_owners_adapters_only_the_layouts() -> None:
    # GIVEN a fresh interpreter, as a function that writes through other contexts' contracts (checkout)
    probe = (
        "import json, sys\n"
        "import cart.contract, inventory.contract, pricing.contract\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('cart', 'inventory', 'pricing'))))\n"
    )
    path = f"{ROOT / 'layers/kernel/python'}:{FUNCTIONS}:{ROOT}"
    # WHEN it imports the contracts
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin"},
    )
    loaded = json.loads(done.stdout)
    # THEN no wiring module came with them, and of the owners' adapters only their layouts
    assert [m for m in loaded if m.endswith(".wiring")] == []
    adapters = [m for m in loaded if ".adapters." in m]
    assert adapters
    assert [m for m in adapters if not m.endswith(".records")] == []
