"""Orders: checkout, stock reservation, payment state from signed webhooks."""
