"""`manage.py import_usage TREE --developer EMAIL` over transcripts already imported, without setting Django up.

Django's start-up (its ORM, every app's models and their imports) is most of a re-import of an unchanged tree
(issue 16: ~0.4 of its ~0.5 s of CPU). manage.py asks ``reimport_unchanged`` first; it does the import itself
only when the Django command would read no file and write nothing but its ImportBatch row, and returns False
in every other case, having written nothing, so manage.py runs the command as before. It does it when:

- the arguments are folders or plain files (no archive), ``--developer EMAIL`` and ``--no-progress``, nothing
  else; without ``--no-progress`` only when stderr is not a terminal (the command would draw no bar);
- the fast path is on (COSTDASH_IMPORT_FAST_PATH, default true), DJANGO_SETTINGS_MODULE is costdash.settings
  and the secret key would be accepted (settings.py's own check);
- the database is PostgreSQL or SQLite (DATABASE_URL, else the embedded default's file under COSTDASH_DATA_DIR,
  read with dj_database_url as settings.py reads them), set without options only Django understands, and exists;
- the email, trimmed and lower-cased, is a plain address already known as a Claude Code identity mapped to a
  developer, and the org settings row exists (the command would create neither);
- every file listed (ingest.files.Inputs: the command's walk) is unchanged by its cursor's stat
  (ingest.cursors.screen: the command's test), or is a file with no cursor that no parser recognises (a stray
  .json: counted ignored, as the command counts it). A new, grown or replaced file, or one the command would
  take as unchanged only by its fingerprint (its cursor gone), leaves the import to the command (which then
  records that file's cursor, ImportRun._cursor_refresh, so the next run of an unchanged tree is taken here).

Then it inserts the batch row the command leaves for such a run (done, the files unchanged and ignored, the
bytes, no lines, no requests) and prints the command's summary (ingest.summary). No Django or Celery is
imported here (tests/test_lazy_loading.py); psycopg or sqlite3, dj_database_url and the parsers only when
needed. A bad value of a setting it does not read (settings.py refuses it at start-up) goes unnoticed here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
import json
import os
from pathlib import Path
import re
import sys

from .cursors import CURSOR_FIELDS, Cursor, screen
from .files import Inputs, is_archive
from .summary import batch_summary_lines

ENV = "COSTDASH_IMPORT_FAST_PATH"
SETTINGS_MODULE = "costdash.settings"
BASE_DIR = Path(__file__).resolve().parents[2]  # settings.BASE_DIR
# ingest.models.Source.CLAUDE_CODE_JSONL, its value and label (tests check they agree)
SOURCE, SOURCE_LABEL = "claude_code_jsonl", "Claude Code transcripts (JSONL)"
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}  # settings.env_bool's words
# A plain address, a strict subset of what accounts.services.clean_email accepts (tested): anything else is the
# command's to judge.
PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
# libpq keywords a DATABASE_URL's query string may set that psycopg takes as they are (settings' OPTIONS);
# any other option (Django's isolation_level, pool, assume_role...) leaves the import to the command.
LIBPQ_OPTIONS = {
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword", "sslcompression", "gssencmode",
    "connect_timeout", "application_name", "options", "target_session_attrs", "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "passfile", "service", "channel_binding", "require_auth",
}


JSON_COLUMNS = ("rejected_by_reason", "errors", "unpriced_models")


class NotHere(Exception):
    """The Django command has to do this import (said before anything is written)."""


@dataclass
class Batch:
    """The ImportBatch row of an import that read nothing, and what ingest.summary reads of it."""

    label: str
    developer_id: int
    developer: str  # shown: the developer's name, or email
    total_bytes: int = 0
    processed_bytes: int = 0
    files_unchanged: int = 0
    files_ignored: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    pk: int | None = None
    status: str = "done"
    source: str = SOURCE
    files_read: int = 0
    files_resumed: int = 0
    lines: int = 0
    usage_lines: int = 0
    requests_new: int = 0
    requests_updated: int = 0
    duplicates: int = 0
    conflicts: int = 0
    skipped_retention: int = 0
    failed_calls: int = 0
    rejected: int = 0
    rejected_by_reason: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    unpriced_models: list = field(default_factory=list)
    failure: str = ""

    def get_source_display(self) -> str:
        return SOURCE_LABEL


def reimport_unchanged(argv: list[str], environ=None, stdout=None, stderr=None) -> bool:
    """Do `import_usage ARGV` here if it would read nothing (see the module): True once its batch is written
    and its summary printed; False, having written nothing, when the Django command has to run."""
    environ = os.environ if environ is None else environ
    stdout = sys.stdout if stdout is None else stdout
    try:
        batch = _reimport(argv, environ, sys.stderr if stderr is None else stderr)
    except Exception:  # NotHere, or anything unexpected before the commit: the command decides, as ever
        return False
    for line in batch_summary_lines(batch):
        stdout.write(line + "\n")
    stdout.flush()
    return True


def _reimport(argv: list[str], environ, stderr) -> Batch:
    paths, email, no_progress = _arguments(argv)
    if not no_progress and stderr.isatty():
        raise NotHere("the command draws a progress bar")
    with _connect(environ) as db:
        found = db.one(
            "SELECT d.id, d.name, d.email FROM accounts_identity i JOIN accounts_developer d ON d.id = i.developer_id"
            " WHERE i.source = %s AND i.external_id = %s", (SOURCE, email))
        if found is None:
            raise NotHere("a developer or identity the command would create, or an admin left unmapped")
        developer_id, name, developer_email = found
        if db.one("SELECT 1 FROM accounts_orgsettings WHERE id = 1") is None:
            raise NotHere("no org settings yet: the command creates them")
        cursors = {key: Cursor(*figures) for key, *figures in db.all(
            f"SELECT {_names(CURSOR_FIELDS)} FROM ingest_transcriptcursor WHERE developer_id = %s", (developer_id,))}
        batch = Batch(label=", ".join(str(p) for p in paths)[:500], developer_id=developer_id,
                      developer=name or developer_email)
        known = Known(db, developer_id)
        inputs = Inputs(paths)
        batch.total_bytes = inputs.total_bytes
        for input_file in inputs:
            unchanged, file_cursor, fingerprint = screen(input_file, cursors, known)
            if unchanged and fingerprint is None:  # its stat as its cursor recorded
                batch.files_unchanged += 1
            elif not unchanged and file_cursor is None and _ignored(input_file):
                batch.files_ignored += 1
            else:
                raise NotHere(f"{input_file.name}: to read, or unchanged only by its fingerprint")
            batch.processed_bytes += input_file.size
        batch.pk = db.insert_batch(batch)
    return batch


def _arguments(argv: list[str]) -> tuple[list[Path], str, bool]:
    """The command's paths, --developer and --no-progress; NotHere for anything else the command takes."""
    paths, developers, no_progress = [], [], False
    args = iter(argv)
    for arg in args:
        if arg == "--no-progress":
            no_progress = True
        elif arg == "--developer":
            developers.append(next(args, ""))
        elif arg.startswith("--developer="):
            developers.append(arg.partition("=")[2])
        elif arg.startswith("-") or not arg:
            raise NotHere(f"an option left to the command: {arg!r}")
        else:
            paths.append(Path(arg))
    if not paths or len(developers) != 1:
        raise NotHere("no path, or not one --developer")
    email = developers[0].strip().lower()
    if not PLAIN_EMAIL.fullmatch(email) or len(email) > 254:
        raise NotHere("an email the command's validator has to judge")
    for path in paths:
        if not (path.is_dir() or (path.is_file() and not is_archive(path))):
            raise NotHere(f"{path}: missing, an archive, or not a file")
    return paths, email, no_progress


