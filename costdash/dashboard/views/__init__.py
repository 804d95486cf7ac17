"""Dashboard pages, one module per page (thin function views over selectors and charts)."""
