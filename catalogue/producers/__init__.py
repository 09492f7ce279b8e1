"""Producers: the companies, cooperatives and households that make OCOP products."""
