#!/usr/bin/env python3
"""costdash_push: send the usage in your Claude Code transcripts to costdash (Python 3.8+, stdlib only).

Each run sends the complete lines written since the last run, and only lines that carry usage
(prompts, tool output and file snapshots stay here). Claude Code deletes transcripts after 30 days:
run this at least daily. Sending a line twice is harmless: the server counts each request once.

Progress is saved after every chunk the server accepts. A chunk the server refuses (4xx) is
reported and skipped; one that keeps failing (5xx, timeout) is retried a few times, then the run
moves on to the next file and tries it again next run; after STUCK_RUNS runs failing at the same
place it is reported and skipped, so no run ever sticks on one line.

    python3 costdash_push.py --url https://costdash.example.com --token cdi_...
    (or set COSTDASH_URL and COSTDASH_TOKEN; --dry-run shows what would be sent)
"""
import argparse
import gzip
import hashlib
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ENDPOINT = "/ingest/transcripts"
CHUNK = 4 * 1024 * 1024  # raw bytes of lines per request (the server takes 5 MB on the wire)
MAX_LINE = 64 * 1024 * 1024  # a usage line longer than this is skipped, not held in memory
PIECE = 1024 * 1024
HEAD = 4096  # bytes hashed to notice a file replaced in place
USAGE = b'"usage"'
RETRIES, TIMEOUT = 4, 120
# Seconds before the first retry (doubling after), and raw bytes per request: the environment can
# change them (tests do), nobody else needs to.
BACKOFF = float(os.environ.get("COSTDASH_PUSH_BACKOFF_SECONDS") or 2.0)
BATCH = int(os.environ.get("COSTDASH_PUSH_BATCH_BYTES") or 0)  # 0: CHUNK
STUCK_RUNS = 3  # runs failing at the same offset of a file before that chunk is skipped


class Refused(Exception):
    """The server refused one chunk's body (a 4xx other than 401/403/404/408/429): it will refuse
    it again, so the chunk is reported and skipped."""


class Failed(Exception):
    """One chunk kept failing (5xx, 408, 429, timeout) after RETRIES: move on to the next file."""


