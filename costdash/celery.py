"""The Celery app. With no REDIS_URL, tasks run in-process, except in a worker (see settings).

Loaded by `celery -A costdash` and by every tasks module (they import ``shared_task`` from here, so a task is
never used before its app exists), not when Django starts: a command that queues no task never imports Celery.
The project's handlers of Celery's signals are connected as it loads (costdash.lib.celery_signals)."""
import os

from celery import Celery, shared_task
from celery.signals import beat_init, celeryd_init

from costdash.lib.celery_signals import celery_loaded

__all__ = ["app", "shared_task"]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "costdash.settings")

app = Celery("costdash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
@beat_init.connect
def _queue_from_workers(conf=None, **kwargs) -> None:
    """A worker or beat sends what it queues to the broker, never running it in-process: without REDIS_URL
    the web server and commands run tasks in-process, but the embedded worker (run_embedded) and its beat take
    them from, and put them on, the folder broker exactly as production's do on Redis. (celeryd_init passes
    the worker's conf; beat_init passes none: it is this app's.)"""
    (conf or app.conf).task_always_eager = False


celery_loaded()
