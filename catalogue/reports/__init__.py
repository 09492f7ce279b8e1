"""The office's and the producers' figures: SQL aggregates, charts and exports (issue 12)."""
