"""The re-import of an unchanged transcript tree done before Django is set up (ingest.fast_reimport): taken only
when every file is as its cursor recorded, leaving the same rows and printing the same summary as the command;
any other case (a grown, new or replaced file, a cursor or developer gone, an option it does not know) is left
to the command, with nothing written. Real PostgreSQL: the fast path has its own connection, so these tests
commit (transaction=True)."""
import io
import json
import os
from pathlib import Path
import random
import re
import subprocess
import sys

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict
import pytest

from costdash.accounts.models import Developer, Identity
from costdash.accounts.services import clean_email
from costdash.ingest import fast_reimport
from costdash.ingest.models import ImportBatch, ImportedFile, Source, TranscriptCursor, UsageEvent
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty

from .transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
ANA = "ana@example.com"
STAMPS = {"id", "created_at", "started_at", "finished_at", "heartbeat_at"}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def environ(**extra) -> dict:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {"DATABASE_URL": url, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "costdash.settings", **extra}


def fast(*argv, stderr=None, **env) -> tuple[bool, str]:
    out = io.StringIO()
    took = fast_reimport.reimport_unchanged([str(a) for a in argv], environ=environ(**env), stdout=out,
                                            stderr=stderr or io.StringIO())
    return took, out.getvalue()


def full(*argv) -> str:
    out = io.StringIO()
    call_command("import_usage", *[str(a) for a in argv], stdout=out)
    return out.getvalue()


def tree(root: Path) -> Path:
    """Two sessions and a subagent run, and a stray .json no parser reads (the command counts it ignored)."""
    write_jsonl(root / "proj" / "s1.jsonl", [assistant_line(msg="msg_a", output=10),
                                             assistant_line(msg="msg_a", output=50),
                                             assistant_line(msg="msg_b", req="req_b", output=20)])
    write_jsonl(root / "proj" / "s1" / "subagents" / "agent-1.jsonl",
                [assistant_line(msg="msg_c", req="req_c", session="s-1", output=30)])
    write_jsonl(root / "other" / "s2.jsonl", [assistant_line(msg="msg_d", req="req_d", session="s-2", output=40,
                                                             ts="2026-03-03T09:00:00.000Z")])
    (root / "corpus-stats.json").write_text(json.dumps({"files": 3, "bytes": 1234}))
    return root


def state() -> dict:
    """Everything an import may write, but its batch rows."""
    return {
        "events": sorted((e.dedupe_key, e.output_tokens, e.cost, e.batch_id) for e in UsageEvent.objects.all()),
        "cursors": sorted(TranscriptCursor.objects.values_list("path_key", "size", "offset", "lines", "batch_id")),
        "files": sorted(ImportedFile.objects.values_list("fingerprint", "developer_id", "batch_id")),
        "people": (sorted(Developer.objects.values_list("id", "email")),
                   sorted(Identity.objects.values_list("id", "source", "external_id", "developer_id"))),
    }


def row(batch: ImportBatch) -> dict:
    return {k: v for k, v in model_to_dict(batch).items() if k not in STAMPS}


def without_number(output: str) -> str:
    return re.sub(r"^Import #\d+", "Import #N", output)


