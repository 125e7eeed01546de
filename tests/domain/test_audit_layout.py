"""Diagram layout of the audit report: a centred column, straight arrows, lanes, page breaks."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.audit_layout import layout_diagram
from resolutionflow_app.domain.automation_graph import build_graph


def _inside(layout, width, rooms) -> None:
    for box in layout.boxes:
        assert box.x >= 0
        assert box.x + box.w <= width + 1e-9
        assert box.y >= 0
        assert box.y + box.h <= rooms[box.page] + 1e-9
    for seg in layout.segments:
        for x, y in ((seg.x1, seg.y1), (seg.x2, seg.y2)):
            assert 0 <= x <= width + 1e-9, seg
            assert 0 <= y <= rooms[seg.page] + 1e-9, seg


def test_chain_is_a_centred_column_with_straight_arrows() -> None:
    layout = layout_diagram(
        [20, 18, 18, 11],
        [(0, 1, False), (1, 2, False), (2, 3, False)],
        width=178,
        first_page_height=200,
        page_height=250,
    )
    assert layout.pages == 1
    assert not layout.dots
    xs = {b.x for b in layout.boxes}
    assert len(xs) == 1
    assert abs(layout.column_x * 2 + layout.column_w - 178) < 1e-9
    ys = [b.y for b in layout.boxes]
    assert ys == sorted(ys)
    assert all(b.y - (a.y + a.h) == pytest.approx(9.0) for a, b in zip(layout.boxes, layout.boxes[1:], strict=False))
    assert len(layout.segments) == 3
    assert all(s.arrow and not s.dashed and s.x1 == s.x2 for s in layout.segments)
    first = layout.segments[0]
    assert first.y1 == pytest.approx(20)
    assert first.y2 == pytest.approx(29)


def test_aggregated_step_gets_a_dashed_left_lane_into_its_left_side() -> None:
    definition = {
        "name": "A",
        "form_schema": [{"id": "x", "type": "text"}],
        "steps": [
            {"step_order": 1, "input_source": "flow_input", "assistant": {}},
            {"step_order": 2, "input_source": "previous_step", "assistant": {}},
            {"step_order": 3, "input_source": "all_previous_steps", "assistant": {}},
        ],
    }
    graph = build_graph(definition)
    ids = [n["id"] for n in graph["nodes"]]
    edges = [(ids.index(e["source"]), ids.index(e["target"]), e.get("style") == "dashed") for e in graph["edges"]]
    layout = layout_diagram([20, 18, 18, 18, 11], edges, width=178, first_page_height=260, page_height=260)
    _inside(layout, 178, [260])
    left = layout.column_x
    lane = [s for s in layout.segments if s.x1 == s.x2 and s.x1 < left]
    assert len(lane) == 1
    assert lane[0].dashed
    assert not lane[0].arrow
    into_target = [s for s in layout.segments if s.arrow and s.x2 == pytest.approx(left)]
    target_box = layout.boxes[3]
    assert len(into_target) == 1
    assert into_target[0].dashed
    assert target_box.y < into_target[0].y2 < target_box.y + target_box.h
    # input and step 1 join the lane (step 2 is the target's neighbour: straight dashed arrow)
    stubs = [s for s in layout.segments if not s.arrow and s.y1 == s.y2 and s.x1 == pytest.approx(left)]
    assert len(stubs) == 2
    assert all(s.dashed for s in stubs)
    assert any(s.dashed and s.arrow and s.x1 == s.x2 for s in layout.segments)
    assert len(layout.dots) == 1  # step 1 branches off the lane between its two ends


def test_solid_skip_edges_fan_out_on_the_right_and_ports_do_not_share_a_point() -> None:
    # input feeds steps 1 and 3 (flow_input), step 3 is also aggregated from 1 and 2 via a left lane
    edges = [(0, 1, False), (0, 3, False), (1, 2, False), (0, 3, True), (1, 3, True), (2, 3, True), (3, 4, False)]
    layout = layout_diagram([30, 18, 18, 18, 11], edges, width=178, first_page_height=260, page_height=260)
    right = layout.column_x + layout.column_w
    assert [s for s in layout.segments if s.x1 == s.x2 and s.x1 > right]
    arrows_left_side = [s for s in layout.segments if s.arrow and s.x2 == pytest.approx(right)]
    assert len(arrows_left_side) == 1
    assert not arrows_left_side[0].dashed
    ends = [(s.page, round(s.x2, 6), round(s.y2, 6)) for s in layout.segments if s.arrow]
    assert len(ends) == len(set(ends))


def test_a_long_column_breaks_pages_and_cut_lines_continue() -> None:
    n = 20
    heights = [20] + [18] * n + [11]
    edges = [(i, i + 1, False) for i in range(n + 1)] + [(i, n, True) for i in range(n - 1)]
    layout = layout_diagram(heights, edges, width=178, first_page_height=120, page_height=250)
    assert layout.pages >= 3
    rooms = [120] + [250] * (layout.pages - 1)
    _inside(layout, 178, rooms)
    assert [b.page for b in layout.boxes] == sorted(b.page for b in layout.boxes)
    cut = [s for s in layout.segments if s.continued]
    assert cut
    assert any(s.y2 == pytest.approx(rooms[s.page]) for s in cut)
    assert any(s.y1 == 0 for s in cut)
    assert all(used <= room + 1e-9 for used, room in zip(layout.used_height, rooms, strict=False))


def test_many_lanes_shrink_to_fit_the_width() -> None:
    n = 50
    heights = [20] + [18] * n + [11]
    edges = (
        [(0, 1, False)]
        + [(i, i + 1, True) for i in range(1, n + 1)]
        + [(s, t, True) for t in range(2, n + 1) for s in range(0, t - 1)]
    )
    layout = layout_diagram(heights, edges, width=178, first_page_height=200, page_height=250)
    rooms = [200] + [250] * (layout.pages - 1)
    _inside(layout, 178, rooms)
    assert layout.column_w >= 90


def test_upward_or_unknown_edges_are_refused() -> None:
    with pytest.raises(ValueError):
        layout_diagram([10, 10], [(1, 0, False)], width=100, first_page_height=100, page_height=100)
    with pytest.raises(ValueError):
        layout_diagram([10, 10], [(0, 5, False)], width=100, first_page_height=100, page_height=100)
