"""Runs in a fresh interpreter: import a handler's module, then build what its first event builds.

Usage: ``python bench/build_child.py <module.path.handler> <part,part,...>``. A part is a provider of the
context's wiring container (``publisher``), or, in a tree from before the containers (decision 54), a factory of
the context's ``adapters`` package (``adapters.store``, ``adapters.idempotency_store:stripe-events``) or a
function of the handler's module (``handler.publisher``). Prints one JSON line.
"""

import time

_T0 = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]


def main() -> None:
    handler, parts = sys.argv[1], [p for p in sys.argv[2].split(",") if p]
    module_name = handler.rpartition(".")[0]
    context = module_name.split(".")[0]
    started = time.perf_counter()
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    for part in parts:
        if part.startswith("handler."):
            getattr(module, part.split(".", 1)[1])()
        elif part.startswith("adapters."):
            name, _, arg = part.split(".", 1)[1].partition(":")
            factory = getattr(importlib.import_module(f"{context}.adapters"), name)
            factory(arg) if arg else factory()
        else:
            getattr(importlib.import_module(f"{context}.wiring").container, part)()
    built = time.perf_counter()
    print(
        json.dumps(
            {
                "status": None,
                "startup_ms": round((started - _T0) * 1000, 1),
                "import_ms": round((imported - started) * 1000, 1),
                "build_ms": round((built - imported) * 1000, 1),
                "modules": len(sys.modules),
            }
        )
    )


main()
sys.stdout.flush()
os._exit(0)
