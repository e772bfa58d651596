"""The calibration report as one self-contained HTML page, its charts drawn as inline SVG."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TextIO

import numpy as np

from faceapp.core.calibration import CalibrationReport, ThresholdFigures

GENUINE_COLOUR = "#2e8b57"
IMPOSTOR_COLOUR = "#c0392b"
THRESHOLD_COLOURS = ("#1f4e9c", "#8e44ad", "#d35400", "#16a085")

#: Smallest false-accept rate drawn on the logarithmic chart; rates below it (zero
#: included) are drawn at it.
LOG_FLOOR = 1e-7


@dataclass(frozen=True)
class Series:
    """A line of a chart: points, colour, and how it is drawn."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: str
    dashed: bool = False
    filled: bool = False


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def svg_chart(
    series: Sequence[Series],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_label: str,
    y_label: str,
    markers: Sequence[tuple[str, float, str]] = (),
    log_y: bool = False,
    size: tuple[int, int] = (720, 320),
) -> str:
    """Return an SVG line chart as a string (no scripts, no external references).

    Parameters
    ----------
    series : sequence of Series
        Lines to draw; NaN points are skipped; ``filled`` lines are shaded down to the
        x axis.
    x_range, y_range : (float, float)
        Axis ranges (for ``log_y``, positive).
    x_label, y_label : str
        Axis titles.
    markers : sequence of (label, x, colour)
        Vertical lines (thresholds).
    log_y : bool
        Logarithmic y axis with a tick per power of ten.
    size : (int, int)
        Width and height in pixels.
    """
    width, height = size
    left, right, top, bottom = 70, 20, 34, 50
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = x_range
    y0, y1 = (math.log10(y_range[0]), math.log10(y_range[1])) if log_y else y_range

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        v = math.log10(max(y, 10**y0)) if log_y else y
        v = min(max(v, y0), y1)
        return top + ph - (v - y0) / (y1 - y0) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>',
    ]
    # x ticks
    step = _nice_step((x1 - x0) / 8)
    x = math.ceil(x0 / step) * step
    while x <= x1 + 1e-9:
        px = sx(x)
        out.append(
            f'<line x1="{_fmt(px)}" y1="{top}" x2="{_fmt(px)}" y2="{top + ph}" stroke="#eee"/>'
        )
        out.append(f'<text x="{_fmt(px)}" y="{top + ph + 15}" text-anchor="middle">{x:.2f}</text>')
        x += step
    # y ticks
    if log_y:
        ticks = [10.0**k for k in range(math.ceil(y0), math.floor(y1) + 1)]
        labels = [f"1e{round(math.log10(t))}" if t < 0.01 else f"{t:g}" for t in ticks]
    else:
        ystep = _nice_step((y1 - y0) / 5)
        ticks = list(np.arange(math.ceil(y0 / ystep) * ystep, y1 + 1e-12, ystep))
        labels = [f"{t:.3g}" for t in ticks]
    for t, label in zip(ticks, labels):
        py = sy(t)
        out.append(
            f'<line x1="{left}" y1="{_fmt(py)}" x2="{left + pw}" y2="{_fmt(py)}" stroke="#eee"/>'
        )
        out.append(
            f'<text x="{left - 5}" y="{_fmt(py + 4)}" text-anchor="end">{html.escape(label)}</text>'
        )
    for s in series:
        pts = [
            (sx(x), sy(y))
            for x, y in zip(s.xs, s.ys)
            if not math.isnan(y) and x0 - 1e-9 <= x <= x1 + 1e-9
        ]
        if not pts:
            continue
        path = " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in pts)
        if s.filled:
            base = top + ph
            poly = f"{_fmt(pts[0][0])},{base} {path} {_fmt(pts[-1][0])},{base}"
            out.append(f'<polygon points="{poly}" fill="{s.colour}" fill-opacity="0.25"/>')
        dash = ' stroke-dasharray="6,4"' if s.dashed else ""
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="1.6"{dash}/>'
        )
    for k, (label, x, colour) in enumerate(markers):
        if not x0 <= x <= x1:
            continue
        px = sx(x)
        out.append(
            f'<line x1="{_fmt(px)}" y1="{top}" x2="{_fmt(px)}" y2="{top + ph}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="3,3"/>'
        )
        # Labels one under the other; on the line's left when the right side is short.
        text = f"{label} {x:.3g}"
        room = left + pw - px > 7 * len(text) + 8
        tx, anchor = (px + 4, "start") if room else (px - 4, "end")
        out.append(
            f'<text x="{_fmt(tx)}" y="{top + 14 + 14 * k}" fill="{colour}" '
            f'text-anchor="{anchor}">{html.escape(text)}</text>'
        )
    # legend, in a row above the plot
    lx = left
    for s in series:
        dash = ' stroke-dasharray="6,4"' if s.dashed else ""
        out.append(
            f'<line x1="{lx}" y1="{top - 14}" x2="{lx + 25}" y2="{top - 14}" '
            f'stroke="{s.colour}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{lx + 30}" y="{top - 10}">{html.escape(s.label)}</text>')
        lx += 45 + 7 * len(s.label)
    out.append(
        f'<text x="{left + pw / 2}" y="{height - 12}" text-anchor="middle">'
        f"{html.escape(x_label)}</text>"
    )
    out.append(
        f'<text transform="translate(16,{top + ph / 2}) rotate(-90)" text-anchor="middle">'
        f"{html.escape(y_label)}</text>"
    )
    out.append("</svg>")
    return "\n".join(out)


