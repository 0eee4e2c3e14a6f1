"""The printable public notice of an item (行政许可法 第三十条: item, basis, conditions, quantity,
procedure, time limit, materials, fee, contacts), with its flowchart, as PDF."""

from __future__ import annotations

from html import escape

from app.config import settings
from app.models import Item
from app.rules.catalog import material_text
from app.rules.flowchart import flowchart_svg
from app.signing.document import FONT

CSS = f"""
@page {{ size: A4; margin: 20mm 18mm; @bottom-center {{ content: counter(page) " / " counter(pages);
  font-family: {FONT}; font-size: 9pt; }} }}
html {{ font-family: {FONT}; font-size: 11pt; line-height: 1.6; }}
h1 {{ font-size: 18pt; text-align: center; margin: 0 0 2mm; }} h2 {{ font-size: 12.5pt; margin: 5mm 0 1mm; }}
p.meta {{ text-align: center; color: #444; margin: 0 0 4mm; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 0.5pt solid #888; padding: 1.5mm 2mm; vertical-align: top; }}
th {{ background: #f3f3f3; width: 28%; text-align: left; font-weight: normal; }}
.chart {{ page-break-before: always; text-align: center; }} .chart svg {{ width: 170mm; height: auto; }}
"""


def notice_html(item: Item, category: str, department: str) -> str:
    e = escape
    rows = [("事项名称", item.name), ("事项编码", item.code), ("办件类型", item.item_type),
            ("审批门类", category), ("实施科室", department), ("设定依据", item.legal_basis),
            ("法定办结时限", f"{item.statutory_limit_days} 个工作日"),
            ("承诺办结时限", "当场办结" if item.promised_limit_days == 0 else f"{item.promised_limit_days} 个工作日"),
            ("办理形式", item.handling_form), ("收费", item.fee),
            ("咨询电话", item.consult_phone or "—"), ("监督投诉电话", item.supervise_phone or "—")]
    table = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    conditions = "".join(f"<li>{e(c)}</li>" for c in item.conditions)
    materials = "".join(f"<tr><td>{i + 1}</td><td>{e(m['name'])}</td><td>{e(material_text(m))}</td>"
                        f"<td>{'必需' if m.get('required', True) else '可选'}</td></tr>"
                        for i, m in enumerate(item.materials))
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(item.name)}</title>
<style>{CSS}</style></head><body>
<h1>{e(item.name)}</h1><p class="meta">{e(settings.organ_name)} · 办事指南（第 {item.revision} 版）</p>
<table>{table}</table>
<h2>受理条件</h2><ol>{conditions}</ol>
<h2>申请材料目录</h2><table><tr><th style="width:8%">序号</th><th>材料名称</th><th>份数</th><th style="width:12%">要求</th></tr>{materials}</table>
<h2>办理程序</h2><p>申请 → 受理（材料齐全、符合法定形式的当场受理；不齐全的当场或五日内一次性告知需补正的全部内容）→ 审查 → 决定 → 送达。
{'符合条件的当场作出书面决定。' if item.promised_limit_days == 0 else f'自受理之次日起 {item.promised_limit_days} 个工作日内作出决定。'}</p>
<div class="chart">{flowchart_svg(item)}</div>
</body></html>"""
