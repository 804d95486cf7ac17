"""Make the LiteLLM failed-calls corpus with LiteLLM's own code, in-process, without a network.

Run by hand (not by the tests, which read the committed files), in a throwaway venv so that
litellm never enters the project's lock:

    python3 -m venv /tmp/llvenv && /tmp/llvenv/bin/pip install 'litellm[proxy]'
    LITELLM_LOCAL_MODEL_COST_MAP=True /tmp/llvenv/bin/python tests/data/litellm_failed/make_corpus.py

What is LiteLLM's and what is ours:
- every call goes through ``litellm.completion`` with ``mock_response`` (no network): a
  ModelResponse carrying Anthropic usage (cache reads and writes) for a success, an exception for
  a failure. LiteLLM's logging runs as for a real call: its cost calculator prices successes
  (``response_cost``) and builds the StandardLoggingPayload of every call (success and failure);
  a CustomLogger catches both, as the generic_api callback would post them;
- failures are LiteLLM's own exceptions, mapped from Anthropic status codes by LiteLLM's
  ``exception_type`` (429 -> RateLimitError; 529 overloaded and 500 -> InternalServerError; 400
  "prompt is too long" -> ContextWindowExceededError);
- the SpendLogs row of each call is LiteLLM's ``get_logging_payload`` (the proxy's builder). For a
  failure, the proxy's failure hook (``_ProxyDBLogger.async_post_call_failure_hook``) first puts
  ``status: "failure"`` and ``error_information`` into the request metadata; that hook needs a
  running proxy and database, so those two keys are set here as it sets them (hand-written from
  its source), and the builder is then LiteLLM's;
- ``prompt_tokens`` of a failure: real failed rows from a proxy carry LiteLLM's estimate of the
  request's messages (issue 12), while in-process failure logging leaves it 0. It is set here to
  ``litellm.token_counter`` of the messages (LiteLLM's own counter) on the failure's payload,
  which the SpendLogs builder then copies, as the rows finance saw.
Retried calls: a failed attempt (or two) followed by the same conversation succeeding, as Claude
Code retries; each attempt is its own call with its own id.

Writes spendlogs.csv (the table's CSV export), spendlogs.json (an array of rows),
spendlogs_v2.json (two /spend/logs/v2 pages), payloads.ndjson (StandardLoggingPayload, one per
line) and expected.json (what the tests assert: successful calls, their spend summed exactly,
failed calls), all beside this script. Times are fixed and ids are made deterministic, so a
re-run gives the same files (up to LiteLLM's version).
"""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import json
import os
from pathlib import Path
import time
import uuid

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # the bundled price map: no network

import litellm  # noqa: E402
from litellm.integrations.custom_logger import CustomLogger  # noqa: E402
from litellm.litellm_core_utils.exception_mapping_utils import exception_type  # noqa: E402
from litellm.litellm_core_utils.litellm_logging import StandardLoggingPayloadSetup  # noqa: E402
from litellm.llms.anthropic.common_utils import AnthropicError  # noqa: E402
from litellm.proxy.spend_tracking.spend_tracking_utils import get_logging_payload  # noqa: E402
from litellm.types.utils import Choices, Message, ModelResponse, PromptTokensDetailsWrapper, Usage  # noqa: E402