class Stop(Exception):
    """Nothing more can be sent this run (token refused, server unreachable or not costdash)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def roots():
    """Config roots holding projects/: CLAUDE_CONFIG_DIR (comma-separated), else ~/.claude and
    $XDG_CONFIG_HOME/claude (~/.config/claude), each once even if one links to the other."""
    env = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    if env:
        candidates = [p.strip() for p in env.split(",") if p.strip()]
    else:
        candidates = ["~/.claude", os.path.join(os.environ.get("XDG_CONFIG_HOME") or "~/.config", "claude")]
    found, seen = [], set()
    for candidate in candidates:
        root = os.path.abspath(os.path.expanduser(candidate))
        real = os.path.realpath(root)
        if real not in seen and os.path.isdir(os.path.join(root, "projects")):
            seen.add(real)
            found.append(root)
    return found


def transcripts(root):
    """Every projects/**/*.jsonl under a root, in a stable order."""
    paths = []
    for folder, _dirs, names in os.walk(os.path.join(root, "projects")):
        paths.extend(os.path.join(folder, n) for n in names if n.endswith(".jsonl"))
    return sorted(paths)


def head_hash(head, length):
    return hashlib.sha256(head[:length]).hexdigest()


def resume_offset(prev, st, head):
    """Where to resume: after the last line sent, or 0 for a new, shrunk or replaced file."""
    if not prev:
        return 0
    offset = prev.get("offset", 0)
    if st.st_size < offset or prev.get("inode") != st.st_ino:
        return 0
    if head_hash(head, prev.get("head_len", 0)) != prev.get("head"):
        return 0
    return offset


def record(st, head, offset):
    length = min(HEAD, offset)
    return {"size": st.st_size, "offset": offset, "inode": st.st_ino, "head_len": length,
            "head": head_hash(head, length)}


def complete_lines(fh, start, end):
    """(line or b"", position after it) for each complete line in [start, end). A line without
    usage comes back as b"", read in pieces and never held whole (snapshots can be huge). A line
    still being written (no newline yet) ends the walk: it is sent next run."""
    fh.seek(start)
    pos = start
    while pos < end:
        pieces, size, has_usage, tail = [], 0, False, b""
        while True:
            piece = fh.readline(min(PIECE, end - pos - size))
            if not piece:
                return
            size += len(piece)
            has_usage = has_usage or USAGE in tail + piece
            tail = piece[-len(USAGE):]
            if size <= CHUNK:
                pieces.append(piece)
            if piece.endswith(b"\n"):
                break
        if not has_usage:
            line = b""
        else:
            line = b"".join(pieces) if size <= CHUNK else oversized(fh, pos, size)
        pos += size
        yield line, pos


def oversized(fh, pos, size):
    """A usage line over CHUNK, without its content blocks (the server needs ids, model, usage
    and times); b"" when it cannot be made small enough."""
    line, here = b"", fh.tell()
    if size <= MAX_LINE:
        fh.seek(pos)
        raw = fh.read(size)
        fh.seek(here)
        try:
            obj = json.loads(raw)
            for holder in (obj, (obj.get("data") or {}).get("message")):  # assistant, agent_progress
                if isinstance(holder, dict) and isinstance(holder.get("message"), dict):
                    holder["message"]["content"] = []
            line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        except (ValueError, AttributeError):
            pass  # not an object of the known shape
    if not line or len(line) > CHUNK:
        warn("skipped a usage line of {:,} bytes at offset {:,}".format(size, pos))
        return b""
    return line


def chunks(fh, start, end):
    """(body, position after its last line) of at most CHUNK bytes each; the last one may be
    empty, to move past lines that carry no usage."""
    body, size, last = [], 0, start
    for line, pos in complete_lines(fh, start, end):
        if line and body and size + len(line) > (BATCH or CHUNK):
            yield b"".join(body), last
            body, size = [], 0
        if line:
            body.append(line)
            size += len(line)
        last = pos
    yield b"".join(body), last


def post(url, token, name, body):
    """The server's answer to one gzip chunk; transient failures (5xx, 429, network) are retried,
    then raise Stop."""
    request = urllib.request.Request(url, data=gzip.compress(body), method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/x-ndjson",
        "Content-Encoding": "gzip", "X-Costdash-File": urllib.parse.quote(name, safe="/"),
        "User-Agent": "costdash-push/1",
    })
    error, answered = "", False
    for attempt in range(RETRIES + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer = response.read()
            break
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            if exc.code in (401, 403):
                raise Stop("the server refused the token ({}). It is wrong or revoked: create a new one on "
                           "{}/imports/push/".format(detail, url[: -len(ENDPOINT)]), code=2) from None
            if exc.code in (404, 405):
                raise Stop("HTTP {} from {}: is --url costdash's address?".format(exc.code, url)) from None
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise Refused("HTTP {}: {}".format(exc.code, detail)) from None
            error, answered = "HTTP {}: {}".format(exc.code, detail), True
        except urllib.error.URLError as exc:  # no answer at all: refused, unknown host...
            error, answered = str(exc.reason), False
        except (http.client.HTTPException, OSError) as exc:  # timed out or dropped after sending
            error, answered = str(exc), True
        if attempt < RETRIES:
            time.sleep(BACKOFF * 2 ** attempt)
    else:
        if not answered:
            raise Stop("could not reach {}: {} (after {} attempts)".format(url, error, RETRIES + 1))
        raise Failed("{} (after {} attempts)".format(error, RETRIES + 1))
    try:
        return json.loads(answer)
    except ValueError:
        raise Stop("{} answered with something other than JSON: is --url costdash's address?".format(url)) from None


def push_file(args, state, root, path, totals):
    """Send one file's new usage lines. Its state moves past each chunk the server accepted or
    refused (4xx: reported, skipped) and is saved at once; a chunk that keeps failing raises
    Failed, leaving the state before it, unless it has failed STUCK_RUNS runs in a row."""
    name = os.path.relpath(path, root).replace(os.sep, "/")
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        head, posts_before = fh.read(HEAD), totals["posts"]
        start = resume_offset(state.get(path), st, head)
        stuck = (state.get(path) or {}).get("stuck") or {}
        for body, end in chunks(fh, start, st.st_size):
            if body and args.dry_run:
                print("would send {}: {} lines, {:,} bytes".format(name, body.count(b"\n"), len(body)))
            elif body:
                try:
                    send_chunk(args, name, body, totals, stuck if stuck.get("offset") == start else None)
                except Failed as exc:  # remember where, and how many runs in a row failed there
                    state[path] = dict(record(st, head, start), stuck={"offset": start, "runs": exc.runs})
                    save_state(args.state, state)
                    raise
            if body:
                totals["bytes"] += len(body)
                totals["posts"] += 1
            if not args.dry_run:
                state[path] = record(st, head, end)
                save_state(args.state, state)
            start = end
    totals["sent_files"] += totals["posts"] > posts_before


def send_chunk(args, name, body, totals, stuck):
    """Post one chunk and count the answer. A refused chunk is reported and counted as skipped;
    Failed passes up, marked with how many runs in a row failed here (``stuck``: the earlier ones)."""
    runs = (stuck or {}).get("runs", 0)
    try:
        tally(post(args.url.rstrip("/") + ENDPOINT, args.token, name, body), name, totals)
    except Refused as exc:
        warn("{}: the server refused {} lines ({}): skipped".format(name, body.count(b"\n"), exc))
        totals["skipped"] += body.count(b"\n")
    except Failed as exc:
        if runs + 1 < STUCK_RUNS:
            exc.runs = runs + 1
            raise
        warn("{}: {} lines failed {} runs in a row ({}): skipped".format(name, body.count(b"\n"), runs + 1, exc))
        totals["skipped"] += body.count(b"\n")


def tally(answer, name, totals):
    for key in ("new", "updated", "duplicates"):
        totals[key] += answer.get(key, 0)
    totals["rejected"] += answer.get("rejected_count", len(answer.get("rejected", [])))
    for item in answer.get("rejected", [])[:3]:
        warn("{}: a line was rejected: {}".format(name, item.get("reason")))


def load_state(path):
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}
    except ValueError:
        warn("state file {} is unreadable: starting over (the server drops repeats)".format(path))
        return {}
    return data.get("files", {}) if isinstance(data, dict) else {}


def save_state(path, files):
    """Write the state atomically, forgetting files Claude Code has since deleted."""
    kept = {p: s for p, s in files.items() if os.path.exists(p)}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "files": kept}, fh, indent=0, sort_keys=True)
    os.replace(tmp, path)


def warn(message):
    print("costdash-push: " + message, file=sys.stderr)


def arguments(argv):
    parser = argparse.ArgumentParser(description="Send new Claude Code transcript lines to costdash.")
    parser.add_argument("--url", default=os.environ.get("COSTDASH_URL"), help="costdash's address (COSTDASH_URL)")
    parser.add_argument("--token", default=os.environ.get("COSTDASH_TOKEN"), help="your push token (COSTDASH_TOKEN)")
    parser.add_argument("--state", default="~/.costdash-push-state.json", help="where to remember what was sent")
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    args = parser.parse_args(argv)
    if not args.url or not args.token:
        parser.error("--url and --token (or COSTDASH_URL and COSTDASH_TOKEN) are required")
    args.state = os.path.expanduser(args.state)
    host = urllib.parse.urlsplit(args.url).hostname or ""
    if args.url.startswith("http://") and host not in ("localhost", "127.0.0.1", "::1"):
        warn("warning: {} is not https, so your token travels unencrypted".format(args.url))
    return args


def main(argv=None):
    args = arguments(argv)
    state = load_state(args.state)
    totals = dict.fromkeys(
        ("files", "sent_files", "bytes", "posts", "new", "updated", "duplicates", "rejected", "skipped"), 0
    )
    code, found = 0, roots()
    if not found:
        warn("no Claude Code transcripts found: set CLAUDE_CONFIG_DIR to the folder that holds projects/")
    try:
        for root in found:
            for path in transcripts(root):
                totals["files"] += 1
                try:
                    push_file(args, state, root, path, totals)
                except Failed as exc:
                    warn("{}: {}; moving on (tried again next run)".format(path, exc))
                    code = 1
                except OSError as exc:  # deleted or unreadable between listing and reading
                    warn("{}: {}".format(path, exc))
    except Stop as exc:
        warn("{}. Nothing is lost: the next run resumes here.".format(exc))
        code = exc.code
    finally:
        if not args.dry_run:
            save_state(args.state, state)
    summary = "costdash-push: {files} files, {sent_files} with new usage; {verb} {bytes:,} bytes in {posts} requests"
    if not args.dry_run:
        summary += ("; {new} new, {updated} updated, {duplicates} duplicate usage records, {rejected} rejected lines, "
                    "{skipped} lines skipped")
    code = 1 if code == 0 and totals["skipped"] else code
    print(summary.format(verb="would send" if args.dry_run else "sent", **totals))
    return code


if __name__ == "__main__":
    sys.exit(main())
