"""Stage settings from cdk.json: both stages load, and a mistake fails at synth, not at deploy."""

from __future__ import annotations

import pytest

from infra.stages import StageConfig, cdk_json_context, load_stage


def test_dev_and_prod_load_with_production_protections_only_in_prod() -> None:
    # GIVEN cdk.json's stages
    stages = cdk_json_context()["stages"]
    # WHEN both are loaded
    dev = load_stage("dev", stages)
    prod = load_stage("prod", stages, alarm_email="alarms@shop.example")
    # THEN only prod retains data and protects users and the API
    assert (dev.is_production, prod.is_production) == (False, True)
    assert prod.threat_protection
    assert prod.waf
    assert prod.log_retention_days >= dev.log_retention_days


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("logRetentionDays", 10, "logRetentionDays"),
        ("removalPolicy", "snapshot", "removalPolicy"),
        ("logLevel", "TRACE", "logLevel"),
        ("eventArchiveRetentionDays", 0, "eventArchiveRetentionDays"),
    ],
)
def test_invalid_stage_settings_are_refused(field: str, value: object, message: str) -> None:
    # GIVEN dev's settings with one mistake
    raw = {**cdk_json_context()["stages"]["dev"], field: value}
    # WHEN / THEN loading names the setting
    with pytest.raises(ValueError, match=message):
        StageConfig.from_context("dev", raw)


def test_unknown_stage_is_refused() -> None:
    # GIVEN / WHEN / THEN a stage cdk.json does not define
    with pytest.raises(ValueError, match="unknown stage 'qa'"):
        load_stage("qa", cdk_json_context()["stages"])
