"""Marketplace sync, server side: change feed, listing records, cursors, sales, pushes (worker: marketplace_sync)."""
