"""``python -m infra.local run | token``: the local stack's command line (``make run``, ``make token``)."""

from __future__ import annotations

import argparse
import faulthandler
import logging
import signal
import sys
import threading
from types import FrameType

from infra.local import DEFAULT_STAGE, console, state_dir
from infra.local.moto_server import PortInUse
from infra.local.runner import LocalStack, Options
from infra.local.stripe_wiring import StripeSetupError
from infra.local.tokens import DEFAULT_TTL_S, issue_token
from infra.resources import COGNITO_GROUPS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="start moto, the Stripe stand-in, the local API and the pollers; seed the demo catalog"
    )
    run.add_argument("--stage", default=DEFAULT_STAGE)
    run.add_argument("--api-port", type=int, default=None, help="default 3000 (or a free port if busy)")
    run.add_argument("--moto-port", type=int, default=None, help="default 5000 (or a free port if busy)")
    run.add_argument(
        "--stripe-port",
        type=int,
        default=None,
        help="the Stripe stand-in's; default 12111 (or a free port if busy)",
    )
    run.add_argument("--no-seed", action="store_true", help="start with empty tables")
    run.add_argument("--seed-products", type=int, default=240, help="how many demo products to seed")
    run.add_argument(
        "--json-logs",
        action="store_true",
        help="print every log line as JSON (the functions' Powertools logs and metrics included) instead of "
        "one readable line per request and per event",
    )
    run.add_argument(
        "--keep-event-log",
        action="store_true",
        help="leave domain events on the event-log queue instead of printing (and consuming) them",
    )

    token = commands.add_parser("token", help="print a locally signed bearer token")
    token.add_argument("--role", choices=COGNITO_GROUPS, default="merchandisers")
    token.add_argument("--subject", default=None, help="the user's sub claim (stable per role by default)")
    token.add_argument("--email", default=None)
    token.add_argument("--hours", type=float, default=DEFAULT_TTL_S / 3600)
    return parser


def _run(args: argparse.Namespace) -> int:
    function_log = console.configure(args.json_logs, state_dir() / "logs")
    if function_log is not None:
        logging.getLogger("infra.local").info(
            "functions' JSON logs and metrics go to %s (--json-logs prints them here)", function_log
        )
    stop = threading.Event()

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("infra.local").info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    # `kill -USR1 <pid>` prints every thread's stack: the way to see what a stuck local stack is doing.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    options = Options(
        stage=args.stage,
        api_port=args.api_port,
        moto_port=args.moto_port,
        stripe_port=args.stripe_port,
        seed=not args.no_seed,
        seed_products=args.seed_products,
        print_event_log=not args.keep_event_log,
    )
    stack = LocalStack(options)
    try:
        stack.start()
        # Seed in the background so Ctrl-C during a long seed still stops at once.
        seeding = threading.Thread(target=stack.seed, name="seed", daemon=True)
        seeding.start()
        announced = False
        while not stop.wait(0.5):
            if not announced and not seeding.is_alive():
                if args.json_logs:
                    logging.getLogger("infra.local").info("ready", extra={"banner": stack.banner()})
                else:
                    print(stack.banner(), flush=True)
                announced = True
    except (PortInUse, StripeSetupError) as exc:
        logging.getLogger("infra.local").error("%s", exc)
        return 2
    finally:
        stack.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "token":
        print(issue_token(args.role, subject=args.subject, email=args.email, ttl_s=int(args.hours * 3600)))
        return 0
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
