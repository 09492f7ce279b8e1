"""Traceability: production lots, their QR stamps (GS1 Digital Link) and the public origin page."""
