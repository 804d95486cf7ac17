"""Digests: a channel with ``digest`` daily or weekly gets one message per period instead of each alert.

A digest covers whole org-local days: daily, yesterday; weekly, last Monday to Sunday. It says
the period's spend (and its unpriced requests: unknown, never $0) and the top spenders, who
crossed what (the alerts raised in the period that routing gives the channel), the alerts still
open, and the top sessions, all narrowed to the channel's team when it has one.

Sent by the beat entry "alerts-digests" (``digests_send``), at its first run on or after
COSTDASH_ALERT_DIGEST_HOUR o'clock (org time) after the period ended, outside the channel's quiet
hours. Only the latest period is sent: a digest missed for a whole period is not sent late.

Exactly once per (channel, period), however many workers run the check:
1. the attempt is a Notification with ``digest_period`` and ``digest_start``; its insert in state
   sending is the claim, and a partial unique constraint lets only one such row (or a sent one)
   exist per (channel, period, start);
2. the worker whose insert lands sends, and records sent, failed or unknown on that row;
3. a failed or unknown attempt is tried again at the next check (same idempotency key) until sent,
   a permanent error (which disables the channel, as for alerts) or MAX_ATTEMPTS.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from costdash.accounts.models import Developer, OrgSettings
from costdash.lib.dates import day_bounds, zone
from costdash.lib.money import ZERO, decimal_str, usd
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.overview import daily_spend
from costdash.rollups.selectors.sessions import top_sessions

from .delivery import MAX_ATTEMPTS, RETRYABLE, _attempt
from .kinds.base import format_figure
from .messages import absolute, event_day_label
from .models import AlertEvent, Channel, Notification
from .routing import events_routed_to, quiet_until
from .transports import Message

log = logging.getLogger(__name__)

TOP = 5  # spenders and sessions listed
LISTED = 20  # alerts listed (crossed, open); the rest are counted
SENT, SKIPPED, FAILED = "sent", "skipped", "failed"


@dataclass(frozen=True)
class Period:
    kind: str  # Channel.Digest.DAILY or WEEKLY
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == Channel.Digest.DAILY:
            return f"Daily digest, {self.start:%Y-%m-%d}"
        return f"Weekly digest, {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def digest_period(kind: str, today: date) -> Period:
    """The latest whole period before ``today``: yesterday, or last Monday to Sunday."""
    if kind == Channel.Digest.DAILY:
        yesterday = today - timedelta(days=1)
        return Period(kind, yesterday, yesterday)
    monday = today - timedelta(days=today.weekday())
    return Period(kind, monday - timedelta(days=7), monday - timedelta(days=1))


def digest_content(channel: Channel, period: Period, tz) -> dict:
    """What the digest says (figures as Decimal, rows as dicts), narrowed to the channel's team."""
    developers = Developer.objects.all()
    if channel.team_id is not None:
        developers = developers.filter(team_id=channel.team_id)
    scope = Scope(developers=developers, since=period.start, until=period.end)
    by_day = daily_spend(scope)
    counts = scope.daily_costs().aggregate(requests=Sum("requests"), unpriced=Sum("unpriced_requests"))
    spenders = list(scope.developer_days().values("developer_id").annotate(cost=Sum("cost"))
                    .filter(cost__gt=0).order_by("-cost", "developer_id")[:TOP])
    names = {d.pk: d.display_name for d in Developer.objects.filter(pk__in=[r["developer_id"] for r in spenders])}
    begin, finish = day_bounds(period.start, tz)[0], day_bounds(period.end, tz)[1]
    routed = events_routed_to(channel, raised_since_made=False).select_related("rule", "developer")
    crossed = routed.filter(created_at__gte=begin, created_at__lt=finish).order_by("created_at", "pk")
    still_open = routed.filter(state=AlertEvent.State.OPEN, created_at__lt=finish).order_by("-created_at", "-pk")
    sessions = top_sessions(scope, TOP)
    session_names = {d.pk: d.display_name for d in Developer.objects.filter(
        pk__in=[s["developer_id"] for s in sessions])}
    return {
        "period": period, "team": channel.team,
        "spend": sum(by_day.values(), ZERO), "requests": counts["requests"] or 0,
        "unpriced_requests": counts["unpriced"] or 0,
        "spenders": [{"developer_id": r["developer_id"], "name": names[r["developer_id"]], "cost": r["cost"]}
                     for r in spenders],
        "crossed": list(crossed[:LISTED]), "crossed_count": crossed.count(),
        "open": list(still_open[:LISTED]), "open_count": still_open.count(),
        "sessions": [{"developer_id": s["developer_id"], "name": session_names[s["developer_id"]],
                      "session_id": s["session_id"], "project": s["project"] or "",
                      "cost": s["cost"] if s["priced_requests"] else None,  # unknown, never $0
                      "requests": s["requests"], "unpriced_requests": s["unpriced_requests"]} for s in sessions],
    }


def _alert_line(event: AlertEvent) -> str:
    unit = event.rule.kind_def.figure_unit
    figure = format_figure(event.figure, unit)
    against = f" vs {format_figure(event.threshold, unit)}" if event.threshold is not None else ""
    who = f"{event.developer.display_name}, " if event.developer else ""
    return f"- #{event.pk} {event.rule}: {who}{event_day_label(event)} ({figure}{against})"


