"""Masking credentials inside URLs (`https://user:pass@host`, `?api_key=...`) before they are logged.

`SecretStr` masks a whole setting; a plain `url` setting can still carry a password or a key, and it is
logged at start-up (the settings dump) and in backend log lines.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
#: Query parameters whose values are credentials (matched case-insensitively, as names or name suffixes).
_SECRET_PARAM = re.compile(
    r"(?i)(^|[_-])(key|api[_-]?key|token|access[_-]?token|password|passwd|secret|sig|signature|auth)$"
)


def redact_url(url: str) -> str:
    """`url` with the password (or a lone user token) of its userinfo and credential query values masked
    (pure); text that is not a URL comes back unchanged."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if sep else f"{MASK}@{host}"
    query = "&".join(
        f"{name}={MASK}" if sep and _SECRET_PARAM.search(name) else f"{name}{sep}{value}"
        for name, sep, value in (p.partition("=") for p in parts.query.split("&"))
    ) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_urls(value: Any) -> Any:
    """A JSON-like dump with `redact_url` applied to every string in it (pure)."""
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, dict):
        return {k: redact_urls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_urls(v) for v in value]
    return value
