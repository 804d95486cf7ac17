"""Routing: which channels an alert goes to, and when.

1. The rule chooses its channels (``AlertRule.channels``); none chosen means every channel, as
   before routing existed, channels added later included.
2. A channel scoped to a team (``Channel.team``) takes only that team's alerts: those about a
   developer in the team (their team now), and those whose subject is the team itself
   ("team:<id>", the team average; "team:<id>:budget:...", a team budget). Org-wide alerts
   (limits, imports, models) never reach it.
3. An e-mail channel with no addresses of its own (allowed when it notifies the developer) takes
   only alerts about a developer: it has no one else to write to.
4. A channel is only meant for alerts raised after it was made (``created_at`` not after the
   event's), and only while enabled.
5. Quiet hours (``quiet_start``..``quiet_end``, org time; start > end wraps midnight) hold an
   alert that is not urgent (AlertRule.is_urgent); the sweeper sends it once they end.
6. A digest channel (``digest`` daily/weekly) takes no single alerts: alerts.digests sends what
   was routed to it in one message per period.

The same routing as a queryset (``events_routed_to``) serves the digests and pages; the per-event
form (``channel_takes``) serves delivery. Both are tested against each other (test_routing).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import zone
from costdash.lib.encryption import SecretUnreadable

from .models import AlertEvent, AlertRule, Channel

# Kinds whose alerts are urgent unless the rule says otherwise: a line actually crossed. The value
# is the lowest threshold that makes a rule of the kind urgent (None: any). A kind may instead say
# so itself with a class attribute ``urgent_at_threshold`` (same meaning; False: never urgent).
URGENT_KINDS: dict[str, Decimal | None] = {
    "daily_ceiling": None,  # a developer's day over the ceiling
    "limit_share": Decimal("100"),  # a spend limit reached (50% and 80% can wait)
}
# Kinds whose rule has no threshold but whose events each name a share ("...:share:100"): an
# event at this share or more is urgent (a budget reached; 50% and 80% can wait).
URGENT_SHARE_KINDS: dict[str, Decimal] = {"budget_share": Decimal("100")}
NEVER = False


def urgent_by_default(rule: AlertRule, event: AlertEvent | None = None) -> bool:
    """Whether a rule (or, for a share-per-event kind, its ``event``) is urgent when the rule's
    ``urgent`` is left empty (URGENT_KINDS, URGENT_SHARE_KINDS)."""
    from .kinds import KINDS

    if rule.kind in URGENT_SHARE_KINDS:
        share = _share_in(event.subject_key) if event is not None else None
        return share is not None and share >= URGENT_SHARE_KINDS[rule.kind]
    at = getattr(KINDS.get(rule.kind), "urgent_at_threshold", URGENT_KINDS.get(rule.kind, NEVER))
    if at is NEVER:
        return False
    if at is None:
        return True
    return rule.threshold is not None and rule.threshold >= Decimal(at)


def event_is_urgent(event: AlertEvent) -> bool:
    rule = event.rule
    return urgent_by_default(rule, event) if rule.urgent is None else rule.urgent


def _share_in(subject_key: str) -> Decimal | None:
    _, found, share = subject_key.rpartition(":share:")
    try:
        return Decimal(share) if found else None
    except ArithmeticError:
        return None


def event_team_id(event: AlertEvent) -> int | None:
    """The team an alert belongs to: its developer's, or the team it is about ("team:<id>", or
    "team:<id>:..." such as a team budget's)."""
    if event.developer_id is not None:
        return event.developer.team_id
    if event.subject_key.startswith("team:"):
        team = event.subject_key.removeprefix("team:").partition(":")[0]
        return int(team) if team.isdigit() else None
    return None


def channel_writes_to_developer_only(channel: Channel) -> bool:
    """An e-mail channel with no addresses of its own: it writes to the developer concerned alone."""
    if channel.kind != Channel.Kind.EMAIL or not channel.notify_developer:
        return False
    try:
        return not channel.config().get("to")
    except SecretUnreadable:
        return False  # its sends fail and say why; routing stays as if it had addresses


def channel_takes(channel: Channel, event: AlertEvent, chosen: set[int] | None = None) -> bool:
    """Rules 1-4 for one channel and one event (``chosen``: the rule's channel ids, if already read;
    empty means every channel)."""
    if not channel.enabled or channel.created_at > event.created_at:
        return False
    if chosen is None:
        chosen = {c.pk for c in event.rule.channels.all()}
    if chosen and channel.pk not in chosen:
        return False
    if channel.team_id is not None and event_team_id(event) != channel.team_id:
        return False
    return not (channel_writes_to_developer_only(channel) and event.developer_id is None)


def event_routes(event: AlertEvent) -> list[Channel]:
    """Every channel the event is meant for (rules 1-4), digest channels included, by pk."""
    chosen = {c.pk for c in event.rule.channels.all()}
    channels = Channel.objects.filter(enabled=True, created_at__lte=event.created_at).order_by("pk")
    return [channel for channel in channels if channel_takes(channel, event, chosen)]


def events_routed_to(channel: Channel, events: QuerySet[AlertEvent] | None = None,
                     raised_since_made: bool = True) -> QuerySet[AlertEvent]:
    """The events (of ``events``, default all) routed to ``channel`` by rules 1-3, and 4 unless
    ``raised_since_made`` is off (a digest lists alerts raised before the channel was made, too)."""
    events = AlertEvent.objects.all() if events is None else events
    rules = AlertRule.objects.filter(Q(channels=None) | Q(channels=channel)).values("pk")
    events = events.filter(rule__in=rules)
    if raised_since_made:
        events = events.filter(created_at__gte=channel.created_at)
    if channel.team_id is not None:
        events = events.filter(Q(developer__team_id=channel.team_id)
                               | Q(developer=None, subject_key=f"team:{channel.team_id}")
                               | Q(developer=None, subject_key__startswith=f"team:{channel.team_id}:"))
    if channel_writes_to_developer_only(channel):
        events = events.filter(developer__isnull=False)
    return events


def quiet_until(channel: Channel, now: datetime, tz=None) -> datetime | None:
    """When the channel's quiet hours end, if ``now`` is inside them (org time); else None."""
    start, end = channel.quiet_start, channel.quiet_end
    if start is None or end is None or start == end:  # the form refuses start == end
        return None
    tz = tz or zone(OrgSettings.get().time_zone)
    local = now.astimezone(tz)
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)  # else: wraps midnight
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


def is_held(channel: Channel, event: AlertEvent, now: datetime, tz=None) -> bool:
    """Rule 5: an alert that is not urgent waits while the channel is quiet."""
    if channel.quiet_start is None or event_is_urgent(event):
        return False
    return quiet_until(channel, now, tz) is not None


def quiet_label(channel: Channel) -> str:
    if channel.quiet_start is None or channel.quiet_end is None:
        return ""
    return f"quiet {channel.quiet_start:%H:%M}–{channel.quiet_end:%H:%M}"
