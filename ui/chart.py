"""The Observations chart: a theme's gap (or strength) rate by week, as an inline SVG.

Drawn here rather than by a plotting component so that what is on screen is exactly the
value the filters produced (no stale redraws), it scales to any width (a phone included),
and every point carries its value as data attributes a reader or a test can check.
Pure: a ``RateChart`` in, escaped SVG markup out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ui.render import text

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 46, 14, 34, 40  # margins around the plot area
SESSION_COLOUR = "#334155"


@dataclass(frozen=True)
class RatePoint:
    week: str  # ISO Monday
    rate: float  # 0..1, the measure the chart draws
    calls: int  # calls that judged the theme that week
    gap_calls: int


@dataclass(frozen=True)
class RateSeries:
    label: str  # the theme's label
    colour: str
    points: tuple[RatePoint, ...]


@dataclass(frozen=True)
class SessionMark:
    """A coaching session (an intervention) drawn as a dashed line on its date."""

    date: str
    title: str  # what the session was about, for the tooltip


@dataclass(frozen=True)
class RateChart:
    title: str = ""
    measure: str = "gap"  # "gap": the share of calls showing the gap; "strength": showing the strength
    series: tuple[RateSeries, ...] = ()
    sessions: tuple[SessionMark, ...] = ()
    empty: str = "Nothing to chart for these filters."

    def values(self) -> dict[str, dict[str, float]]:
        """Series label -> week -> rate, rounded as drawn (what the tests compare)."""
        return {s.label: {p.week: round(p.rate, 3) for p in s.points} for s in self.series}


@dataclass(frozen=True)
class _Scale:
    first: date
    last: date
    left: float = LEFT + 16
    right: float = WIDTH - RIGHT - 20
    top: float = TOP
    bottom: float = HEIGHT - BOTTOM
    ticks: list[date] = field(default_factory=list)

    def x(self, day: date) -> float:
        span = (self.last - self.first).days or 1
        return round(self.left + (day - self.first).days / span * (self.right - self.left), 1)

    def y(self, rate: float) -> float:
        return round(self.bottom - rate * (self.bottom - self.top), 1)


def chart_svg(chart: RateChart) -> str:
    """The chart as one ``<figure>``: title, SVG plot, legend (themes and coaching sessions)."""
    if not chart.series:
        return (f'<figure class="coach-chart coach-chart-empty"><figcaption>{text(chart.title)}</figcaption>'
                f'<p class="coach-hint">{text(chart.empty)}</p></figure>')
    scale = _scale(chart)
    measure = "Share of calls showing the strength" if chart.measure == "strength" else "Gap rate"
    parts = [_grid(scale), _axis(scale)]
    parts += [_session(scale, s) for s in chart.sessions]
    parts += [_line(scale, s) for s in chart.series]
    svg = (f'<svg class="coach-chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{text(chart.title)}" data-measure="{text(chart.measure)}" '
           f'data-y-top="{scale.top}" data-y-bottom="{scale.bottom}" preserveAspectRatio="xMidYMid meet">'
           f'<text class="coach-axis-title" x="4" y="12">{text(measure)}</text>{"".join(parts)}</svg>')
    return (f'<figure class="coach-chart"><figcaption>{text(chart.title)}</figcaption>{svg}'
            f"{_legend(chart)}</figure>")


def _scale(chart: RateChart) -> _Scale:
    days = [date.fromisoformat(p.week) for s in chart.series for p in s.points]
    days += [date.fromisoformat(m.date) for m in chart.sessions]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - timedelta(days=3), last + timedelta(days=3)
    weeks = sorted({date.fromisoformat(p.week) for s in chart.series for p in s.points})
    step = max(1, -(-len(weeks) // 7))  # at most about seven week labels
    return _Scale(first, last, ticks=weeks[::step])


def _grid(scale: _Scale) -> str:
    lines = []
    for share in (0, 0.25, 0.5, 0.75, 1):
        y = scale.y(share)
        lines.append(f'<line class="coach-grid" x1="{scale.left}" x2="{scale.right}" y1="{y}" y2="{y}"/>'
                     f'<text class="coach-tick" x="{scale.left - 6}" y="{y + 4}" text-anchor="end">'
                     f"{share:.0%}</text>")
    return "".join(lines)


def _axis(scale: _Scale) -> str:
    labels = "".join(
        f'<text class="coach-tick" x="{scale.x(day)}" y="{scale.bottom + 18}" text-anchor="middle">'
        f'{day.strftime("%b %d")}</text>' for day in scale.ticks)
    return (f'<text class="coach-tick" x="{(scale.left + scale.right) / 2}" y="{HEIGHT - 4}" '
            f'text-anchor="middle">Week starting</text>{labels}')


def _line(scale: _Scale, series: RateSeries) -> str:
    points = [(scale.x(date.fromisoformat(p.week)), scale.y(p.rate), p) for p in series.points]
    path = " ".join(f"{x},{y}" for x, y, _ in points)
    dots = "".join(
        f'<circle class="coach-point" cx="{x}" cy="{y}" r="5" fill="{text(series.colour)}" '
        f'data-series="{text(series.label)}" data-week="{text(p.week)}" data-value="{round(p.rate, 3)}" '
        f'data-calls="{p.calls}"><title>{text(series.label)}, week of {text(p.week)}: {p.rate:.0%} '
        f"({_calls(p)})</title></circle>"
        for x, y, p in points)
    return (f'<g class="coach-series" data-series="{text(series.label)}">'
            f'<polyline fill="none" stroke="{text(series.colour)}" stroke-width="2.5" points="{path}"/>'
            f"{dots}</g>")


def _session(scale: _Scale, mark: SessionMark) -> str:
    x = scale.x(date.fromisoformat(mark.date))
    return (f'<g class="coach-session" data-date="{text(mark.date)}"><title>{text(mark.title)}</title>'
            f'<line x1="{x}" x2="{x}" y1="{scale.top - 6}" y2="{scale.bottom}" stroke="{SESSION_COLOUR}" '
            f'stroke-width="2" stroke-dasharray="5 4"/>'
            f'<rect x="{x - 9}" y="{scale.top - 16}" width="18" height="14" rx="3" fill="{SESSION_COLOUR}"/>'
            f'<text x="{x}" y="{scale.top - 5}" text-anchor="middle" class="coach-session-label">C</text></g>')


def _legend(chart: RateChart) -> str:
    items = "".join(f'<span class="coach-legend-item"><span class="coach-swatch" style="background:'
                    f'{text(s.colour)}"></span>{text(s.label)}</span>' for s in chart.series)
    if chart.sessions:
        items += ('<span class="coach-legend-item"><span class="coach-session-swatch">C</span>'
                  "coaching session</span>")
    return f'<div class="coach-legend">{items}</div>'


def _calls(p: RatePoint) -> str:
    return f"gap in {p.gap_calls} of {p.calls} call{'s' if p.calls != 1 else ''}"
