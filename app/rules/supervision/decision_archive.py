"""A search result as one ZIP: every decision PDF as stored, a manifest (CSV and JSON: file name,
文号, case number, item, approver, outcome, time signed, SHA-256 of each PDF), the bureau's root
certificate, its newest revocation list and a README in Chinese on verifying each file offline.

Built for thousands of PDFs with bounded memory: the matching ids are read first (capped), then
the rows a batch at a time in short transactions, and each PDF is read, checked against the digest
recorded with the decision and written into the archive (stored, not deflated: PDFs are compressed
already) before the next is read. The archive goes to the export folder and is handed over once
over HTTP (app.rules.supervision.exports), which writes `decision.exported` with the count and the ZIP's
SHA-256 on the audit log."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import threading
import zipfile
from datetime import datetime
from typing import Any, Callable, Optional

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from app.config import settings
from app.db import transaction
from app.rules.people import certificates
from app.rules.calendar import clock
from app.rules.supervision import decision_search
from app.rules.supervision import exports
from app.rules.supervision.decision_search import Filters, Row
from app import storage
from app.rules.counter.decisions import pdf_key
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.counter.publicity import csv_cell
from app.rules.people.roles import AUDITOR
from app.signing import pki

MAX_DECISIONS = 5_000  # ~350 MB of PDFs in one archive; beyond it, narrow the search
MAX_CONCURRENT = 2  # archives built at once in this process (each is disk and CPU bound)
PDF_DIR = "决定书"
ROOT_FILE = "root.pem"
CRL_FILE = "bureau.crl"
MANIFEST_FIELDS = (  # (CSV header, JSON key)
    ("文件名", "file"), ("文号", "document_number"), ("受理编号", "case_no"), ("事项编码", "item_code"),
    ("事项名称", "item_name"), ("审批人", "approver"), ("工号", "staff_no"), ("结果", "outcome"),
    ("签署时间（北京时间）", "decided_at"), ("SHA-256", "sha256"), ("字节数", "size"),
    ("吊销列表晚于签署", "crl_after_decision"),
)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_slots = threading.BoundedSemaphore(MAX_CONCURRENT)

Progress = Callable[[int, int], None]


def file_name(document_number: str, taken: set[str]) -> str:
    """The PDF's name in the archive: its 文号, without characters a file system refuses."""
    base = _UNSAFE.sub("_", document_number).strip(" .") or "决定书"
    name, n = f"{PDF_DIR}/{base}.pdf", 2
    while name in taken:
        name, n = f"{PDF_DIR}/{base}-{n}.pdf", n + 1
    taken.add(name)
    return name


def _csv_cell(value: Any) -> str:
    return csv_cell(str(value))  # a leading apostrophe before = + - @ (as the 双公示 CSV)


def _readme(principal: Principal, f: Filters, count: int, root_fingerprint: str, crl_time: Optional[datetime],
            not_covered: int) -> str:
    conditions = "；".join(f"{k}={v}" for k, v in f.as_dict().items()) or "（无，全部决定）"
    if crl_time is None:
        crl = ("本局尚未发布吊销列表（没有被撤销的密钥证书），本压缩包不含 bureau.crl：核验时去掉 --crl 参数。"
               "以后如有吊销，可在本局公开核验页下载最新的吊销列表再核验。")
    else:
        crl = (f"bureau.crl 是导出时本局最新的吊销列表（本次更新时间 {clock.local(crl_time, '%Y-%m-%d %H:%M:%S')}，北京时间）。"
               "核验程序只接受在决定签署之后发布的吊销列表（较早的列表不能说明签署时密钥未被吊销）："
               f"清单中“吊销列表晚于签署”为“否”的 {not_covered} 份，请到本局公开核验页下载最新吊销列表后再带 --crl 核验，"
               "或先去掉 --crl 参数核验签署与签章，再按决定书上的核验码在核验页查询当前状态。")
    lines = [
        f"{settings.organ_name} 独立审批系统：决定书批量导出",
        "",
        f"导出时间：{clock.now_beijing().strftime('%Y-%m-%d %H:%M:%S')}（北京时间）",
        f"导出人：{principal.name}（{principal.staff_no}）",
        f"查询条件：{conditions}",
        f"决定书份数：{count}",
        "",
        "压缩包内容",
        f"  {PDF_DIR}/        每份决定书 PDF，文件名为文号，与本局存档的文件逐字节相同",
        "  manifest.csv   清单（UTF-8，Excel 可直接打开）：文件名、文号、受理编号、事项、审批人、结果、签署时间、SHA-256",
        "  manifest.json  同一清单的 JSON 格式",
        f"  {ROOT_FILE}       本局根证书",
        *([f"  {CRL_FILE}     本局最新的吊销列表"] if crl_time is not None else []),
        "  README.txt     本说明",
        "",
        "如何离线核验每一份决定书",
        "",
        "1. 核对文件未被改动：计算 PDF 的 SHA-256，与清单中的值比对。",
        f"   Linux：   sha256sum \"{PDF_DIR}/文号.pdf\"",
        f"   macOS：   shasum -a 256 \"{PDF_DIR}/文号.pdf\"",
        f"   Windows： certutil -hashfile \"{PDF_DIR}\\文号.pdf\" SHA256",
        "",
        "2. 核验签署与签章：每份决定书内嵌审批员安全密钥的签署证据、本局为该密钥签发的证书与本局的 PAdES 签章，",
        "   只需本局根证书即可离线核验。用本系统的核验程序（格式与每项检查见 docs/evidence.md，可据此另行编写核验程序）：",
        f"   python -m app.signing.verify \"{PDF_DIR}/文号.pdf\" --root {ROOT_FILE}" + (f" --crl {CRL_FILE}" if crl_time else ""),
        "   退出码 0 = 有效（并列出签署的审批人姓名与工号）；1 = 无效或不能完整核验；2 = 文件无法读取。",
        "   逐份核验（Linux/macOS）：",
        f"   for f in {PDF_DIR}/*.pdf; do python -m app.signing.verify \"$f\" --root {ROOT_FILE}"
        + (f" --crl {CRL_FILE}" if crl_time else "") + " >/dev/null || echo \"未通过：$f\"; done",
        "",
        f"3. 吊销列表：{crl}",
        "",
        f"4. 根证书：{ROOT_FILE} 也可在本局公开核验页下载。请先核对其 SHA-256 指纹与本局公布的一致：",
        f"   {root_fingerprint}",
        "",
        "也可在本局公开核验页上传任一份 PDF，或输入决定书二维码下方的核验码，由本局记录核对。",
    ]
    return "\r\n".join(lines) + "\r\n"


