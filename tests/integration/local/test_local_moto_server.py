"""The moto server wrapper: ports, the AWS environment it exports, Step Functions execution switched on."""

from __future__ import annotations

import socket

import boto3
import pytest
import requests
from moto.core.config import default_user_config

from infra.local import moto_patches
from infra.local.moto_server import (
    MotoServer,
    PortInUse,
    aws_environment,
    choose_port,
    free_port,
    port_is_free,
)


def test_a_busy_requested_port_fails_with_a_clear_message() -> None:
    # GIVEN a port someone holds
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]

        # WHEN / THEN the developer is told what to do
        with pytest.raises(PortInUse, match=f"port {busy} for moto is in use"):
            choose_port(busy, 5000, "moto")
        # AND without an explicit port a free one is chosen instead of the busy default
        chosen = choose_port(None, busy, "moto")
        assert chosen != busy
        assert port_is_free(chosen)


def test_the_server_exports_its_endpoint_and_runs_state_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the variables the server exports are restored after the test
    port = free_port()
    for name in aws_environment(port):
        monkeypatch.setenv(name, "before")
    server = MotoServer(port)
    previous = None

    # WHEN it starts
    server.start()
    try:
        previous = {"stepfunctions": {"execute_state_machine": False}}

        # THEN every AWS client in the process reaches it, and the interpreter is on
        # (GET /moto-api/config does not report stepfunctions, so read moto's config itself)
        assert default_user_config["stepfunctions"]["execute_state_machine"] is True
        sqs = boto3.client("sqs")
        sqs.create_queue(QueueName="reached-moto")
        assert sqs.meta.endpoint_url == f"http://127.0.0.1:{port}"
        assert any(url.endswith("/reached-moto") for url in sqs.list_queues()["QueueUrls"])
    finally:
        if previous:
            requests.post(f"{server.url}/moto-api/config", json=previous, timeout=60)
        server.stop()
        moto_patches.uninstall()

    # AND stopping frees the port at once
    assert port_is_free(port)
