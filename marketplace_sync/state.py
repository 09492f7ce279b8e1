"""What the worker remembers of each listing it pushed (a cache, never the truth).

Per SKU: external id, the product version and listable state last recorded, and the
price, stock and content fingerprint pushed. It lets a re-run skip what is already in
sync (no marketplace call) and an incremental change send only what changed. When it
is missing or lost, the worker asks the marketplace (find by SKU) instead, so losing
the file costs calls, never duplicates.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


class ListingMemory:
    """SKU → last pushed state, kept in a JSON file (or only in memory when `path` is None)."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.lock = threading.Lock()
        self.entries: dict[str, dict] = {}
        if path is not None and path.exists():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, OSError):
                self.entries = {}  # a damaged cache is only a cache: start over and ask the marketplace

    def get(self, sku: str) -> dict | None:
        return self.entries.get(sku)

    def put(self, sku: str, entry: dict) -> None:
        with self.lock:
            self.entries[sku] = entry
            self._save()

    def forget(self, sku: str) -> None:
        with self.lock:
            if self.entries.pop(sku, None) is not None:
                self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.entries, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)  # atomic: a crash leaves the old file or the new one
