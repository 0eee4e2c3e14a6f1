"""The item's process flowchart (三(一)): 申请 → 受理 → 审查 → 决定 → 送达, drawn from the item's own
conditions, materials and time limits as SVG (shown on the page, printable, embeddable in PDFs)."""

from __future__ import annotations

from html import escape

from app.models import Item

FONT = "Noto Sans CJK SC, Noto Serif CJK SC, sans-serif"
WIDTH = 760


def _wrap(text: str, per_line: int) -> list[str]:
    return [text[i:i + per_line] for i in range(0, len(text), per_line)] or [""]


def _box(y: float, title: str, lines: list[str], who: str, limit: str) -> tuple[str, float]:
    body = [line for text in lines for line in _wrap(text, 34)][:8]
    height = 46 + 18 * len(body)
    parts = [f'<rect x="150" y="{y}" width="460" height="{height}" rx="8" fill="#fff" stroke="#b03030" stroke-width="1.5"/>',
             f'<text x="166" y="{y + 24}" font-size="16" font-weight="bold" fill="#b03030">{escape(title)}</text>',
             f'<text x="594" y="{y + 24}" font-size="12" text-anchor="end" fill="#555">{escape(limit)}</text>',
             f'<text x="620" y="{y + 24}" font-size="12" fill="#333">{escape(who)}</text>']
    for i, line in enumerate(body):
        parts.append(f'<text x="166" y="{y + 46 + 18 * i}" font-size="12" fill="#222">{escape(line)}</text>')
    return "".join(parts), height


def _diamond(y: float, question: str, no: str) -> tuple[str, float]:
    cx = 380
    return (f'<polygon points="{cx},{y} {cx + 120},{y + 28} {cx},{y + 56} {cx - 120},{y + 28}" fill="#fff6f6" '
            f'stroke="#b03030"/><text x="{cx}" y="{y + 33}" font-size="13" text-anchor="middle">{escape(question)}</text>'
            f'<line x1="{cx - 120}" y1="{y + 28}" x2="40" y2="{y + 28}" stroke="#888"/>'
            f'<text x="44" y="{y + 22}" font-size="11" fill="#555">否：{escape(no)}</text>'), 56


def flowchart_svg(item: Item) -> str:
    on_the_spot = item.promised_limit_days == 0
    limit = "当场办结" if on_the_spot else f"承诺 {item.promised_limit_days} 个工作日（法定 {item.statutory_limit_days}）"
    materials = [f"{i + 1}. {m['name']}" for i, m in enumerate(item.materials)]
    conditions = [f"{i + 1}. {c}" for i, c in enumerate(item.conditions)]
    steps = [
        ("box", ("申请", [f"申请人提交申请材料（{item.handling_form}）", *materials], "申请人", "")),
        ("diamond", ("材料齐全、符合法定形式？", "当场或五日内一次性告知补正")),
        ("box", ("受理", ["出具受理凭证（加盖专用印章、注明日期）", "审批员声明回避情况"], "独立审批员", "当场")),
        ("box", ("审查", ["逐项审查受理条件：", *conditions], "独立审批员", limit)),
        ("diamond", ("符合法定条件？", "作出不予许可决定，告知理由和救济途径")),
        ("box", ("决定", ["作出准予行政许可决定，审批员以安全密钥签署", f"依据：{item.legal_basis}"],
                 "独立审批员", limit)),
        ("box", ("送达", ["送达决定书；需颁发证件的，十日内颁发", "准予决定七个工作日内公示"], "窗口", "")),
    ]
    y, parts = 56.0, []
    for kind, args in steps:
        if parts:
            parts.append(f'<line x1="380" y1="{y}" x2="380" y2="{y + 22}" stroke="#888" marker-end="url(#arrow)"/>')
            y += 24
        shape, height = _box(y, *args) if kind == "box" else _diamond(y, *args)
        parts.append(shape)
        y += height
    footer = f"咨询电话：{item.consult_phone or '—'}　监督投诉电话：{item.supervise_phone or '—'}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y + 50}" viewBox="0 0 {WIDTH} {y + 50}" '
            f'font-family="{FONT}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
            f'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>'
            f'<text x="{WIDTH / 2}" y="30" font-size="18" font-weight="bold" text-anchor="middle">'
            f'{escape(item.name)} 审批流程图</text>{"".join(parts)}'
            f'<text x="{WIDTH / 2}" y="{y + 34}" font-size="12" text-anchor="middle" fill="#555">{escape(footer)}</text></svg>')
