"""Browser: owners add, edit and delete models; authors register an MCP server, list its tools, and a step ticks one."""

from __future__ import annotations

import os
import re

from tests.e2e.conftest import login, shot
from tests.fakes.fake_mcp import fake_mcp  # noqa: F401 - fixture

os.environ.setdefault("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")  # the fake MCP server listens on loopback

PASSWORD = "demo-password-123"
HOSTILE = "Local <b>model</b> " + "x" * 150


def test_owner_manages_models(page, app_url) -> None:
    login(page, app_url, "owner@example.com", PASSWORD)
    page.goto(f"{app_url}/account")
    page.get_by_test_id("ai-connections-link").click()
    page.wait_for_url(re.compile(r".*/account/ai/?$"))
    page.get_by_test_id("model-row").first.wait_for()
    before = page.get_by_test_id("model-row").count()

    page.get_by_test_id("add-model").click()
    page.get_by_test_id("model-form-name").fill(HOSTILE)
    page.get_by_test_id("model-form-provider").select_option("openai_compatible")
    page.get_by_test_id("model-form-base-url").fill("http://169.254.169.254/v1")
    page.get_by_test_id("model-form-model").fill("gpt-4o-mini")
    page.get_by_test_id("save-model").click()
    page.get_by_test_id("form-error").filter(has_text="not allowed").wait_for()  # refused at save, in words
    page.get_by_test_id("model-form-provider").select_option("offline")
    page.get_by_test_id("model-form-base-url").fill("")
    page.get_by_test_id("model-form-api-key").fill("sk-never-shown-123")
    page.get_by_test_id("save-model").click()
    page.wait_for_function(f"document.querySelectorAll('[data-testid=model-row]').length === {before + 1}")
    assert page.locator("b:has-text('model')").count() == 0
    assert "sk-never-shown" not in page.content()
    row = page.get_by_test_id("model-row").filter(has_text="Local <b>model</b>")
    assert row.get_by_text("API key set").is_visible()
    shot(page, "ai-models-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "ai-models-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Edit keeps the stored key when the field stays empty.
    row.get_by_test_id("edit-model").click()
    assert page.get_by_test_id("model-form-api-key").get_attribute("placeholder").startswith("Stored")
    page.get_by_test_id("model-form-level").fill("3")
    page.get_by_test_id("save-model").click()
    row.get_by_text("Security level 3").wait_for()
    assert row.get_by_text("API key set").is_visible()

    # A model in use cannot go (said why); an unused one can, after a confirmation.
    page.get_by_test_id("model-row").filter(has_text="Offline model").first.get_by_test_id("delete-model").click()
    page.get_by_test_id("confirm-delete-model").click()
    page.get_by_text("still used").first.wait_for()
    row.get_by_test_id("delete-model").click()
    page.get_by_test_id("confirm-delete-model").click()
    page.wait_for_function(f"document.querySelectorAll('[data-testid=model-row]').length === {before}")


def test_mcp_server_tools_reach_the_builders_checklist(page, app_url, fake_mcp) -> None:  # noqa: F811 - fixture
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/account/ai")
    assert page.get_by_test_id("add-model").count() == 0  # authors see models, owners change them
    page.get_by_test_id("add-server").click()
    page.get_by_test_id("server-form-name").fill("Ticket tools")
    page.get_by_test_id("server-form-url").fill("http://10.0.0.5/mcp")
    page.get_by_test_id("server-form-headers").fill("Authorization: Bearer mcp-secret-1")
    page.get_by_test_id("save-server").click()
    page.get_by_test_id("form-error").filter(has_text="not allowed").wait_for()
    page.get_by_test_id("server-form-url").fill(fake_mcp.url)
    page.get_by_test_id("save-server").click()
    server = page.get_by_test_id("server-row").filter(has_text="Ticket tools")
    server.wait_for()
    server.get_by_test_id("refresh-tools").click()
    server.get_by_test_id("server-tool").filter(has_text="lookup_ticket").wait_for(timeout=30_000)
    assert fake_mcp.headers
    assert fake_mcp.headers[-1].get("authorization") == "Bearer mcp-secret-1"
    server.get_by_test_id("edit-server").click()
    shown = page.get_by_test_id("server-form-headers").input_value()
    assert shown.startswith("Authorization: ••••")
    assert "mcp-secret" not in page.content()
    page.keyboard.press("Escape")
    shot(page, "ai-servers-1280")

    # A new automation's step picks the server and ticks one tool.
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("new-automation").click()
    page.wait_for_url(re.compile(r".*/automations/[0-9a-f-]{36}$"))
    card = page.get_by_test_id("step-card").first
    card.get_by_test_id("mcp-server").first.click()
    page.get_by_test_id("save-status").get_by_text("Saved", exact=True).wait_for()
    card.get_by_test_id("step-mcp-policy").select_option("restricted")
    card.get_by_test_id("mcp-tool").first.wait_for()
    page.wait_for_timeout(800)
    tools = card.locator("label").filter(has=page.get_by_test_id("mcp-tool"))
    tools.filter(has_text="lookup_ticket").get_by_test_id("mcp-tool").click()
    page.wait_for_timeout(800)
    page.get_by_test_id("save-status").get_by_text("Saved", exact=True).wait_for()
    page.reload()
    card = page.get_by_test_id("step-card").first
    card.get_by_test_id("mcp-tool").first.wait_for()
    checked = card.locator("label").filter(has_text="lookup_ticket").get_by_test_id("mcp-tool")
    assert checked.get_attribute("data-state") == "checked"
    assert (
        card.locator("label").filter(has_text="echo").get_by_test_id("mcp-tool").get_attribute("data-state")
        == "unchecked"
    )
    shot(page, "builder-mcp-tools")
