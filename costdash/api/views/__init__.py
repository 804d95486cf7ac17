"""API views (thin: filters in, selectors, serializers out), one module per area."""
