from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "costdash.ingest"
    label = "ingest"
