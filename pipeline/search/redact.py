"""Keep secrets out of every message: API keys replaced by '***', URLs stripped of credentials."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every non-empty secret replaced by '***'."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def public_url(url: str) -> str:
    """`url` without query, fragment or user info (so no key or password is ever logged), ending in '/'."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, netloc, path, "", ""))
