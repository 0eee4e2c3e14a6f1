"""The decision document (准予行政许可决定书) as HTML for WeasyPrint: A4, GB/T 9704-style layout.

Everything the PDF shows comes from the decision content, which is fixed before the key is
touched; the rendered bytes are then hashed into the payload the approver signs."""

from __future__ import annotations

from html import escape

import segno

from app.signing.seal import seal_svg

# AR PL SungtiL GB (a 宋体, TrueType, GB 2312) renders in about half the time of Noto Serif CJK and
# its subsets make a ~60 KB PDF instead of ~260 KB (README, Performance); Noto covers the rest
# (rare characters in names). Named in every font-family chain, margin boxes and the seal included.
FONT = "'AR PL SungtiL GB', 'Noto Serif CJK SC', 'Noto Serif CJK', serif"

CSS = f"""
@page {{ size: A4; margin: 26mm 24mm 18mm 26mm;
  @bottom-center {{ content: "第 " counter(page) " 页"; font-family: {FONT}; font-size: 9pt; color: #555; }} }}
html {{ font-family: {FONT}; font-size: 13.5pt; line-height: 1.6; color: #000; }}
h1.organ {{ font-size: 20pt; text-align: center; margin: 0; letter-spacing: 1pt; font-weight: bold; }}
h2.title {{ font-size: 22pt; text-align: center; margin: 4mm 0 2mm; letter-spacing: 4pt; font-weight: bold; }}
p.number {{ text-align: right; margin: 0 0 6mm; }}
p {{ margin: 0; text-indent: 2em; text-align: justify; }}
p.flush {{ text-indent: 0; }}
table.parties {{ border-collapse: collapse; margin: 0 0 3mm; font-size: 13pt; }}
table.parties td {{ padding: 0.5mm 2mm 0.5mm 0; vertical-align: top; }}
table.parties td:first-child {{ white-space: nowrap; }}
.signoff {{ margin-top: 8mm; position: relative; height: 40mm; }}
.signoff .seal {{ position: absolute; right: 14mm; top: -4mm; opacity: 0.9; }}
.signoff .organ {{ position: absolute; right: 8mm; top: 12mm; text-indent: 0; }}
.signoff .date {{ position: absolute; right: 16mm; top: 22mm; text-indent: 0; }}
.evidence {{ border-top: 0.4pt solid #888; margin-top: 4mm; padding-top: 2mm; font-size: 8.5pt;
  line-height: 1.4; display: flex; }}
.evidence .qr {{ width: 26mm; }}
.evidence .text p {{ text-indent: 0; }}
"""


def chinese_date(iso_date: str) -> str:
    year, month, day = iso_date[:10].split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def qr_svg(url: str) -> str:
    return segno.make_qr(url, error="m").svg_inline(scale=2.2, border=0)


def decision_html(content: dict) -> str:
    e = lambda v: escape(str(v))  # noqa: E731
    applicant = content["applicant"]
    approver = content["approver"]
    decided = content["decided_at"]
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in content["decision_text"])
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{e(content['title'])} {e(content['document_number'])}</title><style>{CSS}</style></head><body>
<h1 class="organ">{e(content['organ'])}</h1>
<h2 class="title">{e(content['title'])}</h2>
<p class="number">{e(content['document_number'])}</p>
<table class="parties">
<tr><td>申请人：</td><td>{e(applicant['name'])}</td></tr>
<tr><td>证件：</td><td>{e(applicant['id_type'])} {e(applicant['id_number_masked'])}</td></tr>
<tr><td>申请事项：</td><td>{e(content['item']['name'])}（事项编码 {e(content['item']['code'])}）</td></tr>
<tr><td>受理编号：</td><td>{e(content['case_no'])}（{chinese_date(content['accepted_at'])}受理）</td></tr>
</table>
{paragraphs}
<p>{e(content['remedy'])}</p>
<div class="signoff">
  <div class="seal">{seal_svg(content['organ'])}</div>
  <p class="organ">{e(content['organ'])}</p>
  <p class="date">{chinese_date(decided)}</p>
</div>
<div class="evidence">
  <div class="qr">{qr_svg(content['verify_url'])}</div>
  <div class="text">
    <p>审批人（电子签名）：{e(approver['name'])}（工号 {e(approver['staff_no'])}）</p>
    <p>签名方式：独立审批员安全密钥（FIDO2）签署，密钥指纹 {e(content['key']['fingerprint'])}</p>
    <p>签署时间：{e(decided[:19].replace('T', ' '))}（北京时间）</p>
    <p>核验码：{e(content['verification_code'])}　核验地址：{e(content['verify_url'])}</p>
  </div>
</div>
</body></html>"""