def _nice_step(raw: float) -> float:
    """Return 1, 2 or 5 times a power of ten, at least ``raw``."""
    power = 10 ** math.floor(math.log10(raw))
    for k in (1, 2, 5, 10):
        if k * power >= raw - 1e-12:
            return float(k * power)
    return float(10 * power)


def _markers(report: CalibrationReport) -> list[tuple[str, float, str]]:
    return [
        (t.label, t.threshold, THRESHOLD_COLOURS[k % len(THRESHOLD_COLOURS)])
        for k, t in enumerate(report.thresholds)
    ]


def histogram_svg(report: CalibrationReport) -> str:
    """Return the chart of genuine and impostor distances (share of each kind per bin)."""
    centres = (report.bin_edges[:-1] + report.bin_edges[1:]) / 2
    series = []
    top = 0.0
    for label, hist, total, colour in (
        ("same person", report.genuine_hist, report.genuine_pairs, GENUINE_COLOUR),
        ("different people", report.impostor_hist, report.impostor_pairs, IMPOSTOR_COLOUR),
    ):
        if total:
            share = hist / total
            top = max(top, float(share.max()))
            series.append(Series(f"{label} ({total:,} pairs)", centres, share, colour, filled=True))
    return svg_chart(
        series,
        (0.0, 2.0),
        (0.0, max(top * 1.1, 0.01)),
        "distance between two samples (lower = more alike)",
        "share of pairs",
        _markers(report),
    )


def far_svg(report: CalibrationReport) -> str:
    """Return the chart of false-accept rates by threshold: the gallery's and LFW's."""
    xs, yours = report.accepted_fraction(genuine=False)
    series = [Series("your people", xs, np.maximum(yours, LOG_FLOOR), IMPOSTOR_COLOUR)]
    if report.lfw_curve:
        series.append(
            Series(
                "LFW (29.6 M pairs)",
                [p.threshold for p in report.lfw_curve],
                [max(p.far, LOG_FLOOR) for p in report.lfw_curve],
                "#555",
                dashed=True,
            )
        )
    return svg_chart(
        series,
        (0.3, 1.6),
        (LOG_FLOOR, 1.0),
        "threshold",
        "different-person pairs accepted",
        _markers(report),
        log_y=True,
    )


def tar_svg(report: CalibrationReport) -> str:
    """Return the chart of true-accept rates by threshold: the gallery's and LFW's."""
    xs, yours = report.accepted_fraction(genuine=True)
    series = [Series("your people", xs, yours, GENUINE_COLOUR)]
    if report.lfw_curve:
        series.append(
            Series(
                "LFW",
                [p.threshold for p in report.lfw_curve],
                [p.tar for p in report.lfw_curve],
                "#555",
                dashed=True,
            )
        )
    return svg_chart(
        series,
        (0.3, 1.6),
        (0.0, 1.0),
        "threshold",
        "same-person pairs accepted",
        _markers(report),
    )