def digest_message(channel: Channel, content: dict) -> Message:
    period: Period = content["period"]
    team = f" ({content['team']})" if content["team"] else ""
    subject = f"[costdash] {period.label}{team}: {usd(content['spend'])}"
    unpriced = (f" ({_of(content['unpriced_requests'], 'request')} with no known price: not in the figure)"
                if content["unpriced_requests"] else "")
    headline = (f"Spend {usd(content['spend'])} over {_of(content['requests'], 'request')}{unpriced}. "
                f"{_of(content['crossed_count'], 'alert')} raised, {content['open_count']} open.")
    lines = [headline, "", "Top spenders:"]
    lines += [f"- {r['name']}: {usd(r['cost'])}" for r in content["spenders"]] or ["- nobody spent anything"]
    lines += ["", f"Who crossed what ({content['crossed_count']}):"]
    lines += [_alert_line(e) for e in content["crossed"]] or ["- nothing"]
    lines += _more(content["crossed_count"], content["crossed"])
    lines += ["", f"Open alerts ({content['open_count']}):"]
    lines += [_alert_line(e) for e in content["open"]] or ["- none"]
    lines += _more(content["open_count"], content["open"])
    lines += ["", "Top sessions:"]
    lines += [_session_line(s) for s in content["sessions"]] or ["- none"]
    url = absolute(reverse("alerts:list"))
    lines += ["", f"Alerts: {url}"]
    payload = {
        "digest": period.kind, "since": period.start.isoformat(), "until": period.end.isoformat(),
        "team": {"id": content["team"].pk, "name": content["team"].name} if content["team"] else None,
        "spend": decimal_str(content["spend"]), "requests": content["requests"],
        "unpriced_requests": content["unpriced_requests"],
        "top_spenders": [{"developer": r["developer_id"], "name": r["name"], "cost": decimal_str(r["cost"])}
                         for r in content["spenders"]],
        "crossed": [e.pk for e in content["crossed"]], "crossed_count": content["crossed_count"],
        "open": [e.pk for e in content["open"]], "open_count": content["open_count"],
        "top_sessions": [{"developer": s["developer_id"], "session_id": s["session_id"], "project": s["project"],
                          "cost": decimal_str(s["cost"]), "requests": s["requests"],
                          "unpriced_requests": s["unpriced_requests"]} for s in content["sessions"]],
        "url": url, "test": False,
    }
    return Message(subject=subject, text="\n".join(lines), headline="\n".join(lines[:-2]), url=url,
                   payload=payload, label="digest", idempotency_key=digest_idempotency_key(channel, period))


def _of(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _session_line(session: dict) -> str:
    where = f" ({session['project']})" if session["project"] else ""
    cost = "price unknown" if session["cost"] is None else usd(session["cost"])
    unpriced = session["unpriced_requests"]
    extra = f", {unpriced} with no known price" if unpriced and session["cost"] is not None else ""
    return f"- {session['name']}, {session['session_id']}{where}: {cost}, {_of(session['requests'], 'request')}{extra}"


def _more(count: int, listed: list) -> list[str]:
    return [f"- and {count - len(listed)} more"] if count > len(listed) else []


def digest_idempotency_key(channel: Channel, period: Period) -> str:
    return f"costdash-digest-{channel.pk}-{period.kind}-{period.start.isoformat()}"


def _claim(channel: Channel, period: Period) -> Notification | None:
    """Insert this attempt in state sending, or None: sent, in flight elsewhere, or given up."""
    try:
        with transaction.atomic():
            notes = list(Notification.objects.filter(channel=channel, digest_period=period.kind,
                                                      digest_start=period.start))
            if len(notes) >= MAX_ATTEMPTS or any(n.status not in RETRYABLE or n.permanent for n in notes):
                return None
            return Notification.objects.create(channel=channel, digest_period=period.kind,
                                               digest_start=period.start, attempt=len(notes) + 1)
    except IntegrityError:  # another worker's claim landed first
        return None


def digest_send(channel: Channel, period: Period, tz) -> str:
    """Send one channel's digest for ``period`` unless it is sent, in flight or given up."""
    note = _claim(channel, period)
    if note is None:
        return SKIPPED
    error = _attempt(channel, note, lambda: digest_message(channel, digest_content(channel, period, tz)))
    return SENT if error is None else FAILED


def digests_send(now: datetime | None = None) -> dict[int, str]:
    """The beat's check: each enabled digest channel whose latest period is due gets its digest
    (see the module docstring); returns {channel id: outcome} for the channels tried."""
    now = now or timezone.now()
    tz = zone(OrgSettings.get().time_zone)
    local = now.astimezone(tz)
    if local.hour < settings.COSTDASH_ALERT_DIGEST_HOUR:
        return {}
    outcomes = {}
    for channel in Channel.objects.filter(enabled=True).exclude(digest="").select_related("team").order_by("pk"):
        if quiet_until(channel, now, tz) is not None:
            continue
        period = digest_period(channel.digest, local.date())
        try:
            outcomes[channel.pk] = digest_send(channel, period, tz)
        except Exception:  # one channel's bad digest never stops the others
            log.exception("digest of channel %s for %s failed", channel.pk, period)
            outcomes[channel.pk] = FAILED
    return outcomes

