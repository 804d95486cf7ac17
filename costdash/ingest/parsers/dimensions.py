"""Chargeback dimensions of a request: what teams bill on besides the developer.

A ParsedRequest's ``dimensions`` is a small dict, None when the source has none:

- ``api_key``: LiteLLM's key alias (metadata.user_api_key_alias), else the hashed key
  (``api_key`` / metadata.user_api_key / user_api_key_hash): never a secret;
- ``team``: LiteLLM's team alias (metadata.user_api_key_team_alias), else its team id;
- ``tags``: LiteLLM's request tags (``request_tags``, else metadata.tags), a list in the order sent,
  without repeats;
- ``otel``: Claude Code's OpenTelemetry resource attributes (``OTEL_RESOURCE_ATTRIBUTES``: team.id,
  cost_center, department...), without the standard ones (service.*, os.*, host.*...) and the
  identity ones, which are not chargeback dimensions.

It is stored as ``UsageEvent.dimensions``, canonical JSON (``canonical``: sorted keys, no blanks),
so equal dimensions are equal text and the rollup groups by the column. The project is not in it:
transcripts already store their working directory as ``UsageEvent.project`` (LiteLLM its project
alias), and the rollup derives the repository from that (``repository_of``), once per distinct
directory rather than once per line on the import's hot path. The Admin API's usage report keeps
its workspace and key in UsageAggregate's own columns.

``reason`` holds a dict to the bounds below (checks.check calls it): a dimension attributes cost to
a cost center, so like an identity it is refused, never cut, when too long or not clean text.
Kept free of Django: parse worker processes import it without Django set up.
"""
from __future__ import annotations

import functools
import re

import orjson

MAX_VALUE = 200  # a key alias, team, tag or attribute value
MAX_NAME = 64  # an attribute's name
MAX_TAGS = 16
MAX_ATTRIBUTES = 16
KEYS = ("api_key", "otel", "tags", "team")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

# OpenTelemetry resource attributes that describe the program or the person, not a chargeback.
STANDARD_PREFIXES = ("service.", "os.", "host.", "telemetry.", "process.", "user.", "session.", "terminal.")
STANDARD_NAMES = frozenset({"developer.id", "organization.id", "app.version"})
# Where a checkout's worktrees live below its root (Claude Code's --worktree, common tooling).
WORKTREE_MARKS = ("/.worktrees/", "/.claude/worktrees/", "/.git/worktrees/")
UNKNOWN_PROJECT = "unknown project"
# Folders that hold checkouts, one per child: below one, the child is the checkout's root, so
# ~/src/web.app/packages/ui is the web.app repository.
HOMES = frozenset({"home", "Users", "users"})
CODE_ROOTS = frozenset({"src", "git", "code", "repos", "projects", "dev", "workspace", "workspaces", "work",
                        "github", "gitlab", "Projects", "Developer", "Code", "source", "repositories"})


def canonical(dimensions: dict | None) -> str | None:
    """The stored text of ``dimensions``: sorted keys, no blanks; None when there are none."""
    if not dimensions:
        return None
    return orjson.dumps(dimensions, option=orjson.OPT_SORT_KEYS).decode()


def litellm_dimensions(row: dict, metadata: dict) -> dict | None:
    """The dimensions of a SpendLogs row or logging payload (and its metadata), None if none.
    Values of the wrong type count as absent (metadata keys vary by version); ``reason`` bounds them."""
    found: dict = {}
    key = _text(metadata, "user_api_key_alias") or _text(row, "api_key") or _text(metadata, "user_api_key") \
        or _text(metadata, "user_api_key_hash")
    if key:
        found["api_key"] = key
    team = (_text(metadata, "user_api_key_team_alias") or _text(row, "team_id")
            or _text(metadata, "user_api_key_team_id"))
    if team:
        found["team"] = team
    tags = _tags(row.get("request_tags"))
    if tags is None:
        tags = _tags(metadata.get("tags"))
    if tags:
        found["tags"] = tags
    return found or None


