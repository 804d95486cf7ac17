"""Alerts over the API: a developer sees only alerts about themself, admins and billing all; the
alerts page's filters; acknowledging with a note (once: the first stands) by anyone who sees it."""
import pytest

from costdash.alerts.models import AlertEvent, AlertRule

pytestmark = pytest.mark.django_db
URL = "/api/v1/alerts/"


@pytest.fixture
def alerts(team, default_alert):
    """Ana's alert (default_alert), Bo's, and an org-wide one about a failed import."""
    failed = AlertRule.objects.create(kind="import_failed", name="Import failed")
    bo = AlertEvent.objects.create(rule=default_alert.rule, subject_key=f"developer:{team['bo'].pk}",
                                   day=team["day"](13), developer=team["bo"], figure=45, threshold=30,
                                   summary="Bo spent $45.00.", link="/developers/")
    org = AlertEvent.objects.create(rule=failed, subject_key="batch:1", day=team["day"](13), summary="Import #1 failed.",
                                    link="/imports/1/")
    return {"ana": default_alert, "bo": bo, "import": org}


def summaries(client, params=None) -> set[str]:
    response = client.get(URL, params or {})
    assert response.status_code == 200, response.content
    return {row["summary"] for row in response.json()["results"]}


def test_a_developer_sees_only_alerts_about_themself(alerts, developer_user, api_as):
    client = api_as(developer_user)
    assert summaries(client) == {"Ana spent $31.00."}
    assert client.get(f"{URL}{alerts['bo'].pk}/").status_code == 404
    assert client.get(f"{URL}{alerts['import'].pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admins_and_billing_see_every_alert(alerts, persona, request, api_as):
    assert summaries(api_as(request.getfixturevalue(persona))) == {
        "Ana spent $31.00.", "Bo spent $45.00.", "Import #1 failed."}


def test_an_alert_reads_as_on_its_page(alerts, billing_user, api_as, settings):
    settings.COSTDASH_BASE_URL = "https://costdash.example.com"
    body = api_as(billing_user).get(f"{URL}{alerts['bo'].pk}/").json()
    bo = alerts["bo"]
    assert body["rule"] == {"id": bo.rule_id, "name": "Ceiling", "kind": "daily_ceiling"}
    assert body["developer"] == {"id": bo.developer_id, "name": "Bo Brannigan"}
    assert (body["figure"], body["threshold"], body["unit"], body["state"]) == ("45", "30", "usd", "open")
    assert body["link"] == "https://costdash.example.com/developers/"
    assert body["url"] == f"https://costdash.example.com/alerts/{bo.pk}/"
    org = api_as(billing_user).get(f"{URL}{alerts['import'].pk}/").json()
    assert org["developer"] is None and org["figure"] is None


def test_the_alerts_pages_filters_apply(alerts, billing_user, api_as):
    client = api_as(billing_user)
    assert summaries(client, {"rule": alerts["import"].rule_id}) == {"Import #1 failed."}
    assert summaries(client, {"developer": alerts["bo"].developer_id}) == {"Bo spent $45.00."}
    AlertEvent.objects.filter(pk=alerts["ana"].pk).update(state="acknowledged")
    assert summaries(client, {"state": "acknowledged"}) == {"Ana spent $31.00."}
    assert client.get(URL, {"state": "closed"}).status_code == 400


def test_a_developer_cannot_filter_on_another_developer(alerts, developer_user, api_as):
    response = api_as(developer_user).get(URL, {"developer": alerts["bo"].developer_id})
    assert response.status_code == 400 and "developer" in response.json()


def test_acknowledging_records_who_and_the_note_once(alerts, developer_user, billing_user, api_as):
    url = f"{URL}{alerts['ana'].pk}/acknowledge/"
    first = api_as(developer_user).post(url, {"note": "  a long refactor, fine  "}, format="json")
    assert first.status_code == 200
    assert (first.json()["state"], first.json()["ack_note"], first.json()["ack_by"]) == (
        "acknowledged", "a long refactor, fine", "ana")
    again = api_as(billing_user).post(url, {"note": "second"}, format="json")
    assert again.status_code == 409 and again.json()["ack_by"] == "ana"
    event = AlertEvent.objects.get(pk=alerts["ana"].pk)
    assert (event.ack_by, event.ack_note) == (developer_user, "a long refactor, fine")


def test_a_developer_cannot_acknowledge_anothers_alert(alerts, developer_user, billing_user, api_as):
    assert api_as(developer_user).post(f"{URL}{alerts['bo'].pk}/acknowledge/").status_code == 404
    assert AlertEvent.objects.get(pk=alerts["bo"].pk).state == "open"
    assert api_as(billing_user).post(f"{URL}{alerts['bo'].pk}/acknowledge/").status_code == 200


def test_a_note_over_1000_characters_is_400(alerts, developer_user, api_as):
    response = api_as(developer_user).post(f"{URL}{alerts['ana'].pk}/acknowledge/", {"note": "x" * 1001})
    assert response.status_code == 400 and "note" in response.json()
    assert AlertEvent.objects.get(pk=alerts["ana"].pk).state == "open"
