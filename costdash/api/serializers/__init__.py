"""Read-only serializers of the selectors' rows (dicts and dataclasses), one module per area."""
