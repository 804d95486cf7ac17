"""The Celery app. With no REDIS_URL, tasks run in-process (see settings)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "costdash.settings")

app = Celery("costdash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
