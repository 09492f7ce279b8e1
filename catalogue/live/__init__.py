"""Live selling: a producer's (or the office's) livestream session with pinned products, its page and figures."""
