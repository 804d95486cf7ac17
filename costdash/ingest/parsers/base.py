"""What every parser yields: parsed requests and rejected lines."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(slots=True)
class ParsedRequest:
    """One API request as a source reported it, before identity mapping and pricing."""

    dedupe_key: str
    timestamp: datetime
    raw_model: str
    session_id: str = ""
    project: str = ""
    request_id: str = ""
    message_id: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    web_search_requests: int = 0
    service_tier: str = ""
    is_batch: bool = False
    speed: str = ""
    inference_geo: str = ""
    reported_cost: Decimal | None = None


@dataclass(slots=True)
class Rejected:
    """A line or row that could not be used, and why, named by file and line."""

    file: str
    line: int
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclass
class ParseStats:
    lines: int = 0
    usage_lines: int = 0
    synthetic: int = 0
    bytes: int = 0
    rejected: Counter = field(default_factory=Counter)


class RowError(ValueError):
    """A row whose field has the wrong type or value; the message names the field."""