def otel_dimensions(attrs: dict) -> dict | None:
    """``{"otel": {name: value}}`` of the custom resource attributes among ``attrs`` ({key: raw
    OTLP AnyValue}); string, number and bool values, as text. None when there are none."""
    found = {}
    for name, value in attrs.items():
        if name in STANDARD_NAMES or name.startswith(STANDARD_PREFIXES) or not isinstance(value, dict):
            continue
        raw = next((value[k] for k in ("stringValue", "intValue", "boolValue", "doubleValue") if k in value), None)
        if isinstance(raw, bool):
            raw = "true" if raw else "false"
        if isinstance(raw, str | int | float):
            text = str(raw).strip()
            if text:
                found[name] = text
    return {"otel": found} if found else None


def reason(dimensions) -> str | None:
    """Why ``dimensions`` cannot be stored (naming the field), or None."""
    if type(dimensions) is not dict:
        return "field dimensions is not an object"
    for key, value in dimensions.items():
        if key not in KEYS:
            return f"field dimensions has an unknown key {str(key)[:20]!r}"
        if key == "tags":
            if type(value) is not list or len(value) > MAX_TAGS:
                return f"field dimensions.tags is not a list of at most {MAX_TAGS} tags"
            problem = next(filter(None, (_value_reason(tag, "dimensions.tags") for tag in value)), None)
        elif key == "otel":
            if type(value) is not dict or len(value) > MAX_ATTRIBUTES:
                return f"field dimensions.otel is not at most {MAX_ATTRIBUTES} attributes"
            problem = next(filter(None, (
                _value_reason(name, "dimensions.otel name", MAX_NAME) or _value_reason(text, f"dimensions.otel.{name}")
                for name, text in value.items()
            )), None)
        else:
            problem = _value_reason(value, f"dimensions.{key}")
        if problem:
            return problem
    return None


def _value_reason(value, field: str, limit: int = MAX_VALUE) -> str | None:
    if type(value) is not str:
        return f"field {field[:80]} is not text"
    if len(value) > limit:
        return f"field {field[:80]} is too long ({len(value)} characters, at most {limit})"
    if not value.isprintable() and _CONTROL.search(value):
        return f"field {field[:80]} holds a control character (NUL, tab, newline…) or is not valid text"
    return None


def _text(holder: dict, key: str) -> str:
    value = holder.get(key)
    return value.strip() if isinstance(value, str) else ""


def _tags(value) -> list[str] | None:
    """A tag list: a JSON list, or its text (a CSV cell); None when absent or not a list."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    if not isinstance(value, list):
        return None
    tags: list[str] = []
    for tag in value:
        text = tag.strip() if isinstance(tag, str) else ""
        if text and text not in tags:
            tags.append(text)
    return tags


@functools.lru_cache(maxsize=4096)
def repository_of(path: str) -> str:
    """The repository a working directory belongs to, as the project to charge: the checkout's root
    when the path shows it (the part before a ``/.worktrees/``-style folder; or the first folder
    below a CODE_ROOTS folder such as ``~/src``), else the directory as given (without a trailing
    separator); UNKNOWN_PROJECT for none. A Windows path is read with ``/`` for ``\\``. Nothing is
    looked up on disk: the path is from another machine."""
    text = (path or "").strip().replace("\\", "/")
    for mark in WORKTREE_MARKS:
        at = text.find(mark)
        if at > 0:
            text = text[:at]
            break
    parts = text.rstrip("/").split("/")
    first = 1
    for at in (1, 2):  # /home/<user>/…, /Users/<user>/…, C:/Users/<user>/…: a user's name is no code root
        if at < len(parts) and parts[at] in HOMES:
            first = at + 2
            break
    for at in range(first, len(parts) - 1):
        if parts[at] in CODE_ROOTS and parts[at + 1]:
            parts = parts[: at + 2]
            break
    return "/".join(parts) or UNKNOWN_PROJECT
