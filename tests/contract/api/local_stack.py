"""The local stack as a developer starts it (``python -m infra.local run``), for the API contract suite.

Started in a subprocess on free ports with a small demo catalog, so the fuzzer and the generated client
talk HTTP to the same local gateway a storefront would. Tokens are signed with the key under the
stack's state directory, so ``issue_token`` must run with ``SHOP_LOCAL_DIR`` pointing there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from infra.local import ENDPOINT_VARIABLES, tokens
from infra.local.moto_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
STARTUP_S = 90
ROLES = ("anonymous", "customers", "agents", "merchandisers", "ops")


class StackFailed(RuntimeError):
    """The local stack did not come up; the message carries the tail of its log."""


@dataclass(frozen=True)
class RunningStack:
    api: str
    moto_port: int
    log: Path

    def output_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def auth_headers(self, role: str) -> dict[str, str]:
        """``Authorization`` for a Cognito group, none for ``anonymous``."""
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {tokens.issue_token(role)}"}


def _wait_ready(process: subprocess.Popen[bytes], api: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackFailed(
                f"the stack exited ({process.returncode}):\n{log.read_text(errors='replace')[-4000:]}"
            )
        try:
            health = requests.get(f"{api}/health", timeout=2).json()
        except (requests.RequestException, ValueError):
            health = {}
        # Seeded, and every function loaded: the ones the seed never reaches load once it is over.
        if health.get("seed") not in (None, "pending") and health.get("stack") not in (None, "starting"):
            not_ready = {name: state for name, state in health["functions"].items() if state != "ready"}
            if not_ready:
                raise StackFailed(f"functions did not load: {not_ready}")
            return
        time.sleep(0.25)
    raise StackFailed(f"no healthy /health within {STARTUP_S} s:\n{log.read_text(errors='replace')[-4000:]}")


@contextmanager
def local_stack(state: Path, seed_products: int = 20) -> Iterator[RunningStack]:
    """Runs the stack with its state (keys, search index) under ``state``; stops it with SIGINT."""
    state.mkdir(parents=True, exist_ok=True)
    api_port, moto_port, stripe_port = free_port(), free_port(), free_port()
    log = state / "stack.log"
    env = {**os.environ, "SHOP_LOCAL_DIR": str(state), "PYTHONUNBUFFERED": "1"}
    for variable in ENDPOINT_VARIABLES:
        env.pop(variable, None)
    previous = os.environ.get("SHOP_LOCAL_DIR")
    os.environ["SHOP_LOCAL_DIR"] = str(state)  # tokens signed here are the ones the stack trusts
    tokens._load_private_key.cache_clear()
    command = [
        sys.executable,
        "-m",
        "infra.local",
        "run",
        "--api-port",
        str(api_port),
        "--moto-port",
        str(moto_port),
        "--stripe-port",
        str(stripe_port),
        "--seed-products",
        str(seed_products),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{api_port}"
    try:
        _wait_ready(process, api, log)
        yield RunningStack(api=api, moto_port=moto_port, log=log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        tokens._load_private_key.cache_clear()
        if previous is None:
            os.environ.pop("SHOP_LOCAL_DIR", None)
        else:
            os.environ["SHOP_LOCAL_DIR"] = previous
