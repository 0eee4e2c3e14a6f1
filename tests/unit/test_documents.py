"""Documents come from autoescaped Jinja2 templates; the closing block never strands the seal."""

from __future__ import annotations

import subprocess

from app.signing.document import decision_html
from app.signing.renderer import render_pdf


def _content(**overrides) -> dict:
    content = {
        "organ": "淄博市张店区行政审批服务局", "title": "准予行政许可决定书", "document_number": "张行审许字〔2026〕7号",
        "applicant": {"name": "示例餐饮店", "id_type": "居民身份证", "id_number_masked": "1101**********002X"},
        "item": {"code": "370303-SCZT-001", "name": "食品经营许可"}, "case_no": "SL20261128000007",
        "accepted_at": "2026-11-28T09:00:00+08:00", "decided_at": "2026-11-28T09:05:00+08:00",
        "decision_text": ["经审查，符合条件。", "决定准予行政许可。"], "remedy": "如不服本决定，可以申请行政复议。",
        "approver": {"name": "张晓梅", "staff_no": "S001"}, "key": {"fingerprint": "ABCD 1234 EF56 7890"},
        "verification_code": "0123456789ABCDEF", "verify_url": "http://localhost:3000/verify?code=0123456789ABCDEF"}
    content.update(overrides)
    return content


def test_what_officers_and_applicants_typed_is_escaped():
    html = decision_html(_content(applicant={"name": "<script>alert(1)</script>&", "id_type": "护照",
                                             "id_number_masked": "E1****7"}))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in html
    assert "<svg" in html  # the seal and QR code, made by the code, are markup


def test_long_content_keeps_the_closing_seal_and_qr_together(tmp_path):
    text = ["经审查，" + "申请材料齐全、符合法定形式，" * 12 + "符合规定条件。"] * 14
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(render_pdf(decision_html(_content(decision_text=text))))
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    assert count >= 2
    last = subprocess.run(["pdftotext", "-f", str(count), "-l", str(count), str(pdf), "-"],
                          capture_output=True, text=True).stdout
    assert "如不服本决定" in last and "核验码" in last and "淄博市张店区行政审批服务局" in last


def test_a_long_correction_notice_keeps_its_closing_together_and_escapes_what_was_typed(tmp_path):
    from app.signing.document import render

    notice = {"title": "补正材料通知书", "organ": "淄博市张店区行政审批服务局", "document_number": "SL20261128000007",
              "case_no": "SL20261128000007", "issued_at": "2026-11-28T09:00:00+08:00",
              "received_at": "2026-11-28T08:50:00+08:00",
              "applicant": {"name": "<b>示例</b>餐饮店", "id_type": "居民身份证", "id_number_masked": "1101**********002X"},
              "item": {"code": "370303-SCZT-001", "name": "食品经营许可"},
              "approver": {"name": "张晓梅", "staff_no": "S001"}, "consult_phone": "0533-1234567",
              "supervise_phone": "0533-7654321",
              "correction": [{"material": f"材料{i}", "need": "请补充提交盖章的原件，" * 8} for i in range(30)]}
    html = render("notice_correction", notice)
    assert "&lt;b&gt;示例&lt;/b&gt;" in html
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(render_pdf(html))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert count >= 2
    last = subprocess.run(["pdftotext", "-f", str(count), "-l", str(count), str(pdf), "-"],
                          capture_output=True, text=True).stdout
    assert "监督投诉电话" in last and "经办人：张晓梅" in last and "2026年11月28日" in last
