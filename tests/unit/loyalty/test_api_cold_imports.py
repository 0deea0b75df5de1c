"""loyalty-api's start loads only what its routes declare: the container imports what it builds inside its
providers (decision 54), so the coupon store (pricing's contract and promotion models), the certificate and
claim stores and their services wait for the first request that uses them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_loyalty_api_loads_no_store_and_nothing_of_pricing() -> None:
    # GIVEN a fresh interpreter, as Lambda starts loyalty-api
    probe = (
        "import json, sys\n"
        "import loyalty.handlers.api\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('loyalty', 'pricing'))))\n"
    )
    path = f"{ROOT / 'layers/kernel/python'}:{ROOT / 'functions'}"
    # WHEN it imports the handler
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin"},
    )
    loaded = json.loads(done.stdout)
    # THEN no adapter and nothing of pricing came with it: the routes' models only
    assert "loyalty.wiring" in loaded
    assert [m for m in loaded if m.startswith("pricing")] == []
    assert [m for m in loaded if ".adapters" in m] == []
