"""Layout of an automation diagram on printed pages (the audit report); pure geometry, no drawing.

Nodes (input, steps in order, output) stand in one centred column, top to bottom. An edge between
neighbours in the column is a straight vertical arrow. Every other edge goes through a *lane*, a
vertical line beside the column:

- dashed (aggregated) edges are grouped by target: one lane on the left per target, joined by a
  short stub from each source's left side, ending in an arrow into the target's left side;
- solid edges are grouped by source: one lane on the right per source, fanning out with an arrow
  into each target's right side.

Where a lane meets a node, the node gets its own *port* (distinct y on that side), so lines never
share a point. Columns that do not fit on the rest of a page move to the next page; lines that cross
a page break are cut at the page edges and continue on the next page.

All lengths are in the caller's unit (the PDF renderer uses millimetres). x is measured from the
diagram's left edge, y from the top of the diagram area on each page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Box:
    """Where node `node` (its index in the column) is drawn."""

    node: int
    page: int
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Segment:
    """A straight line on one page; `arrow` puts an arrowhead at (x2, y2)."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float
    dashed: bool = False
    arrow: bool = False
    continued: bool = False  # cut at a page edge: the line goes on on the next (or came from the previous) page


@dataclass(frozen=True)
class Dot:
    """A junction where a lane branches."""

    page: int
    x: float
    y: float


@dataclass
class DiagramLayout:
    """Boxes, lines and junction dots per page; `used_height[p]` is how far page p is filled."""

    boxes: list[Box] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    used_height: list[float] = field(default_factory=list)
    column_x: float = 0.0
    column_w: float = 0.0

    @property
    def pages(self) -> int:
        """How many pages the diagram spans."""
        return len(self.used_height)


@dataclass(frozen=True)
class _Lane:
    side: str  # "left" (fan-in of dashed edges) or "right" (fan-out of solid edges)
    hub: int  # the target (left) or source (right) node
    others: tuple[int, ...]  # the sources (left) or targets (right)
    dashed: bool


def _lanes(n: int, edges: Sequence[tuple[int, int, bool]]) -> list[_Lane]:
    fan_in: dict[int, list[int]] = {}
    fan_out: dict[int, list[int]] = {}
    for source, target, dashed in edges:
        if not (0 <= source < n and 0 <= target < n) or source == target:
            raise ValueError(f"edge {source}->{target} is outside the column of {n} nodes")
        if target < source:
            raise ValueError(f"edge {source}->{target} points up the column")
        if target - source == 1:
            continue
        if dashed:
            fan_in.setdefault(target, []).append(source)
        else:
            fan_out.setdefault(source, []).append(target)
    # Inner lanes for short spans: lanes are sorted by the row where they end.
    left = [_Lane("left", t, tuple(sorted(set(s))), True) for t, s in sorted(fan_in.items())]
    right = [
        _Lane("right", s, tuple(sorted(set(t))), False)
        for s, t in sorted(fan_out.items(), key=lambda kv: (max(kv[1]), kv[0]))
    ]
    return left + right


