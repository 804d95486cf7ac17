"""Alerts: rules, the events they raise (one per rule, subject and day), channels, and a
Notification row per delivery attempt.

Exactly once comes from the database: ``AlertEvent`` is unique on (rule, subject_key, day), so
however many workers evaluate the same day only the one whose insert lands enqueues delivery; a
``Notification`` in state sending or sent is unique per (event, channel), so only the worker whose
claim lands sends.
"""
from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.db.models import Q

from costdash.accounts.models import Developer, Team
from costdash.lib.encryption import secret_decrypt, secret_encrypt


class AlertRule(models.Model):
    """A rule of one kind (alerts.kinds). ``threshold`` is in the kind's unit (USD, or percent of a
    spend limit); kinds without a threshold leave it empty. The scope narrows developer rules to a
    team or one developer and the team average to one team; the other kinds are org-wide."""

    class Scope(models.TextChoices):
        ORG = "org", "Whole organisation"
        TEAM = "team", "One team"
        DEVELOPER = "developer", "One developer"

    kind = models.CharField(max_length=40)
    name = models.CharField(max_length=120, blank=True, help_text="Leave empty to use the kind's name")
    threshold = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ORG)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    window_days = models.PositiveSmallIntegerField(default=7, help_text="Team average: the days averaged")
    channels = models.ManyToManyField(
        "Channel", blank=True, related_name="rules",
        help_text="Where its alerts go. None chosen: every channel (as before), channels added later included",
    )
    urgent = models.BooleanField(
        null=True, blank=True,
        help_text="Urgent alerts are sent during a channel's quiet hours; others wait for them to end. "
                  "Empty: the kind's default (alerts.routing.urgent_by_default)",
    )
    enabled = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who last set it up",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                name="alert_rule_scope_target",
                condition=(
                    Q(scope="org", team=None, developer=None)
                    | Q(scope="team", developer=None, team__isnull=False)
                    | Q(scope="developer", team=None, developer__isnull=False)
                ),
            ),
            models.CheckConstraint(name="alert_rule_window_positive", condition=Q(window_days__gte=1)),
        ]

    def __str__(self) -> str:
        return self.name or self.kind_def.label

    @property
    def kind_def(self):
        from .kinds import kind_of

        return kind_of(self.kind)

    @property
    def is_urgent(self) -> bool:
        from .routing import urgent_by_default

        return urgent_by_default(self) if self.urgent is None else self.urgent

    @property
    def scope_label(self) -> str:
        if self.scope == self.Scope.TEAM:
            return f"Team {self.team}"
        if self.scope == self.Scope.DEVELOPER:
            return str(self.developer)
        return "Whole organisation"


class AlertEvent(models.Model):
    """One alert: ``rule`` found ``subject_key`` ("developer:12", "team:3", "limit:5",
    "batch:77", "connector:2", "model:claude-x") past its line on ``day`` (a month's first day for
    the monthly kinds). ``figure`` and ``threshold`` are as measured when it was raised, in the
    kind's unit. ``delivery_done_at``: every channel it was meant for has sent it or given up."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    subject_key = models.CharField(max_length=200)
    day = models.DateField()
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    figure = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    threshold = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    summary = models.TextField(help_text="One sentence: who, when, what, against what")
    link = models.CharField(max_length=500, help_text="The page that explains it (a path on this site)")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    ack_note = models.TextField(blank=True)
    ack_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    ack_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Delivery last queued")
    delivery_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key", "day"], name="alert_event_once_per_rule_subject_day",
            ),
        ]
        indexes = [
            models.Index(fields=["developer", "-created_at"], name="alert_event_developer"),
            models.Index(fields=["delivery_done_at", "created_at"], name="alert_event_undelivered"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_key} {self.day}"


class Channel(models.Model):
    """Where alerts go: e-mail, a Slack incoming webhook or a signed generic webhook
    (alerts.transports). Its settings are stored encrypted (``config_ciphertext``, a JSON object)
    because webhook URLs and signing secrets are secrets; ``hint`` is what pages show of them.
    A permanent delivery error disables it, with ``disabled_reason``.

    Routing (alerts.routing): ``team`` narrows it to that team's alerts; ``quiet_start``..``quiet_end``
    (org time, wrapping midnight when start > end) holds non-urgent alerts until they end; ``digest``
    daily or weekly sends one digest per period (alerts.digests) instead of each alert."""

    class Digest(models.TextChoices):
        NONE = "", "Each alert as it is raised"
        DAILY = "daily", "A daily digest (yesterday)"
        WEEKLY = "weekly", "A weekly digest (last week, Monday to Sunday)"

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        SLACK = "slack", "Slack incoming webhook"
        WEBHOOK = "webhook", "Webhook (signed JSON)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    config_ciphertext = models.TextField(editable=False)
    hint = models.CharField(max_length=300, editable=False)
    notify_developer = models.BooleanField(
        default=False, help_text="E-mail only: also send a developer's own alerts to the developer",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Only this team's alerts: about its developers, or about the team itself. Empty: everyone's",
    )
    quiet_start = models.TimeField(null=True, blank=True, help_text="Quiet hours start (the org's time zone)")
    quiet_end = models.TimeField(null=True, blank=True, help_text="Quiet hours end (the org's time zone)")
    digest = models.CharField(max_length=10, choices=Digest.choices, default=Digest.NONE, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="channel_quiet_hours_both_or_neither",
                condition=Q(quiet_start=None, quiet_end=None) | Q(quiet_start__isnull=False, quiet_end__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never the config: it holds secrets
        return f"<Channel {self.pk} {self.kind} {self.name!r}>"

    def set_config(self, config: dict) -> None:
        self.config_ciphertext = secret_encrypt(json.dumps(config, sort_keys=True))

    def config(self) -> dict:
        """The decrypted settings; raises SecretUnreadable when the encryption keys changed."""
        return json.loads(secret_decrypt(self.config_ciphertext))


class Notification(models.Model):
    """One delivery attempt of an event, of a digest (``digest_period`` and ``digest_start`` set; no
    event) or of a test message (neither) to a channel.

    A row in state sending or sent is the claim on (event, channel): the partial unique constraint
    lets one worker at a time hold it and none take it once sent. A failed attempt leaves it, so
    the next attempt (a Celery retry, or the sweeper) can claim it again. A digest is claimed the
    same way, once per (channel, period, period start). An attempt whose outcome is
    unknown (the message went out and no answer came in time, or its worker stopped mid-send: the
    receiver may have it) is tried again like a failed one, with the same idempotency key."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Unknown (may have arrived)"

    event = models.ForeignKey(AlertEvent, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="notifications")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    permanent = models.BooleanField(default=False, help_text="The error will not go away by trying again")
    error = models.TextField(blank=True)
    response_code = models.IntegerField(null=True, blank=True, help_text="HTTP status or SMTP reply code")
    digest_period = models.CharField(max_length=10, blank=True, default="", help_text="daily or weekly")
    digest_start = models.DateField(null=True, blank=True, help_text="The digest's first day (org time)")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel"], condition=Q(status__in=["sending", "sent"], event__isnull=False),
                name="notification_one_claim_per_event_channel",
            ),
            models.UniqueConstraint(
                fields=["channel", "digest_period", "digest_start"],
                condition=Q(status__in=["sending", "sent"], digest_start__isnull=False),
                name="notification_one_claim_per_channel_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.channel_id} #{self.attempt} {self.status}"
