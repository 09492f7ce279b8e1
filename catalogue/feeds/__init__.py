"""Pull feeds (HTTP) for marketplaces that fetch: Google Merchant Center XML and CSV."""

from catalogue.feeds.google import feeds

__all__ = ["feeds"]
