"""Writing results: one JSON file per benchmark plus the summary table in bench/README.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).parent / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "commit": commit,
        "at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def write(name: str, figures: dict[str, Any], summary: list[tuple[str, str, str]]) -> Path:
    """Store ``figures`` and the human summary rows (metric, value, target/comment)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "environment": machine(), "figures": figures, "summary": summary}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


def render_readme() -> None:
    """Rebuild the results section of bench/README.md from every results file."""
    lines = [BEGIN, ""]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        env = data["environment"]
        lines.append(f"### {data['benchmark']}")
        lines.append("")
        lines.append(
            f"Measured {env['at']} at commit `{env['commit']}` on {env['cpus']} CPUs ({env['machine']}), "
            f"Python {env['python']}. Raw figures: `bench/results/{path.name}`."
        )
        lines.append("")
        lines.append("| metric | value | target / note |")
        lines.append("|---|---|---|")
        lines.extend(f"| {m} | {v} | {t} |" for m, v, t in data["summary"])
        lines.append("")
    lines.append(END)
    text = README.read_text() if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    README.write_text(head + "\n".join(lines) + tail)
