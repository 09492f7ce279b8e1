"""GHN (Giao Hàng Nhanh): one carrier behind the port (catalogue.carriers.port)."""

from catalogue.carriers.ghn.client import GHN, NAME, REQUIRED_SETTINGS, STATUSES, from_config, shop_status

__all__ = ["GHN", "NAME", "REQUIRED_SETTINGS", "STATUSES", "from_config", "shop_status"]
