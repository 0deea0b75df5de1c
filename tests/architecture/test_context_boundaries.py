"""Each context owns its table and its item layouts: no context builds or reads another's items.

The rule, checked on every module under ``functions/`` (every ``import``/``from ... import``, also inside
functions and ``TYPE_CHECKING`` blocks): a module of context A may import from another context B

* ``B.contract`` - the small module B publishes for the items others write in their transactions
  (entries, their conditions, and the domain errors their cancellation reasons mean), anything in it;
* ``B.domain`` and its modules - B's public domain types and logic (models, value objects, errors,
  pure functions) - except ``B.domain.records``, and except any name that is a key or item builder:
  a name ending in ``_key``, ``_keys``, ``_item``, ``_items`` or ``from_item``, or a layout constant
  (``*_PK``, ``*_SK``, ``GSI``).

It may never import ``B.adapters`` (or anything under it), where B's layouts, key builders and
DynamoDB calls live, nor ``B.handlers`` (B's routes, answers and entry points: what two contexts both
answer lives in the kernel, as ``shop_kernel.priced``) nor ``B.wiring`` (what B's functions are built
from). Settings and tools of B are not checked here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
CONTEXTS = frozenset(p.name for p in FUNCTIONS.iterdir() if (p / "__init__.py").exists())
LAYOUT_NAME = re.compile(r"(_keys?|_items?|from_item)$|(^|_)(PK|SK)$|^GSI$")


@dataclass(frozen=True)
class Crossing:
    module: str  # the importing file, relative to functions/
    line: int
    target: str  # the imported module
    names: tuple[str, ...]  # the names taken from it (empty for ``import x``)

    def __str__(self) -> str:
        names = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.module}:{self.line} imports {self.target}{names}"


def crossings(path: Path) -> list[Crossing]:
    """Every import of another context's module in ``path``."""
    own = path.relative_to(FUNCTIONS).parts[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [(node.module, tuple(a.name for a in node.names))]
        elif isinstance(node, ast.Import):
            targets = [(a.name, ()) for a in node.names]
        else:
            continue
        for target, names in targets:
            context = target.split(".")[0]
            if context in CONTEXTS and context != own:
                found.append(Crossing(str(path.relative_to(FUNCTIONS)), node.lineno, target, names))
    return found


def breaks_the_rule(crossing: Crossing) -> bool:
    parts = crossing.target.split(".")
    if parts[1:] == ["contract"]:
        return False
    if len(parts) == 1:  # ``from inventory import contract`` is the only package-level import allowed
        return any(name != "contract" for name in crossing.names) or not crossing.names
    if parts[1] != "domain":
        return parts[1] in ("adapters", "handlers", "wiring")
    if parts[2:3] == ["records"]:
        return True
    if len(parts) == 2 and "records" in crossing.names:
        return True
    return any(LAYOUT_NAME.search(name) for name in crossing.names)


def every_crossing() -> list[Crossing]:
    return [c for path in sorted(FUNCTIONS.rglob("*.py")) for c in crossings(path)]


def test_no_context_imports_another_contexts_layouts_adapters_handlers_or_key_builders() -> None:
    # GIVEN every import of one context's module by another, under functions/
    found = every_crossing()
    # WHEN each is held against the rule
    broken = [str(c) for c in found if breaks_the_rule(c)]
    # THEN none reaches another context's adapters, records, key builders, handlers or wiring
    assert broken == [], f"{len(broken)} imports cross a context boundary:\n" + "\n".join(broken)


def test_the_rule_tells_a_contract_and_domain_types_from_layouts() -> None:
    # GIVEN imports as checkout might write them
    def crossing(target: str, *names: str) -> Crossing:
        return Crossing("checkout/adapters/dynamo.py", 1, target, names)

    # THEN contracts and domain types pass; records, adapters and key builders do not
    assert not breaks_the_rule(crossing("inventory.contract", "reserve", "stock_keys"))
    assert not breaks_the_rule(crossing("inventory", "contract"))
    assert not breaks_the_rule(crossing("pricing.domain", "CodeRedemption", "code_no_longer_available"))
    assert not breaks_the_rule(crossing("cart.domain.models", "CartOwner"))
    assert breaks_the_rule(crossing("cart.adapters.records", "close_cart_item"))
    assert breaks_the_rule(crossing("cart.domain", "records"))
    assert breaks_the_rule(crossing("cart.adapters.records", "cart_key"))
    assert breaks_the_rule(crossing("cart.adapters"))
    assert breaks_the_rule(crossing("inventory.domain.reservations", "reservation_transact_items"))
    assert breaks_the_rule(crossing("inventory.domain.models", "stock_key"))
    assert breaks_the_rule(crossing("inventory.domain.models", "LOCATIONS_CONFIG_PK"))
    assert breaks_the_rule(crossing("inventory.domain.models", "GSI"))
    assert breaks_the_rule(crossing("inventory", "adapters"))
    assert breaks_the_rule(crossing("cart.handlers.views", "PricedTotals"))
    assert breaks_the_rule(crossing("cart.handlers", "views"))
    assert breaks_the_rule(crossing("cart", "handlers"))
    assert breaks_the_rule(crossing("inventory.wiring", "container"))
