"""The README's "Try it" commands, run as a newcomer would paste them, against `make run` — twice.

The bash blocks of the README's "Try it" section are taken as they are (only the API's URL is pointed at this
test's port), run in one bash with `set -euo pipefail`, and their output is checked for what the README promises:
the guest's order reaches PAYMENT_AUTHORIZED and the merchandiser's new product is found in search. Then the stack
is stopped and started again on the same state folder, and the same commands must work again: a second `make run`
is as good a demo as the first. If the README drifts from the API, this test fails.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from infra.local import ENDPOINT_VARIABLES
from infra.local.moto_server import free_port

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow, pytest.mark.timeout(420)]

REPO_ROOT = Path(__file__).resolve().parents[2]
README_API = "http://127.0.0.1:3000"
READY_S = 300  # generous: a loaded 2-core CI machine; the seeding figure itself is a benchmark
# make run seeds 240 products (35-45 s on 2 cores); the journey needs laptops and headphones, which a
# third of the catalog already has, and two starts of the full demo would cost the suite minutes.
SEED_PRODUCTS = "40"


def try_it_blocks(readme: str) -> list[str]:
    """The ```bash blocks of the README's "Try it" section, in order."""
    match = re.search(r"^## Try it\n(.*?)(?=^## )", readme, flags=re.MULTILINE | re.DOTALL)
    assert match, "the README has no '## Try it' section"
    return re.findall(r"^```bash\n(.*?)^```", match.group(1), flags=re.MULTILINE | re.DOTALL)


def _start(state: Path, api_port: int, moto_port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log = state / f"run-{time.monotonic_ns()}.log"
    env = {**os.environ, "SHOP_LOCAL_DIR": str(state), "PYTHONUNBUFFERED": "1"}
    for variable in ENDPOINT_VARIABLES:
        env.pop(variable, None)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local",
                "run",
                "--api-port",
                str(api_port),
                "--moto-port",
                str(moto_port),
                "--seed-products",
                SEED_PRODUCTS,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return process, log


def _wait_seeded(process: subprocess.Popen[bytes], log: Path, api: str) -> None:
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited ({process.returncode}):\n{log.read_text(errors='replace')[-4000:]}")
        try:
            health = requests.get(f"{api}/health", timeout=2).json()
            if health.get("seed") == "done":
                return
            assert health.get("seed") in ("pending", "running", "seeding"), health
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"the demo was not seeded within {READY_S} s:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run_journey(script: str, api: str, state: Path) -> str:
    env = {**os.environ, "SHOP_LOCAL_DIR": str(state)}
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script.replace(README_API, api)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    both = done.stdout + done.stderr
    assert done.returncode == 0, f"the README's commands failed ({done.returncode}):\n{both[-6000:]}"
    assert '"status":5' not in both.replace(" ", ""), f"a 5xx answer:\n{both[-6000:]}"
    return done.stdout  # what the commands print; the last line is the merchandiser's search


def done_lines(output: str) -> list[str]:
    """The journey's printed lines, without blank ones."""
    return [line.strip() for line in output.splitlines() if line.strip()]


def test_the_readme_journey_works_on_make_run_and_again_after_a_restart(tmp_path: Path) -> None:
    # GIVEN the README's "Try it" commands
    blocks = try_it_blocks((REPO_ROOT / "README.md").read_text())
    assert len(blocks) >= 3, "setup, the guest's journey and the merchandiser's"
    script = "\n".join(blocks)
    api_port, moto_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"

    for attempt in ("first start", "after a restart"):
        # WHEN make run has seeded the demo and a newcomer pastes the commands
        process, log = _start(tmp_path, api_port, moto_port)
        try:
            _wait_seeded(process, log, api)
            output = _run_journey(script, api, tmp_path)
        finally:
            _stop(process)

        # THEN the guest's order is paid for and the merchandiser's product is found, with no server error
        assert re.search(r"order ord_\w+: PAYMENT_AUTHORIZED", output), f"{attempt}:\n{output[-6000:]}"
        # (the last line: the search's first hit; the publish answer printed the name already)
        assert done_lines(output)[-1] == "Бездротові навушники Acme Luna", f"{attempt}:\n{output[-6000:]}"
        assert '"status":5' not in output.replace(" ", ""), f"{attempt}: a 5xx answer:\n{output[-6000:]}"
