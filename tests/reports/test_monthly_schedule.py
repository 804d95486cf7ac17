"""The monthly job: last month's report e-mailed to the billing group once, however often it runs,
with the PDF and the workbook attached and both files kept."""
from datetime import date
import threading

from django.conf import settings
from django.core import mail
from django.db import connection
import pytest

from costdash.reports import services
from costdash.reports.models import GeneratedReport, MonthlyRun
from costdash.reports.tasks import reports_monthly_send
from tests.factories import UserFactory
from tests.reports.conftest import MARCH, billing_member


@pytest.fixture
def billing_people(db, admin_user):
    billing_member("bea", "bea@example.com")
    billing_member("bill", "bill@example.com")
    billing_member("gone", "gone@example.com", active=False)
    billing_member("noemail", "")
    UserFactory(username="dev", email="dev@example.com")


def test_the_job_sends_one_email_with_both_files_to_billing(march, billing_people):
    run = services.monthly_report_send(MARCH)
    assert (run.status, run.recipients, run.error) == ("sent", ["bea@example.com", "bill@example.com"], "")
    [message] = mail.outbox
    assert message.to == ["bea@example.com", "bill@example.com"]  # admins only when in the billing group too
    assert message.subject == "costdash monthly report: March 2026"
    assert "Spend: $131.75" in message.body and "Provisional" not in message.body
    names = [(name, mimetype) for name, _, mimetype in message.attachments]
    assert names == [("costdash-2026-03.pdf", "application/pdf"), (
        "costdash-2026-03.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    assert message.attachments[0][1].startswith(b"%PDF-") and message.attachments[1][1].startswith(b"PK")
    kept = GeneratedReport.objects.filter(run=run)
    assert sorted(kept.values_list("format", "status", "requested_by")) == [("pdf", "ready", None),
                                                                            ("xlsx", "ready", None)]


def test_run_twice_sends_one_email(march, billing_people):
    first = reports_monthly_send.delay(MARCH.isoformat()).get()
    second = reports_monthly_send.delay(MARCH.isoformat()).get()
    assert (first, second) == ("sent", "sent")
    assert len(mail.outbox) == 1
    assert MonthlyRun.objects.get().attempts == 1 and GeneratedReport.objects.count() == 2


def test_without_a_month_it_sends_the_month_before_the_orgs_today(db, billing_people, monkeypatch):
    # 06:00 UTC on April 1 is still March 31 in Los Angeles: March is not over there, nothing is due.
    monkeypatch.setattr(services, "org_today", lambda: date(2026, 3, 31))
    assert services.monthly_report_send() is None and reports_monthly_send.delay().get() == "not due"
    assert mail.outbox == [] and not MonthlyRun.objects.exists()
    # The run on April 2 (UTC) finds April 1 there and sends March.
    monkeypatch.setattr(services, "org_today", lambda: date(2026, 4, 1))
    assert services.monthly_report_send().month == MARCH
    assert mail.outbox[0].subject == "costdash monthly report: March 2026"


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_email(march, billing_people):
    results, errors = [], []
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait()
            results.append(services.monthly_report_send(MARCH).status)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # One sent it; the other found it claimed (sending) or already sent.
    assert "sent" in results and len(results) == 2
    assert len(mail.outbox) == 1 and MonthlyRun.objects.count() == 1
    assert "Spend: $131.75" in mail.outbox[0].body  # the workers read the committed month
    assert GeneratedReport.objects.count() == 2


def test_no_recipient_is_a_recorded_failure_and_a_later_run_sends_it(march, admin_user):
    run = services.monthly_report_send(MARCH)
    assert run.status == "failed" and "no active member of the billing group" in run.error
    assert mail.outbox == [] and GeneratedReport.objects.filter(run=run, status="ready").count() == 2
    billing_member("bea", "bea@example.com")
    run = services.monthly_report_send(MARCH)
    assert (run.status, run.attempts, run.error) == ("sent", 2, "")
    assert len(mail.outbox) == 1
    assert GeneratedReport.objects.count() == 2  # the kept files were reused, not built again


def test_a_mail_server_error_is_recorded_and_raised_for_the_retry(march, billing_people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    with pytest.raises(OSError):
        services.monthly_report_send(MARCH)
    run = MonthlyRun.objects.get()
    assert run.status == "failed" and "Error" in run.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.monthly_report_send(MARCH).status == "sent" and len(mail.outbox) == 1


def test_a_claim_held_by_a_live_worker_is_left_alone(march, billing_people):
    from django.utils import timezone

    MonthlyRun.objects.create(month=MARCH, status="sending", claimed_at=timezone.now())
    assert services.monthly_report_send(MARCH).status == "sending" and mail.outbox == []
    MonthlyRun.objects.update(claimed_at=timezone.now() - services.STALE_CLAIM * 2)  # its worker died
    assert services.monthly_report_send(MARCH).status == "sent" and len(mail.outbox) == 1


def test_beat_runs_it_on_the_first_and_second_of_the_month():
    entry = settings.CELERY_BEAT_SCHEDULE["reports-monthly"]
    assert entry["task"] == "costdash.reports.tasks.reports_monthly_send"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1, 2} and schedule.hour == {6} and schedule.minute == {0}
