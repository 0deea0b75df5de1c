"""Runs in a fresh interpreter: import one handler, serve one event, report what it cost.

Usage: ``python bench/cold_child.py <module.path.handler> <event.json>``. Prints one JSON line.
"""

import time

_T0 = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

# Python puts this script's directory (bench/) first on sys.path; a benchmark module there must not
# shadow the function package of the same name (bench/checkout.py vs functions/checkout).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

FORBIDDEN = ("stripe", "opensearchpy", "s3transfer", "boto3", "aws_xray_sdk")


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "bench-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


def main() -> None:
    handler_path, event_path = sys.argv[1], sys.argv[2]
    with open(event_path, encoding="utf-8") as fh:
        event = json.load(fh)
    module_name, func_name = handler_path.rsplit(".", 1)
    before_import = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), func_name)
    imported = time.perf_counter()
    response = handler(event, _Context())
    served = time.perf_counter()
    print(
        json.dumps(
            {
                "status": response.get("statusCode") if isinstance(response, dict) else None,
                "startup_ms": round((before_import - _T0) * 1000, 1),
                "import_ms": round((imported - before_import) * 1000, 1),
                "first_event_ms": round((served - imported) * 1000, 1),
                "modules": len(sys.modules),
                "forbidden_modules": sorted(m for m in FORBIDDEN if m in sys.modules),
            }
        )
    )


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    # Lambda freezes the environment after the response; it never tears the interpreter down, so the
    # (module-count proportional) interpreter shutdown is not part of a cold start.
    os._exit(0)
