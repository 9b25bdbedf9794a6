"""The drafters' form and the submission contract: form fields to the submission's JSON, each
violation intake reports placed at the field it is about, and uploaded files turned into declared
attachments (size, sha256 and media type computed from the bytes, never typed by a person).

Pure translation: every rule stays in intake and the core, which check it all again.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from disclosure.attributes import DisclosureAttribute, DocumentKind, LegalGround, PublicScope
from disclosure.errors import InvalidInput, Violation
from disclosure.review import Grade
from disclosure.submission import build_submission
from disclosure.text import file_name_problem, name_key
from services.intake import is_interpretation, parse_payload

_CHUNK = 1 << 20
SUMMARY_MAX = 100

STATE_LABELS = {
    "submitted": "已报送，待审核", "in_review": "审核中", "returned": "已退回修改", "referred": "已提请保密审查",
    "rejected": "未通过审核", "approved": "审核通过，待发布", "published": "已公开", "withdrawn": "已撤回",
}  # fmt: skip
KIND_LABELS = {
    DocumentKind.RULE: "规章", DocumentKind.NORMATIVE_DOCUMENT: "行政规范性文件", DocumentKind.POLICY: "政策文件",
    DocumentKind.NOTICE: "通知公告", DocumentKind.REPORT: "报告", DocumentKind.OTHER: "其他",
    DocumentKind.INTERPRETATION: "政策解读",
}  # fmt: skip
GRADE_LABELS = {Grade.ORDINARY: "一般", Grade.IMPORTANT: "重要", Grade.SENSITIVE: "敏感"}
SCOPE_LABELS = {PublicScope.SOCIETY: "全社会", PublicScope.SPECIFIC_GROUP: "特定群体"}
ATTRIBUTE_LABELS = {a.value: a.label for a in DisclosureAttribute}
GROUND_LABELS = {g.value: g.label for g in LegalGround}
GROUND_HINTS = {
    LegalGround.ART_14: "国家秘密、法律禁止公开、危及国家安全、公共安全、经济安全、社会稳定",
    LegalGround.ART_15: "商业秘密、个人隐私等，公开会对第三方合法权益造成损害",
    LegalGround.ART_16_1: "人事管理、后勤管理、内部工作流程等内部事务信息",
    LegalGround.ART_16_2: "讨论记录、过程稿、磋商信函、请示报告等过程性信息及行政执法案卷",
    LegalGround.LAW: "其他法律、行政法规规定不予公开（须写明法律名称）",
}
FORM_LABELS = {"text": "文字解读", "graphic": "图解", "audio_video": "音视频解读", "qa": "简明问答",
               "press_conference": "新闻发布会", "expert": "专家解读"}  # fmt: skip
ACTION_LABELS = {
    "document.submitted": "报送", "document.revised": "提交新版本", "document.screened": "完成自动筛查",
    "review.decided": "本级审核通过", "review.refused": "审核决定被拒绝", "review.voided": "因新版本作废审核",
    "document.returned": "退回修改", "document.rejected": "审核不通过", "document.referred": "提请保密行政管理部门审查",
    "referral.cleared": "保密审查答复：可以公开", "document.approved": "审核通过", "document.published": "公开发布",
    "publication.published": "公开发布", "publication.held": "暂缓发布", "index_number.issued": "分配索引号",
    "document.withdrawn": "撤回", "document.validity": "变更有效性",
    "review.needs_attention": "审核无法继续，待处理", "review.retried": "重新开始审核",
}  # fmt: skip
CATEGORIES = (
    "综合政务/政务公开", "综合政务/应急管理", "综合政务/其他", "国民经济管理/发展规划", "财政、金融、审计/财政",
    "城乡建设、环境保护/环境监测、保护与治理", "卫生、体育/卫生", "教育/其他", "劳动、人事、监察/就业",
    "民政、扶贫、救灾/社会福利", "市场监管、安全生产监管/安全生产",
)  # fmt: skip

# Field name → label, in the form's order; a violation's path maps to one of these.
DOCUMENT_FIELDS = {
    "title": "标题", "doc_number": "发文字号", "issuing_agency": "发文机关", "co_issuers": "联合发文机关",
    "written_on": "成文日期", "kind": "文种", "category": "主题分类", "grade": "审核等级",
    "public_scope": "公开范围", "attribute": "公开属性", "ground": "不予公开或依申请公开的依据",
    "law_name": "法律、行政法规名称", "reason": "理由", "reassess_on": "下次重新评估日期",
    "interpretation_required": "需要政策解读", "summary": "内容概述", "body_format": "正文格式", "body": "正文",
    "attachments": "附件", "change_note": "更正说明", "release_at": "定时发布时间",
}  # fmt: skip
INTERPRETATION_FIELDS = {
    "title": "标题", "form": "解读形式", "interpreting_unit": "解读单位", "interpreter": "解读人",
    "summary": "内容概述", "body_format": "正文格式", "body": "正文", "attachments": "附件",
    "change_note": "更正说明",
}  # fmt: skip
_PATHS = {
    "$.disclosure": "attribute", "$.disclosure.attribute": "attribute", "$.disclosure.ground": "ground",
    "$.disclosure.ground.article": "ground", "$.disclosure.ground.law_name": "law_name",
    "$.disclosure.reason": "reason", "$.disclosure.reassess_on": "reassess_on",
}  # fmt: skip
_ATTACHMENT_PATH = re.compile(r"^\$\.attachments\[(\d+)\]")
_LINE = ("title", "doc_number", "issuing_agency", "category", "law_name", "interpreting_unit", "interpreter")


def _text(value: str) -> str:
    """A textarea's value as the contract wants it: browsers send CRLF line breaks."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def clean(values: Mapping[str, str], fields: Iterable[str]) -> dict[str, str]:
    """The form's text fields: one-line fields trimmed, line breaks normalised, absent ones empty."""
    cleaned = {}
    for name in fields:
        value = values.get(name, "")
        cleaned[name] = value.strip() if name in _LINE else _text(value)
    return cleaned


