"""moto in server mode on 127.0.0.1, and the environment that points every AWS client at it.

Handlers keep their cloud code: boto3 reads ``AWS_ENDPOINT_URL``. ``MOTO_PORT`` is set too because
moto's Step Functions interpreter calls back into the server on that port.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import requests
from moto.server import ThreadedMotoServer

from infra.local import REGION, moto_patches

log = logging.getLogger("infra.local.moto")

DEFAULT_MOTO_PORT = 5000
HOST = "127.0.0.1"


class PortInUse(RuntimeError):
    pass


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def choose_port(requested: int | None, default: int, what: str) -> int:
    """``requested`` if free (else ``PortInUse``); with none requested, ``default`` or any free port."""
    if requested is not None:
        if not port_is_free(requested):
            raise PortInUse(f"port {requested} for {what} is in use: stop what holds it or pass another port")
        return requested
    if port_is_free(default):
        return default
    chosen = free_port()
    log.warning("port %d for %s is in use; using %d instead", default, what, chosen)
    return chosen


def aws_environment(port: int) -> dict[str, str]:
    """Dummy credentials, the local region and the moto endpoint for every AWS SDK in the process."""
    return {
        "AWS_ENDPOINT_URL": f"http://{HOST}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "MOTO_PORT": str(port),
    }


class MotoServer:
    """A moto server thread; ``start`` also exports the AWS environment and enables Step Functions."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        if not port_is_free(self.port):
            raise PortInUse(f"port {self.port} for moto is in use")
        # MOTO_PORT first: moto reads it when the Step Functions interpreter calls back.
        os.environ.update(aws_environment(self.port))
        moto_patches.install()
        self._server.start()
        self._configure({"stepfunctions": {"execute_state_machine": True}})
        log.info("moto server on %s", self.url)

    def _configure(self, config: dict[str, Any]) -> None:
        response = requests.post(f"{self.url}/moto-api/config", json=config, timeout=10)
        response.raise_for_status()

    def stop(self) -> None:
        self._server.stop()
        # ThreadedMotoServer.stop() only shuts the loop down; close the socket so the port is free now.
        inner = getattr(self._server, "_server", None)
        if inner is not None:
            inner.server_close()
