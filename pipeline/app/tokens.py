"""Secret links for team use: one random token per person, stored hashed in outputs/app/tokens.json (0600).

A token is printed once, when it is made; the file keeps only its SHA-256, so reading the file does
not give anyone a link. Revoking deletes the entry; the running server re-reads the file whenever it
changes, so a revoked link stops working at once. The file also holds the key CSRF tokens are
derived from, so pages stay valid across a restart of the server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

from pipeline.app.sheet import Stamp
from pipeline.errors import InputError
from pipeline.files import write_text_atomic

MODE = 0o600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    """The token file: person -> token hash, and the CSRF key."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.stamp: Stamp | None = None
        self._read()

    def _read(self) -> None:
        self.stamp = Stamp.of(self.path)
        if self.stamp is None:
            self.data: dict = {"csrf_key": secrets.token_hex(32), "tokens": {}}
            return
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
            assert isinstance(self.data.get("tokens"), dict) and isinstance(self.data.get("csrf_key"), str)
        except (ValueError, AssertionError):
            raise InputError.one(self.path, "not a token file the app wrote; move it away to start with new tokens") from None

    def _save(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n", mode=MODE)
        self.stamp = Stamp.of(self.path)

    def refresh(self) -> None:
        """Re-read the file when it changed (a revocation from the command line)."""
        if Stamp.of(self.path) != self.stamp:
            self._read()

    @property
    def names(self) -> list[str]:
        return sorted(self.data["tokens"])

    def issue(self, name: str) -> str:
        """A new token for `name` (replacing any old one); returned once, stored only as its hash."""
        token = secrets.token_urlsafe(24)
        self.refresh()
        self.data["tokens"][name] = {"sha256": _hash(token), "issued": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        self._save()
        return token

    def revoke(self, name: str) -> bool:
        """Delete `name`'s token; False when they had none."""
        self.refresh()
        if self.data["tokens"].pop(name, None) is None:
            return False
        self._save()
        return True

    def who(self, token: str | None) -> str | None:
        """The person a token belongs to, or None (compared in constant time)."""
        if not token:
            return None
        self.refresh()
        digest = _hash(token)
        found = None
        for name, entry in self.data["tokens"].items():
            if hmac.compare_digest(str(entry.get("sha256", "")), digest):
                found = name
        return found

    def ensure_saved(self) -> None:
        """Write the file (with the CSRF key) if it does not exist yet, mode 0600."""
        if self.stamp is None:
            self._save()

    def csrf(self, name: str) -> str:
        """The CSRF token of `name`'s pages: an HMAC of their name under the file's key."""
        return hmac.new(bytes.fromhex(self.data["csrf_key"]), name.encode("utf-8"), hashlib.sha256).hexdigest()
