"""`govpub screen` reports what it cannot read as an unscreened finding, with the reason."""

import json

from tests import helpers_files as f
from tests.e2e.conftest import govpub


def test_screen_json_reports_unreadable_files_as_unscreened_findings(env, tmp_path):
    (tmp_path / "公示.doc").write_bytes((f.FIXTURES / "notice.doc").read_bytes())
    (tmp_path / "图纸.dwg").write_bytes(b"AC1032")
    (tmp_path / "坏.pdf").write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\n")
    done = govpub(env, "screen", "--json", "公示.doc", "图纸.dwg", "坏.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = {(x["file"], x["detector"]): x for x in json.loads(done.stdout)}
    assert {("公示.doc", "resident_id"), ("公示.doc", "mobile")} <= set(found)
    dwg = found[("图纸.dwg", "unscreened")]
    assert (dwg["masked"], dwg["note"]) == ("图纸.dwg", "screening cannot read text from a .dwg file")
    assert "not a readable PDF" in found[("坏.pdf", "unscreened")]["note"]
    assert f.ID not in done.stdout
