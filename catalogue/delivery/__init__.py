"""Delivery: an order ships as one parcel per producer, priced by where it goes (contract §8)."""
