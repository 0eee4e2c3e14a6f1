"""The visible round seal (国发〔1999〕25号 style: star in the centre, name on the rim, left to right).

The seal image is only a picture; origin and integrity come from the signatures. A legally
recognised 电子印章 comes from the unified seal platform and would replace this (see NOTES.md)."""

from __future__ import annotations

import math
from html import escape

RED = "#d5232f"


def _star(cx: float, cy: float, r: float) -> str:
    pts = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = math.radians(-90 + i * 36)
        pts.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return f'<polygon points="{" ".join(pts)}" fill="{RED}"/>'


def seal_svg(name: str, size_mm: float = 42.0) -> str:
    """SVG in millimetres. WeasyPrint ignores dominant-baseline, so each glyph is placed by hand."""
    c = size_mm / 2
    rim = 1.2
    text_r = c - rim - 3.6
    arc = 250.0
    step = arc / max(len(name) - 1, 1)
    glyphs = []
    for i, ch in enumerate(name):
        deg = -90 - arc / 2 + i * step
        x = c + text_r * math.cos(math.radians(deg))
        y = c + text_r * math.sin(math.radians(deg))
        glyphs.append(
            f'<text transform="translate({x:.2f} {y:.2f}) rotate({deg + 90:.2f}) scale(0.72 1)" '
            f'x="0" y="1.8" font-size="5.0" text-anchor="middle" fill="{RED}" '
            f'font-family="AR PL SungtiL GB, Noto Serif CJK SC, serif" font-weight="bold">{escape(ch)}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_mm}mm" height="{size_mm}mm" '
        f'viewBox="0 0 {size_mm} {size_mm}">'
        f'<circle cx="{c}" cy="{c}" r="{c - rim / 2}" fill="none" stroke="{RED}" stroke-width="{rim}"/>'
        f'{_star(c, c, 7.0)}{"".join(glyphs)}</svg>')
