"""cfn-lint on every synthesised template of both stages: no errors (warnings are reported, not fatal)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from infra.resources import CONTEXTS
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("synth")


def test_templates_have_no_cfn_lint_errors(stage_synth: Synthesized) -> None:
    # GIVEN the stage's templates on disk: stateful, services and one per context
    templates = sorted(Path(stage_synth.outdir).glob("*.template.json"))
    assert len(templates) == 2 + len(CONTEXTS)
    for template in templates:
        # WHEN cfn-lint checks them for the stage's region
        matches = lint_file(template, config=ManualArgs(regions=["eu-west-1"]))
        errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]
        warnings = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("W")]
        if warnings:
            print(f"{template.name}: {len(warnings)} warning(s):", *warnings, sep="\n  ")
        # THEN there is no error
        assert errors == [], template.name
