"""A small SVG chart of a site's month, written by hand (no plotting dependency).

`month_chart_svg` draws pages crawled as bars (right axis) and the health score as a
line with points (left axis, 0–100), one slot per crawl. The SVG has a fixed size, so it
renders the same inline in the Prefect UI (as a data URI), in a browser, and from
`GET /api/reports/{id}/chart.svg`. Every text is XML-escaped: site names and labels
come from users.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 60, 52, 48
HEALTH_COLOR, PAGES_COLOR, GRID_COLOR, TEXT_COLOR = "#2563eb", "#cbd5e1", "#e5e7eb", "#374151"
HEALTH_TICKS = (0, 25, 50, 75, 100)
#: At most this many x labels; with more crawls every n-th one is labelled.
MAX_X_LABELS = 10


@dataclass(frozen=True)
class _Frame:
    """The plot area, and the slot (band) each crawl takes in it."""

    count: int
    pages_max: int

    @property
    def width(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def height(self) -> float:
        return HEIGHT - TOP - BOTTOM

    @property
    def band(self) -> float:
        return self.width / max(self.count, 1)

    def x(self, index: int) -> float:
        return LEFT + self.band * (index + 0.5)

    def y_health(self, score: float) -> float:
        return TOP + self.height * (1 - min(max(score, 0.0), 100.0) / 100)

    def y_pages(self, pages: int) -> float:
        return TOP + self.height * (1 - max(pages, 0) / self.pages_max)


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1): a readable axis top."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(int(step * power) for step in (1, 2, 5, 10) if step * power >= value)


def month_chart_svg(
    labels: Sequence[str],
    health: Sequence[float | None],
    pages: Sequence[int | None],
    *,
    title: str,
) -> str:
    """The chart as an SVG document; `None` values draw nothing (the line has a gap)."""
    if not len(labels) == len(health) == len(pages):
        msg = f"one label, score and page count per crawl; got {len(labels)}, "
        msg += f"{len(health)} and {len(pages)}"
        raise ValueError(msg)
    frame = _Frame(len(labels), nice_ceiling(max((p or 0 for p in pages), default=0)))
    body = [
        _text(WIDTH / 2, 20, title, anchor="middle", size=14, weight="bold"),
        *_legend(),
        *_axes(frame),
    ]
    if frame.count == 0:
        body.append(_text(LEFT + frame.width / 2, TOP + frame.height / 2, "No completed crawls",
                          anchor="middle"))  # fmt: skip
    body += _bars(frame, labels, pages) + _line(frame, labels, health) + _x_labels(frame, labels)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def svg_data_uri(svg: str) -> str:
    """`data:image/svg+xml;base64,…`: how markdown (the Prefect UI) shows an inline SVG."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# --- parts -----------------------------------------------------------------------------


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: int = 11,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'font-weight="{weight}" fill="{TEXT_COLOR}">{escape(content)}</text>'
    )


def _legend() -> list[str]:
    y = TOP - 14
    return [
        f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + 18}" y2="{y}" stroke="{HEALTH_COLOR}" '
        'stroke-width="2"/>',
        _text(LEFT + 24, y + 4, "health score (left)"),
        f'<rect x="{LEFT + 150}" y="{y - 5}" width="12" height="10" fill="{PAGES_COLOR}"/>',
        _text(LEFT + 168, y + 4, "pages crawled (right)"),
    ]


def _axes(frame: _Frame) -> list[str]:
    right = LEFT + frame.width
    parts = []
    for score in HEALTH_TICKS:
        y = frame.y_health(score)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{GRID_COLOR}"/>'
        )
        parts.append(_text(LEFT - 6, y + 4, str(score), anchor="end"))
    for pages in (0, frame.pages_max // 2, frame.pages_max):
        parts.append(_text(right + 6, frame.y_pages(pages) + 4, str(pages)))
    bottom = TOP + frame.height + BOTTOM - 8
    parts.append(_text(LEFT + frame.width / 2, bottom, "crawls (finish date)", anchor="middle"))
    return parts


def _bars(frame: _Frame, labels: Sequence[str], pages: Sequence[int | None]) -> list[str]:
    width = min(frame.band * 0.6, 40)
    baseline = TOP + frame.height
    bars = []
    for index, (label, count) in enumerate(zip(labels, pages, strict=True)):
        if count is None:
            continue
        y = frame.y_pages(count)
        bars.append(
            f'<rect class="pages" x="{frame.x(index) - width / 2:.1f}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{baseline - y:.1f}" fill="{PAGES_COLOR}">'
            f"<title>{escape(f'{label}: {count} pages')}</title></rect>"
        )
    return bars


def _line(frame: _Frame, labels: Sequence[str], health: Sequence[float | None]) -> list[str]:
    """Polylines through consecutive scores (a None breaks the line), and a dot per score."""
    parts, segment = [], []
    for index, (label, score) in enumerate(zip(labels, health, strict=True)):
        if score is None:
            parts.append(_polyline(segment))
            segment = []
            continue
        point = (frame.x(index), frame.y_health(score))
        segment.append(point)
        parts.append(
            f'<circle class="health" cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="3.5" '
            f'fill="{HEALTH_COLOR}"><title>{escape(f"{label}: {score:g}")}</title></circle>'
        )
    parts.append(_polyline(segment))
    return [part for part in parts if part]


def _polyline(points: list[tuple[float, float]]) -> str:
    if len(points) < 2:
        return ""
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return (
        f'<polyline points={quoteattr(coordinates)} fill="none" '
        f'stroke="{HEALTH_COLOR}" stroke-width="2"/>'
    )


def _x_labels(frame: _Frame, labels: Sequence[str]) -> list[str]:
    step = math.ceil(len(labels) / MAX_X_LABELS) if labels else 1
    y = TOP + frame.height + 16
    return [
        _text(frame.x(index), y, label, anchor="middle", size=10)
        for index, label in enumerate(labels)
        if index % step == 0
    ]
