"""costdash. The Celery app is loaded when Django starts (costdash.rollups.apps), not on import of
this package, so processes that only parse (import workers) start without it."""
