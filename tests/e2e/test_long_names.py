"""Browser: 200-character names with markup and unbroken words keep every list's columns on screen
(Flows, Home, Library, Sessions, Automations at 1280 and 390 px), and the flow editor's version drawer
renders without a React nesting/hydration error."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.conftest import login, shot

AUTHOR = ("author@example.com", "demo-password-123")
TAG = uuid.uuid4().hex[:6]
WIDTHS = [(1280, 900), (390, 844)]


def _long(kind: str) -> str:
    """Exactly 200 characters: markup, the run's tag, one 168-character word, then filler."""
    head = f"<b>bold</b> {kind} {TAG} "
    return (head + "Antidisestablishmentarianism" * 6 + " " + "x" * 200)[:200]


FLOW, STEP, AUTOMATION = _long("Flow"), _long("Step"), _long("Auto")

# Measured in the page: document overflow, the right edge of the visible header cells and body cells,
# and any <b> element made from a name (text, never markup).
METRICS = """() => {
  const shown = els => [...els].filter(e => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  const right = els => els.length ? Math.max(...els.map(e => e.getBoundingClientRect().right)) : 0;
  return {
    inner: window.innerWidth,
    scroll: document.documentElement.scrollWidth,
    headers: shown(document.querySelectorAll('thead th')).length,
    header_right: right(shown(document.querySelectorAll('thead th'))),
    cell_right: right(shown(document.querySelectorAll('tbody td'))),
    card_right: right(shown(document.querySelectorAll(
      '[data-testid=library-item], [data-testid=library-item-stats], [data-testid=step-detail]'))),
    bold: [...document.querySelectorAll('b')].filter(b => b.textContent.includes('bold')).length,
  };
}"""


