"""Log lines: structured (JSON) when asked, and never a secret or share token in them."""

from __future__ import annotations

import io
import json
import logging

from resolutionflow_app import log_setup


def _capture(fmt: str):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(log_setup.REDACTOR)
    handler.setFormatter(log_setup.JsonFormatter() if fmt == "json" else logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"rf-test-{fmt}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_carry_extras_and_no_secrets() -> None:
    logger, stream = _capture("json")
    logger.info(
        "run %s claimed; calling %s with Authorization: Bearer abcdefghijklmnop",
        "r-1",
        "https://api.example/v1?api_key=sk-live-1234567890",
        extra={"run_id": "r-1", "worker": "w1"},
    )
    try:
        raise ValueError("password=hunter2hunter2 rejected")
    except ValueError:
        logger.exception("GET /share/AbCdEfGhIjKlMnOpQrStUvWx failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["run_id"] == "r-1"
    assert lines[0]["worker"] == "w1"
    assert lines[0]["level"] == "INFO"
    text = stream.getvalue()
    for secret in ("abcdefghijklmnop", "sk-live-1234567890", "hunter2hunter2", "AbCdEfGhIjKlMnOpQrStUvWx"):
        assert secret not in text
    assert "/share/***" in lines[1]["message"]
    assert "***" in lines[1]["error"]


def test_plain_text_is_redacted_too() -> None:
    logger, stream = _capture("text")
    logger.info(
        "webhook secret whsec_abcdefghijkl sent to /shares/by-token/tok123456789 and "
        "/login?next=%2Fshare%2Fsecret-token"
    )
    out = stream.getvalue()
    assert "whsec_abcdefghijkl" not in out
    assert "tok123456789" not in out
    assert "secret-token" not in out
