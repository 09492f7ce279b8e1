"""The shopper's cart: product ids and quantities, priced by the server."""
