"""Locally signed Cognito-like ID tokens, and their validation as the API Gateway authorizer does it.

The cloud API validates Cognito ID tokens (RS256, issuer = the user pool, audience = the app client,
``token_use`` = ``id``) and hands the claims to the function as strings. Locally the key pair is made
once under ``.local/keys/`` and tokens carry the same claims, so a handler cannot tell the difference.
``python -m infra.local token --role merchandisers`` prints one (``make token ROLE=...``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from infra.local import REGION, state_dir
from infra.resources import COGNITO_GROUPS

LOCAL_USER_POOL_ID = f"{REGION}_shoplocal"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{LOCAL_USER_POOL_ID}"
AUDIENCE = "shop-local-web"
DEFAULT_TTL_S = 12 * 3600
_KEY_FILE = "jwt-signing-key.pem"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged, expired or meant for someone else."""


def _keys_dir() -> Path:
    path = state_dir() / "keys"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_new_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.write(fd, pem)
        os.close(fd)
        os.chmod(tmp, 0o600)
        # link() fails if another process won the race; then both use the winner's key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


@lru_cache(maxsize=4)
def _load_private_key(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        _write_new_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidToken(f"{path} does not hold an RSA key; delete it to make a new one")
    return key


def signing_key() -> rsa.RSAPrivateKey:
    return _load_private_key(_keys_dir() / _KEY_FILE)


def _key_id(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")


def role_subject(role: str) -> str:
    """The stable subject of the local user in ``role`` (so data made with one token is seen with the next)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://shop.local/users/{role}"))


def issue_token(
    role: str,
    *,
    subject: str | None = None,
    email: str | None = None,
    ttl_s: int = DEFAULT_TTL_S,
    now: float | None = None,
) -> str:
    """An ID token for a user in the ``role`` group, shaped like one from the Cognito user pool."""
    if role not in COGNITO_GROUPS:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(COGNITO_GROUPS)}")
    issued = int(now if now is not None else time.time())
    sub = subject or role_subject(role)
    claims = {
        "sub": sub,
        "email": email or f"{role}@shop.local",
        "email_verified": True,
        "cognito:username": sub,
        "cognito:groups": [role],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "auth_time": issued,
        "iat": issued,
        "exp": issued + ttl_s,
        "jti": str(uuid.uuid4()),
    }
    key = signing_key()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": _key_id(key)})


def verify_token(token: str) -> dict[str, Any]:
    """The token's claims if it is a valid local ID token; ``InvalidToken`` says why not otherwise."""
    public_key = signing_key().public_key()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss", "aud", "token_use"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is not valid: {exc}") from exc
    if claims.get("token_use") != "id":
        raise InvalidToken("an ID token is required")
    return claims


def _cognito_date(epoch: Any) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as the REST API Cognito authorizer passes them: every value a string."""
    rendered: dict[str, str] = {}
    for name, value in claims.items():
        if name in ("exp", "iat"):
            rendered[name] = _cognito_date(value)
        elif isinstance(value, bool):
            rendered[name] = str(value).lower()
        elif isinstance(value, list | tuple):
            rendered[name] = ",".join(str(v) for v in value)
        else:
            rendered[name] = str(value)
    return rendered
