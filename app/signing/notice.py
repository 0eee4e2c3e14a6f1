"""The printable public notice of an item (行政许可法 第三十条: item, basis, conditions, quantity,
procedure, time limit, materials, fee, contacts), with its flowchart, as PDF."""

from __future__ import annotations

from markupsafe import Markup

from app.config import settings
from app.models import Item
from app.rules.catalog import limit_text, material_text
from app.rules.flowchart import flowchart_svg
from app.signing.document import FONT, template


def notice_html(item: Item, category: str, department: str) -> str:
    rows = [("事项名称", item.name), ("事项编码", item.code), ("办件类型", item.item_type),
            ("审批门类", category), ("实施科室", department), ("设定依据", item.legal_basis),
            ("法定办结时限", f"{item.statutory_limit_days} 个工作日"), ("承诺办结时限", limit_text(item.promised_limit_days)),
            ("办理形式", item.handling_form), ("收费", item.fee),
            ("咨询电话", item.consult_phone or "—"), ("监督投诉电话", item.supervise_phone or "—")]
    materials = [(m["name"], material_text(m), "必需" if m.get("required", True) else "可选") for m in item.materials]
    return template("item_guide").render(item=item, category=category, department=department, rows=rows,
                                         materials=materials, organ=settings.organ_name, font=FONT,
                                         flowchart_svg=Markup(flowchart_svg(item)))