def document_payload(
    values: Mapping[str, str], attachments: Sequence[Mapping[str, Any]], *, drafter: str
) -> dict[str, Any]:
    """The submission (schemas/document-submission.schema.json) a document form describes.

    Empty choices are left out so intake says they are required; empty texts are sent as they are
    so intake says they must not be empty. The drafter is the signed-in user.
    """
    v = values
    data: dict[str, Any] = {"title": v["title"], "issuing_agency": v["issuing_agency"], "category": v["category"],
                            "drafter": drafter}  # fmt: skip
    if v["doc_number"]:
        data["doc_number"] = v["doc_number"]
    if issuers := [line.strip() for line in v["co_issuers"].splitlines() if line.strip()]:
        data["co_issuers"] = issuers
    for name in ("written_on", "kind", "grade", "public_scope"):
        if v[name]:
            data[name] = v[name]
    data["disclosure"] = _disclosure(v)
    data["interpretation_required"] = v["interpretation_required"] in {"on", "true", "1"}
    data.update(summary=v["summary"], body=v["body"], body_format=v["body_format"] or "text")
    data["attachments"] = list(attachments)
    if v.get("change_note", "").strip():
        data["change_note"] = v["change_note"]
    if v.get("release_at", "").strip():
        data["release_at"] = v["release_at"].strip()
    return data


def _disclosure(v: Mapping[str, str]) -> dict[str, Any]:
    """$.disclosure: the attribute, its ground (a law named only for "law") and the reason."""
    disclosure: dict[str, Any] = {}
    if v["attribute"]:
        disclosure["attribute"] = v["attribute"]
    if v["ground"]:
        disclosure["ground"] = {"article": v["ground"]}
        if v["ground"] == LegalGround.LAW and v["law_name"]:
            disclosure["ground"]["law_name"] = v["law_name"]
    for name in ("reason", "reassess_on"):
        if v[name].strip():
            disclosure[name] = v[name]
    return disclosure


def interpretation_payload(
    values: Mapping[str, str], policy_id: str, attachments: Sequence[Mapping[str, Any]], *, drafter: str
) -> dict[str, Any]:
    """The interpretation (schemas/interpretation.schema.json) an interpretation form describes."""
    v = values
    data: dict[str, Any] = {"document_id": policy_id, "title": v["title"], "interpreting_unit": v["interpreting_unit"],
                            "interpreter": v["interpreter"], "body": v["body"], "drafter": drafter,
                            "body_format": v["body_format"] or "text", "attachments": list(attachments)}  # fmt: skip
    if v["form"]:
        data["form"] = v["form"]
    for name in ("summary", "change_note"):
        if v.get(name, "").strip():
            data[name] = v[name]
    return data