def _rate(count: int, total: int) -> str:
    if not total:
        return "–"
    return f"{count:,} of {total:,} ({100.0 * count / total:.2f}%)"


def _threshold_rows(figures: Sequence[ThresholdFigures]) -> str:
    rows = []
    for t in figures:
        lfw = "–" if t.lfw is None else f"{t.lfw.far:.2g} / {100 * t.lfw.tar:.1f}%"
        loo = (
            "–"
            if not t.loo_total
            else f"{t.loo_right} right, {t.loo_wrong} wrong, {t.loo_unknown} unknown"
            f" (of {t.loo_total})"
        )
        rows.append(
            "<tr>"
            f"<td>{html.escape(t.label)}</td><td>{t.threshold:.4g}</td>"
            f"<td>{_rate(t.impostor_accepted, t.impostor_pairs)}</td>"
            f"<td>{_rate(t.genuine_accepted, t.genuine_pairs)}</td>"
            f"<td>{loo}</td><td>{lfw}</td>"
            "</tr>"
        )
    return "\n".join(rows)


def report_html(report: CalibrationReport, gallery: str | None = None) -> str:
    """Return the whole report as one HTML document (inline SVG and CSS, no scripts).

    Parameters
    ----------
    report : CalibrationReport
    gallery : str, optional
        The gallery's file name, shown in the heading.
    """
    when = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")
    closest = "\n".join(
        f"<tr><td>{html.escape(c.person)}</td><td>{html.escape(c.other)}</td>"
        f"<td>{c.distance:.3f}</td><td>{c.centroid_distance:.3f}</td></tr>"
        for c in report.closest
    )
    singles = ", ".join(html.escape(n) for n in report.single_sample)
    notes = []
    if report.samples < 2:
        notes.append("<p>The gallery holds fewer than two samples: nothing to compare.</p>")
    if singles:
        notes.append(
            f"<p>With one sample only (no same-person pairs, no leave-one-out test): {singles}."
            " Enrol a second photo of them to see how consistent their samples are.</p>"
        )
    source = f" — {html.escape(gallery)}" if gallery else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>faceapp: how well the thresholds separate your people</title>
<style>
body {{ font-family: sans-serif; max-width: 780px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; font-size: 13px; }}
th {{ background: #f3f3f3; }}
.small {{ color: #666; font-size: 12px; }}
</style></head><body>
<h1>How well does it separate my people?</h1>
<p class="small">{report.people} people, {report.samples} samples{source}; {when}.</p>
{"".join(notes)}
<h2>Distances</h2>
<p>Every pair of samples: of the same person (green) and of two different people (red).
The thresholds are marked; a pair at or below a threshold is accepted as the same
person.  Where green and red overlap, mistakes happen.</p>
{histogram_svg(report)}
<h2>What the thresholds do</h2>
<table>
<tr><th>threshold</th><th>value</th><th>different-person pairs accepted</th>
<th>same-person pairs accepted</th><th>recognition, leave one out</th>
<th>LFW: false accepts / true accepts</th></tr>
{_threshold_rows(report.thresholds)}
</table>
<p class="small">A rate of zero is drawn at the bottom of the logarithmic chart.
Leave one out: each sample of a person with two or more samples is
recognised against the gallery without it (distance to each person's mean).
LFW: every pair of the 7,701 protocol images, shipped with faceapp.</p>
{far_svg(report)}
{tar_svg(report)}
<h2>People who look most alike</h2>
<table>
<tr><th>person</th><th>closest other person</th><th>closest samples</th>
<th>between their means</th></tr>
{closest or '<tr><td colspan="4">fewer than two people</td></tr>'}
</table>
<p class="small">"Closest samples": the smallest distance between a sample of one and a
sample of the other.  Recognition compares a face with each person's mean, so the
second distance is the one that decides; below a threshold, the two can be mistaken
for each other.</p>
</body></html>
"""


def write_report(report: CalibrationReport, stream: TextIO, gallery: str | None = None) -> int:
    """Write :func:`report_html` to the text ``stream``; return the characters written.

    The command line opens ``stream`` with :func:`faceapp.storage.outputs.open_private`: a
    private (0600) file that replaces the old one only once it is whole.

    Raises
    ------
    OSError
        When the stream cannot be written.
    """
    return stream.write(report_html(report, gallery))
