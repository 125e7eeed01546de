"""Browser-test fixtures: the real app (`reflex run --env prod`) on a free port, and Playwright on Debian chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.prod_topology import production_topology

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("RF_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RF_DATABASE_URL=db_url,
        RF_SCHEDULER_ENABLED="false",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_BUN_PATH=str(ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"),
        # As behind one load balancer: the rate-limit test sends its own client address in X-Forwarded-For, so
        # the budget it spends is not the one every other test's logins from 127.0.0.1 use.
        RF_TRUSTED_PROXY_HOPS="1",
    )
    env.pop("RF_WORKER_MODE", None)
    return env


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Migrate a fresh SQLite DB, load demo data, start the app in prod mode; yield its URL.

    `RF_E2E_URL` points the tests at a running app instead; `RF_E2E_TOPOLOGY=prod` starts the
    production topology of `make prod-demo` (PostgreSQL, Redis state, external workers) for them.
    """
    if os.environ.get("RF_E2E_URL"):
        yield os.environ["RF_E2E_URL"]
        return
    if os.environ.get("RF_E2E_TOPOLOGY") == "prod":
        with production_topology("e2e-prod-topology.log", RF_TRUSTED_PROXY_HOPS="1") as topology:
            yield topology.url
        return
    db_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='rf-e2e-')) / 'e2e.db'}"
    env = _env(db_url)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "resolutionflow"), "migrate"], env=env, check=True, cwd=ROOT)
    subprocess.run([str(bin_dir / "resolutionflow"), "demo-data"], env=env, check=True, cwd=ROOT)
    port = _free_port()
    # The app only accepts its own origin (CORS and the websocket): tell it where it is served.
    env["RF_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "e2e-server.log", "w")  # noqa: SIM115 - the server writes to it until teardown
    proc = subprocess.Popen(
        [
            str(bin_dir / "reflex"),
            "run",
            "--env",
            "prod",
            "--frontend-port",
            str(port),
            "--backend-port",
            str(port),
            "--loglevel",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early; see {ARTIFACTS / 'e2e-server.log'}")
        try:
            if (
                httpx.get(f"{url}/ping", timeout=2).status_code == 200
                and httpx.get(f"{url}/login", timeout=5, follow_redirects=True).status_code == 200
            ):
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    else:
        proc.terminate()
        raise RuntimeError("app did not start within 300 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


# Console messages that are not the app's fault, each with its reason. Everything else that the
# browser logs as an error or warning (and every uncaught page error) fails the test.
CONSOLE_ALLOWED: list[tuple[str, str]] = [
    # Headless chromium without a GPU says this once per WebGL-less context; no page asks for WebGL.
    (r"Automatic fallback to software WebGL has been deprecated", "chromium, no GPU on the test machine"),
]


class ConsoleLog:
    """Browser console errors/warnings and uncaught page errors of every page opened during one test."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach_page(self, pg) -> None:
        """Listen to one page's console and page errors."""
        pg.on("console", lambda msg: self._console(pg, msg))
        pg.on("pageerror", lambda err: self.messages.append(f"pageerror on {pg.url}: {err}"))

    def attach_context(self, context) -> None:
        """Listen to every page (and popup) a context opens."""
        context.on("page", self.attach_page)

    def _console(self, pg, msg) -> None:
        if msg.type not in ("error", "warning"):
            return
        loc = msg.location or {}
        where = f"{loc.get('url', '')}:{loc.get('lineNumber', '')}" if loc.get("url") else pg.url
        self.messages.append(f"console.{msg.type} on {pg.url} ({where}): {msg.text}")

    def unexpected(self, allowed: list[str]) -> list[str]:
        """The messages that match neither CONSOLE_ALLOWED nor the test's own `allowed` patterns."""
        patterns = [re.compile(p) for p, _ in CONSOLE_ALLOWED] + [re.compile(p) for p in allowed]
        return [m for m in self.messages if not any(p.search(m) for p in patterns)]


CONSOLE = ConsoleLog()


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "console_allowed(*patterns): browser console messages this test expects (regexes)"
    )


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (never `playwright install`); every page reports to CONSOLE."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"],
        )
        new_context, new_page = b.new_context, b.new_page

        def _new_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            CONSOLE.attach_context(context)
            return context

        def _new_page(*args, **kwargs):
            pg = new_page(*args, **kwargs)
            CONSOLE.attach_page(pg)
            pg.context.on("page", lambda popup: popup is not pg and CONSOLE.attach_page(popup))
            return pg

        b.new_context, b.new_page = _new_context, _new_page
        yield b
        b.close()


@pytest.fixture(autouse=True)
def no_console_errors(request):
    """Fail the test at teardown with the browser console errors/warnings and page errors it caused.

    A test that provokes an error on purpose (a 429, a 404 page) names it:
    `@pytest.mark.console_allowed(r"regex", ...)`.
    """
    yield  # messages logged while module fixtures set up count for the module's first test
    marker = request.node.get_closest_marker("console_allowed")
    problems = CONSOLE.unexpected(list(marker.args) if marker else [])
    CONSOLE.messages.clear()
    if problems:
        pytest.fail("browser console errors/warnings:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(browser):
    """A fresh logged-out browser context and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(20000)
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, app_url: str, email: str, password: str) -> None:
    """Log in through the login page and wait for the home page."""
    page.goto(f"{app_url}/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("user-menu").wait_for()


def menu_item(page, trigger, item: str):
    """Open a dropdown menu (`trigger`: test id or locator) until `item` shows: a click during the last menu's close
    animation is lost."""
    opener = page.get_by_test_id(trigger).first if isinstance(trigger, str) else trigger
    for _ in range(5):
        page.keyboard.press("Escape")
        opener.click()
        try:
            page.get_by_test_id(item).wait_for(timeout=4_000)
            return page.get_by_test_id(item)
        except Exception:  # noqa: BLE001 - retried; the last attempt raises below
            continue
    page.get_by_test_id(item).wait_for(timeout=4_000)
    return page.get_by_test_id(item)


def api_client(app_url: str, email: str, password: str = "demo-password-123") -> httpx.Client:
    """An API client logged in as `email` on the app under test."""
    token = httpx.post(f"{app_url}/api/v1/auth/login", json={"email": email, "password": password}).json()[
        "access_token"
    ]
    return httpx.Client(base_url=f"{app_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
