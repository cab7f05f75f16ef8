"""Series colours that never repeat within a plot, however many series it has."""
from __future__ import annotations

import colorsys

# matplotlib's tab10 (Tableau 10): distinct and readable for the first ten series.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#555555")
GOLDEN_ANGLE = 137.508  # degrees: successive hues spread round the wheel without coming back to one


def distinct(count: int) -> list[str]:
    """`count` colours, all different: the palette, then hues a golden angle apart in two lightnesses (the page's
    script uses the same rule)."""
    out = list(PALETTE[:count])
    for i in range(len(PALETTE), count):
        red, green, blue = colorsys.hls_to_rgb((i * GOLDEN_ANGLE) % 360 / 360, 0.38 if i % 2 else 0.52, 0.62)
        out.append(f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}")
    return out
