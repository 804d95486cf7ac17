"""The REST API (/api/v1/): daily costs, developers, alerts and monthly reports as data, per-user API
tokens, and the OpenAPI schema with its docs page."""
