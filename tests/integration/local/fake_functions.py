"""A tiny stand-in for an API function, so the local gateway is tested without any real context.

``echo`` answers like a Powertools resolver would: JSON with the event it received, an OpenAPI document
at ``/<prefix>/openapi.json``, a base64 body for ``/binary`` and a crash for ``/boom``. ``environment``
and ``crash`` run in worker processes: they answer with what their process sees, or end it.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

LAST_EVENTS: list[dict[str, Any]] = []

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "fake", "version": "1"},
    "paths": {
        "/fake/things": {"get": {"operationId": "list_things", "responses": {"200": {"description": "ok"}}}},
        "/admin/fake/things": {
            "post": {"operationId": "create_thing", "responses": {"201": {"description": "ok"}}}
        },
    },
    "components": {"schemas": {"Thing": {"type": "object"}}},
}


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    LAST_EVENTS.append(event)
    path = event["path"]
    if path.endswith("/openapi.json"):
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(OPENAPI),
        }
    if path.endswith("/own-cors"):
        # A function that sets CORS itself (the kernel does from CORS_ALLOW_ORIGINS): the gateway adds nothing.
        return {
            "statusCode": 200,
            "headers": {
                "Content-Type": "application/json",
                "Access-Control-Allow-Origin": "http://localhost:5173",
                "Access-Control-Expose-Headers": "ETag",
                "Vary": "Accept-Language",
                "X-Request-Id": event["requestContext"]["requestId"],
            },
            "body": "{}",
        }
    if path.endswith("/boom"):
        raise RuntimeError("the fake function crashed")
    if path.endswith("/binary"):
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(b"\x00\xff\x10").decode(),
            "isBase64Encoded": True,
        }
    body = {
        "path": path,
        "function": context.function_name,
        "remainingMs": context.get_remaining_time_in_millis(),
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Single": "one"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def environment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the environment it runs in and its process id (for the isolation tests)."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"environment": dict(os.environ), "pid": os.getpid()}),
    }


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Exits its process without answering when asked to, as a segfault or an OOM kill would; else its pid."""
    if event.get("crash"):
        os._exit(3)
    time.sleep(event.get("sleep", 0))
    if event.get("raise"):
        raise LookupError("the fake function looked for nothing")
    print(json.dumps({"level": "INFO", "message": "crash served", "pid": os.getpid()}))
    return {"pid": os.getpid()}


def read_table(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reads one item through the kernel's client, as every adapter does; a ClientError it handles as
    adapters do (its code), anything else it raises."""
    from botocore.exceptions import ClientError

    from shop_kernel import aws

    try:
        item = aws.client("dynamodb").get_item(TableName=event["table"], Key={"pk": {"S": event["pk"]}})
    except ClientError as error:
        if event.get("handle"):
            return {"error": error.response["Error"]["Code"]}
        raise
    return {"item": item.get("Item")}
