"""The catalogue: OCOP products, their ratings, search."""
