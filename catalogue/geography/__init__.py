"""Where products come from: Quảng Ninh's localities."""
