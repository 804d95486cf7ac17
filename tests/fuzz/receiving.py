"""What the receiver fuzz tests share: good records to send beside bad ones, a savepoint per
example, a POST with a fresh ingest token, and the contract every answer is held to."""
from contextlib import contextmanager
import traceback

from django.db import transaction
from django.test import Client
import orjson

from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import ActivityRecord, IngestToken, UsageAggregate, UsageEvent
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.factories import DeveloperFactory
from tests.fuzz.invariants import stored_problems
from tests.ingest.otlp_metrics import body as metrics_body
from tests.ingest.otlp_metrics import monotonic_sum, point
from tests.ingest.test_parser_otel_logs import body_with
from tests.ingest.test_parser_otel_metrics import LINES, TOKENS
from tests.ingest.transcripts import assistant_line

GOOD_LOGS = body_with({"request_id": {"stringValue": "req_fuzz_good"}})
GOOD_METRICS = metrics_body(
    monotonic_sum(LINES, point(5, type="added")),
    monotonic_sum(TOKENS, point(700, model="claude-sonnet-4-6", type="output")),
    email="good.fuzz@example.com",
)
GOOD_LINE = assistant_line(msg="msg_fuzz_good", req="req_fuzz_good", ts="2026-03-02T10:00:00.000Z")


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def secret(kind: str) -> str:
    developer = DeveloperFactory(email="fuzz@example.com") if kind == IngestToken.Kind.TRANSCRIPTS else None
    return ingest_token_create(name="fuzz", kind=kind, developer=developer)[1]


def post(path: str, data: bytes, content_type: str, kind: str, **headers):
    client = Client()  # an exception escaping the view fails the test with its traceback
    return client.post(path, data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {secret(kind)}", **headers})


def origin(exc: BaseException) -> str:
    """Where in costdash an exception was raised (file:line of the innermost project frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/costdash/" in f.filename] or frames
    return f"{ours[-1].filename.rsplit('/costdash/', 1)[-1]}:{ours[-1].lineno}" if ours else "?"


def stored_keys() -> set[str]:
    return (set(UsageEvent.objects.values_list("pk", flat=True)) | set(UsageAggregate.objects.values_list("pk", flat=True))
            | set(ActivityRecord.objects.values_list("pk", flat=True)))


def check_answer(response, good_keys: set[str], good_must_land: bool) -> None:
    """The answer's contract, what is stored, and the recompute of it."""
    text = response.content[:2000]
    assert response.status_code < 500, f"{response.status_code}: {text!r}"
    if response.status_code >= 400:
        assert not good_must_land, f"a body with a good record was refused: {response.status_code} {text!r}"
        assert response.json().get("error"), f"a {response.status_code} without a reason: {text!r}"
    else:
        assert response.status_code in (200, 202), text
        missing = good_keys - stored_keys()
        assert not missing, f"the good record beside the bad ones did not land: {missing}; answer {text!r}"
    daily_cost_recompute_dirty()  # issue 11 #1: a stored far-future time must not break the rollup
    problems = stored_problems()
    assert not problems, "\n".join(problems[:10])


def strict_json(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


def keys_of(items) -> set[str]:
    return {getattr(i, "dedupe_key", None) or i.key for i in items if hasattr(i, "dedupe_key") or hasattr(i, "key")}


def good_payload() -> dict:
    from tests.ingest.test_parser_litellm_payload import record

    return record(id="fuzz-good-call")
