"""Viettel Post: one carrier behind the port (catalogue.carriers.port)."""

from catalogue.carriers.viettelpost.client import (
    NAME,
    REQUIRED_SETTINGS,
    STATUSES,
    ViettelPost,
    from_config,
    shop_status,
)

__all__ = ["NAME", "REQUIRED_SETTINGS", "STATUSES", "ViettelPost", "from_config", "shop_status"]
