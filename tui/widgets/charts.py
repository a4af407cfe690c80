"""Terminal charts: horizontal bars and sparklines, sized by exact Decimal arithmetic.

No float touches an amount: a bar's length is value x width / top, rounded to a whole
number of cells with Decimal.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

BUCKET_ORDER = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
SPARK = "▁▂▃▄▅▆▇█"


def bar(value: Decimal, top: Decimal, width: int) -> str:
    """A horizontal bar; the length is exact decimal arithmetic, rounded to cells."""
    if top <= 0 or value <= 0:
        return ""
    cells = int((value * width / top).to_integral_value(rounding=ROUND_HALF_UP))
    return "█" * max(cells, 1)


def sparkline(values: list[Decimal | None]) -> str:
    """One cell per value, scaled to the largest; a gap where there is no figure."""
    known = [v for v in values if v is not None]
    top = max(known, default=Decimal(0))
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif top <= 0:
            out.append(SPARK[0])
        else:
            k = int((max(v, Decimal(0)) * (len(SPARK) - 1) / top).to_integral_value(rounding=ROUND_HALF_UP))
            out.append(SPARK[k])
    return "".join(out)
