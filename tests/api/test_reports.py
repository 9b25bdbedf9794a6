"""The annual report over HTTP: the office enters figures and texts and reads the report in three formats;
a failed check is 422 naming the cell; others are refused (and audited)."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import AuditEvent
from tests.api.conftest import ApiWorld

APPLICATION = {"applicant": {"type": "社会公益组织", "name": "绿水青山环保公益基金会", "phone": "057112345678"},
               "description": "2026年饮用水源地水质监测数据", "channel": "online", "received": {"confirmed_on": "2026-05-06"}}  # fmt: skip
FIGURES = {"table2": {"行政许可": 3, "行政事业性收费": "2"}, "table4": {"复议后起诉": {"结果纠正": 1, "总计": 1}}}
REPORT = "/api/v1/reports/annual/2026"


def test_the_office_compiles_the_report_over_http(api_world: ApiWorld) -> None:
    w = api_world
    with w.client("office") as office, w.client("admin") as admin, w.client("drafter") as drafter:
        assert office.post("/api/v1/applications", json=APPLICATION).status_code == 201
        missing = office.get(REPORT, params={"final": "true"})
        assert missing.status_code == 422
        assert {e["path"] for e in missing.json()["errors"]} >= {"part 一、总体情况", "figures 2026"}
        draft = office.get(REPORT).json()
        assert (draft["draft"], draft["missing"][-1]) == (True, "figures")
        assert draft["title"].endswith("（草稿）")
        assert office.put(f"{REPORT}/figures", json=FIGURES).status_code == 204
        bad = office.put(f"{REPORT}/figures", json={"table2": {"行政许可": -3}})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["path"] == "$.table2.行政许可"
        for part in "一五六":
            assert office.put(f"{REPORT}/texts/{part}", json={"text": f"{part}：内容 <i>x</i>"}).status_code == 204
        assert office.put(f"{REPORT}/texts/二", json={"text": "表格"}).status_code == 422
        assert admin.get(f"{REPORT}/inputs").json()["missing"] == []

        data = office.get(REPORT, params={"agency": "demo", "final": "true"})
        assert data.status_code == 200, data.text
        assert (data.json()["draft"], data.json()["missing"]) == (False, [])
        assert data.headers["content-type"].startswith("application/json")
        rows = data.json()["table3"]["rows"]
        assert rows[0]["label"] == "一、本年新收政府信息公开申请数量"
        assert rows[0]["values"]["社会公益组织"] == 1
        assert rows[-1]["path"] == ["四、结转下年度继续办理"]
        assert [r["values"]["总计"] for r in data.json()["table4"]["rows"]] == [0, 0, 1]
        html = office.get(REPORT, params={"format": "html"})
        assert html.headers["content-type"].startswith("text/html")
        assert "&lt;i&gt;x&lt;/i&gt;" in html.text
        markdown = office.get(REPORT, params={"format": "md"})
        assert markdown.headers["content-type"].startswith("text/markdown")
        for answer in (data, html, markdown):
            assert "绿水青山环保公益基金会" not in answer.text
            assert "057112345678" not in answer.text

        assert office.put(f"{REPORT}/figures", json={**FIGURES, "previous_carried_out": {"其他": 2}}).status_code == 204
        failed = office.get(REPORT)
        assert failed.status_code == 422
        [error] = failed.json()["errors"]
        assert error["path"] == 'table3 row "二、上年结转政府信息公开申请数量" column "其他"'
        assert error["message"] == "0 but last year's 四 was 2"

        assert admin.get(REPORT).status_code == 422  # admins may compute it; the check fails for them too
        assert drafter.get(REPORT).status_code == 403
        assert admin.put(f"{REPORT}/texts/一", json={"text": "越权"}).status_code == 403
        assert drafter.put(f"{REPORT}/texts/一", json={"text": "越权"}).status_code == 403
        assert drafter.get(f"{REPORT}/inputs").status_code == 403
    with Session(w.govpub.app.engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
    assert {(e.actor, e.after["act"]) for e in refused} >= {("admin", "compile_report"), ("drafter", "compile_report"),
                                                           ("drafter", "read_report")}  # fmt: skip


def test_the_office_submits_the_complete_report_for_review(api_world: ApiWorld) -> None:
    with api_world.client("office") as office, api_world.client("admin") as admin:
        missing = office.post(f"{REPORT}/submission", json={"drafter": "drafter"})
        assert missing.status_code == 422
        assert "part 一、总体情况" in {e["path"] for e in missing.json()["errors"]}
        assert office.put(f"{REPORT}/figures", json=FIGURES).status_code == 204
        for part in "一五六":
            assert office.put(f"{REPORT}/texts/{part}", json={"text": f"{part}：内容"}).status_code == 204
        assert admin.post(f"{REPORT}/submission", json={"drafter": "drafter"}).status_code == 403
        assert office.post(f"{REPORT}/submission", json={"drafter": "drafter", "x": 1}).status_code == 422
        done = office.post(f"{REPORT}/submission", json={"drafter": "drafter"})
        assert done.status_code == 201, done.text
        assert (done.json()["version"], done.json()["revised"]) == (1, False)
        shown = office.get(f"/api/v1/documents/{done.json()['document_id']}")
        assert shown.status_code == 200, shown.text
        assert shown.json()["state"] in {"submitted", "screening", "in_review"}
