"""Where a `next=` may send a visitor: a path on this site, read the way a browser reads it.

A browser drops tabs and newlines anywhere in a URL, trims leading and trailing spaces and
controls, and reads `\\` as `/` (the WHATWG URL standard), so `/\\t/evil.example` and
`/\\evil.example` are `//evil.example` to it: another site. The target is normalised that way
first, then checked, and the normalised form is what we redirect to.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_DROPPED = re.compile(r"[\t\n\r]")
_EDGES = "".join(chr(code) for code in range(0x21))  # C0 controls and space, trimmed at both ends


def local_path(target: str | None, default: str | None = "/", prefix: str = "/") -> str | None:
    """`target` if it is a path on this site under `prefix`, else `default`."""
    if not target:
        return default
    normal = _DROPPED.sub("", target).strip(_EDGES).replace("\\", "/")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in normal):
        return default
    parts = urlsplit(normal)
    if parts.scheme or parts.netloc or normal.startswith("//") or not normal.startswith("/"):
        return default
    if not (parts.path == prefix.rstrip("/") or parts.path.startswith(prefix)):
        return default
    return normal