def _connect(environ) -> Database:
    """A connection to the database settings.py would use (PostgreSQL or SQLite); NotHere when the fast path is
    off, or the settings would not load as they are read here, or the database is set in a way left to Django."""
    switch = environ.get(ENV, "").strip().lower()
    if switch and switch not in TRUE:  # off, or a bad value the settings refuse loudly
        raise NotHere(f"{ENV} is not true")
    if environ.get("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE) != SETTINGS_MODULE:
        raise NotHere("other settings")
    debug = _true(environ, "DJANGO_DEBUG")  # read first by settings.py: a bad value stops it
    if not environ.get("DJANGO_SECRET_KEY") and not (debug or _true(environ, "COSTDASH_ALLOW_INSECURE_KEY")):
        raise NotHere("no secret key: the settings refuse to load")
    import dj_database_url

    data_dir = Path(environ.get("COSTDASH_DATA_DIR") or BASE_DIR / "var")  # as settings.py reads them
    db = dj_database_url.parse(environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'costdash.sqlite3'}")
    options = db.get("OPTIONS") or {}
    if db.get("ENGINE") == "django.db.backends.sqlite3" and not options:
        busy = int(environ.get("COSTDASH_SQLITE_BUSY_SECONDS") or 30)
        return SQLite(db["NAME"], busy)
    if db.get("ENGINE") != "django.db.backends.postgresql" or set(options) - LIBPQ_OPTIONS:
        raise NotHere("another database, or options only Django understands")
    params = {"client_encoding": "UTF8", **options}
    for key, name in (("NAME", "dbname"), ("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"),
                      ("PORT", "port")):
        if db.get(key):
            params[name] = str(db[key])
    if "dbname" not in params and "service" not in params:
        raise NotHere("no database name")
    return PostgreSQL(params)


def _true(environ, name: str) -> bool:
    """settings.env_bool's answer, default false; NotHere for a value it would refuse."""
    value = environ.get(name, "").strip().lower()
    if value and value not in TRUE | FALSE:
        raise NotHere(f"{name}: a value the settings refuse")
    return value in TRUE


def _ignored(input_file) -> bool:
    """No parser recognises this plain file: the command counts it ignored (ImportRun._transcript_jobs)."""
    if input_file.path is None or input_file.refused:
        return False
    from .parsers import HEAD_BYTES, parser_for

    with input_file.open() as stream:
        head = stream.read(HEAD_BYTES)
    return parser_for(head, input_file.name) is None


class Database:
    """The few statements the fast path runs, on PostgreSQL (psycopg) or SQLite (sqlite3), as Django stores
    their values. Used as a context manager: the connection is closed on the way out, and only insert_batch's
    own transaction commits."""

    json_cast = ""

    def __init__(self, connection):
        self.connection = connection
        self.cursor = connection.cursor()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.connection.close()  # not committed: rolled back

    def run(self, sql: str, params=()):
        self.cursor.execute(sql, params)
        return self.cursor

    def one(self, sql: str, params=()):
        return self.run(sql, params).fetchone()

    def all(self, sql: str, params=()) -> list:
        return self.run(sql, params).fetchall()

    def value(self, value):
        return value

    def insert_batch(self, batch: Batch) -> int:
        """The batch row as the command leaves it (ingest.services: created, then running, then done),
        inserted and committed."""
        now = datetime.now(timezone.utc)
        row = {
            **{name: value for name, value in asdict(batch).items() if name not in ("pk", "developer")},
            "created_by_id": None, "upload": "", "transcripts_only": False, "fingerprint": "", "records_new": 0,
            "records_updated": 0, "records_unchanged": 0, "started_at": batch.created_at, "finished_at": now,
            "heartbeat_at": now, "queued_at": None,
        }
        row = {name: json.dumps(value) if name in JSON_COLUMNS else self.value(value) for name, value in row.items()}
        values = ", ".join(f"%({name})s{self.json_cast if name in JSON_COLUMNS else ''}" for name in row)
        pk = self.insert(f"INSERT INTO ingest_importbatch ({_names(row)}) VALUES ({values})", row)
        self.connection.commit()
        return pk

    def insert(self, sql: str, row: dict) -> int:
        return self.one(sql + " RETURNING id", row)[0]


class PostgreSQL(Database):
    json_cast = "::jsonb"

    def __init__(self, params: dict):
        import psycopg

        super().__init__(psycopg.connect(**params))


class SQLite(Database):
    """As Django's backend with settings.py's options: WAL, synchronous NORMAL, a write transaction taken at
    once (IMMEDIATE) waiting up to COSTDASH_SQLITE_BUSY_SECONDS; datetimes stored as naive UTC text."""

    def __init__(self, name: str, busy_seconds: int):
        import sqlite3

        path = Path(name)
        if not path.is_file():
            raise NotHere("no SQLite database yet: the command's to make")
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=busy_seconds,
                                     isolation_level=None)
        super().__init__(connection)
        self.run("PRAGMA journal_mode=WAL")
        self.run("PRAGMA synchronous=NORMAL")

    def run(self, sql: str, params=()):
        return super().run(re.sub(r"%\((\w+)\)s", r":\1", sql.replace("%s", "?")), params)

    def value(self, value):
        if isinstance(value, datetime):  # Django's SQLite backend: str() of the naive UTC time
            return str(value.astimezone(timezone.utc).replace(tzinfo=None))
        return value

    def insert(self, sql: str, row: dict) -> int:
        self.run("BEGIN IMMEDIATE")
        return self.run(sql, row).lastrowid


class Known:
    """The fingerprints of the files already imported for this developer or for nobody (ImportRun.known), read
    when a file first needs them."""

    def __init__(self, db: Database, developer_id: int):
        self.db, self.developer_id, self.fingerprints = db, developer_id, None

    def _load(self) -> set[str]:
        if self.fingerprints is None:
            self.fingerprints = {row[0] for row in self.db.all(
                "SELECT fingerprint FROM ingest_importedfile WHERE developer_id IS NULL OR developer_id = %s",
                (self.developer_id,))}
        return self.fingerprints

    def __contains__(self, fingerprint: str) -> bool:
        return fingerprint in self._load()

    def add(self, fingerprint: str) -> None:
        self._load().add(fingerprint)


def _names(columns) -> str:
    return ", ".join(f'"{name}"' for name in columns)  # quoted: "offset" is an SQL keyword
