"""Stage settings (``dev``, ``prod``): what differs between deployments of the same app.

The values live in ``cdk.json`` under ``context.stages.<stage>`` so operators change a stage without
touching code; the stage is picked with ``--context stage=<name>``. Everything that does not differ
between stages stays in ``infra/resources.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"
DEFAULT_STAGE = "dev"
CORS_ENV = "CORS_ALLOW_ORIGINS"  # the API functions' allowed origins, read by shop_kernel.cors

# CloudWatch Logs accepts only these retention periods; a typo in cdk.json should fail synth, not deploy.
_RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
_REMOVAL: dict[str, RemovalPolicy] = {"destroy": RemovalPolicy.DESTROY, "retain": RemovalPolicy.RETAIN}


@dataclass(frozen=True)
class StageConfig:
    """One stage's settings, validated when the app starts."""

    name: str
    region: str | None
    account: str | None
    log_retention_days: int
    log_level: str
    removal: str
    event_archive_retention_days: int
    alarm_email: str | None
    threat_protection: bool
    waf: bool
    cors_allow_origins: tuple[str, ...]

    @property
    def cors_env(self) -> str:
        """``CORS_ALLOW_ORIGINS`` for the API functions (``shop_kernel.cors`` reads it)."""
        return ",".join(self.cors_allow_origins)

    @property
    def is_production(self) -> bool:
        # Production keeps data when a stack is deleted and refuses accidental table deletion.
        return self.removal == "retain"

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION[self.log_retention_days]

    @property
    def removal_policy(self) -> RemovalPolicy:
        return _REMOVAL[self.removal]

    @classmethod
    def from_context(cls, name: str, raw: dict[str, Any]) -> StageConfig:
        config = cls(
            name=name,
            region=raw.get("region"),
            account=raw.get("account"),
            log_retention_days=int(raw["logRetentionDays"]),
            log_level=str(raw.get("logLevel", "INFO")).upper(),
            removal=str(raw.get("removalPolicy", "retain")).lower(),
            event_archive_retention_days=int(raw["eventArchiveRetentionDays"]),
            alarm_email=raw.get("alarmEmail") or None,
            threat_protection=bool(raw.get("threatProtection", True)),
            waf=bool(raw.get("waf", True)),
            cors_allow_origins=tuple(raw.get("corsAllowOrigins", ())),
        )
        config._validate()
        return config

    def _validate(self) -> None:
        where = f"cdk.json context.stages.{self.name}"
        if self.log_retention_days not in _RETENTION:
            allowed = ", ".join(str(days) for days in _RETENTION)
            raise ValueError(f"{where}.logRetentionDays must be one of {allowed}")
        if self.removal not in _REMOVAL:
            raise ValueError(f"{where}.removalPolicy must be 'destroy' or 'retain'")
        if self.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"{where}.logLevel must be DEBUG, INFO, WARNING or ERROR")
        if self.is_production and not self.alarm_email:
            # An alarm nobody receives is no alarm; the address is the operator's, so it is not committed.
            raise ValueError(
                f"{where}.alarmEmail is required for a production stage: pass --context alarmEmail=<address> "
                f"(make synth ALARM_EMAIL=<address>) or set it in cdk.json"
            )
        if self.alarm_email is not None and "@" not in self.alarm_email:
            raise ValueError(f"{where}.alarmEmail must be an email address")
        if not 0 < self.event_archive_retention_days <= 3650:
            raise ValueError(f"{where}.eventArchiveRetentionDays must be between 1 and 3650")
        for origin in self.cors_allow_origins:
            # API Gateway's preflight compares origins exactly; port patterns are the local stack's.
            if (
                not origin.startswith(("https://", "http://"))
                or origin.endswith(("/", ":*"))
                or "*" in origin
            ):
                raise ValueError(
                    f"{where}.corsAllowOrigins: {origin!r} must be an exact origin, e.g. https://shop.example"
                )


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` block of ``cdk.json``: stages and feature flags, also for tests that skip the CLI."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def load_stage(name: str, stages: dict[str, Any], *, alarm_email: str | None = None) -> StageConfig:
    """``stages[name]``; ``alarm_email`` (``--context alarmEmail=...``) overrides the stage's own address."""
    if name not in stages:
        raise ValueError(f"unknown stage {name!r}: cdk.json defines {', '.join(sorted(stages))}")
    raw = {**stages[name], "alarmEmail": alarm_email} if alarm_email else stages[name]
    return StageConfig.from_context(name, raw)
