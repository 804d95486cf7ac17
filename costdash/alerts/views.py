"""Alert pages: the alerts list (everyone, their own alerts unless admin or billing), one alert with
its delivery attempts and the acknowledge form, channels (admins) and rules (admins edit, billing reads)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from costdash.accounts import roles

from .delivery import channel_send_test
from .forms import AcknowledgeForm, AlertFilterForm, ChannelForm, RuleForm
from .kinds import KINDS
from .kinds.base import format_figure
from .models import AlertRule, Channel
from .routing import event_is_urgent, quiet_label
from .selectors import alerts_visible_to, delivery_summaries, event_routing
from .services import channel_save, event_acknowledge, rule_save
from .transports import TRANSPORTS

PER_PAGE = 50
CHANNELS_ADMINS_ONLY = "Only admins set up alert channels."
RULES_ADMINS_ONLY = "Only admins change alert rules."


@login_required
def alert_list(request):
    visible = alerts_visible_to(request.user)
    developers = roles.developers_visible_to(request.user).order_by("name", "email")
    filters = AlertFilterForm(request.GET, developers=developers)
    page = Paginator(filters.apply(visible), PER_PAGE).get_page(request.GET.get("page"))
    deliveries = delivery_summaries(page.object_list)
    rows = [(event, deliveries.get(event.pk, [])) for event in page]
    return render(request, "alerts/list.html", {
        "filters": filters, "page": page, "rows": rows, "query": filters.querystring(),
        "sees_all": roles.sees_all_spend(request.user), "ack_form": AcknowledgeForm(),
    })


@login_required
def alert_detail(request, event_id: int):
    """One alert (404 when the viewer may not see it), its attempts, and acknowledging it (POST)."""
    event = get_object_or_404(alerts_visible_to(request.user), pk=event_id)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if event_acknowledge(event.pk, request.user, form.cleaned_data["note"]):
            messages.success(request, f"Alert #{event.pk} is acknowledged.")
        else:
            messages.info(request, f"Alert #{event.pk} was already acknowledged.")
        back = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
            return redirect(back)
        return redirect("alerts:detail", event.pk)
    notifications = event.notifications.select_related("channel").order_by("pk")
    kind = event.rule.kind_def
    return render(request, "alerts/detail.html", {
        "event": event, "form": form, "notifications": notifications, "kind": kind,
        "routes": event_routing(event), "urgent": event_is_urgent(event),
        "figure": format_figure(event.figure, kind.figure_unit),
        "threshold": format_figure(event.threshold, kind.figure_unit),
    })


@login_required
def channel_list(request):
    roles.require_admin(request.user, CHANNELS_ADMINS_ONLY)
    channels = list(Channel.objects.select_related("team").prefetch_related("rules"))
    every_channel = list(AlertRule.objects.filter(channels=None).order_by("kind", "pk"))
    for channel in channels:
        channel.recent = list(channel.notifications.select_related("event").order_by("-pk")[:5])
        channel.quiet = quiet_label(channel)
        channel.chosen_by = list(channel.rules.all())
        channel.every_rule = every_channel
    return render(request, "alerts/channels.html", {"channels": channels, "transports": TRANSPORTS.values()})


@login_required
def channel_edit(request, channel_id: int | None = None):
    """Add a channel of ?kind= (no id), or change one. Saving it enabled re-enables a disabled one."""
    roles.require_admin(request.user, CHANNELS_ADMINS_ONLY)
    channel = get_object_or_404(Channel, pk=channel_id) if channel_id else None
    kind = channel.kind if channel else request.GET.get("kind", "")
    if kind not in TRANSPORTS:
        raise Http404("No such kind of channel")
    form = ChannelForm(request.POST or None, instance=channel, kind=kind)
    if request.method == "POST" and form.is_valid():
        saved = channel_save(form.save(commit=False), form.config, request.user)
        messages.success(request, f"{saved} is saved. Send it a test to check it arrives.")
        return redirect("alerts:channels")
    title = f"Edit {channel}" if channel else f"New channel: {TRANSPORTS[kind].label}"
    return render(request, "alerts/form.html", {"form": form, "title": title, "back": "alerts:channels",
                                                "note": channel.disabled_reason if channel else ""})


@login_required
def channel_delete(request, channel_id: int):
    roles.require_admin(request.user, CHANNELS_ADMINS_ONLY)
    channel = get_object_or_404(Channel, pk=channel_id)
    consequence = "Its delivery history goes with it; alerts stay."
    only_here = [str(rule) for rule in channel.rules.all() if rule.channels.count() == 1]
    if only_here:  # a rule with no channel chosen goes to every channel
        consequence += (f" These rules go to this channel only, and will go to every channel once it is deleted: "
                        f"{', '.join(only_here)}. Choose their channels again first if that is not what you want.")
    return _delete(request, channel, f"the channel {channel}", consequence, "alerts:channels")


@login_required
@require_POST
def channel_test(request, channel_id: int):
    roles.require_admin(request.user, CHANNELS_ADMINS_ONLY)
    channel = get_object_or_404(Channel, pk=channel_id)
    error = channel_send_test(channel, request.user)
    if error is None:
        messages.success(request, f"A test message went to {channel}.")
    else:
        messages.error(request, f"The test to {channel} failed: {error}")
    return redirect("alerts:channels")


@login_required
def rule_list(request):
    roles.require_sees_all_spend(request.user, "Alert rules are the org's settings: only admins and billing see them.")
    rules = AlertRule.objects.select_related("team", "developer", "owner").prefetch_related("channels")
    return render(request, "alerts/rules.html", {"rules": rules, "kinds": KINDS.values(),
                                                 "is_admin": roles.is_admin(request.user)})


@login_required
def rule_edit(request, rule_id: int | None = None):
    roles.require_admin(request.user, RULES_ADMINS_ONLY)
    rule = get_object_or_404(AlertRule, pk=rule_id) if rule_id else None
    initial = {} if rule else {"threshold": KINDS["daily_ceiling"].default_threshold}
    form = RuleForm(request.POST or None, instance=rule, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = rule_save(form.save(commit=False), request.user)
        form.save_m2m()  # the channels it goes to
        messages.success(request, f"The rule {saved} is saved.")
        return redirect("alerts:rules")
    return render(request, "alerts/form.html", {"form": form, "title": f"Edit {rule}" if rule else "New alert rule",
                                                "back": "alerts:rules", "kinds": KINDS.values()})


@login_required
def rule_delete(request, rule_id: int):
    roles.require_admin(request.user, RULES_ADMINS_ONLY)
    rule = get_object_or_404(AlertRule, pk=rule_id)
    return _delete(request, rule, f"the rule {rule}", "Its alerts and their delivery history go with it. To stop "
                   "it without losing them, disable it instead.", "alerts:rules")


def _delete(request, obj, what: str, consequence: str, back: str):
    """Ask (GET), then delete (POST) and go ``back``."""
    if request.method == "POST":
        obj.delete()
        messages.success(request, f"{what[0].upper()}{what[1:]} is deleted.")
        return redirect(back)
    return render(request, "alerts/delete.html", {"what": what, "consequence": consequence, "back": back})
