"""Copies of a request reported for someone other than the person it is stored for.

upsert never lets such a copy replace or move the stored row (upsert.SAME_PERSON). What is found
here is counted on the import (ImportBatch.conflicts) or the push response, and recorded as a
RequestConflict per (day, stored person, reporting person), which the "Request conflict" alert
(alerts.kinds.operational.RequestConflictKind) reads: a token or import naming the wrong person, or
someone sending a colleague's message ids, is told to an admin once per pair and day.
"""
from __future__ import annotations

from collections import Counter

from django.db.models import F
from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import reporting_day

from .models import RequestConflict


def person_key(person: tuple[int | None, int | None]) -> str:
    """"developer:<id>", "identity:<id>" (unassigned) or "nobody", of (developer id, identity id)."""
    developer, identity = person
    if developer is not None:
        return f"developer:{developer}"
    return f"identity:{identity}" if identity is not None else "nobody"


def request_conflicts_record(conflicts: list[tuple[str, tuple, tuple]], *, batch_id=None, token_id=None) -> None:
    """Record upsert.conflicts_of's findings (inside the writer's transaction): one row per pair of
    persons and day, its count of requests raised by as many as clashed."""
    if not conflicts:
        return
    day = reporting_day(timezone.now(), OrgSettings.get().time_zone)
    pairs: Counter = Counter()
    examples, people = {}, {}
    for key, stored, incoming in conflicts:
        pair = (person_key(stored), person_key(incoming))
        pairs[pair] += 1
        examples.setdefault(pair, key)
        people[pair] = (stored[0], incoming[0])
    RequestConflict.objects.bulk_create(
        [
            RequestConflict(day=day, owner_key=owner, claimant_key=claimant, owner_id=people[(owner, claimant)][0],
                            claimant_id=people[(owner, claimant)][1], example_key=examples[(owner, claimant)][:200],
                            batch_id=batch_id, token_id=token_id)
            for owner, claimant in sorted(pairs)
        ],
        ignore_conflicts=True,
    )
    for (owner, claimant), n in sorted(pairs.items()):
        RequestConflict.objects.filter(day=day, owner_key=owner, claimant_key=claimant).update(
            requests=F("requests") + n
        )
