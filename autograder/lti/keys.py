"""The tool's RSA key pair: made once, kept private (mode 0600), published as a JWKS.

The platform checks the tool's client assertions (AGS) against this JWKS; the key id is the key's
RFC 7638 thumbprint, so that it changes only with the key.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ALGORITHM = "RS256"


class ToolKey:
    def __init__(self, private_key: rsa.RSAPrivateKey):
        self.private_key = private_key
        self.public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
        self.kid = _thumbprint(self.public_jwk)
        self.public_jwk.update(kid=self.kid, alg=ALGORITHM, use="sig")

    def jwks(self) -> dict:
        return {"keys": [dict(self.public_jwk)]}

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


def _thumbprint(jwk: dict) -> str:
    """RFC 7638: the SHA-256 of the key's required members, base64url without padding."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def load_key(path: Path) -> ToolKey:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise RuntimeError(f"no LTI tool key at {path}: run `python -m autograder lti keys` first") from None
    return ToolKey(serialization.load_pem_private_key(data, password=None))


def create_key(path: Path) -> ToolKey:
    """A new 2048-bit key pair at `path`, readable by its owner only, written whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tool_key.")   # mkstemp: mode 0600 from the start
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ToolKey(key)


def load_or_create_key(path: Path) -> tuple[ToolKey, bool]:
    """The key at `path`, made if there is none; True when it was just made."""
    if Path(path).exists():
        return load_key(path), False
    return create_key(path), True
