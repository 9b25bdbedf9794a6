"""Decompression bombs and lying archives: refused or unscreened, in bounded memory and time."""

import io
import json
import struct
import subprocess
import sys
import zipfile

import docx
import openpyxl
import pytest

from disclosure.screening import Detector
from services.extract import ExtractionLimits
from services.extract.isolated import extract_file
from tests import helpers_files as f

ZEROS = 200_000_000  # 200 MB of zeros deflate to ~200 KB


def ooxml_with(kind, part, content):
    """A real .docx/.xlsx whose ``part`` is replaced by ``content``."""
    buffer = io.BytesIO()
    if kind == "docx":
        docx.Document().save(buffer)
    else:
        openpyxl.Workbook().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    members = {i.filename: (content if i.filename == part else source.read(i)) for i in source.infolist()}
    return f.zipped(members)


def lie_about_size(data, member, size):
    """Rewrite the uncompressed size ``member`` declares, in its local header and the central directory."""
    patched = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    struct.pack_into("<I", patched, info.header_offset + 22, size)
    at = patched.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", patched, at + 28)[0]
        if bytes(patched[at + 46 : at + 46 + name_length]).decode() == member:
            struct.pack_into("<I", patched, at + 24, size)
            break
        at = patched.find(b"PK\x01\x02", at + 4)
    return bytes(patched)


def only_unscreened(items):
    assert len(items) == 1, items
    (item,) = items
    assert item.detector is Detector.UNSCREENED
    return item.note


@pytest.mark.parametrize(
    ("name", "kind", "part"),
    [("bomb.docx", "docx", "word/document.xml"), ("bomb.xlsx", "xlsx", "xl/worksheets/sheet1.xml")],
)
def test_an_ooxml_bomb_is_unscreened_in_bounded_memory(name, kind, part, tmp_path):
    bomb = ooxml_with(kind, part, b"\0" * ZEROS)
    assert len(bomb) < 1_000_000
    path = tmp_path / name
    path.write_bytes(bomb)
    # screened in a fresh interpreter, so its peak memory (and its children's) is the bomb's alone;
    # its own peak is VmHWM (ru_maxrss would carry this process's peak across exec)
    probe = (
        "import json, resource, sys\n"
        "from datetime import date\n"
        "from disclosure.screening import Screener\n"
        "from services.screening import screen_files\n"
        "path = sys.argv[1]\n"
        "found = screen_files(Screener(today=date(2026, 11, 23)), [(path, open(path, 'rb').read(), None)])\n"
        "own = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "peak = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(json.dumps({'peak_kb': peak, 'found': [[x.detector.value, x.note] for x in found]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    result = json.loads(done.stdout)
    assert [d for d, _ in result["found"]] == ["unscreened"]
    assert "uncompressed" in result["found"][0][1]
    assert result["peak_kb"] < 200_000  # before the bounds: 448 MB just holding the inflated part


def test_a_member_that_lies_about_its_size_is_caught_while_inflating():
    honest = ooxml_with("docx", "word/document.xml", b"<w:document>" + b"\0" * 50_000_000)
    lying = lie_about_size(honest, "word/document.xml", 1_000)
    declared = zipfile.ZipFile(io.BytesIO(lying))
    assert declared.getinfo("word/document.xml").file_size == 1_000
    assert sum(i.file_size for i in declared.infolist()) < 1_000_000  # within every declared bound
    note = only_unscreened(extract_file("lying.docx", lying))
    assert "word/document.xml cannot be inflated" in note


def test_a_high_ratio_within_the_size_bound_is_refused():
    data = f.zipped({"zeros.txt": b"0" * 20_000_000})
    assert "times, more than the 100:1" in only_unscreened(extract_file("z.zip", data))


def test_nesting_beyond_the_depth_is_unscreened_and_within_it_is_read():
    def nest(levels):
        data = f.LINE.encode()
        name = "in.txt"
        for level in range(levels):
            data, name = f.zipped({name: data}), f"level{level}.zip"
        return data

    limits = ExtractionLimits(max_depth=3)
    read = extract_file("ok.zip", nest(3), limits=limits)
    assert [x.location["member"] for x in read] == ["level1.zip/level0.zip/in.txt"]
    (deep,) = extract_file("deep.zip", nest(4), limits=limits)
    assert deep.detector is Detector.UNSCREENED
    assert deep.location["member"] == "level2.zip/level1.zip/level0.zip"
    assert "nested more than 3 archives deep" in deep.note


def test_too_many_entries_is_unscreened():
    data = f.zipped({f"{n}.txt": b"" for n in range(11)})
    assert "more than 10 archive entries" in only_unscreened(extract_file("many.zip", data,
                                                                         limits=ExtractionLimits(max_entries=10)))  # fmt: skip


def test_the_reader_process_is_held_to_its_memory_bound():
    # within the size and ratio bounds set here, but python-docx would need far more memory than allowed
    paragraphs = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 1_500_000
    body = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body>' + paragraphs + b"</w:body></w:document>")  # fmt: skip
    data = ooxml_with("docx", "word/document.xml", body)
    limits = ExtractionLimits(max_uncompressed_bytes=200_000_000, max_ratio=100_000, memory_bytes=300 << 20)
    note = only_unscreened(extract_file("many-paragraphs.docx", data, limits=limits))
    assert note.startswith(("the reader failed", "reading it exceeded", "reading it needs more than"))


def test_a_slow_read_is_stopped_at_the_time_bound():
    paragraphs = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 600_000
    body = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body>' + paragraphs + b"</w:body></w:document>")  # fmt: skip
    data = ooxml_with("docx", "word/document.xml", body)
    limits = ExtractionLimits(max_ratio=100_000, timeout_seconds=1)
    note = only_unscreened(extract_file("slow.docx", data, limits=limits))
    assert "longer than 1 s" in note or "exceeded the bounds" in note
