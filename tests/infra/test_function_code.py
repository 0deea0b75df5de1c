"""Each function's code asset, staged as CDK stages it, holds every module its code imports.

The local stack and the other tests import from the source tree, where every context is on the path; in
Lambda a function sees only its asset, its layers and the runtime. So each asset is staged here with the
construct's exclude globs and CDK's own copy (no synth, no app), then

* its handlers are imported in a fresh interpreter (``-I``, started in an empty directory, writing no
  bytecode into the asset) whose path is the asset, the function's layers and site-packages only: one
  interpreter per asset, all at once;
* every import in every shipped file - also inside functions, where the lazy ones live - that names a
  module under ``functions/`` is looked up in the asset, which covers what an import of the handler
  does not run;
* every third-party package a function's code can import (outside ``if TYPE_CHECKING:``) and the kernel's
  must be one the Lambda runtime or a layer of the function brings (the interpreter above has the dev
  venv's site-packages, which has them all), or a known exception with its reason; and every package layer
  a function carries must serve one of those imports, so a function that never imports a layer's packages
  does not carry (and unpack at each cold start) the layer. What a function's code can import is read per
  function (``_reach``): its handler's imports, followed through ``functions/``, where a context's wiring
  adds only the providers the code reached asks the container for, with what they import in turn.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path, PurePosixPath

import pytest

from infra.function_code import (
    FUNCTIONS_SOURCE,
    BoundaryError,
    CodeAsset,
    ImportGraph,
    code_asset,
    context_packages,
)
from infra.resources import FUNCTIONS, FunctionSpec

REPO_ROOT = FUNCTIONS_SOURCE.parent
KERNEL_SOURCE = REPO_ROOT / "layers" / "kernel" / "python"
CONTEXTS = context_packages()
DISTRIBUTIONS = packages_distributions()
# What the python3.13 Lambda runtime brings: boto3 and its closure. Layers bring the rest.
RUNTIME_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)
# Third-party imports in an asset that neither the runtime nor the function's layers serve, each with why.
# Every entry must still hold: once a layer serves it, the test says to drop it.
UNSERVED = {
    ("search", "tantivy"): "the embedded engine: wiring imports it only when SEARCH_ENGINE is not opensearch",
}
# Runs in the fresh interpreter: put the asset and layers first, import the modules, say what failed.
IMPORTER = """
import importlib, json, sys
asset, path, modules, contexts = json.loads(sys.argv[1])
sys.path[:0] = path
failed = {}
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {error}"
strays = {
    name: module.__file__
    for name, module in sys.modules.items()
    if name.split(".")[0] in contexts and not (module.__file__ or "").startswith(asset)
}
print(json.dumps({"failed": failed, "strays": strays}))
"""


@dataclass(frozen=True)
class Asset:
    """One staged asset, the files it held when staged, and the functions that run from it with the same
    layers."""

    code: CodeAsset
    layers: tuple[str, ...]
    handlers: tuple[str, ...]  # modules
    root: Path
    files: frozenset[PurePosixPath]

    @property
    def context(self) -> str:
        return self.code.context

    def path(self) -> list[str]:
        layers = [REPO_ROOT / "layers" / name / "python" for name in ("kernel", *self.layers)]
        return [str(self.root), *(str(p) for p in layers if p.is_dir())]


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> list[Asset]:
    """Every function's asset, staged as ``lambda_.Code.from_asset`` stages it (glob ignore mode)."""
    from aws_cdk import CopyOptions, FileSystem, IgnoreMode

    root = tmp_path_factory.mktemp("assets")
    staged: dict[str, tuple[CodeAsset, frozenset[PurePosixPath]]] = {}
    handlers: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for spec in FUNCTIONS:
        if spec.context not in staged:
            code = code_asset(spec.context)
            target = root / spec.context
            FileSystem.copy_directory(
                str(FUNCTIONS_SOURCE),
                str(target),
                CopyOptions(exclude=code.excludes, ignore_mode=IgnoreMode.GLOB),
            )
            files = frozenset(PurePosixPath(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
            staged[spec.context] = code, files
        handlers.setdefault((spec.context, spec.layers), []).append(spec.handler.rpartition(".")[0])
    return [
        Asset(staged[context][0], layers, tuple(modules), root / context, staged[context][1])
        for (context, layers), modules in handlers.items()
    ]


def test_every_handler_imports_from_its_asset_and_layers_alone(assets: list[Asset], tmp_path: Path) -> None:
    # GIVEN each staged asset with its functions' layers, and no source tree on any path
    # WHEN a fresh interpreter per asset imports its functions' handlers
    runs = {
        asset: subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-B",
                "-c",
                IMPORTER,
                json.dumps([str(asset.root), asset.path(), asset.handlers, sorted(CONTEXTS)]),
            ],
            cwd=tmp_path,
            env={"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for asset in assets
    }
    answers = {asset: run.communicate(timeout=120) for asset, run in runs.items()}
    # THEN every handler imports, and nothing of functions/ comes from outside the asset
    problems = {}
    for asset, (out, err) in answers.items():
        try:
            answer = json.loads(out.strip().splitlines()[-1])
        except (IndexError, ValueError):
            problems[asset.context] = err[-2000:]
            continue
        if answer["failed"] or answer["strays"]:
            problems[asset.context] = answer
    assert problems == {}


def test_every_import_in_a_shipped_file_finds_its_module_in_the_asset(assets: list[Asset]) -> None:
    for asset in _distinct(assets):
        # GIVEN the Python files an asset ships
        shipped = {str(p) for p in asset.files if p.suffix == ".py"}
        # WHEN every import of a functions/ module in them, at any depth, is resolved in the source tree
        needed = {
            (path, file)
            for path in shipped
            for module in _imported_modules(asset.root / path)
            for file in _files_running(module)
        }
        # THEN the asset ships the file (and its packages' __init__.py) too
        missing = sorted(f"{path} needs {file}" for path, file in needed if file not in shipped)
        assert missing == [], f"{asset.context}'s asset lacks:\n" + "\n".join(missing)


def test_an_asset_carries_no_other_contexts_entry_points_tests_or_bytecode(assets: list[Asset]) -> None:
    for asset in _distinct(assets):
        # GIVEN the files an asset ships
        files = asset.files
        # THEN its own context ships whole; of others, the files worked out, never handlers or wiring
        own = {
            PurePosixPath(p.relative_to(FUNCTIONS_SOURCE))
            for p in (FUNCTIONS_SOURCE / asset.context).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert {p for p in files if p.parts[0] == asset.context} == own
        assert {str(p) for p in files if p.parts[0] != asset.context} == set(asset.code.borrowed)
        assert not [p for p in files - own if p.parts[1] in ("handlers", "wiring.py")], asset.context
        assert not [p for p in files if {"__pycache__", "tests"} & set(p.parts) or p.suffix == ".pyc"]


def test_every_third_party_import_is_served_by_the_runtime_or_the_functions_layers() -> None:
    # GIVEN the distributions the runtime and each function's layers bring
    kernel = set().union(*(_third_party(_parsed(p)) for p in KERNEL_SOURCE.rglob("*.py")))
    unserved: dict[tuple[str, str], set[str]] = {}
    for spec in FUNCTIONS:
        served = RUNTIME_DISTRIBUTIONS.union(*(_requirements(name) for name in ("kernel", *spec.layers)))
        # WHEN every third-party import its code can run, and the kernel's, is mapped to its distribution
        for module in _reached_third_party(spec) | kernel:
            if not _distributions(module) & served:
                unserved.setdefault((spec.context, module), set()).add(spec.name)
    # THEN the runtime or a layer of the function serves it, or it is a known, explained exception
    assert sorted(unserved) == sorted(UNSERVED), unserved


def test_a_function_carries_only_package_layers_its_code_imports_from() -> None:
    for spec in FUNCTIONS:
        # GIVEN the distributions a function's code can import
        imported = set().union(*(_distributions(module) for module in _reached_third_party(spec)))
        # THEN each package layer it carries serves one of them: no function unpacks a layer it never uses
        idle = [name for name in spec.layers if not _requirements(name) & imported]
        assert idle == [], f"{spec.name} carries {idle} but imports none of their packages"


def test_exactly_the_functions_whose_code_can_import_stripe_carry_the_payments_layer() -> None:
    # GIVEN the functions whose code can import stripe
    importing = {spec.name for spec in FUNCTIONS if "stripe" in _reached_third_party(spec)}
    # THEN they carry the payments layer, and no other function does
    assert {spec.name for spec in FUNCTIONS if "payments" in spec.layers} == importing
    # AND they include the API, the webhook and the workflow's payment steps, but not the orders stream
    # consumer, whose container could build the gateway but which never asks for it (nor holds a Stripe key)
    assert {"checkout-api", "stripe-webhooks", "payment-tasks"} <= importing
    assert "checkout-events" not in importing


def test_a_function_reaches_only_the_providers_its_code_asks_its_container_for(tmp_path: Path) -> None:
    # GIVEN a context whose wiring builds a gateway (importing an SDK) in one provider and a store in another,
    # one handler asking for the service (which uses the gateway) and one asking for the store only
    _write(tmp_path, "shop/__init__.py", "")
    _write(tmp_path, "shop/handlers/__init__.py", "")
    _write(
        tmp_path,
        "shop/handlers/pay.py",
        "from shop import wiring\n\ndef handler():\n    wiring.container.service()\n",
    )
    _write(
        tmp_path,
        "shop/handlers/feed.py",
        "from shop import wiring\n\ndef handler():\n    wiring.container.store()\n",
    )
    _write(tmp_path, "shop/gateway.py", "def pay():\n    import sdk\n")
    _write(tmp_path, "shop/store.py", "import json\n")
    _write(
        tmp_path,
        "shop/wiring.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from shop.gateway import pay\n"
        "class C:\n    def gateway(self):\n        from shop import gateway\n"
        "    def store(self):\n        from shop import store\n"
        "    def service(self):\n        return self.gateway()\n"
        "container = C()\n",
    )
    graph = ImportGraph(tmp_path)
    # WHEN what each handler can run is worked out
    pay = _reach("shop.handlers.pay", graph)
    feed = _reach("shop.handlers.feed", graph)
    # THEN the one asking for the service reaches the gateway through the service; the other does not
    assert "shop.gateway" in pay
    assert "sdk" in _third_party_of(pay, graph)
    assert "shop.gateway" not in feed
    assert "shop.store" in feed
    assert "sdk" not in _third_party_of(feed, graph)


def test_a_context_borrows_what_it_imports_even_lazily_and_nothing_more(tmp_path: Path) -> None:
    # GIVEN a context that imports another's contract inside a function, the contract its records relatively
    _write(tmp_path, "shop/__init__.py", "")
    _write(tmp_path, "shop/handlers/__init__.py", "")
    _write(tmp_path, "shop/handlers/api.py", "def handler():\n    from store import contract\n")
    _write(tmp_path, "store/__init__.py", "")
    _write(tmp_path, "store/contract.py", "from .adapters.records import key\nimport json\n")
    _write(tmp_path, "store/adapters/__init__.py", "")
    _write(tmp_path, "store/adapters/records.py", "key = 1\n")
    _write(tmp_path, "store/domain/__init__.py", "")
    _write(tmp_path, "store/handlers/__init__.py", "")
    # WHEN its asset is worked out
    asset = code_asset("shop", tmp_path)
    # THEN it borrows the contract, the records and their packages, nothing the code does not import
    assert asset.borrowed == (
        "store/__init__.py",
        "store/adapters/__init__.py",
        "store/adapters/records.py",
        "store/contract.py",
    )
    assert asset.excludes[:3] == ["*", "!shop", "!shop/**"]
    assert "!store/adapters" in asset.excludes
    assert "!store/domain" not in asset.excludes


def test_reaching_another_contexts_wiring_through_its_contract_is_refused(tmp_path: Path) -> None:
    # GIVEN a contract that imports its own context's wiring
    _write(tmp_path, "shop/__init__.py", "from store.contract import reserve\n")
    _write(tmp_path, "store/__init__.py", "")
    _write(tmp_path, "store/contract.py", "from store import wiring\n")
    _write(tmp_path, "store/wiring.py", "")
    # WHEN the importing context's asset is worked out
    # THEN it is refused, with the chain of imports that got there
    with pytest.raises(BoundaryError, match=r"shop -> store\.contract -> store\.wiring"):
        code_asset("shop", tmp_path)


def _distinct(assets: list[Asset]) -> list[Asset]:
    return list({asset.root: asset for asset in assets}.values())


def _write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


_TREES: dict[str, ast.Module] = {}


def _parsed(path: Path) -> ast.Module:
    """``path``'s syntax tree; a file ships unchanged in several assets and is parsed once."""
    text = path.read_text()
    if text not in _TREES:
        _TREES[text] = ast.parse(text, str(path))
    return _TREES[text]


def _imported_modules(path: Path) -> Iterator[str]:
    """Every module name an import in ``path`` may load (absolute imports; the code has no relative ones)."""
    for node in ast.walk(_parsed(path)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"
            assert node.module
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _third_party(node: ast.AST, contexts: frozenset[str] = CONTEXTS) -> frozenset[str]:
    """The top-level packages outside the standard library and ours that the code under ``node`` imports, at
    any depth, outside ``if TYPE_CHECKING:`` blocks (those never run); worked out once per node."""
    if (node, contexts) not in _THIRD_PARTY:
        _THIRD_PARTY[node, contexts] = frozenset(_parse_third_party(node, contexts))
    return _THIRD_PARTY[node, contexts]


_THIRD_PARTY: dict[tuple[ast.AST, frozenset[str]], frozenset[str]] = {}


def _parse_third_party(node: ast.AST, contexts: frozenset[str]) -> set[str]:
    found: set[str] = set()
    pending: list[ast.AST] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.If) and "TYPE_CHECKING" in ast.unparse(current.test):
            pending += current.orelse
            continue
        if isinstance(current, ast.Import):
            found.update(alias.name.split(".")[0] for alias in current.names)
        elif isinstance(current, ast.ImportFrom) and current.level == 0 and current.module:
            found.add(current.module.split(".")[0])
        pending += ast.iter_child_nodes(current)
    return {m for m in found if m not in sys.stdlib_module_names and m not in contexts and m != "shop_kernel"}


GRAPH = ImportGraph()
WIRING = "wiring"  # each context's ``<context>/wiring.py``: its container, one provider per part
_REACH: dict[str, dict[str, list[ast.AST]]] = {}


def _reached_third_party(spec: FunctionSpec) -> set[str]:
    """The third-party packages ``spec``'s code can import (not the kernel's, counted apart)."""
    module = spec.handler.rpartition(".")[0]
    if module not in _REACH:
        _REACH[module] = _reach(module, GRAPH)
    return _third_party_of(_REACH[module], GRAPH)


def _third_party_of(reach: dict[str, list[ast.AST]], graph: ImportGraph) -> set[str]:
    contexts = graph.contexts
    return set().union(*(_third_party(node, contexts) for nodes in reach.values() for node in nodes))


def _reach(handler: str, graph: ImportGraph) -> dict[str, list[ast.AST]]:
    """The modules under ``functions/`` a handler can run, each with the parts of it that can run: the whole
    module, but of a context's wiring only its top level (outside ``if TYPE_CHECKING:``) and the container
    methods the reached code names (``container.<provider>``, then ``self.<provider>`` inside them). Any
    ``container.x`` counts, so it over-counts rather than misses a provider."""
    trees: dict[str, ast.Module] = {}
    asked: set[str] = set()
    reach: dict[str, list[ast.AST]] = {}
    pending = {handler}
    while pending:
        for module in pending:
            trees[module] = _parsed(graph.source / graph.file(module))
            if not _is_wiring(module):
                asked |= _asked_of_container(trees[module])
        reach = {
            module: _wiring_parts(tree, asked) if _is_wiring(module) else [tree]
            for module, tree in trees.items()
        }
        imported = {name for nodes in reach.values() for node in nodes for name in _imports_of(node, graph)}
        pending = imported - trees.keys()
    return reach


def _asked_of_container(tree: ast.Module) -> frozenset[str]:
    """The names ``tree`` looks up on a ``container`` (``wiring.container.service()``), once per tree."""
    if tree not in _ASKED:
        _ASKED[tree] = frozenset(
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and _names(node.value, "container")
        )
    return _ASKED[tree]


_ASKED: dict[ast.Module, frozenset[str]] = {}


def _is_wiring(module: str) -> bool:
    return module.split(".")[1:] == [WIRING]


def _names(node: ast.AST, name: str) -> bool:
    return (isinstance(node, ast.Name) and node.id == name) or (
        isinstance(node, ast.Attribute) and node.attr == name
    )


def _wiring_parts(tree: ast.Module, asked: set[str]) -> list[ast.AST]:
    """The top-level statements of a wiring module, but of its classes only the methods ``asked`` reaches."""
    parts: list[ast.AST] = []
    methods: dict[str, ast.AST] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            methods |= {
                node.name: node
                for node in statement.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            parts += [
                node
                for node in statement.body
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
        elif not (isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test)):
            parts.append(statement)
    wanted, pending = set(), [name for name in asked if name in methods]
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        wanted.add(name)
        pending += [
            node.attr
            for node in ast.walk(methods[name])
            if isinstance(node, ast.Attribute) and _names(node.value, "self") and node.attr in methods
        ]
    return parts + [methods[name] for name in sorted(wanted)]


def _imports_of(node: ast.AST, graph: ImportGraph) -> frozenset[str]:
    """The ``functions/`` modules (with their packages) the imports under ``node`` load, outside
    ``if TYPE_CHECKING:`` (worked out once per node: the trees are shared)."""
    if (node, graph.source) not in _IMPORTS:
        _IMPORTS[node, graph.source] = frozenset(_parse_imports(node, graph))
    return _IMPORTS[node, graph.source]


_IMPORTS: dict[tuple[ast.AST, Path], frozenset[str]] = {}


def _parse_imports(node: ast.AST, graph: ImportGraph) -> set[str]:
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.If) and "TYPE_CHECKING" in ast.unparse(current.test):
            pending += current.orelse
            continue
        names: list[str] = []
        if isinstance(current, ast.Import):
            names = [alias.name for alias in current.names]
        elif isinstance(current, ast.ImportFrom) and current.level == 0 and current.module:
            names = [current.module, *(f"{current.module}.{alias.name}" for alias in current.names)]
        for name in names:
            parts = name.split(".")
            found |= {
                ".".join(parts[:depth])
                for depth in range(1, len(parts) + 1)
                if parts[0] in graph.contexts and graph.is_module(".".join(parts[:depth]))
            }
        pending += ast.iter_child_nodes(current)
    return found


def _distributions(module: str) -> set[str]:
    """The distributions that install top-level package ``module`` (itself when none is installed)."""
    return {_normalised(d) for d in DISTRIBUTIONS.get(module, [module])}


def _requirements(layer: str) -> set[str]:
    """The distributions ``layers/<layer>/requirements.txt`` pins."""
    lines = (REPO_ROOT / "layers" / layer / "requirements.txt").read_text().splitlines()
    return {
        _normalised(re.split(r"[\[=<>~!; ]", line.strip())[0]) for line in lines if line.strip()[:1].isalnum()
    }


def _normalised(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _files_running(module: str) -> Iterator[str]:
    """The files under functions/ importing ``module`` runs: its packages' ``__init__.py`` and its own."""
    parts = module.split(".")
    if parts[0] not in CONTEXTS:
        return
    for depth in range(1, len(parts) + 1):
        base = Path(*parts[:depth])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if (FUNCTIONS_SOURCE / candidate).is_file():
                yield candidate.as_posix()