@pytest.fixture(scope="module")
def seeded(app_url) -> dict[str, str]:
    """A published procedure, a library step, a session on the procedure and an automation, all with long names."""
    token = httpx.post(f"{app_url}/api/v1/auth/login", json={"email": AUTHOR[0], "password": AUTHOR[1]}).json()[
        "access_token"
    ]
    api = httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    structure = {
        "steps": [
            {
                "id": "st_one",
                "type": "procedure_step",
                "title": _long("Synced"),
                "description": "Check it.",
                "library_visibility": "team",
            },
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }
    tree = api.post(
        "/trees",
        json={
            "name": FLOW,
            "description": "Long-name test " + "y" * 300,
            "tree_type": "procedural",
            "tree_structure": structure,
        },
    )
    assert tree.status_code == 201, tree.text
    tree_id = tree.json()["id"]
    published = api.put(f"/trees/{tree_id}", json={"status": "published"})
    assert published.status_code == 200, published.text
    step = api.post(
        "/steps",
        json={
            "title": STEP,
            "step_type": "action",
            "visibility": "team",
            "content": {"instructions": "Do " + "z" * 400, "help_text": "", "commands": [], "group_label": "G" * 120},
        },
    )
    assert step.status_code == 201, step.text
    session = api.post("/sessions", json={"tree_id": tree_id})
    assert session.status_code == 201, session.text
    model_id = api.get("/models").json()["items"][0]["id"]
    automation = api.post(
        "/automations",
        json={
            "name": AUTOMATION,
            "steps": [
                {
                    "step_order": 1,
                    "input_source": "flow_input",
                    "assistant": {"prompt": "Summarise {{flow_input.text}}", "model_id": model_id},
                }
            ],
        },
    )
    assert automation.status_code == 201, automation.text
    return {"tree_id": tree_id}


def _check(page, where: str, name: str, width: int) -> None:
    """Nothing runs off the right edge, the full name is a tooltip, no markup was rendered, and a screenshot."""
    page.wait_for_timeout(300)  # let fonts and the table settle
    m = page.evaluate(METRICS)
    shot(page, f"long-names-{where}-{width}")
    assert m["inner"] == width
    assert m["scroll"] <= m["inner"] + 1, f"{where} at {width}px scrolls sideways: {m}"
    assert m["header_right"] <= m["inner"] + 1, f"{where} at {width}px: the last column header is off-screen: {m}"
    assert m["cell_right"] <= m["inner"] + 1, f"{where} at {width}px: a cell is off-screen: {m}"
    assert m["card_right"] <= m["inner"] + 1, f"{where} at {width}px: a card is off-screen: {m}"
    assert m["bold"] == 0, f"{where}: a name was rendered as markup"
    assert page.locator(f'[title*="{name}"]').count() >= 1, f"{where}: no tooltip with the full name"


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_long_names_keep_the_columns_on_screen(page, app_url, seeded, width, height) -> None:
    page.set_viewport_size({"width": width, "height": height})
    login(page, app_url, *AUTHOR)

    page.goto(f"{app_url}/flows")
    page.get_by_test_id("flows-table").wait_for()
    page.locator(f'td[title="{FLOW}"]').first.wait_for()
    assert page.locator("thead th").count() == 6
    _check(page, "flows", FLOW, width)

    page.goto(f"{app_url}/")
    page.get_by_test_id("recent-flows").wait_for()
    page.locator(f'td[title="{FLOW}"]').nth(1).wait_for()  # recent flows and recent sessions
    _check(page, "home", FLOW, width)

    page.goto(f"{app_url}/library")
    page.get_by_test_id("library-search").fill(TAG)
    page.get_by_test_id("library-search").press("Enter")
    item = page.get_by_test_id("library-item").filter(has_text="Step " + TAG)
    item.wait_for()
    _check(page, "library", STEP, width)
    item.click()
    page.get_by_test_id("step-detail").wait_for()
    page.get_by_test_id("step-detail").scroll_into_view_if_needed()
    _check(page, "library-detail", STEP, width)
    page.get_by_test_id("library-search").fill("Synced " + TAG)
    page.get_by_test_id("library-search").press("Enter")
    page.get_by_test_id("from-flow-chip").first.wait_for()
    _check(page, "library-synced", FLOW, width)

    page.goto(f"{app_url}/sessions")
    page.get_by_test_id("sessions-table").wait_for()
    page.locator(f'td[title="{FLOW}"]').first.wait_for()
    _check(page, "sessions", FLOW, width)
    page.get_by_test_id("start-session").click()
    page.get_by_test_id("picker-search").fill(TAG)
    start = page.get_by_test_id("start-flow-" + FLOW)
    start.wait_for()
    box = start.bounding_box()
    shot(page, f"long-names-session-picker-{width}")
    assert box["x"] + box["width"] <= width, f"the picker's Start button is off-screen: {box}"
    page.keyboard.press("Escape")

    page.goto(f"{app_url}/automations")
    page.get_by_test_id("automation-list").wait_for()
    page.get_by_test_id("automation-search").fill(TAG)
    page.locator(f'td[title="{AUTOMATION}"]').first.wait_for()
    _check(page, "automations", AUTOMATION, width)


def test_version_drawer_logs_no_nesting_error(page, app_url, seeded) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, app_url, *AUTHOR)
    page.goto(f"{app_url}/flows/{seeded['tree_id']}")
    page.get_by_test_id("flow-menu").wait_for()
    for _ in range(5):  # a click during the menu's opening animation can be lost
        page.keyboard.press("Escape")
        page.get_by_test_id("flow-menu").click()
        try:
            page.get_by_test_id("open-history").wait_for(timeout=2000)
            break
        except Exception:  # noqa: BLE001 - retry the click
            continue
    page.get_by_test_id("open-history").click()
    page.get_by_test_id("history-drawer").wait_for()
    page.get_by_test_id("version-row").first.wait_for()
    page.wait_for_timeout(500)
    shot(page, "long-names-version-drawer")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1"), "the editor scrolls sideways"
    bad = [
        e
        for e in errors
        if "cannot be a child of" in e
        or "cannot be a descendant of" in e
        or "hydration" in e.lower()
        or "React error #418" in e
    ]
    assert not bad, bad
    # Production React does not print nesting warnings: check the rendered tree itself.
    nested = page.evaluate(
        "() => [...document.querySelectorAll(':is(h1,h2,h3,h4,h5,h6) :is(h1,h2,h3,h4,h5,h6)')].map(h => "
        "h.parentElement.closest('h1,h2,h3,h4,h5,h6').tagName + '>' + h.tagName + ': ' + h.textContent)"
    )
    assert not nested, nested
