"""Browser: build a 3-step automation with a two-field form and a picked variable, autosave, a problem on its card,
publish, run it."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import ARTIFACTS, login, menu_item, shot

PASSWORD = "demo-password-123"
LONG_NAME = "Nätverksfel <b>bold</b> " + "Ω" * 20 + " " + "triage-" * 30


def _saved(page) -> None:
    page.wait_for_timeout(1200)  # inputs save after a short pause in typing
    page.get_by_test_id("save-status").get_by_text("Saved", exact=True).wait_for(timeout=20_000)


def test_build_publish_and_run_an_automation(page, app_url) -> None:
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("new-automation").click()
    page.wait_for_url(re.compile(r".*/automations/[0-9a-f-]{36}$"))
    auto_id = page.url.rstrip("/").split("/")[-1]
    page.get_by_test_id("step-card").first.wait_for()

    # The run form: two fields named like people name them.
    page.get_by_test_id("add-field").click()
    page.get_by_test_id("form-field").first.wait_for()
    page.get_by_test_id("field-label").first.fill("Namn på brukare")
    _saved(page)
    page.get_by_test_id("add-field").click()
    page.get_by_test_id("form-field").nth(1).wait_for()
    page.get_by_test_id("field-label").nth(1).fill("Priority")
    _saved(page)
    page.get_by_test_id("field-type").nth(1).select_option("select")
    _saved(page)

    # Step 1: a name and a prompt with a variable inserted at the cursor by the picker.
    card = page.get_by_test_id("step-card").first
    card.get_by_test_id("step-name").fill("Summarise the ticket")
    prompt = card.get_by_test_id("step-prompt")
    prompt.fill("Hello ")
    _saved(page)
    prompt.click()
    prompt.press("End")
    card.get_by_test_id("insert-variable").click()
    page.get_by_test_id("variable-option").filter(has_text="flow_input.Namn på brukare").first.click()
    _saved(page)
    assert "{{flow_input.Namn på brukare}}" in prompt.input_value()

    # Two more steps.
    page.get_by_test_id("add-step").click()
    page.get_by_test_id("step-card").nth(1).wait_for()
    _saved(page)
    page.get_by_test_id("add-step").click()
    page.get_by_test_id("step-card").nth(2).wait_for()
    _saved(page)
    page.get_by_test_id("step-card").nth(2).get_by_test_id("step-prompt").fill(
        "Reply to {{flow_input.Namn på brukare}}: {{step_2.output}}"
    )
    _saved(page)

    # A problem shows on the card it concerns, in words, and the edit is kept.
    second = page.get_by_test_id("step-card").nth(1)
    second.get_by_test_id("step-input-source").select_option("http_get")
    second.get_by_test_id("step-problem").filter(has_text="needs").wait_for()  # no URL yet: said on the card
    page.get_by_test_id("save-status").get_by_text("Not saved").wait_for()
    second.get_by_test_id("step-http-url").fill("http://10.0.0.5/internal")
    problem = second.get_by_test_id("step-problem").filter(has_text="not allowed")
    problem.wait_for()
    assert "Step 2" in problem.inner_text()
    assert second.get_by_test_id("step-http-url").input_value() == "http://10.0.0.5/internal"  # the edit is kept
    assert page.get_by_test_id("step-card").first.get_by_test_id("step-problem").count() == 0
    shot(page, "builder-problem-on-card")
    second.get_by_test_id("step-input-source").select_option("previous_step")
    _saved(page)

    # Publish pins a version; the draft survived (autosave) a reload.
    page.get_by_test_id("publish-automation").click()
    page.get_by_test_id("pinned-version").wait_for()
    page.reload()
    page.get_by_test_id("step-card").nth(2).wait_for()
    assert (
        "{{flow_input.Namn på brukare}}"
        in page.get_by_test_id("step-card").first.get_by_test_id("step-prompt").input_value()
    )
    assert page.get_by_test_id("form-field").count() == 2
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "builder-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "builder-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Run it from the run page against the offline model.
    page.get_by_test_id("run-link").click()
    page.wait_for_url(re.compile(r".*/run$"))
    page.get_by_test_id("start-run").wait_for()
    page.get_by_label("Namn på brukare").fill("Åsa Öberg")
    page.get_by_test_id("start-run").click()
    page.locator('[data-testid="run-status"][data-status="completed"]').wait_for(timeout=90_000)
    assert page.get_by_text("Åsa Öberg").first.is_visible()

    # The list shows it; a hostile long name keeps the columns in place.
    token = httpx.post(
        f"{app_url}/api/v1/auth/login", json={"email": "author@example.com", "password": PASSWORD}
    ).json()["access_token"]
    api = httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    body = api.get(f"/automations/{auto_id}").json()
    assert [f["id"] for f in body["form_schema"]] == ["Namn på brukare", "Priority"]
    assert len(body["steps"]) == 3
    assert body["published"]
    page.goto(f"{app_url}/automations/{auto_id}")
    page.get_by_test_id("automation-name-input").fill(LONG_NAME)
    _saved(page)
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("automation-list").wait_for()
    assert page.get_by_test_id("automation-list").get_by_text("completed").count() >= 1
    shot(page, "automations-list-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "automations-list-390")
    assert page.locator("b:has-text('bold')").count() == 0
    assert ARTIFACTS.exists()


def test_duplicate_export_import_and_delete(page, app_url) -> None:
    login(page, app_url, "owner@example.com", PASSWORD)
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("automation-list").wait_for()
    before = page.get_by_test_id("automation-name").count()
    menu_item(page, "automation-actions", "duplicate-automation").click()
    page.get_by_text("Copy of").first.wait_for()
    assert page.get_by_test_id("automation-name").count() == before + 1
    export = menu_item(page, "automation-actions", "export-automation")
    with page.expect_download() as download:
        export.click()
    exported = download.value.path().read_text()
    assert '"resolutionflow.automation"' in exported
    assert "api_key" not in exported
    page.get_by_test_id("import-automation").click()
    page.get_by_test_id("import-json").fill("{not json")
    page.get_by_test_id("confirm-import").click()
    page.get_by_test_id("form-error").wait_for()
    page.get_by_test_id("import-json").fill(exported)
    page.get_by_test_id("confirm-import").click()
    page.wait_for_url(re.compile(r".*/automations/[0-9a-f-]{36}$"))
    page.get_by_test_id("step-card").first.wait_for()
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("automation-list").wait_for()
    count = page.get_by_test_id("automation-name").count()
    page.get_by_test_id("delete-automation").first.click()
    page.get_by_test_id("confirm-delete").click()
    page.wait_for_function(f"document.querySelectorAll('[data-testid=automation-name]').length === {count - 1}")


def test_engineers_see_the_builder_read_only(page, app_url) -> None:
    login(page, app_url, "engineer@example.com", PASSWORD)
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("automation-name").first.click()
    page.get_by_test_id("step-card").first.wait_for()
    assert page.get_by_text("Read-only").is_visible()
    assert page.get_by_test_id("step-prompt").first.is_disabled()
    assert page.get_by_test_id("add-step").count() == 0
    assert page.get_by_test_id("new-automation").count() == 0


def test_http_input_headers_webhook_secret_shared_assistant_and_unpublish(page, app_url) -> None:
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/automations")
    page.get_by_test_id("new-automation").click()
    page.wait_for_url(re.compile(r".*/automations/[0-9a-f-]{36}$"))
    card = page.get_by_test_id("step-card").first
    card.wait_for()

    # HTTP input: URL with a variable from the picker, a masked header, a JSON body.
    card.get_by_test_id("step-input-source").select_option("http_post")
    card.get_by_test_id("step-http-url").wait_for()
    card.get_by_test_id("step-http-url").fill("https://93.184.216.34/tickets/")
    _saved(page)
    url = card.get_by_test_id("step-http-url")
    url.click()
    url.press("End")
    card.get_by_test_id("insert-variable").nth(1).click()  # the URL's picker (the prompt's is first)
    page.get_by_test_id("variable-option").filter(has_text="{{flow_input.text}}").first.click()
    _saved(page)
    assert url.input_value() == "https://93.184.216.34/tickets/{{flow_input.text}}"
    card.get_by_test_id("step-http-body").fill('{"ticket": "{{flow_input.text}}"}')
    _saved(page)
    card.get_by_test_id("add-header-input").click()
    card.get_by_test_id("header-row").first.wait_for()
    card.get_by_test_id("header-value").first.fill("Bearer top-secret-987")
    _saved(page)
    page.reload()
    card = page.get_by_test_id("step-card").first
    card.get_by_test_id("header-value").first.wait_for()
    assert card.get_by_test_id("header-value").first.input_value().startswith("••••")
    assert card.get_by_test_id("header-value").first.get_attribute("type") == "password"
    assert "top-secret" not in page.content()
    assert card.get_by_test_id("step-http-body").input_value() == '{"ticket": "{{flow_input.text}}"}'

    # Webhook output: a new signing secret is shown once, with a copy button.
    card.get_by_test_id("step-output-mode").select_option("http_post")
    card.get_by_test_id("step-webhook-url").fill("https://93.184.216.34/hook")
    _saved(page)
    page.get_by_test_id("new-webhook-secret").click()
    page.get_by_test_id("confirm-new-secret").click()
    shown = page.get_by_test_id("shown-secret")
    shown.wait_for()
    secret = shown.inner_text().strip()
    assert len(secret) >= 24
    page.get_by_test_id("copy-secret").wait_for()
    shot(page, "builder-secret-once")
    page.keyboard.press("Escape")
    shown.wait_for(state="detached")
    page.reload()
    page.get_by_test_id("step-card").first.wait_for()
    assert secret not in page.content()

    # Share the step's assistant; a new step uses it.
    page.get_by_test_id("share-assistant").first.click()
    page.get_by_test_id("share-assistant-name").fill("Ticket fetcher <i>x</i>")
    page.get_by_test_id("confirm-share-assistant").click()
    page.get_by_test_id("shared-prompt").first.wait_for()
    page.get_by_test_id("add-step").click()
    second = page.get_by_test_id("step-card").nth(1)
    second.wait_for()
    _saved(page)
    second.get_by_role("radio", name="Use existing assistant").click()
    second.get_by_test_id("shared-prompt").wait_for()
    _saved(page)
    assert "Ticket fetcher <i>x</i>" in second.get_by_test_id("step-assistant").inner_text()
    shot(page, "builder-shared-assistant")

    # Publish, then unpublish behind a confirmation; the pinned version stays visible.
    page.get_by_test_id("publish-automation").click()
    page.get_by_test_id("unpublish-automation").wait_for()
    page.get_by_test_id("unpublish-automation").click()
    page.get_by_test_id("confirm-unpublish").click()
    page.get_by_test_id("unpublish-automation").wait_for(state="detached")
    assert page.get_by_test_id("pinned-version").is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "builder-http-390")


def test_a_fifty_step_automation_stays_editable(page, app_url) -> None:
    token = httpx.post(
        f"{app_url}/api/v1/auth/login", json={"email": "author@example.com", "password": PASSWORD}
    ).json()["access_token"]
    api = httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    model_id = api.get("/models").json()["items"][0]["id"]
    steps = [
        {
            "step_order": i,
            "user_description": f"Step number {i}",
            "input_source": "flow_input" if i == 1 else "previous_step",
            "assistant": {"prompt": f"Prompt {i} {{{{flow_input.text}}}}", "model_id": model_id},
        }
        for i in range(1, 51)
    ]
    created = api.post("/automations", json={"name": "Fifty steps", "steps": steps})
    assert created.status_code == 201, created.text
    login(page, app_url, "author@example.com", PASSWORD)
    page.goto(f"{app_url}/automations/{created.json()['id']}")
    page.get_by_test_id("step-card").nth(49).wait_for()
    last = page.get_by_test_id("step-card").nth(49)
    last.get_by_test_id("step-name").fill("The fiftieth step")
    _saved(page)
    last.get_by_test_id("insert-variable").first.click()
    assert page.get_by_test_id("variable-option").filter(has_text="{{step_49.output}}").count() == 1
    page.keyboard.press("Escape")
    assert (
        api.get(f"/automations/{created.json()['id']}").json()["steps"][49]["user_description"] == "The fiftieth step"
    )