HERE = Path(__file__).parent
START = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
PEOPLE = ("ana@example.com", "ben@example.com")
MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5")
# (status code, Anthropic error body): what the provider answered a failed call.
FAILURES = {
    "429": (429, '{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has '
                 'exceeded your per-minute rate limit"}}'),
    "529": (529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'),
    "500": (500, '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}'),
    "too_long": (400, '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: '
                      '212345 tokens > 200000 maximum"}}'),
}
# Each conversation: its person, model, size (in words of the last message) and what happened, in
# order: "ok", or a failure kind then (a retry) "ok".
PLAN = [
    (0, 0, 400, ["ok"]),
    (0, 0, 900, ["429", "ok"]),
    (0, 0, 1200, ["529", "529", "ok"]),
    (0, 1, 300, ["ok"]),
    (0, 0, 5000, ["too_long"]),
    (1, 0, 700, ["500", "ok"]),
    (1, 1, 250, ["429", "429", "429"]),
    (1, 0, 2000, ["ok"]),
    (1, 0, 1500, ["529"]),
    (1, 1, 600, ["ok"]),
]


class Capture(CustomLogger):
    """What LiteLLM's logging hands its callbacks, for success and failure alike."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.calls.append((kwargs, response_obj, start_time, end_time))

    def log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self.calls.append((kwargs, kwargs.get("exception"), start_time, end_time))


def main() -> None:
    capture = Capture()
    litellm.callbacks = [capture]
    n = 0
    for conversation, (person, model, size, attempts) in enumerate(PLAN):
        messages = [{"role": "user", "content": f"conversation {conversation}: " + "word " * size}]
        for attempt, outcome in enumerate(attempts):
            n += 1
            metadata = {
                "user_api_key_user_id": PEOPLE[person], "user_api_key_hash": f"hash-{person}",
                "user_api_key_alias": f"{PEOPLE[person].split('@')[0]}-claude-code",
                "user_api_key_team_id": "team-platform",
            }
            call_id = str(uuid.UUID(int=n))
            mock = _response(n, MODELS[model], size) if outcome == "ok" else _exception(outcome, MODELS[model])
            try:
                litellm.completion(model="anthropic/" + MODELS[model], messages=messages, metadata=metadata,
                                   mock_response=mock, litellm_call_id=call_id)
            except Exception:  # noqa: BLE001 - the failure is what is being logged
                pass
            for _ in range(200):  # LiteLLM logs on a thread of its own: wait for this call's record
                if len(capture.calls) == n:
                    break
                time.sleep(0.05)
            kwargs = capture.calls[n - 1][0]
            kwargs["corpus"] = (conversation, attempt, outcome, messages, START + timedelta(minutes=7 * n))
    rows, payloads, expected = [], [], {"successful": 0, "failed": 0, "spend": Decimal(0), "by_error": {}}
    for kwargs, response_obj, _, _ in capture.calls:
        conversation, attempt, outcome, messages, at = kwargs.pop("corpus")
        payload, row = _logged(kwargs, response_obj, outcome, messages, at)
        payloads.append(payload)
        rows.append(row)
        if outcome == "ok":
            expected["successful"] += 1
            expected["spend"] += Decimal(repr(row["spend"]))
        else:
            expected["failed"] += 1
            expected["by_error"][outcome] = expected["by_error"].get(outcome, 0) + 1
    _write(rows, payloads, expected)


def _response(n: int, model: str, size: int) -> ModelResponse:
    """An Anthropic answer as LiteLLM returns it: most of the prompt read from the cache."""
    reads, writes, text = size * 40, size * 3, 12
    prompt, output = text + reads + writes, 200 + size // 4
    usage = Usage(
        prompt_tokens=prompt, completion_tokens=output, total_tokens=prompt + output,
        cache_creation_input_tokens=writes, cache_read_input_tokens=reads,
        prompt_tokens_details=PromptTokensDetailsWrapper(cached_tokens=reads, cache_creation_tokens=writes,
                                                         text_tokens=text),
    )
    message = Message(content="done", role="assistant")
    return ModelResponse(id=f"msg_01Corpus{n:04d}", model=model, choices=[Choices(message=message)], usage=usage)


def _exception(kind: str, model: str) -> Exception:
    """LiteLLM's exception for an Anthropic error, through LiteLLM's own mapping."""
    status, body = FAILURES[kind]
    try:
        exception_type(model=model, original_exception=AnthropicError(status_code=status, message=body),
                       custom_llm_provider="anthropic")
    except Exception as mapped:  # noqa: BLE001 - exception_type raises the mapped exception
        return mapped
    raise AssertionError("exception_type did not raise")


def _logged(kwargs: dict, response_obj, outcome: str, messages: list, at: datetime) -> tuple[dict, dict]:
    """(StandardLoggingPayload, SpendLogs row) of one call, at the fixed time ``at``."""
    payload = kwargs["standard_logging_object"]
    end = at + timedelta(seconds=3)
    payload["startTime"], payload["endTime"], payload["completionStartTime"] = (
        at.timestamp(), end.timestamp(), end.timestamp())
    kwargs["completion_start_time"] = end
    if outcome != "ok":
        # The proxy's failure hook, as it sets these (see the module docstring).
        payload["prompt_tokens"] = litellm.token_counter(model=kwargs["model"], messages=messages)
        payload["total_tokens"] = payload["prompt_tokens"]
        metadata = kwargs["litellm_params"].setdefault("metadata", {})
        metadata["status"] = "failure"
        metadata["error_information"] = StandardLoggingPayloadSetup.get_error_information(
            original_exception=response_obj)
        metadata["error_information"]["traceback"] = ""  # a path of this machine: not corpus
        payload["error_information"]["traceback"] = ""
    row = get_logging_payload(kwargs, response_obj, at, end)
    row = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    return json.loads(json.dumps(payload, default=str)), row


def _write(rows: list[dict], payloads: list[dict], expected: dict) -> None:
    with open(HERE / "spendlogs.json", "w") as f:
        json.dump(rows, f, indent=1)  # in LiteLLM's own key order, as its API returns them
    half = len(rows) // 2
    pages = [{"data": rows[:half], "total": len(rows), "page": 1, "page_size": half, "total_pages": 2,
              "total_is_capped": False},
             {"data": rows[half:], "total": len(rows), "page": 2, "page_size": half, "total_pages": 2,
              "total_is_capped": False}]
    with open(HERE / "spendlogs_v2.json", "w") as f:
        f.write("\n".join(json.dumps(page) for page in pages) + "\n")
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with open(HERE / "spendlogs.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()})
    with open(HERE / "payloads.ndjson", "w") as f:
        f.write("".join(json.dumps(p) + "\n" for p in payloads))
    expected["spend"] = str(expected["spend"])
    expected["litellm"] = litellm.__version__ if hasattr(litellm, "__version__") else _version()
    with open(HERE / "expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


def _version() -> str:
    from importlib.metadata import version

    return version("litellm")


if __name__ == "__main__":
    main()
