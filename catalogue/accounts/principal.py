"""The caller of a request, as services see it: plain values, no Flask."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is acting and what they may do (a token's scopes, or a signed-in role's)."""

    user_id: int | None
    role: str
    producer_id: int | None
    scopes: frozenset[str]
    label: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and "admin" in self.scopes

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    def owns_producer(self, producer_id: int) -> bool:
        return self.producer_id is not None and self.producer_id == producer_id


SYSTEM = Principal(
    user_id=None,
    role="admin",
    producer_id=None,
    scopes=frozenset({"admin", "catalogue:write", "orders:read", "sync"}),
    label="system (CLI)",
)
