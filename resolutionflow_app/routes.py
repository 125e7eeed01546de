"""Route constants and URL builders for the Reflex pages."""

HOME = "/"
LOGIN = "/login"
SIGNUP = "/signup"
DESKTOP_LOGIN = "/desktop-login"
FLOWS = "/flows"
LIBRARY = "/library"
SESSIONS = "/sessions"
AUTOMATIONS = "/automations"
SHARES = "/shares"
ACCOUNT = "/account"
ACCOUNT_AI = "/account/ai"
ACCOUNT_SYNC = "/account/sync"
ANALYTICS = "/analytics"
AUTOMATION_RUNS = "/automation-runs"

PRIVATE_ROUTES = (HOME, FLOWS, LIBRARY, SESSIONS, AUTOMATIONS, SHARES, ACCOUNT, ANALYTICS)


def flow_url(tree_id: str) -> str:
    """URL of a flow's editor page."""
    return f"{FLOWS}/{tree_id}"


def session_url(session_id: str) -> str:
    """URL of a live session page."""
    return f"{SESSIONS}/{session_id}"


def share_url(token: str, base: str = "") -> str:
    """Public URL of a share link."""
    return f"{base.rstrip('/')}/share/{token}"


def login_url(next_path: str | None = None) -> str:
    """Login page URL, optionally returning to `next_path` afterwards."""
    from urllib.parse import quote  # noqa: PLC0415

    return f"{LOGIN}?next={quote(next_path, safe='')}" if next_path else LOGIN


def automation_url(automation_id: str) -> str:
    """URL of an automation's builder page."""
    return f"{AUTOMATIONS}/{automation_id}"


def automation_run_form_url(automation_id: str) -> str:
    """URL of an automation's run page (the run form, live progress of new runs, run history)."""
    return f"{AUTOMATIONS}/{automation_id}/run"


def automation_run_url(run_id: str) -> str:
    """URL of one automation run (inputs, per-step progress and outputs)."""
    return f"{AUTOMATION_RUNS}/{run_id}"


def desktop_login_url(code: str, next_path: str = HOME) -> str:
    """The desktop window's first URL: redeems a one-time sign-in code, then opens `next_path`."""
    from urllib.parse import urlencode  # noqa: PLC0415

    return f"{DESKTOP_LOGIN}?{urlencode({'code': code, 'next': next_path})}"
