"""Operations: when the schedule last showed it is alive."""
from django.db import models


class Heartbeat(models.Model):
    """The last sign of life of one part of the install: "beat" (it published the heartbeat task) or
    "worker" (a worker ran it). Written every COSTDASH_HEARTBEAT_SECONDS; read by the health check."""

    name = models.CharField(max_length=20, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
