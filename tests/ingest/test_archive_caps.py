"""Archive members within caps (issue 11, item 3): a member over its size, ratio or the archive's
total is refused before it is inflated, a member that lies about its size stops at what it
declared, and the rest of the archive is still read."""
import io
import json
import struct
import tarfile
import zipfile

import pytest

from costdash.ingest.files import MemberRefused, iter_input_files
from costdash.ingest.models import UsageEvent
from costdash.ingest.services import usage_import

from .transcripts import assistant_line

GOOD = json.dumps(assistant_line(msg="msg_good", req="req_good")).encode() + b"\n"


def zip_with(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            with archive.open(name, "w") as out:
                for piece in data if not isinstance(data, bytes) else [data]:
                    out.write(piece)
    return path


def newlines(mb):
    return (b"\n" * (1024 * 1024) for _ in range(mb))


def test_a_zip_of_newlines_is_refused_unread_and_its_neighbour_read(tmp_path):
    """A 20 KB zip of 20 MB of newlines used to become 21M rejected rows and 26 s of CPU."""
    path = zip_with(tmp_path / "a.zip", [("bomb.jsonl", newlines(20)), ("good.jsonl", GOOD)])
    assert path.stat().st_size < 40_000
    members = {m.name.split(":")[1]: (m.refused, m.open().read()) for m in iter_input_files([path])}
    assert "over the 100:1 limit" in members["bomb.jsonl"][0] and members["bomb.jsonl"][1] == b""
    assert members["good.jsonl"] == ("", GOOD)


def test_a_member_over_the_per_file_or_total_cap_is_refused(tmp_path, settings):
    settings.COSTDASH_ARCHIVE_MAX_MEMBER_BYTES = 1500
    settings.COSTDASH_ARCHIVE_MAX_TOTAL_BYTES = 2000
    body = json.dumps(assistant_line()).encode() + b"\n"
    path = zip_with(tmp_path / "a.zip", [("a.jsonl", body * 2), ("b.jsonl", body * 3), ("c.jsonl", body * 2)])
    refused = {m.name.split(":")[1]: m.refused for m in iter_input_files([path])}
    assert refused["a.jsonl"] == "" and "limit for one file" in refused["b.jsonl"]
    assert "takes the archive past 2,000 bytes" in refused["c.jsonl"]


def lie_about_size(path, name, size):
    """Rewrite the central directory's uncompressed size of ``name`` (what zipfile trusts)."""
    data = bytearray(path.read_bytes())
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == name.encode():
            struct.pack_into("<I", data, pos + 24, size)
        pos += 4
    path.write_bytes(bytes(data))


def test_a_member_that_lies_about_its_size_stops_at_what_it_declared(tmp_path):
    path = zip_with(tmp_path / "a.zip", [("liar.jsonl", GOOD * 1000), ("good.jsonl", GOOD)])
    lie_about_size(path, "liar.jsonl", 100)
    for member in iter_input_files([path]):
        if member.name.endswith("liar.jsonl"):
            with pytest.raises(MemberRefused, match="liar.jsonl: corrupt archive member"):
                member.open().read()
        else:
            assert member.open().read() == GOOD


def test_a_tar_gz_bomb_member_is_refused_and_nothing_after_it_inflated(tmp_path):
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (("a.jsonl", GOOD), ("bomb.jsonl", b"\n" * (20 * 1024 * 1024)), ("z.jsonl", GOOD)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    members = [(m.name.split(":")[1], m.refused) for m in iter_input_files([path])]
    assert members[0] == ("a.jsonl", "") and members[1][0] == "bomb.jsonl" and "100:1" in members[1][1]
    assert len(members) == 2


@pytest.mark.django_db
def test_an_import_of_a_zip_with_a_bomb_lands_the_good_member(tmp_path, developer_user):
    path = zip_with(tmp_path / "a.zip", [("bomb.jsonl", newlines(20)), ("good.jsonl", GOOD)])
    batch = usage_import([path], developer_email=developer_user.developer.email)
    assert batch.status == "done", batch.failure
    assert list(UsageEvent.objects.values_list("message_id", flat=True)) == ["msg_good"]
    assert batch.rejected == 1 and "over the 100:1 limit" in batch.errors[0]["reason"]
    assert batch.errors[0]["file"] == "a.zip:bomb.jsonl"


@pytest.mark.django_db
def test_an_import_of_a_zip_with_a_lying_member_imports_the_rest(tmp_path, developer_user):
    """A lying header used to fail the whole import (BadZipFile: Bad CRC-32)."""
    path = zip_with(tmp_path / "a.zip", [("a_liar.jsonl", b"\n" * 5000 + GOOD), ("good.jsonl", GOOD)])
    lie_about_size(path, "a_liar.jsonl", 100)
    batch = usage_import([path], developer_email=developer_user.developer.email)
    assert batch.status == "done", batch.failure
    assert list(UsageEvent.objects.values_list("message_id", flat=True)) == ["msg_good"]
    assert any("a_liar.jsonl: corrupt archive member" in e["reason"] for e in batch.errors), batch.errors
