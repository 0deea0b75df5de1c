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
* every third-party package those files and the kernel's import (outside ``if TYPE_CHECKING:``) must be
  one the Lambda runtime or a layer of the function brings (the interpreter above has the dev venv's
  site-packages, which has them all), or a known exception with its reason.
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

from infra.function_code import FUNCTIONS_SOURCE, BoundaryError, CodeAsset, code_asset, context_packages
from infra.resources import FUNCTIONS

REPO_ROOT = FUNCTIONS_SOURCE.parent
KERNEL_SOURCE = REPO_ROOT / "layers" / "kernel" / "python"
CONTEXTS = context_packages()
# What the python3.13 Lambda runtime brings: boto3 and its closure. Layers bring the rest.
RUNTIME_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)
# Third-party imports in an asset that neither the runtime nor the function's layers serve, each with why.
# Every entry must still hold: once a layer serves it, the test says to drop it.
UNSERVED = {
    ("search", "tantivy"): "the embedded engine: wiring imports it only when SEARCH_ENGINE is not opensearch",
    ("checkout", "stripe"): "NOT SERVED IN THE CLOUD YET: no layer bundles the Stripe SDK (decision 68)",
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


def test_every_third_party_import_is_served_by_the_runtime_or_the_functions_layers(
    assets: list[Asset],
) -> None:
    # GIVEN the distributions the runtime and each function's layers bring
    distributions = {
        name: {_normalised(d) for d in found} for name, found in packages_distributions().items()
    }
    kernel = {str(p.relative_to(KERNEL_SOURCE)): _third_party(p) for p in KERNEL_SOURCE.rglob("*.py")}
    unserved: dict[tuple[str, str], set[str]] = {}
    for asset in assets:
        served = RUNTIME_DISTRIBUTIONS.union(*(_requirements(name) for name in ("kernel", *asset.layers)))
        # WHEN every third-party import its files and the kernel's run is mapped to its distribution
        shipped = {str(p): _third_party(asset.root / p) for p in asset.files if p.suffix == ".py"}
        for path, modules in (shipped | kernel).items():
            for module in modules:
                if not distributions.get(module, {module}) & served:
                    unserved.setdefault((asset.context, module), set()).add(str(path))
    # THEN the runtime or a layer of the function serves it, or it is a known, explained exception
    assert sorted(unserved) == sorted(UNSERVED), unserved


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


def _third_party(path: Path) -> set[str]:
    """The top-level packages outside the standard library and ours that ``path`` imports, at any depth,
    outside ``if TYPE_CHECKING:`` blocks (those never run)."""
    found: set[str] = set()
    pending: list[ast.AST] = [_parsed(path)]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending += node.orelse
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        pending += ast.iter_child_nodes(node)
    return {m for m in found if m not in sys.stdlib_module_names and m not in CONTEXTS and m != "shop_kernel"}


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
