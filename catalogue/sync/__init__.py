"""Marketplace sync: the change feed and listing state (server side), and the sync worker (client side)."""
