"""Browser: the flow canvas is readable at its default view (1280 and 1440 px wide).

Measured in the page, on a flow with long answers created through the API and on the demo VPN flow:
every text in nodes and edge labels is >= 12 px on screen, no answer or edge label is cut, edge labels
overlap neither each other nor nodes, no edge passes behind a node, the minimap covers no node, and the
exported PNG is not blank. Then: a dragged node's edges fall back (smoothstep or around the nodes, still
never behind one), a new edge to a new node avoids the nodes, and "Auto layout" routes every edge again.
"""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, login, menu_item, shot

AUTHOR = ("author@example.com", "demo-password-123")
LONG = {
    "start_node_id": "q_start",
    "nodes": [
        {
            "id": "q_start",
            "type": "decision",
            "title": "What does the VPN client report when the user tries to connect?",
            "options": [
                {"label": "Credentials rejected by the RADIUS server", "next": "a_creds"},
                {"label": "Cannot reach the VPN concentrator at all", "next": "a_net"},
                {"label": "MFA push notification never arrives on the phone", "next": "q_mfa"},
            ],
        },
        {
            "id": "a_creds",
            "type": "action",
            "title": "Check the account in AD: locked out, password expired, or not in VPN-Users",
            "next": "s_reset",
        },
        {
            "id": "a_net",
            "type": "action",
            "title": "Resolve the VPN hostname and test port 443 from the user's machine",
            "next": "s_net",
        },
        {
            "id": "q_mfa",
            "type": "decision",
            "title": "Is the authenticator app registered to the phone the user has now?",
            "options": [
                {"label": "Yes, registered on this phone", "next": "s_resync"},
                {"label": "No, the phone was replaced last week", "next": "s_reregister"},
            ],
        },
        {"id": "s_reset", "type": "solution", "title": "Unlock the account or reset the password with the user"},
        {"id": "s_net", "type": "solution", "title": "Fix the local network or the captive portal"},
        {"id": "s_resync", "type": "solution", "title": "Re-sync the authenticator's clock and retry"},
        {"id": "s_reregister", "type": "solution", "title": "Remove the stale device and enrol the new phone"},
    ],
}

# Everything measured in the page, in screen pixels.
METRICS = """() => {
  const root = document.querySelector('[data-testid=flow-canvas]');
  const vp = root.querySelector('.react-flow__viewport');
  const zoom = new DOMMatrixReadOnly(getComputedStyle(vp).transform).a;
  const rect = (el) => { const r = el.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  const hit = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const nodes = [...root.querySelectorAll('.react-flow__node')].map((el) => ({id: el.dataset.id, ...rect(el)}));
  const labels = [...root.querySelectorAll('[data-testid=edge-label]')].map((el) => ({edge: el.dataset.edge,
    text: el.textContent, ...rect(el)}));
  // Texts: every element with its own text inside nodes and edge labels.
  const small = [];
  root.querySelectorAll('.react-flow__node *, .react-flow__edgelabel-renderer *').forEach((el) => {
    const own = [...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own) return;
    const px = parseFloat(getComputedStyle(el).fontSize) * zoom;
    if (px < 11.99) small.push({text: el.textContent.slice(0, 40), px});
  });
  // Cut labels: wider content than box, or the text's own box outside the element's box.
  const cut = [];
  root.querySelectorAll('[data-testid=node-option], [data-testid=edge-label]').forEach((el) => {
    const range = document.createRange();
    const text = [...el.childNodes].find((c) => c.nodeType === 3);
    if (!text) return;
    range.selectNodeContents(text);
    const t = range.getBoundingClientRect(), b = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (el.scrollWidth > el.clientWidth || t.left < b.left - 0.5 || t.right > b.right + 0.5 ||
      t.bottom > b.bottom + 0.5 || cs.textOverflow === 'ellipsis')
      cut.push(el.textContent);
  });
  const labelOverlaps = [];
  labels.forEach((a, i) => labels.forEach((b, j) => { if (j > i && hit(a, b)) labelOverlaps.push([a.text, b.text]); }));
  const labelOnNode = [];
  labels.forEach((l) => nodes.forEach((n) => { if (hit(l, n)) labelOnNode.push([l.text, n.id]); }));
  // Edges behind nodes: points along every edge path, in screen coordinates, inside a node box.
  const behind = [];
  root.querySelectorAll('.react-flow__edge').forEach((g) => {
    const path = g.querySelector('path.react-flow__edge-path');
    if (!path) return;
    const m = path.getScreenCTM();
    const len = path.getTotalLength();
    for (let s = 0; s <= len; s += 4) {
      const p = path.getPointAtLength(s).matrixTransform(m);
      const n = nodes.find((n) => p.x > n.x + 3 && p.x < n.x + n.w - 3 && p.y > n.y + 3 && p.y < n.y + n.h - 3);
      if (n) { behind.push([g.dataset.id, n.id]); break; }
    }
  });
  // Edges crossing an edge label that is not their own.
  const crossed = [];
  root.querySelectorAll('.react-flow__edge').forEach((g) => {
    const path = g.querySelector('path.react-flow__edge-path');
    if (!path) return;
    const m = path.getScreenCTM();
    const len = path.getTotalLength();
    for (let s = 0; s <= len; s += 4) {
      const p = path.getPointAtLength(s).matrixTransform(m);
      const l = labels.find((l) => l.edge !== g.dataset.id && p.x > l.x + 1 && p.x < l.x + l.w - 1 && p.y > l.y + 1 &&
        p.y < l.y + l.h - 1);
      if (l) { crossed.push([g.dataset.id, l.text]); break; }
    }
  });
  const mm = root.querySelector('.react-flow__minimap');
  const minimap = mm ? rect(mm) : null;
  const canvas = rect(root);
  // The toolbar, the zoom controls and the minimap: apart from each other and from every node.
  const panels = [...root.querySelectorAll('.react-flow__panel')].filter((p) => p.getBoundingClientRect().width > 0)
    .map(rect);
  const panelClash = [];
  panels.forEach((a, i) => { panels.forEach((b, j) => { if (j > i && hit(a, b)) panelClash.push([i, j]); });
    nodes.forEach((n) => { if (hit(a, n)) panelClash.push([i, n.id]); }); });
  return {
    zoom, panelClash, nodes: nodes.length, labels: labels.length, small, cut, labelOverlaps, labelOnNode, behind,
      crossed,
    minimapCovers: minimap ? nodes.filter((n) => hit(n, minimap)).map((n) => n.id) : null,
    minimapInside: minimap ? minimap.x >= canvas.x && minimap.y >= canvas.y &&
      minimap.x + minimap.w <= canvas.x + canvas.w + 1 : false,
    edges: root.querySelectorAll('.react-flow__edge').length,
    answerEdges: [...root.querySelectorAll('.react-flow__edge')].filter((g) => (g.dataset.id ||
      '').includes('|opt-')).length,
    routed: root.querySelectorAll('.react-flow__edge.rf-routed').length,
    fallback: root.querySelectorAll('.react-flow__edge.rf-fallback').length,
  };
}"""