def layout_diagram(
    heights: Sequence[float],
    edges: Sequence[tuple[int, int, bool]],
    *,
    width: float,
    first_page_height: float,
    page_height: float,
    gap: float = 9.0,
    lane_gap: float = 4.5,
    max_lanes_width: float = 40.0,
    min_column_width: float = 90.0,
    max_column_width: float = 130.0,
) -> DiagramLayout:
    """Place a column of nodes and route its edges, page by page.

    Args:
        heights: height of each node, in column order (index 0 is the input node).
        edges: `(source_index, target_index, dashed)`.
        width: usable width of a page.
        first_page_height: room left on the first page (may be small: the column then starts on
            the next page).
        page_height: room on every following page.
        gap: vertical space between two nodes (arrows live there).
        lane_gap: distance between neighbouring lanes (shrinks when many lanes must fit).
        max_lanes_width: most room the lanes on one side may take.
        min_column_width, max_column_width: bounds for the node width.

    Returns:
        The layout; every box and line lies within `[0, width]` and within its page's height.

    Raises:
        ValueError: an edge names a node that is not in the column, or points up it.
    """
    n = len(heights)
    lanes = _lanes(n, edges)
    n_left = sum(1 for lane in lanes if lane.side == "left")
    n_right = len(lanes) - n_left
    most = max(n_left, n_right)
    step = min(lane_gap, max_lanes_width / most) if most else lane_gap
    side_room = (most * step + step) if most else 0.0  # symmetric, so the column stays centred
    column_w = max(min_column_width, min(max_column_width, width - 2 * side_room))
    side_room = min(side_room, (width - column_w) / 2)
    if most:
        step = min(step, side_room / (most + 1))
    column_x = (width - column_w) / 2

    page_room = [first_page_height]
    layout = DiagramLayout(column_x=column_x, column_w=column_w)

    def room(page: int) -> float:
        while len(page_room) <= page:
            page_room.append(page_height)
        return page_room[page]

    # ---- boxes
    page, y = 0, 0.0
    used = [0.0]
    for index, raw_h in enumerate(heights):
        h = min(float(raw_h), page_height)
        top_pad = gap if index > 0 else 0.0
        if y + top_pad + h > room(page):
            page, y, top_pad = page + 1, 0.0, gap if index > 0 else 0.0
            used.append(0.0)
        y += top_pad
        layout.boxes.append(Box(index, page, column_x, y, column_w, h))
        y += h
        used[page] = y
    layout.used_height = used
    for p in range(len(used)):
        room(p)

    boxes = layout.boxes

    def vertical(x: float, a: tuple[int, float], b: tuple[int, float], *, dashed: bool, arrow: bool) -> None:
        """A vertical line from (page, y) a down to b, cut at page breaks."""
        (pa, ya), (pb, yb) = a, b
        if pa == pb:
            layout.segments.append(Segment(pa, x, ya, x, yb, dashed, arrow))
            return
        layout.segments.append(Segment(pa, x, ya, x, page_room[pa], dashed, False, True))
        for p in range(pa + 1, pb):
            layout.segments.append(Segment(p, x, 0.0, x, page_room[p], dashed, False, True))
        layout.segments.append(Segment(pb, x, 0.0, x, yb, dashed, arrow, True))

    # ---- neighbours: straight arrows down the middle
    seen: set[tuple[int, int]] = set()
    for source, target, dashed in edges:
        if target - source != 1 or (source, target) in seen:
            continue
        seen.add((source, target))
        upper, lower = boxes[source], boxes[target]
        vertical(
            column_x + column_w / 2, (upper.page, upper.y + upper.h), (lower.page, lower.y), dashed=dashed, arrow=True
        )

    # ---- ports: each lane gets its own y on every node side it touches
    touches: dict[tuple[int, str], list[int]] = {}
    for li, lane in enumerate(lanes):
        for node in (lane.hub, *lane.others):
            touches.setdefault((node, lane.side), []).append(li)

    def port(node: int, side: str, li: int) -> tuple[int, float]:
        members = touches[(node, side)]
        k, count = members.index(li), len(members)
        box = boxes[node]
        return box.page, box.y + box.h * (k + 1) / (count + 1)

    left_i = right_i = 0
    for li, lane in enumerate(lanes):
        if lane.side == "left":
            left_i += 1
            x = column_x - left_i * step
            edge_x = column_x
        else:
            right_i += 1
            x = column_x + column_w + right_i * step
            edge_x = column_x + column_w
        hub = port(lane.hub, lane.side, li)
        others = {node: port(node, lane.side, li) for node in lane.others}
        points = sorted([hub, *others.values()])
        vertical(x, points[0], points[-1], dashed=lane.dashed, arrow=False)
        hub_page, hub_y = hub
        if lane.side == "left":  # sources join the lane; the lane enters the target
            for p, py in others.values():
                layout.segments.append(Segment(p, edge_x, py, x, py, True, False))
            layout.segments.append(Segment(hub_page, x, hub_y, edge_x, hub_y, True, True))
        else:  # the source feeds the lane; the lane enters each target
            layout.segments.append(Segment(hub_page, edge_x, hub_y, x, hub_y, False, False))
            for p, py in others.values():
                layout.segments.append(Segment(p, x, py, edge_x, py, False, True))
        for p, py in points[1:-1]:
            layout.dots.append(Dot(p, x, py))
    return layout
