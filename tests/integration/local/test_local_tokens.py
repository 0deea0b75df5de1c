"""``python -m infra.local token --role <group>`` prints a token the local gateway accepts."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from infra.local import tokens
from infra.local.__main__ import main


@pytest.mark.parametrize("role", ["customers", "agents", "merchandisers", "ops"])
def test_the_token_command_prints_a_12_hour_id_token_for_the_role(
    role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN / WHEN
    before = int(time.time())
    assert main(["token", "--role", role]) == 0
    after = time.time()
    token = capsys.readouterr().out.strip()

    # THEN it validates locally and carries the group; it expires 12 hours after it was issued (however
    # long issuing took: the first token of a run also makes the signing key)
    claims = tokens.verify_token(token)
    assert claims["cognito:groups"] == [role]
    assert claims["token_use"] == "id"
    assert before <= claims["iat"] <= after
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_an_unknown_role_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN / WHEN / THEN
    with pytest.raises(SystemExit):
        main(["token", "--role", "admins"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_key_pair_is_made_once_and_reused(local_state: Path) -> None:
    # GIVEN a token issued with a fresh key
    token = tokens.issue_token("ops")
    key_file = local_state / "keys" / "jwt-signing-key.pem"
    first = key_file.read_bytes()

    # WHEN the process forgets its cached key and issues another
    tokens._load_private_key.cache_clear()
    tokens.issue_token("ops")

    # THEN the same key signs, so earlier tokens stay valid
    assert key_file.read_bytes() == first
    assert tokens.verify_token(token)["sub"]
    assert key_file.stat().st_mode & 0o077 == 0


def test_the_subject_is_stable_per_role_so_data_survives_new_tokens() -> None:
    # GIVEN / WHEN
    first = tokens.verify_token(tokens.issue_token("customers"))
    second = tokens.verify_token(tokens.issue_token("customers"))
    other = tokens.verify_token(tokens.issue_token("agents"))

    # THEN
    assert first["sub"] == second["sub"] != other["sub"]
