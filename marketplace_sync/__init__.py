"""The marketplace sync worker: a client of the catalogue's HTTP API only, never of its code or database.

It reads the change feed, keeps Shopee, Lazada and TikTok Shop in step, records each listing's state
through the API and imports marketplace orders. It never imports `catalogue` (an
import-linter contract in pyproject.toml, run by `make lint`).
"""