def encode(payload: Mapping[str, Any]) -> bytes:
    """The submission's bytes for the application layer."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def check(raw: bytes, *, actor: str, today: date) -> list[Violation]:
    """Every violation intake would report about the submission itself (its schema and rules), without
    submitting: for a form that cannot be submitted anyway (an upload was refused)."""
    try:
        data = parse_payload(raw, actor=actor)
        if not is_interpretation(data):
            build_submission(data, today=today)
    except InvalidInput as exc:
        return list(exc.violations)
    return []


def values_of(submission: Mapping[str, Any]) -> dict[str, str]:
    """A stored (canonical) submission as the form's values, to start a revision from."""
    disclosure = submission.get("disclosure") or {}
    info = submission.get("interpretation") or {}
    values = {
        "title": submission.get("title", ""), "doc_number": submission.get("doc_number") or "",
        "issuing_agency": submission.get("issuing_agency", ""),
        "co_issuers": "\n".join(submission.get("co_issuers") or ()), "written_on": submission.get("written_on", ""),
        "kind": submission.get("kind", ""), "category": submission.get("category", ""),
        "grade": submission.get("grade", ""), "public_scope": submission.get("public_scope", ""),
        "attribute": disclosure.get("attribute", ""), "ground": disclosure.get("ground") or "",
        "law_name": disclosure.get("law_name") or "", "reason": disclosure.get("reason") or "",
        "reassess_on": disclosure.get("reassess_on") or "",
        "interpretation_required": "on" if submission.get("interpretation_required") else "",
        "summary": submission.get("summary", ""), "body_format": submission.get("body_format", "text"),
        "body": submission.get("body", ""), "form": info.get("form", ""),
        "interpreting_unit": info.get("interpreting_unit", ""), "interpreter": info.get("interpreter", ""),
        "change_note": "", "release_at": submission.get("release_at") or "",
    }  # fmt: skip
    return {k: str(v) for k, v in values.items()}


# -- violations at their fields ------------------------------------------------------------------
@dataclass
class Placed:
    """Violations sorted onto the form: per field, and those about no field of it."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[Violation] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def field_of(path: str, fields: Iterable[str]) -> str | None:
    """The form field a violation's path is about (``$.title`` → ``title``), or None."""
    names = set(fields)
    if path in _PATHS:
        name: str | None = _PATHS[path]
    elif path.startswith("$.co_issuers"):
        name = "co_issuers"
    elif path.startswith(("$.attachments", "--attach", "files")):
        name = "attachments"
    elif path.startswith("$.") and path[2:].isidentifier():
        name = path[2:]
    else:
        name = None
    return name if name in names else None


def place(violations: Iterable[Violation], fields: Iterable[str], attachments: Sequence[str] = ()) -> Placed:
    """Each violation at its field, in intake's own words; an attachment's names its file."""
    names = list(fields)
    placed = Placed()
    for violation in violations:
        name = field_of(violation.path, names)
        if name is None:
            placed.general.append(violation)
            continue
        message = violation.message
        if name == "attachments" and (match := _ATTACHMENT_PATH.match(violation.path)):
            index = int(match.group(1))
            which = attachments[index] if index < len(attachments) else f"第 {index + 1} 个附件"
            message = f"{which}{violation.path[match.end() :]}: {message}"
        placed.fields.setdefault(name, []).append(message)
    return placed


# -- uploads -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stored:
    """An attachment written to the temporary directory, with its declared spec."""

    spec: dict[str, Any]
    path: Path


def store_upload(name: str, stream: BinaryIO, directory: Path, taken: Iterable[str], where: str) -> Stored | Violation:
    """Write one uploaded file under its own (checked) name, computing size, sha256 and media type."""
    if problem := file_name_problem(name):
        return Violation(where, f"the file name {name!r} {problem}")
    if name_key(name) in {name_key(other) for other in taken}:
        return Violation(where, f"another attachment is named {name!r}")
    path = directory / name
    digest, size, head = hashlib.sha256(), 0, b""
    with path.open("xb") as out:
        while chunk := stream.read(_CHUNK):
            if len(head) < 4096:  # noqa: PLR2004 - enough for every signature sniffed
                head += chunk[:4096]
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    spec = {"file_name": name, "media_type": media_type(name, head), "size": size, "sha256": digest.hexdigest()}
    return Stored(spec, path)


_SIGNATURES = (
    (b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"),
    (b"{\\rtf", "application/rtf"),
)  # fmt: skip
_CONTAINERS = ((b"PK\x03\x04", "application/zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"))
_EXTRA_TYPES = {".wps": "application/kswps", ".et": "application/vnd.ms-excel", ".ofd": "application/ofd",
                ".md": "text/markdown", ".csv": "text/csv"}  # fmt: skip


def media_type(name: str, head: bytes) -> str:
    """The media type of a file from its first bytes, where they say; else from its name; else text
    if it reads as UTF-8; else application/octet-stream. Intake then checks that the name agrees."""
    stripped = head.lstrip()
    for magic, kind in _SIGNATURES:
        if (stripped if kind in {"application/pdf", "application/rtf"} else head).startswith(magic):
            return kind
    suffix = Path(name.lower()).suffix
    by_name = _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}", strict=False)[0]
    for magic, kind in _CONTAINERS:
        if head.startswith(magic):
            return by_name if by_name and not by_name.startswith(("text/", "image/")) else kind
    if by_name:
        return by_name.lower()
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a character cut off at the end of the head is still text
            return "application/octet-stream"
    return "text/plain"