def _api(app_url: str) -> httpx.Client:
    token = httpx.post(f"{app_url}/api/v1/auth/login", json={"email": AUTHOR[0], "password": AUTHOR[1]}).json()[
        "access_token"
    ]
    return httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _new_flow(app_url: str, name: str) -> str:
    made = _api(app_url).post("/trees", json={"name": name, "tree_type": "troubleshooting", "tree_structure": LONG})
    assert made.status_code == 201, made.text
    return made.json()["id"]


@pytest.fixture(scope="module")
def flows(app_url) -> dict[str, str]:
    """The long-answers flow (created) and the demo VPN flow (found by name)."""
    api = _api(app_url)
    found = api.get("/trees", params={"q": "VPN", "limit": 50}).json()
    items = found["items"] if isinstance(found, dict) else found
    vpn = next(t["id"] for t in items if t["name"] == "User can't sign in to VPN")
    return {"long": _new_flow(app_url, f"Long answers {uuid.uuid4().hex[:6]}"), "vpn": vpn}


def _open(page, app_url: str, tree_id: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, app_url, *AUTHOR)
    page.goto(f"{app_url}/flows/{tree_id}")
    page.locator("[data-testid=flow-canvas] .react-flow__node").first.wait_for()
    _settle(page)


def _settle(page) -> dict:
    """Wait until the canvas stops changing (measurement, re-layout, the default view), then measure."""
    last = None
    for _ in range(40):
        page.wait_for_timeout(250)
        now = page.evaluate(METRICS)
        if now == last:
            return now
        last = now
    return last


def _assert_readable(m: dict, where: str) -> None:
    assert m["zoom"] >= 1 - 1e-6, f"{where}: default zoom {m['zoom']}"
    assert not m["small"], f"{where}: texts under 12 px: {m['small']}"
    assert not m["cut"], f"{where}: cut labels: {m['cut']}"
    assert not m["labelOverlaps"], f"{where}: overlapping edge labels: {m['labelOverlaps']}"
    assert not m["labelOnNode"], f"{where}: edge labels on nodes: {m['labelOnNode']}"
    assert not m["behind"], f"{where}: edges behind nodes: {m['behind']}"
    assert not m["crossed"], f"{where}: edge labels crossed by other edges: {m['crossed']}"
    assert m["minimapCovers"] == [], f"{where}: minimap covers {m['minimapCovers']}"
    assert m["minimapInside"], f"{where}: minimap covers {m['minimapCovers']}"
    assert not m["panelClash"], f"{where}: toolbar/controls/minimap overlap each other or a node: {m['panelClash']}"


