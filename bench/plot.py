#!/usr/bin/env python3
"""Draws a benchmark's ratios as an SVG chart: bench/plot.py RESULTS.json OUT.svg

bench/report.py writes each benchmark's medians and every round's figure to
bench/results/<name>.json next to the markdown table, and draws
bench/results/<name>.svg from them with `chart` here; run as a script, this
redraws a chart from its JSON. Nothing but the standard library: the chart is
horizontal bars on a log scale, and Debian's matplotlib would bring some 60
packages (SciPy, Boost headers) for it.

The JSON, as bench/report.py writes it:

    {
      "title": "...", "subtitle": "machine, commit, date",
      "axis": "what the ratio is, and which side is better",
      "series": ["÷ crossbeam-channel", "÷ Go"],
      "rows": [{"label": "spsc/0", "values": [0.10, 4.35],
                "rounds": [[0.09, 0.10, 0.12], [4.1, 4.3, 4.4]]}],
      "goals": [{"value": 1.3, "label": "goal: ...", "series": 0}]
    }

Each row has one bar per series, drawn from 1 (parity) to the median ratio, so
a bar to the left and one to the right of the middle line read at a glance as
"brigade ahead" and "brigade behind". A `null` value draws no bar (a series
that does not apply to that row). Each round's ratio is a dot on its bar: the
spread between rounds is part of the result. A goal is a dashed line, drawn
across the rows of its series.
"""

import json
import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape

COLORS = ["#3b6ea8", "#d1783a", "#5a9e58", "#9a5ba8"]
WIDTH = 820
LEFT = 190  # room for row labels (26 characters)
RIGHT = 70  # room for the value past the longest bar
BAR = 13  # height of one bar
GAP = 9  # space between rows
FONT = "font-family='system-ui, sans-serif'"


def ticks(lo, hi):
    """1-2-5 ticks covering [lo, hi]."""
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0**e
            if lo <= v <= hi:
                out.append(v)
    return out


def fmt(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def chart(data):
    series = data["series"]
    rows = data["rows"]
    goals = data.get("goals", [])
    seen = [v for r in rows for v in r["values"] if v is not None]
    seen += [v for r in rows for rr in r.get("rounds", []) for v in rr if v is not None]
    seen += [g["value"] for g in goals] + [1.0]
    lo = min(seen) / 1.25
    hi = max(seen) * 1.25
    span = math.log10(hi) - math.log10(lo)

    top = 74 + 16 * len(goals)
    row_h = BAR * len(series) + GAP
    plot_h = row_h * len(rows)
    height = top + plot_h + 46
    inner = WIDTH - LEFT - RIGHT

    def x(v):
        return LEFT + inner * (math.log10(v) - math.log10(lo)) / span

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' {FONT} font-size='12'>",
        f"<rect width='{WIDTH}' height='{height}' fill='white'/>",
        f"<text x='12' y='22' font-size='15' font-weight='bold'>{escape(data['title'])}</text>",
        f"<text x='12' y='40' fill='#555'>{escape(data.get('subtitle', ''))}</text>",
    ]
    # Legend: one swatch per series, then the dot for a round.
    lx = 12
    for i, name in enumerate(series):
        out.append(f"<rect x='{lx}' y='52' width='12' height='12' fill='{COLORS[i % len(COLORS)]}'/>")
        out.append(f"<text x='{lx + 17}' y='62'>{escape(name)}</text>")
        lx += 30 + 7 * len(name)
    out.append(f"<circle cx='{lx + 6}' cy='58' r='3' fill='black' fill-opacity='0.55'/>")
    out.append(f"<text x='{lx + 15}' y='62'>one round</text>")

    # Grid and axis.
    for t in ticks(lo, hi):
        tx = x(t)
        width = 1.5 if t == 1 else 0.6
        color = "#333" if t == 1 else "#ccc"
        out.append(
            f"<line x1='{tx:.1f}' y1='{top - 4}' x2='{tx:.1f}' y2='{top + plot_h}' "
            f"stroke='{color}' stroke-width='{width}'/>"
        )
        label = f"{t:g}x"
        out.append(
            f"<text x='{tx:.1f}' y='{top + plot_h + 16}' text-anchor='middle' fill='#333'>{label}</text>"
        )
    out.append(
        f"<text x='{LEFT + inner / 2:.1f}' y='{top + plot_h + 36}' text-anchor='middle' "
        f"fill='#333'>{escape(data['axis'])}</text>"
    )

    for r, row in enumerate(rows):
        y0 = top + r * row_h
        mid = y0 + BAR * len(series) / 2 + 4
        out.append(
            f"<text x='{LEFT - 8}' y='{mid:.1f}' text-anchor='end'>{escape(row['label'])}</text>"
        )
        for s, value in enumerate(row["values"]):
            if value is None:
                continue
            y = y0 + s * BAR
            a, b = sorted((x(1.0), x(value)))
            color = COLORS[s % len(COLORS)]
            out.append(
                f"<rect x='{a:.1f}' y='{y + 1}' width='{max(b - a, 1):.1f}' height='{BAR - 2}' "
                f"fill='{color}'><title>{escape(row['label'])} {escape(series[s])}: "
                f"{fmt(value)}x</title></rect>"
            )
            rounds = row.get("rounds", [])
            dots = [v for v in (rounds[s] if s < len(rounds) else []) if v is not None]
            for v in dots:
                out.append(
                    f"<circle cx='{x(v):.1f}' cy='{y + BAR / 2:.1f}' r='2.5' "
                    f"fill='black' fill-opacity='0.55'/>"
                )
            # Right of the bar's far end or of parity, and of any round's dot.
            far = max([value] + dots)
            tx = max(b, x(far)) + 4
            out.append(f"<text x='{tx:.1f}' y='{y + BAR - 3}' font-size='10'>{fmt(value)}</text>")

    # Goals: dashed, over the rows of their series, labelled above the plot.
    for g, goal in enumerate(goals):
        gx = x(goal["value"])
        color = COLORS[goal.get("series", 0) % len(COLORS)]
        out.append(
            f"<line x1='{gx:.1f}' y1='{top - 4}' x2='{gx:.1f}' y2='{top + plot_h}' "
            f"stroke='{color}' stroke-width='1.5' stroke-dasharray='5,3'/>"
        )
        ly = top - 10 - 16 * (len(goals) - 1 - g)
        # Right of the line, or left of it where the label would run off.
        fits = gx + 4 + 7.5 * len(goal["label"]) < WIDTH
        lx, anchor = (gx + 4, "start") if fits else (gx - 4, "end")
        out.append(
            f"<text x='{lx:.1f}' y='{ly}' fill='{color}' text-anchor='{anchor}'>"
            f"{escape(goal['label'])}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def check(data):
    """Raises ValueError where `chart` would draw nonsense or fail."""
    for row in data["rows"]:
        if len(row["values"]) != len(data["series"]):
            raise ValueError(
                f"row {row['label']!r} has {len(row['values'])} values for {len(data['series'])} series"
            )
        if any(v is not None and v <= 0 for v in row["values"]):
            raise ValueError(f"row {row['label']!r} has a ratio that is not positive")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench/plot.py RESULTS.json OUT.svg")
    data = json.loads(Path(sys.argv[1]).read_text())
    try:
        check(data)
    except ValueError as e:
        sys.exit(f"{sys.argv[1]}: {e}")
    Path(sys.argv[2]).write_text(chart(data))
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
