"""The local stack: every cloud component of the shop running on one machine, with no AWS account.

moto in server mode stands in for DynamoDB, Streams, EventBridge, SQS, Secrets Manager, Cognito and
Step Functions; a local HTTP server stands in for API Gateway; pollers stand in for the event source
mappings. Everything is created from the specs in ``infra/resources.py`` (see ``provision``), the same
specs the CDK app is built from. Entry point: ``python -m infra.local run`` (``make run``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs built here match the ones moto returns
DEFAULT_STAGE = "local"
REPO_ROOT = Path(__file__).resolve().parents[2]
# Where AWS SDKs send the stack's calls: moto, and moto's tables process for DynamoDB and its streams (the
# variables botocore reads before ``AWS_ENDPOINT_URL``; ``moto_server``).
STREAMS_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB_STREAMS"
TABLES_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", STREAMS_ENDPOINT_VARIABLE)
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", *TABLES_ENDPOINT_VARIABLES)


def ensure_import_paths() -> None:
    """Make ``functions/`` and the kernel layer importable, as the Lambda runtime and pytest do."""
    for path in (REPO_ROOT / "layers" / "kernel" / "python", REPO_ROOT / "functions", REPO_ROOT):
        if str(path) not in sys.path:
            sys.path.append(str(path))


def state_dir() -> Path:
    """Where local state lives (signing keys, later the search index): ``.local/`` or ``$SHOP_LOCAL_DIR``."""
    path = Path(os.environ.get("SHOP_LOCAL_DIR") or REPO_ROOT / ".local")
    path.mkdir(parents=True, exist_ok=True)
    return path
