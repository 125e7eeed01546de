"""Library search as you type: no Enter, prefix match, highlighted title, total shown."""

from __future__ import annotations

import re

from tests.e2e.conftest import login, shot


def test_typing_a_prefix_finds_and_highlights_without_enter(page, app_url) -> None:
    login(page, app_url, "engineer@example.com", "demo-password-123")
    page.goto(f"{app_url}/library")
    page.get_by_test_id("library-item").first.wait_for()
    page.get_by_test_id("library-total").filter(has_text=re.compile(r"^\d+ steps$")).wait_for()
    search = page.get_by_test_id("library-search")
    search.click()
    search.press_sequentially("rebo", delay=60)  # typed like a person; Enter is never pressed
    item = page.get_by_test_id("library-item").filter(has_text="Reboot the AP from the controller")
    item.wait_for()
    hit = item.get_by_test_id("library-item-title").locator("mark")
    assert hit.first.inner_text() == "Rebo"
    assert "Reboot the AP from the controller" in item.get_by_test_id("library-item-title").inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=library-item]')].every(e => /rebo/i.test(e.innerText))"
    )
    total = page.get_by_test_id("library-total").inner_text()
    count = page.get_by_test_id("library-item").count()
    assert re.fullmatch(r"\d+ steps?", total), (total, count)
    assert int(total.split()[0]) == count, (total, count)
    assert page.get_by_test_id("library-search").input_value() == "rebo"
    shot(page, "library-type-ahead")
    # query syntax and markup are only words to the search: still the same results, nothing injected
    search.fill('</> "rebo"*')
    page.wait_for_function("() => document.querySelectorAll('[data-testid=library-list] b').length === 0")
    page.get_by_test_id("library-item").filter(has_text="Reboot the AP from the controller").wait_for()
