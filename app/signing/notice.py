"""The printable public notice of an item (行政许可法 第三十条: item, basis, conditions, quantity,
procedure, time limit, materials, fee, contacts), with its flowchart, as PDF."""

from __future__ import annotations

from typing import Mapping

from markupsafe import Markup

from app.config import settings
from app.models import Item
from app.rules.catalog.items import limit_text, material_text, validity_text
from app.rules.catalog.flowchart import flowchart_svg
from app.signing.document import FONT, template


def guide_rows(item: Mapping, category: str, department: str) -> list[tuple[str, str]]:
    """The guide's facts, in the guide's order: the PDF and the item page show the same rows.
    `item`: an item's fields (an Item dumped, or a revision snapshot)."""
    return [("事项名称", item["name"]), ("事项编码", item["code"]), ("办件类型", item["item_type"]),
            ("审批门类", category), ("实施科室", department), ("设定依据", item["legal_basis"]),
            ("许可内容", item.get("permit_content") or "—"),
            ("法定办结时限", limit_text(item["statutory_limit_days"])),
            ("承诺办结时限", limit_text(item["promised_limit_days"])),
            ("许可有效期", validity_text(item.get("validity_months") or 0)),
            ("办理形式", item.get("handling_form") or "窗口办理"), ("收费", item.get("fee") or "不收费"),
            ("咨询电话", item.get("consult_phone") or "—"), ("监督投诉电话", item.get("supervise_phone") or "—")]


def guide_materials(materials: list) -> list[tuple[str, str, str]]:
    """(name, how many originals and copies, 必需/可选) per material, as applicants read them."""
    return [(m["name"], material_text({**m, "required": True}), "必需" if m.get("required", True) else "可选")
            for m in materials]


def notice_html(item: Item, category: str, department: str) -> str:
    rows = guide_rows(item.model_dump(), category, department)
    materials = guide_materials(item.materials)
    return template("item_guide").render(item=item, category=category, department=department, rows=rows,
                                         materials=materials, organ=settings.organ_name, font=FONT,
                                         flowchart_svg=Markup(flowchart_svg(item)))
