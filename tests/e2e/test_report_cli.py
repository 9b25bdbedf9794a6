"""`govpub report annual|figures|text|status` as a separate process on a real database."""

import json

import pytest

from tests.e2e.conftest import govpub

NAME = "司马青岚"
FIGURES = {"table2": {"行政许可": 7, "行政处罚": 2, "行政强制": 0, "行政事业性收费": "0.3"},
           "table4": {"行政复议": {"结果维持": 1, "总计": 1}}}  # fmt: skip


def application(received: str, kind: str = "自然人") -> dict:
    return {"applicant": {"type": kind, "name": NAME, "phone": "13700001111"}, "description": "2026年惠民补贴发放名单",
            "channel": "in_person", "received": {"handed_in_on": received}}  # fmt: skip


def ok(done):
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_office_enters_figures_and_texts_and_prints_the_report(env, tmp_path):
    ok(govpub(env, "init"))
    ids = []
    for received, kind in [("2026-03-02", "自然人"), ("2026-04-01", "商业企业"), ("2026-11-30", "其他")]:
        path = tmp_path / f"{received}.json"
        path.write_text(json.dumps(application(received, kind), ensure_ascii=False), "utf-8")
        ids.append(
            ok(govpub(env, "applications", "register", "--file", str(path), "--as", "office")).stdout.split()[-1]
        )
    ok(govpub(env, "applications", "accept", ids[0], "--on", "2026-03-03", "--as", "office"))
    ok(govpub(env, "applications", "reply", ids[0], "--kind", "disclosed", "--on", "2026-03-20", "--as", "office"))

    incomplete = govpub(env, "report", "annual", "--year", "2026", "--format", "json", "--final", "--as", "office")
    assert incomplete.returncode == 2
    assert "part 一、总体情况" in incomplete.stderr
    assert incomplete.stdout == ""
    draft = ok(govpub(env, "report", "annual", "--year", "2026", "--format", "json"))  # the operator: a draft
    assert json.loads(draft.stdout)["missing"] == ["一、总体情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
                                                   "figures"]  # fmt: skip
    assert "draft: not yet entered: 一、总体情况" in draft.stderr
    figures = tmp_path / "figures.json"
    figures.write_text(json.dumps(FIGURES, ensure_ascii=False), "utf-8")
    ok(govpub(env, "report", "figures", "--year", "2026", "--file", str(figures), "--as", "office"))
    for part in "一五六":
        text = tmp_path / f"{part}.md"
        text.write_text(f"第{part}部分的内容。<b>不是标签</b>", "utf-8")
        ok(govpub(env, "report", "text", "--year", "2026", "--part", part, "--file", str(text), "--as", "office"))
    status = ok(govpub(env, "report", "status", "--year", "2026"))  # the operator may read what is entered
    assert "figures entered" in status.stdout

    data = json.loads(ok(govpub(env, "report", "annual", "--year", "2026", "--agency", "demo", "--format", "json",
                                "--as", "office")).stdout)  # fmt: skip
    rows = {row["label"]: row["values"] for row in data["table3"]["rows"]}
    assert rows["一、本年新收政府信息公开申请数量"]["总计"] == 3
    assert rows["（一）予以公开"]["自然人"] == 1
    assert rows["四、结转下年度继续办理"] == {"自然人": 0, "商业企业": 1, "科研机构": 0, "社会公益组织": 0,
                                           "法律服务机构": 0, "其他": 1, "总计": 2}  # fmt: skip
    assert data["table2"]["rows"][-1]["values"]["本年收费金额（单位：万元）"] == "0.3000"
    markdown = ok(govpub(env, "report", "annual", "--year", "2026", "--format", "md", "--as", "office")).stdout
    assert "| 四、结转下年度继续办理 | 0 | 1 | 0 | 0 | 0 | 1 | 2 |" in markdown
    page = tmp_path / "report.html"
    ok(govpub(env, "report", "annual", "--year", "2026", "--format", "html", "--output", str(page), "--as", "office"))
    html = page.read_text("utf-8")
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in html
    assert "<b>" not in html
    for output in (markdown, html, json.dumps(data, ensure_ascii=False)):
        assert NAME not in output
        assert "13700001111" not in output

    submit_for_review(env)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**FIGURES, "previous_carried_out": {"自然人": 4}}), "utf-8")
    ok(govpub(env, "report", "figures", "--year", "2026", "--file", str(broken), "--as", "office"))
    failed = govpub(env, "report", "annual", "--year", "2026", "--format", "json", "--as", "office")
    assert failed.returncode == 2
    assert 'table3 row "二、上年结转政府信息公开申请数量" column "自然人": 0 but last year\'s 四 was 4' in failed.stderr
    assert failed.stdout == ""
    refused = govpub(env, "report", "annual", "--year", "2026", "--as", "drafter")
    assert refused.returncode == 1
    assert "the annual report is computed by the disclosure office and admins" in refused.stderr
    audit = ok(govpub(env, "audit", "verify"))
    assert audit.returncode == 0


def submit_for_review(env):
    submitted = ok(govpub(env, "report", "submit", "--year", "2026", "--drafter", "drafter", "--as", "office"))
    assert "report 2026 submitted for review as version 1" in submitted.stdout
    assert len(submitted.stdout.split()[-1]) == 32  # the document id, last
