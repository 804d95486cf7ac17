"""The Celery broker as the health check and /metrics see it: reachable, and how many tasks wait.

Read from settings.CELERY_BROKER_URL at each call: Redis (REDIS_URL) is pinged and its queue's lists counted
(LLEN); the embedded default's folder broker (kombu's filesystem transport) is a folder whose message files
are counted; an in-memory broker (tests) is always up. Nothing here ever names the broker's address: errors are
reported by their class only (a Redis URL may hold a password).
"""
from __future__ import annotations

from dataclasses import dataclass
import os

from django.conf import settings

TIMEOUT_SECONDS = 1.0  # connect and answer: a load balancer's probe must not hang on a dead broker
REDIS_PRIORITY_STEPS = (0, 3, 6, 9)  # kombu's Redis transport keeps one list per priority step
REDIS_PRIORITY_SEP = "\x06\x16"


@dataclass(frozen=True)
class BrokerState:
    kind: str  # "redis", "folder", "memory" or "other"
    reachable: bool
    queue_depth: int | None  # tasks waiting in the default queue; None when not known
    error: str = ""  # the exception's class, never its text


def queue_name() -> str:
    return settings.CELERY_TASK_DEFAULT_QUEUE


def broker_state() -> BrokerState:
    """Ping the broker and count the default queue's waiting tasks, within TIMEOUT_SECONDS."""
    url = settings.CELERY_BROKER_URL
    scheme = url.partition("://")[0].lower()
    if scheme in ("redis", "rediss"):
        return _redis_state(url)
    if scheme == "filesystem":
        return _folder_state()
    if scheme == "memory":
        return BrokerState("memory", True, None)
    return BrokerState("other", True, None)  # not checked (no other broker is configured by costdash)


def _redis_state(url: str) -> BrokerState:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        pipe = client.pipeline(transaction=False)
        for step in REDIS_PRIORITY_STEPS:
            pipe.llen(queue_name() + (f"{REDIS_PRIORITY_SEP}{step}" if step else ""))
        depth = sum(pipe.execute())
    except redis.RedisError as exc:
        return BrokerState("redis", False, None, type(exc).__name__)
    finally:
        client.close()
    return BrokerState("redis", True, depth)


def _folder_state() -> BrokerState:
    folder = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("data_folder_in", "")
    if not folder or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        return BrokerState("folder", False, None, "FolderMissing")
    ending = f".{queue_name()}.msg"
    try:
        depth = sum(1 for entry in os.scandir(folder) if entry.name.endswith(ending))
    except OSError as exc:
        return BrokerState("folder", False, None, type(exc).__name__)
    return BrokerState("folder", True, depth)
