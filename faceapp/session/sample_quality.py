"""How quality is shown: the capture checklist, a stored sample's line, its tool tip, a sort key."""

from __future__ import annotations

from dataclasses import dataclass

from faceapp.core.quality import QualityFigures, QualityReport, judge

#: What the quality column says for a sample stored without figures.
NOT_RECORDED = "not recorded"

#: Put before a figure that fails its check.
FAILED_MARK = "⚠"


@dataclass(frozen=True)
class QualityText:
    """A sample's quality figures as shown in the samples dialog.

    Parameters
    ----------
    text : str
        One line, e.g. ``"146 px · sharp 401 · turn 0.06 · tilt 7°"``; a failing figure
        is preceded by :data:`FAILED_MARK`; :data:`NOT_RECORDED` without figures.
    tip : str
        Plain text, one line per check with its limit and verdict.
    failed : int
        Number of failing checks; -1 when the figures were not recorded.
    sort_key : tuple of (int, float)
        Ascending: not recorded first, then by number of failing checks, the sharpest
        first among equals.
    """

    text: str
    tip: str
    failed: int
    sort_key: tuple[int, float]


def quality_text(figures: QualityFigures | None) -> QualityText:
    """Return how ``figures`` are shown, judged by today's limits (:func:`judge`)."""
    if figures is None:
        return QualityText(
            NOT_RECORDED,
            "Quality figures were not recorded (the sample was stored before they were).",
            -1,
            (-1, 0.0),
        )
    checks = judge(figures).checks
    shown = (
        f"{figures.size_px:.0f} px",
        f"sharp {figures.sharpness:.0f}",
        f"turn {figures.yaw_ratio:.2f}",
        f"tilt {abs(figures.roll_deg):.0f}°",
    )
    parts = [s if c.ok else f"{FAILED_MARK} {s}" for s, c in zip(shown, checks, strict=True)]
    lines = [
        f"{c.label}: {c.measured} ({c.limit}) — {'passes' if c.ok else 'FAILS'}" for c in checks
    ]
    failed = sum(not c.ok for c in checks)
    tip = "Quality when enrolled:\n" + "\n".join(lines)
    return QualityText(" · ".join(parts), tip, failed, (failed, -figures.sharpness))


def _mark(ok: bool) -> str:
    return "<span style='color:#2ecc71'>✓</span>" if ok else "<span style='color:#ff5c5c'>✗</span>"


def quality_html(report: QualityReport) -> str:
    """Return the quality checklist as rich text: one line per check, then what to fix."""
    lines = [f"{_mark(c.ok)} {c.label}: {c.measured} ({c.limit})" for c in report.checks]
    html = "<br>".join(lines)
    if report.problems:
        fixes = "".join(f"<li>{p}</li>" for p in report.problems)
        html += f"<p style='color:#ffb454'><b>Before enrolling:</b></p><ul>{fixes}</ul>"
    else:
        html += "<p style='color:#2ecc71'><b>Good sample.</b></p>"
    return html
