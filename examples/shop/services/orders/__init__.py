"""Orders service: checkout, order lifecycle and order history."""