@pytest.mark.parametrize("width", [1280, 1440])
@pytest.mark.parametrize("which", ["long", "vpn"])
def test_default_view_is_readable(page, app_url, flows, which, width) -> None:
    _open(page, app_url, flows[which], width)
    shot(page, f"canvas-readability-{which}-{width}")
    m = _settle(page)
    _assert_readable(m, f"{which}@{width}")
    # Auto-placed nodes: every edge follows the layout's route, and every answer has its edge label.
    assert m["edges"] > 0, m
    assert m["routed"] == m["edges"], m
    assert m["labels"] == m["answerEdges"], m
    if which == "long":
        option = page.get_by_test_id("flow-node-q_start").get_by_test_id("node-option").first
        expect(option).to_have_text("Credentials rejected by the RADIUS server")


def test_exported_png_is_not_blank(page, app_url, flows) -> None:
    _open(page, app_url, flows["long"], 1440)
    with page.expect_download() as info:
        menu_item(page, "flow-menu", "export-png").click()
    with open(info.value.path(), "rb") as fh:
        data = fh.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(data)).convert("RGB")
    small = img.resize((max(1, img.width // 4), max(1, img.height // 4)))
    pixels = list(small.getdata())
    background = max(set(pixels), key=pixels.count)
    share = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, background, strict=True)) > 60) / len(pixels)
    assert img.width >= 640, (img.size, share)
    assert share > 0.03, (img.size, share)
    ARTIFACTS.mkdir(exist_ok=True)
    img.save(ARTIFACTS / "canvas-readability-export.png")


def test_dragged_node_falls_back_and_auto_layout_routes_again(page, app_url) -> None:
    tree_id = _new_flow(app_url, f"Drag me {uuid.uuid4().hex[:6]}")
    _open(page, app_url, tree_id, 1440)
    before = _settle(page)
    assert before["routed"] == before["edges"]
    # Drag the action under the first answer far to the right: its two edges leave the layout's route.
    node = page.get_by_test_id("flow-node-a_creds")
    box = node.bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 12)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 40, steps=8)
    page.mouse.move(box["x"] + 520, box["y"] + 60, steps=8)
    page.mouse.up()
    expect(page.get_by_test_id("save-status")).to_have_text("Saved", timeout=15000)
    after = _settle(page)
    shot(page, "canvas-readability-dragged")
    assert after["fallback"] >= 2, after
    assert after["routed"] == after["edges"] - after["fallback"], after
    assert not after["behind"], after["behind"]
    assert not after["labelOverlaps"], after
    assert not after["labelOnNode"], after
    assert not after["crossed"], after
    assert page.get_by_test_id("auto-layout").get_attribute("data-untidy") == str(after["fallback"])

    # A new action, connected from the start's "+" handle: its edge goes around the nodes too.
    page.get_by_test_id("add-action").click()
    page.get_by_test_id("flow-node-a_1").wait_for()
    src = page.locator('.react-flow__handle[data-nodeid="q_start"][data-handleid="opt-new"]')
    dst = page.locator('.react-flow__handle.target[data-nodeid="a_1"]')
    _settle(page)
    s, t = src.bounding_box(), dst.bounding_box()
    page.mouse.move(s["x"] + s["width"] / 2, s["y"] + s["height"] / 2)
    page.mouse.down()
    page.mouse.move(s["x"] + 20, s["y"] + 40, steps=5)
    page.mouse.move(t["x"] + t["width"] / 2, t["y"] + t["height"] / 2, steps=15)
    page.mouse.up()
    page.locator('.react-flow__edge[data-id="q_start|opt-3"]').wait_for()
    connected = _settle(page)
    shot(page, "canvas-readability-new-edge")
    assert not connected["behind"], connected["behind"]
    assert not connected["small"]
    assert not connected["cut"]

    # Auto layout: every node back on the layout, every edge routed again and the view readable.
    page.get_by_test_id("auto-layout").click()
    expect(page.get_by_test_id("save-status")).to_have_text("Saved", timeout=15000)
    page.wait_for_timeout(600)
    laid = _settle(page)
    shot(page, "canvas-readability-auto-layout")
    assert laid["routed"] == laid["edges"], laid
    assert laid["fallback"] == 0, laid
    assert page.get_by_test_id("auto-layout").get_attribute("data-untidy") == "0"
    _assert_readable(laid, "after auto layout")
    page.reload()
    page.locator("[data-testid=flow-canvas] .react-flow__node").first.wait_for()
    reloaded = _settle(page)
    assert reloaded["routed"] == reloaded["edges"], reloaded
