"""The bureau's documents as HTML for WeasyPrint, from Jinja2 templates (app/templates/documents,
autoescaped): A4, GB/T 9704-style layout.

Everything a decision's PDF shows comes from the decision content, which is fixed before the key
is touched; the rendered bytes are then hashed into the payload the approver signs."""

from __future__ import annotations

from functools import lru_cache

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.config import PROJECT_ROOT
from app.signing.seal import seal_svg

TEMPLATES = PROJECT_ROOT / "app" / "templates"

# AR PL SungtiL GB (a 宋体, TrueType, GB 2312) renders in about half the time of Noto Serif CJK and
# its subsets make a ~60 KB PDF instead of ~260 KB (README, Performance); Noto covers the rest
# (rare characters in names). Named in every font-family chain, margin boxes and the seal included.
FONT = "'AR PL SungtiL GB', 'Noto Serif CJK SC', 'Noto Serif CJK', serif"


def chinese_date(iso_date: str) -> str:
    year, month, day = iso_date[:10].split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def qr_svg(url: str) -> str:
    return segno.make_qr(url, error="m").svg_inline(scale=2.2, border=0)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Templates in app/templates/documents, one per document type, autoescaped: a bureau changes
    wording and layout there without touching Python."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["chinese_date"] = chinese_date
    return env


def template(name: str):
    return _environment().get_template(f"documents/{name}.html")


def render(name: str, content: dict) -> str:
    """A decision's HTML from its template and content (markup made here is marked safe)."""
    return template(name).render(
        **content, font=FONT, seal_svg=Markup(seal_svg(content["organ"])),
        qr_svg=Markup(qr_svg(content["verify_url"])) if "verify_url" in content else "")


def decision_html(content: dict, outcome: str = "approved") -> str:
    return render(f"decision_{outcome}", content)
