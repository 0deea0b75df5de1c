"""What a Lambda function's code asset holds: its context's package and what that package imports of others.

A function's asset is ``functions/`` staged through exclude globs (``CodeAsset.excludes``): every file of
``functions/<context>`` (its handlers, domain, adapters, wiring, schemas), and of any other context only the
modules the context's code imports, directly or through them - a contract module and the records, adapters
and domain modules it imports in turn - with their packages' ``__init__.py``. The set comes from the source
(``ast``: every ``import`` and ``from ... import`` anywhere in a module, also inside functions, where lazy
imports live), never from importing it, so synth stays offline and needs no hand list: checkout's next
``from orders.contract import ...`` ships ``orders.contract`` at the next synth.

All of a context's modules are roots, so every function of a context ships the same asset (uploaded once),
and every import in a shipped file resolves to a shipped file. Another context's handlers and wiring never
ship: tests/architecture/test_context_boundaries.py forbids importing them directly, and reaching them through
a contract is refused here (``BoundaryError``). Tests and bytecode never ship.

Pure Python, no CDK import: the asset tests stage and import it without an app.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

FUNCTIONS_SOURCE = Path(__file__).resolve().parent.parent / "functions"
NEVER_SHIPPED = ("**/__pycache__", "**/*.pyc", "**/tests", "**/.pytest_cache")
# The parts of a context no other context's asset may carry: its entry points and what they are built from.
PRIVATE_PARTS = frozenset({"handlers", "wiring"})


class BoundaryError(ValueError):
    """A context's code reaches another context's handlers or wiring."""


@dataclass(frozen=True)
class CodeAsset:
    """The code of context ``context``'s functions: its whole package plus ``borrowed`` files of others."""

    context: str
    # Files of other contexts, relative to ``functions/`` (posix), sorted.
    borrowed: tuple[str, ...]

    @property
    def other_contexts(self) -> tuple[str, ...]:
        return tuple(sorted({PurePosixPath(path).parts[0] for path in self.borrowed}))

    @property
    def excludes(self) -> list[str]:
        """Globs for ``Code.from_asset(functions/, exclude=...)`` (CDK's default glob ignore mode).

        Everything is excluded, then the context and each borrowed file re-included; a directory must be
        re-included itself (a file in an excluded directory is never reached), hence each file's parents.
        """
        shipped = [f"!{self.context}", f"!{self.context}/**"]
        for path in self.borrowed:
            parts = PurePosixPath(path).parts
            shipped += ["!" + "/".join(parts[:depth]) for depth in range(1, len(parts))]
            shipped.append(f"!{path}")
        return ["*", *dict.fromkeys(shipped), *NEVER_SHIPPED]


def context_packages(source: Path = FUNCTIONS_SOURCE) -> frozenset[str]:
    """The top-level packages under ``functions/``: one per bounded context."""
    return frozenset(p.name for p in source.iterdir() if (p / "__init__.py").is_file())


def code_asset(context: str, source: Path = FUNCTIONS_SOURCE) -> CodeAsset:
    """The asset of ``context``'s functions: the closure of its modules' imports over ``functions/``."""
    graph = ImportGraph(source)
    if context not in graph.contexts:
        raise ValueError(f"no context package functions/{context}")
    roots = [graph.module_name(path) for path in shipped_python(source / context)]
    importer: dict[str, str | None] = dict.fromkeys(roots)
    queue = deque(roots)
    while queue:
        module = queue.popleft()
        for imported in graph.imports(module):
            if imported not in importer:
                importer[imported] = module
                queue.append(imported)
    borrowed = sorted(m for m in importer if m.split(".")[0] != context)
    private = [m for m in borrowed if PRIVATE_PARTS.intersection(m.split(".")[1:2])]
    if private:
        chains = "\n".join(" -> ".join(_chain(m, importer)) for m in private)
        raise BoundaryError(f"functions/{context} reaches another context's handlers or wiring:\n{chains}")
    return CodeAsset(context, tuple(sorted(graph.file(m) for m in borrowed)))


def shipped_python(directory: Path) -> Iterator[Path]:
    """The ``.py`` files under ``directory`` that an asset may carry (no tests, no bytecode caches)."""
    for path in sorted(directory.rglob("*.py")):
        if not {"tests", "__pycache__", ".pytest_cache"}.intersection(path.relative_to(directory).parts):
            yield path


class ImportGraph:
    """The modules under ``functions/`` each module imports (context packages only, parsed once each)."""

    def __init__(self, source: Path = FUNCTIONS_SOURCE) -> None:
        self.source = source
        self.contexts = context_packages(source)
        self._imports: dict[str, frozenset[str]] = {}

    def module_name(self, path: Path) -> str:
        parts = path.relative_to(self.source).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def file(self, module: str) -> str:
        """``module``'s file relative to ``functions/`` (posix): ``a/b.py`` or ``a/b/__init__.py``."""
        base = PurePosixPath(*module.split("."))
        plain = base.with_suffix(".py")
        return str(plain) if (self.source / plain).is_file() else str(base / "__init__.py")

    def is_module(self, module: str) -> bool:
        base = self.source.joinpath(*module.split("."))
        return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()

    def imports(self, module: str) -> frozenset[str]:
        """The context modules importing ``module`` executes, with the packages each one runs first."""
        if module not in self._imports:
            self._imports[module] = frozenset(self._parse(module))
        return self._imports[module]

    def _parse(self, module: str) -> Iterator[str]:
        path = self.source / self.file(module)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                # ``from a.b import c`` imports module ``a.b.c`` when there is one, else a name of ``a.b``.
                names = [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]
            else:
                continue
            for name in names:
                if name.split(".")[0] in self.contexts and self.is_module(name):
                    yield from (m for m in _with_packages(name) if self.is_module(m))


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def _with_packages(module: str) -> Iterator[str]:
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        yield ".".join(parts[:depth])


def _chain(module: str, importer: dict[str, str | None]) -> list[str]:
    chain = [module]
    while (previous := importer[chain[-1]]) is not None:
        chain.append(previous)
    return chain[::-1]