def test_an_unchanged_tree_is_reimported_without_django_with_the_commands_rows_and_words(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    before = state()
    said_by_command = full(root, "--developer", ANA, "--no-progress")
    by_command = ImportBatch.objects.order_by("-pk").first()

    took, said = fast(root, "--developer", " Ana@Example.COM ", "--no-progress")

    assert took
    batch = ImportBatch.objects.order_by("-pk").first()
    assert batch.pk == by_command.pk + 1
    assert row(batch) == row(by_command)
    assert (batch.files_unchanged, batch.files_ignored, batch.files_read) == (3, 1, 0)
    assert batch.processed_bytes == batch.total_bytes == sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert batch.created_at <= batch.started_at <= batch.finished_at == batch.heartbeat_at
    assert said == said_by_command.replace(f"#{by_command.pk}", f"#{batch.pk}")
    assert said.startswith(f"Import #{batch.pk} (Claude Code transcripts (JSONL)) for ana@example.com: done\n")
    assert state() == before


def test_the_fast_path_never_counts_anything_twice(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    daily_cost_recompute_dirty()
    before, costs = state(), sorted(DailyCost.objects.values_list("developer_id", "day", "model", "cost"))
    for _ in range(3):
        assert fast(root, "--developer", ANA, "--no-progress")[0]
    assert daily_cost_recompute_dirty() == 0  # nothing marked dirty
    assert state() == before
    assert sorted(DailyCost.objects.values_list("developer_id", "day", "model", "cost")) == costs
    assert len(before["events"]) == 4


def test_a_grown_file_is_left_to_the_command_which_reads_only_the_new_lines(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    batches = ImportBatch.objects.count()
    with open(root / "proj" / "s1.jsonl", "a") as fh:
        fh.write(json.dumps(assistant_line(msg="msg_e", req="req_e", output=70)) + "\n")

    assert fast(root, "--developer", ANA, "--no-progress") == (False, "")
    assert ImportBatch.objects.count() == batches  # nothing written
    full(root, "--developer", ANA, "--no-progress")
    batch = ImportBatch.objects.order_by("-pk").first()
    assert (batch.files_read, batch.files_resumed, batch.files_unchanged, batch.lines) == (1, 1, 2, 1)
    assert UsageEvent.objects.count() == 5
    assert fast(root, "--developer", ANA, "--no-progress")[0]  # unchanged again


def test_a_new_file_is_left_to_the_command(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    batches = ImportBatch.objects.count()
    write_jsonl(root / "proj" / "s3.jsonl", [assistant_line(msg="msg_f", req="req_f", session="s-3")])

    assert fast(root, "--developer", ANA, "--no-progress") == (False, "")
    assert ImportBatch.objects.count() == batches
    full(root, "--developer", ANA, "--no-progress")
    batch = ImportBatch.objects.order_by("-pk").first()
    assert (batch.files_read, batch.files_unchanged, batch.requests_new) == (1, 3, 1)
    assert UsageEvent.objects.count() == 5


def test_a_file_replaced_by_another_of_the_same_size_is_left_to_the_command_which_reads_it_whole(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    path = root / "other" / "s2.jsonl"
    old = os.stat(path)
    text = path.read_text().replace('"output_tokens": 40', '"output_tokens": 90')
    assert len(text) == old.st_size
    (root / "other" / "new.tmp").write_text(text)
    os.replace(root / "other" / "new.tmp", path)  # another inode, the same size
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert os.stat(path).st_ino != old.st_ino

    assert fast(root, "--developer", ANA, "--no-progress") == (False, "")
    full(root, "--developer", ANA, "--no-progress")
    batch = ImportBatch.objects.order_by("-pk").first()
    assert (batch.files_read, batch.files_resumed, batch.lines, batch.requests_updated) == (1, 0, 1, 1)
    assert UsageEvent.objects.get(dedupe_key="cc:msg_d").output_tokens == 90


def test_a_removed_cursor_or_developer_is_left_to_the_command(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    TranscriptCursor.objects.filter(path__endswith="s2.jsonl").delete()
    batches = ImportBatch.objects.count()
    assert fast(root, "--developer", ANA, "--no-progress") == (False, "")  # unchanged by its fingerprint only
    assert ImportBatch.objects.count() == batches
    full(root, "--developer", ANA, "--no-progress")
    assert ImportBatch.objects.order_by("-pk").first().files_unchanged == 3

    Developer.objects.filter(email=ANA).delete()  # its identity stays, unmapped; its cursors and files go
    assert fast(root, "--developer", ANA, "--no-progress") == (False, "")
    assert ImportBatch.objects.count() == batches + 1
    full(root, "--developer", ANA, "--no-progress")  # the developer made again, the files read again
    batch = ImportBatch.objects.order_by("-pk").first()
    assert (batch.developer.email, batch.status, batch.files_read) == (ANA, "done", 3)
    assert UsageEvent.objects.count() == 4
    assert fast(root, "--developer", ANA, "--no-progress")[0]
    assert fast(root, "--developer", "bob@example.com", "--no-progress") == (False, "")  # nobody known


def test_an_identity_an_admin_mapped_to_another_developer_is_followed(tmp_path):
    root = tree(tmp_path / "t")
    bob = Developer.objects.create(email="bob@example.com", name="Bob")
    Identity.objects.create(source=Source.CLAUDE_CODE_JSONL, external_id=ANA, developer=bob)
    full(root, "--developer", ANA, "--no-progress")
    said_by_command = full(root, "--developer", ANA, "--no-progress")
    took, said = fast(root, "--developer", ANA, "--no-progress")
    assert took and "for Bob: done" in said
    assert without_number(said) == without_number(said_by_command)
    assert ImportBatch.objects.order_by("-pk").first().developer == bob


@pytest.mark.parametrize("argv, env", [
    (["{root}", "--no-progress"], {}),  # no developer: the command rejects the transcripts
    (["{root}", "--developer", ANA, "--developer", ANA, "--no-progress"], {}),
    (["{root}", "--developer", ANA, "--no-progress", "--verbosity", "2"], {}),
    (["{root}", "--dev", ANA, "--no-progress"], {}),  # argparse's abbreviation: the command's to read
    (["{root}", "--developer", "ANA at example.com", "--no-progress"], {}),
    (["{root}/missing", "--developer", ANA, "--no-progress"], {}),
    (["{root}/t.zip", "--developer", ANA, "--no-progress"], {}),
    (["{root}", "--developer", ANA, "--no-progress"], {"COSTDASH_IMPORT_FAST_PATH": "false"}),
    (["{root}", "--developer", ANA, "--no-progress"], {"COSTDASH_IMPORT_FAST_PATH": "maybe"}),
    (["{root}", "--developer", ANA, "--no-progress"], {"DJANGO_SETTINGS_MODULE": "other.settings"}),
    (["{root}", "--developer", ANA, "--no-progress"], {"DATABASE_URL": "", "COSTDASH_DATA_DIR": "{root}/none"}),
    (["{root}", "--developer", ANA, "--no-progress"], {"DATABASE_URL": "mysql://u@localhost/costdash"}),
    (["{root}", "--developer", ANA, "--no-progress"], {"DJANGO_DEBUG": "false"}),  # no secret key
    (["{root}", "--developer", ANA, "--no-progress"], {"DJANGO_DEBUG": "sure", "DJANGO_SECRET_KEY": "k" * 50}),
])
def test_whatever_it_does_not_handle_is_left_to_the_command(tmp_path, argv, env):
    root = tree(tmp_path / "t")
    (root / "t.zip").write_bytes(b"")
    full(root, "--developer", ANA, "--no-progress")
    batches = ImportBatch.objects.count()
    env = {name: value.format(root=root) for name, value in env.items()}
    assert fast(*[a.format(root=root) for a in argv], **env) == (False, "")
    assert ImportBatch.objects.count() == batches
    assert fast(root, "--developer", ANA, "--no-progress")[0]  # the same tree, asked plainly


def test_a_progress_bar_on_a_terminal_is_the_commands_to_draw(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    assert fast(root, "--developer", ANA, stderr=Terminal()) == (False, "")
    assert fast(root, "--developer", ANA)[0]  # stderr not a terminal: the command would draw nothing
    assert fast(root, "--developer", ANA, "--no-progress", stderr=Terminal())[0]


def test_manage_py_takes_it_without_importing_django_and_falls_back_to_the_command(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    said_by_command = full(root, "--developer", ANA, "--no-progress")
    run = ("import atexit, runpy, sys\n"
           "atexit.register(lambda: sys.stderr.write('django loaded: %s' % any(m.split('.')[0] in ('django', 'celery')"
           " for m in sys.modules)))\n"
           "sys.argv = ['manage.py', 'import_usage', sys.argv[1], '--developer', 'ana@example.com', '--no-progress']\n"
           "runpy.run_path('manage.py', run_name='__main__')\n")
    env = {**os.environ, **environ()}
    env.pop("COSTDASH_IMPORT_FAST_PATH", None)
    done = subprocess.run([sys.executable, "-c", run, str(root)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("django loaded: False")
    assert without_number(done.stdout) == without_number(said_by_command)

    off = subprocess.run([sys.executable, "-c", run, str(root)], cwd=ROOT, env={**env, fast_reimport.ENV: "false"},
                         capture_output=True, text=True, timeout=120)
    assert off.returncode == 0, off.stderr
    assert off.stderr.endswith("django loaded: True")
    assert without_number(off.stdout) == without_number(said_by_command)
    assert ImportBatch.objects.count() == 4


def test_its_source_is_the_models():
    assert (fast_reimport.SOURCE, fast_reimport.SOURCE_LABEL) == (Source.CLAUDE_CODE_JSONL.value,
                                                                  Source.CLAUDE_CODE_JSONL.label)


@pytest.mark.django_db(transaction=False)
def test_an_email_it_takes_as_plain_is_one_the_command_accepts_as_it_is():
    samples = ["ana@example.com", "a.b-c+d_e%f@sub-1.example.co.uk", "x@y.io", "a..b@example.com",
               ".a@example.com", "a.@example.com", "a@-example.com", "a@example-.com", "a@example.c", "a@example.123",
               "a@localhost", "a@[127.0.0.1]", "a@example..com", "a b@example.com", "ä@example.com",
               "a@" + "b" * 64 + ".com", "a@example.com.", "a@1.2.3.4", "a@xn--bcher-kva.example"]
    rng = random.Random(16)

    def some(alphabet: str, most: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, most)))

    samples += [some("ab1.-_+%!", 6) + "@" + some("ab1-.", 10) + rng.choice([".io", ".c", ".a-", ".xn--a", ".", ""])
                for _ in range(5000)]
    taken = 0
    for email in samples:
        if fast_reimport.PLAIN_EMAIL.fullmatch(email):
            taken += 1
            assert clean_email(email) == email
    assert taken > 100
    with pytest.raises(ValidationError):
        clean_email("a..b@example.com")
    assert not fast_reimport.PLAIN_EMAIL.fullmatch("a..b@example.com")


def test_on_sqlite_the_embedded_default_it_leaves_the_rows_django_leaves(tmp_path):
    """A database of its own, made by `manage.py migrate` (the embedded default: no DATABASE_URL)."""
    root = tree(tmp_path / "t")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", fast_reimport.ENV)}
    env.update(COSTDASH_DATA_DIR=str(tmp_path / "var"), DJANGO_DEBUG="true", DJANGO_SETTINGS_MODULE="costdash.settings")
    (tmp_path / "var").mkdir()
    argv = ["import_usage", str(root), "--developer", ANA, "--no-progress"]
    assert fast_reimport.reimport_unchanged(argv[1:], environ=env) is False  # no database yet: nothing made
    assert not (tmp_path / "var" / "costdash.sqlite3").exists()

    def manage(*args, **extra) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **extra},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "-v0")
    manage(*argv)
    said_by_command = manage(*argv, COSTDASH_IMPORT_FAST_PATH="false")
    out = io.StringIO()
    assert fast_reimport.reimport_unchanged(argv[1:], environ=env, stdout=out, stderr=io.StringIO())
    assert without_number(out.getvalue()) == without_number(said_by_command)

    import sqlite3

    db = sqlite3.connect(tmp_path / "var" / "costdash.sqlite3")
    cursor = db.execute("SELECT * FROM ingest_importbatch ORDER BY id")
    names = [c[0] for c in cursor.description]
    first, by_command, by_fast = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert by_fast["id"] == by_command["id"] + 1
    assert {k: v for k, v in by_fast.items() if k not in STAMPS} == {
        k: v for k, v in by_command.items() if k not in STAMPS}
    assert (by_fast["files_unchanged"], by_fast["files_ignored"], by_fast["status"]) == (3, 1, "done")
    for name in ("created_at", "started_at", "finished_at", "heartbeat_at"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?", by_fast[name]), by_fast[name]
    assert db.execute("SELECT COUNT(*) FROM ingest_usageevent").fetchone()[0] == 4
    db.close()
    assert "done" in manage("shell", "-c", "from costdash.ingest.models import ImportBatch as B;"
                                           f" print(B.objects.get(pk={by_fast['id']}).status)")