def _entry(row: Row, name: str, size: int, crl_time: Optional[datetime]) -> dict:
    return {"decision_id": row.decision_id, "file": name, "document_number": row.document_number, "case_no": row.case_no, "item_code": row.item_code,
            "item_name": row.item_name, "approver": row.approver_name, "staff_no": row.approver_staff_no,
            "outcome": row.outcome_name, "decided_at": row.decided_at.astimezone(clock.BEIJING).isoformat(),
            "sha256": row.pdf_sha256, "size": size,
            "crl_after_decision": crl_time is not None and crl_time >= row.decided_at}


def _manifest_csv(entries: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([h for h, _ in MANIFEST_FIELDS])
    for e in entries:
        writer.writerow([_csv_cell(("是" if e[k] else "否") if isinstance(e[k], bool) else e[k])
                         for _, k in MANIFEST_FIELDS])
    return out.getvalue().encode("utf-8-sig")


def _info(name: str, when: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.astimezone(clock.BEIJING).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def plan(principal: Principal, filters: Any) -> tuple[Filters, list[int]]:
    """The decisions an archive of this search would hold (their case ids), newest first; refused
    when none or too many."""
    principal.require(AUDITOR)
    f = filters if isinstance(filters, Filters) else decision_search.parse_filters(filters)
    with transaction() as session:
        return f, decision_search.matching_keys(session, f, MAX_DECISIONS)


def build(principal: Principal, filters: Any, on_progress: Optional[Progress] = None) -> exports.Prepared:
    """Write the archive of a search result; `on_progress(done, total)` after each PDF."""
    f, keys = plan(principal, filters)
    if not _slots.acquire(blocking=False):
        raise refuse("search.busy", "系统正在为其他评查人员打包，请稍后再试")
    try:
        return _build(principal, f, keys, on_progress or (lambda done, total: None))
    finally:
        _slots.release()


def _build(principal: Principal, f: Filters, keys: list[int], on_progress: Progress) -> exports.Prepared:
    root = pki.bureau().root
    root_pem = root.public_bytes(Encoding.PEM)
    root_fingerprint = hashlib.sha256(root.public_bytes(Encoding.DER)).hexdigest()
    with transaction() as session:
        crl = certificates.latest_crl(session)
    crl_time = x509.load_der_x509_crl(crl).last_update_utc if crl else None
    now = clock.now_beijing()
    file_id, part = exports.new_file(".zip")
    entries: list[dict] = []
    taken: set[str] = set()
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for rows in decision_search.rows_in_batches(keys, batch=200):
                for row in rows:
                    data = storage.store().get(pdf_key(row.pdf_sha256))
                    if data is None or hashlib.sha256(data).hexdigest() != row.pdf_sha256:
                        raise refuse("decision.pdf_corrupt", f"决定书 {row.document_number} 的文件与登记的摘要不符，"
                                                             "未生成压缩包：请联系系统管理员")
                    name = file_name(row.document_number, taken)
                    archive.writestr(_info(name, row.decided_at), data)
                    entries.append(_entry(row, name, len(data), crl_time))
                    del data
                    on_progress(len(entries), len(keys))
            not_covered = sum(1 for e in entries if not e["crl_after_decision"])
            manifest = {"format": "zd-independent-approval/decision-archive/v1", "organ": settings.organ_name,
                        "generated_at": now.isoformat(), "generated_by": {"name": principal.name,
                                                                           "staff_no": principal.staff_no},
                        "filters": f.as_dict(), "count": len(entries), "root_sha256": root_fingerprint,
                        "crl_this_update": crl_time.isoformat() if crl_time else None, "decisions": entries}
            archive.writestr(_info("manifest.json", now), json.dumps(manifest, ensure_ascii=False, indent=1))
            archive.writestr(_info("manifest.csv", now), _manifest_csv(entries))
            archive.writestr(_info(ROOT_FILE, now), root_pem)
            if crl:
                archive.writestr(_info(CRL_FILE, now), crl)
            archive.writestr(_info("README.txt", now),
                             "\ufeff" + _readme(principal, f, len(entries), root_fingerprint, crl_time, not_covered))
    except BaseException:
        exports.discard(part)
        raise
    stamp = now.strftime("%Y%m%d-%H%M%S")
    return exports.finish(principal, file_id, part, filename=f"决定书-{stamp}-{len(entries)}份.zip",
                          mime_type="application/zip", count=len(entries), action="decision.exported",
                          details={"filters": f.as_dict(), "decision_ids": [e["decision_id"] for e in entries]})
