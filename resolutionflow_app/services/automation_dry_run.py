"""Automation dry run ("Test automation"): a step-by-step checklist of what a run would do.

The dry run reads the current draft definition and answers, per step, in plain sentences: which
model it uses and whether that model's endpoint answers, what data flows in, what each `{{…}}`
variable becomes with sample input, whether configured URLs are reachable, whether the prompt
fits the model's token limit, and whether the classification rules would refuse it.

It never calls a model (an OpenAI-compatible endpoint only gets a `GET {base_url}/models`), never
POSTs anything (webhooks and HTTP POST inputs get a HEAD), never writes to the database, and
answers within a few seconds: every outbound check goes through the SSRF-guarded client with one
attempt and a short timeout, all checks run concurrently.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from sqlmodel import Session

from resolutionflow_app.db.models import CompletionModel, User
from resolutionflow_app.domain import automation_rules
from resolutionflow_app.domain.automation_definition import DefinitionSnapshot, SnapshotStep
from resolutionflow_app.domain.automation_variables import (
    build_context,
    count_tokens,
    interpolate,
    variables_in,
)
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.integrations import http_guard
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import secrets_box
from resolutionflow_app.services.dto import DTO
from resolutionflow_app.settings import get_settings

Status = Literal["green", "amber", "red"]
_RANK: dict[str, int] = {"green": 0, "amber": 1, "red": 2}
PROBE_TIMEOUT_SECONDS = 3.0
TOKEN_WARN_SHARE = 0.8
SAMPLE_TEXT = "Sample text"
_STEP_NAME = re.compile(r"step_(\d+)$")
# Characters left as they are when a resolved URL is made safe to send (structure and escapes).
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"

# `fetch(method, url, *, headers) -> HTTPResult`; the default is the guarded `http_guard.fetch`.
Fetch = Callable[..., Awaitable[http_guard.HTTPResult]]


class DryRunLine(DTO):
    """One line of the checklist: a step's check (or the whole automation's when `step_order` is None)."""

    step_order: int | None = None
    check: str
    status: Status
    message: str


class DryRunReport(DTO):
    """The dry run's answer: the worst status, counts per status, the sample input used and the lines."""

    automation_id: uuid.UUID
    automation_name: str
    status: Status
    counts: dict[str, int]
    sample: dict[str, Any]
    lines: list[DryRunLine]


# ---------------------------------------------------------------- loaded data (no DB after this)


@dataclass(frozen=True)
class _Model:
    id: str
    name: str
    provider: str
    base_url: str | None
    model: str
    api_key: str | None
    security_level: int
    token_limit: int | None


@dataclass(frozen=True)
class _Probe:
    """One outbound check; equal probes are sent once."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Outcome:
    kind: Literal["answered", "blocked", "unreachable", "too_large"]
    status_code: int | None = None
    text: str | None = None
    size: int = 0
    reason: str = ""


def _load_models(session: Session, account_id: uuid.UUID, definition: DefinitionSnapshot) -> dict[str, _Model]:
    models: dict[str, _Model] = {}
    for mid in definition.model_ids():
        try:
            row = session.get(CompletionModel, uuid.UUID(str(mid)))
        except ValueError:
            row = None
        if row is None or row.account_id != account_id:
            continue
        key = secrets_box.decrypt_str(row.api_key_encrypted) if row.api_key_encrypted else None
        models[mid] = _Model(
            str(row.id), row.name, row.provider, row.base_url, row.model, key, row.security_level, row.token_limit
        )
    return models


# ---------------------------------------------------------------- sample input


def sample_form_data(form_schema: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    """Made-up values for a form: text "Sample <label>", number 42, select its first option, files "(file)"."""
    out: dict[str, Any] = {}
    for field in form_schema or []:
        fid = field.get("id")
        if not isinstance(fid, str):
            continue
        ftype = field.get("type") or "text"
        if ftype == "number":
            out[fid] = 42
        elif ftype == "select":
            options = field.get("options") or []
            out[fid] = options[0] if options else ""
        elif ftype in automation_rules.FILE_FIELD_TYPES:
            out[fid] = "(file)"
        else:
            out[fid] = f"Sample {field.get('label') or fid}"
    return out


def _show(value: Any, limit: int = 80) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", " ")
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


def _url_shown(template: str) -> str:
    """A configured URL for messages: without query string or fragment (they may carry tokens)."""
    return template.split("?", 1)[0].split("#", 1)[0]


# ---------------------------------------------------------------- pure checks


def _words_for_input(step: SnapshotStep, order: int, form_ids: list[str]) -> str:
    source = step.input_source or "flow_input"
    cfg = step.input_config or {}
    if source == "flow_input":
        text = "Reads the run's input: the free text"
        if form_ids:
            text += " (or the form values as JSON when the text is empty)"
        if step.input_type in automation_rules.FILE_FIELD_TYPES:
            text += ", plus the uploaded files"
        text += "."
    elif source == "previous_step":
        text = f"Reads the previous step's output (step {order - 1})."
    elif source == "all_previous_steps":
        text = "Aggregates the output of step 1." if order == 2 else f"Aggregates the outputs of steps 1–{order - 1}."
    elif source == "http_get":
        text = f"Reads the answer of GET {_url_shown(str(cfg.get('url') or ''))}."
    elif source == "http_post":
        text = (
            f"Sends a POST to {_url_shown(str(cfg.get('url') or ''))} and reads its answer (not sent in this dry run)."
        )
    else:
        text = f"Reads {source}."
    if step.input_type not in (None, "any"):
        text += f" It expects {step.input_type} input."
    return text


def _words_for_output(step: SnapshotStep, is_last: bool) -> str:
    kind = step.output_type
    what = {"text": "text", "json": "JSON", "pdf": "a PDF document", "docx": "a Word document"}.get(kind, kind)
    text = f"Gives {what}" + (" as the run's result" if is_last else "")
    if step.output_mode == "http_post":
        text += (
            f", and posts it to the webhook {_url_shown(str((step.output_config or {}).get('url') or ''))} "
            "(signed; not sent in this dry run)"
        )
    return text + "."


def _variable_line(
    path: str,
    *,
    order: int,
    context: Mapping[str, Any],
    steps_by_order: Mapping[int, Mapping[str, Any]],
    form_ids: list[str],
) -> tuple[Status, str]:
    """What `{{path}}` becomes in step `order` (status, sentence)."""
    tag = "{{" + path + "}}"
    keys = path.split(".")
    match = _STEP_NAME.match(keys[0])
    if match:
        n = int(match.group(1))
        if n not in steps_by_order:
            return "red", f"{tag} refers to step {n}, which does not exist; the run would leave it as written."
        if n >= order:
            when = "is this step" if n == order else "runs after this step"
            return (
                "red",
                f"{tag} refers to step {n}, which {when}; its output is not known yet, so the run would leave it as "
                "written.",
            )
        if len(keys) == 1 or keys[1] not in ("output", "file_ids") or (keys[1] == "file_ids" and len(keys) > 2):
            return (
                "red",
                f"{tag} is not a known variable: a step offers {{{{step_{n}.output}}}}, "
                f"{{{{step_{n}.output.<field>}}}} and {{{{step_{n}.file_ids}}}}.",
            )
        if keys[1] == "file_ids":
            return "green", f"{tag} becomes the ids of the files step {n} produced (known when the run gets there)."
        if len(keys) == 2:
            return "green", f"{tag} becomes step {n}'s output (known when the run gets there; no model is called now)."
        field = ".".join(keys[2:])
        kind = steps_by_order[n].get("output_type") or "text"
        if kind == "json":
            return (
                "green",
                f"{tag} becomes the field “{field}” of step {n}'s JSON output (known when the run gets there).",
            )
        return (
            "amber",
            f"{tag} needs the field “{field}”, but step {n} gives {kind}, not JSON: it resolves only if that output "
            "happens to be a JSON object with that field.",
        )
    resolved = interpolate(tag, context)
    if resolved != tag:
        return "green", f"{tag} becomes {_show(resolved)} with the sample input."
    if keys[0] == "flow_input":
        known = ", ".join(["text", *form_ids])
        return (
            "red",
            f"{tag} does not match the free text or a form field (known: {known}); the run would leave it as written.",
        )
    return (
        "red",
        f"{tag} is not a known variable; the run would leave it as written. Use {{{{flow_input.text}}}}, "
        f"{{{{flow_input.<form field>}}}} or {{{{step_N.output}}}}.",
    )


def _host_part(template: str) -> str | None:
    """The scheme+host part of a URL template, or None when the scheme itself comes from a variable."""
    fixed_scheme, sep, rest = template.partition("://")
    if not sep or "{{" in fixed_scheme:
        return None
    return fixed_scheme + sep + re.split(r"[/?#]", rest, maxsplit=1)[0]


def _probe_url(template: str, context: Mapping[str, Any], supplied: set[str]) -> tuple[str | None, str]:
    """The URL to check for a configured URL template, or (None, why it cannot be checked now)."""
    paths = variables_in(template)
    runtime = [p for p in paths if _STEP_NAME.match(p.split(".")[0])]
    if runtime:
        return None, f"it uses {{{{{runtime[0]}}}}}, which is only known during the run; it is checked then"
    resolved = interpolate(template, context)
    if "{{" in resolved:
        return None, "it has a variable that does not resolve (see above)"
    host = _host_part(template)
    host_vars = variables_in(host) if host is not None else paths
    generated = [p for p in host_vars if p not in supplied]
    if generated:
        return (
            None,
            f"its host comes from {{{{{generated[0]}}}}}; give a real value for it in the dry run's input to check it",
        )
    return quote(resolved, safe=_URL_SAFE), ""


def _guard_line(step_order: int | None, check: str, what: str, url: str, outcome: _Outcome) -> DryRunLine | None:
    """The red/amber line for a refused or unreachable probe (None when the server answered)."""
    shown = http_guard.safe_url(url)
    if outcome.kind == "blocked":
        return DryRunLine(
            step_order=step_order,
            check=check,
            status="red",
            message=f"{what} {shown} is refused by the outbound-request guard: {outcome.reason}",
        )
    if outcome.kind == "unreachable":
        # An input or webhook URL that cannot be reached now fails the run; a model endpoint may just be asleep.
        status: Status = "amber" if check == "model_endpoint" else "red"
        return DryRunLine(
            step_order=step_order,
            check=check,
            status=status,
            message=f"Could not reach {what[:1].lower() + what[1:]} {shown}: {outcome.reason}",
        )
    return None


def _model_endpoint_line(order: int, model: _Model, url: str, outcome: _Outcome) -> DryRunLine:
    bad = _guard_line(order, "model_endpoint", "The model endpoint", url, outcome)
    if bad is not None:
        return bad
    shown = http_guard.safe_url(url)
    code = outcome.status_code or 0
    if outcome.kind == "too_large":
        return DryRunLine(
            step_order=order,
            check="model_endpoint",
            status="green",
            message=f"The model endpoint {shown} answers (its model list is too large to read here).",
        )
    if code in (401, 403):
        return DryRunLine(
            step_order=order,
            check="model_endpoint",
            status="amber",
            message=(
                f"The model endpoint {shown} answers, but refused the model list with HTTP {code}: the API key is "
                "missing or wrong."
            ),
        )
    if code >= 500:
        return DryRunLine(
            step_order=order,
            check="model_endpoint",
            status="amber",
            message=f"The model endpoint {shown} answers, but with HTTP {code} (a server error).",
        )
    if code >= 400:
        return DryRunLine(
            step_order=order,
            check="model_endpoint",
            status="green",
            message=f"The model endpoint {shown} answers (it offers no model list: HTTP {code}).",
        )
    offered: list[str] | None = None
    try:
        body = json.loads(outcome.text or "")
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            offered = [str(m.get("id")) for m in body["data"] if isinstance(m, dict) and m.get("id")]
    except (ValueError, TypeError):
        offered = None
    if offered is None:
        return DryRunLine(
            step_order=order,
            check="model_endpoint",
            status="green",
            message=f"The model endpoint {shown} answers (HTTP {code}).",
        )
    if model.model in offered:
        return DryRunLine(
            step_order=order,
            check="model_endpoint",
            status="green",
            message=f"The model endpoint {shown} answers and offers the model “{model.model}”.",
        )
    listed = ", ".join(offered[:10]) + (" …" if len(offered) > 10 else "")
    return DryRunLine(
        step_order=order,
        check="model_endpoint",
        status="amber",
        message=(
            f"The model endpoint {shown} answers, but does not list the model “{model.model}” (it lists: "
            f"{listed or 'nothing'})."
        ),
    )


def _http_line(order: int, check: str, what: str, probe: _Probe, outcome: _Outcome) -> DryRunLine:
    bad = _guard_line(order, check, what, probe.url, outcome)
    if bad is not None:
        return bad
    shown = http_guard.safe_url(probe.url)
    code = outcome.status_code or 0
    if outcome.kind == "too_large":
        return DryRunLine(
            step_order=order,
            check=check,
            status="amber",
            message=(
                f"{what} {shown} answers, but with more than the allowed response size; the run would refuse that "
                "answer."
            ),
        )
    if probe.method == "HEAD":
        if code >= 500:
            return DryRunLine(
                step_order=order,
                check=check,
                status="amber",
                message=(
                    f"{what} {shown} answers, but with HTTP {code} (a server error) to a HEAD request; nothing was "
                    "posted."
                ),
            )
        return DryRunLine(
            step_order=order,
            check=check,
            status="green",
            message=f"{what} {shown} is reachable (HTTP {code} to a HEAD request; nothing was posted).",
        )
    if code >= 400:
        return DryRunLine(
            step_order=order,
            check=check,
            status="amber",
            message=f"{what} {shown} answers HTTP {code}; the run would fail on that answer.",
        )
    return DryRunLine(
        step_order=order,
        check=check,
        status="green",
        message=f"{what} {shown} is reachable (HTTP {code}, {outcome.size} bytes).",
    )


def _token_line(order: int, model: _Model, prompt: str) -> DryRunLine:
    tokens = count_tokens(prompt)
    limit = model.token_limit
    if not limit:
        return DryRunLine(
            step_order=order,
            check="tokens",
            status="green",
            message=f"The prompt is about {tokens} tokens with the sample input; the model has no token limit set.",
        )
    share = tokens / limit
    if tokens > limit:
        return DryRunLine(
            step_order=order,
            check="tokens",
            status="red",
            message=(
                f"The prompt alone is about {tokens} tokens, over the model's limit of {limit}: the model would refuse "
                "it."
            ),
        )
    if share > TOKEN_WARN_SHARE:
        return DryRunLine(
            step_order=order,
            check="tokens",
            status="amber",
            message=(
                f"The prompt alone is about {tokens} tokens, {share:.0%} of the model's limit of {limit}: little room "
                "is left for the input."
            ),
        )
    shown = "under 1%" if share < 0.01 else f"{share:.0%}"
    return DryRunLine(
        step_order=order,
        check="tokens",
        status="green",
        message=f"The prompt is about {tokens} tokens, {shown} of the model's limit of {limit}.",
    )


# ---------------------------------------------------------------- outbound checks


def _bounded_resolver(host: str) -> list[str]:
    """The guard's resolver, but giving up after PROBE_TIMEOUT_SECONDS (a hanging DNS server must not stall the
    report)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["answers"] = http_guard.default_resolver(host)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="rf-dry-run-dns", daemon=True)
    thread.start()
    thread.join(PROBE_TIMEOUT_SECONDS)
    if thread.is_alive():
        raise OSError(f"the DNS lookup took longer than {PROBE_TIMEOUT_SECONDS:g} seconds")
    if "error" in box:
        raise box["error"]
    answers: list[str] = box["answers"]
    return answers


async def guarded_fetch(method: str, url: str, *, headers: Mapping[str, str] | None = None) -> http_guard.HTTPResult:
    """The runner's guarded request (`http_guard.fetch`), once, with the dry run's short timeout."""
    return await http_guard.fetch(
        method,
        url,
        headers=headers,
        retries=0,
        backoff=(),
        timeout=PROBE_TIMEOUT_SECONDS,
        raise_for_status=False,
        resolver=_bounded_resolver,
        allowed_cidrs=get_settings().cidr_list() or None,
    )


async def _probe_one(probe: _Probe, fetch: Fetch) -> _Outcome:
    try:
        result = await asyncio.wait_for(
            fetch(probe.method, probe.url, headers=dict(probe.headers)), PROBE_TIMEOUT_SECONDS + 2
        )
    except (http_guard.BlockedURLError, http_guard.InvalidHeaderError) as exc:
        return _Outcome("blocked", reason=exc.message)
    except http_guard.ResponseTooLargeError as exc:
        return _Outcome("too_large", reason=exc.message)
    except http_guard.OutboundHTTPError as exc:
        return _Outcome("unreachable", reason=exc.message)
    except TimeoutError:
        return _Outcome("unreachable", reason=f"no answer within {PROBE_TIMEOUT_SECONDS:g} seconds.")
    except Exception as exc:  # noqa: BLE001 - any other failure is "could not reach", never a 500
        return _Outcome("unreachable", reason=f"{type(exc).__name__}: {exc}")
    return _Outcome(
        "answered",
        status_code=result.status_code,
        text=result.text if not result.is_binary else None,
        size=len(result.content or b""),
    )


async def _probe_all(probes: list[_Probe], fetch: Fetch) -> dict[_Probe, _Outcome]:
    unique = list(dict.fromkeys(probes))
    outcomes = await asyncio.gather(*(_probe_one(p, fetch) for p in unique))
    return dict(zip(unique, outcomes, strict=True))


def _run_probes(probes: list[_Probe], fetch: Fetch) -> dict[_Probe, _Outcome]:
    """Run the checks concurrently on a private event loop (in a helper thread when one is already running here)."""
    if not probes:
        return {}
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_probe_all(probes, fetch))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rf-dry-run") as pool:
        return pool.submit(asyncio.run, _probe_all(probes, fetch)).result()


# ---------------------------------------------------------------- the use case


def _worst(lines: list[DryRunLine]) -> Status:
    worst: Status = "green"
    for line in lines:
        if _RANK[line.status] > _RANK[worst]:
            worst = line.status
    return worst


def dry_run(
    *,
    session: Session,
    actor: User,
    automation_id: uuid.UUID | str,
    sample: Mapping[str, Any] | None = None,
    fetch: Fetch | None = None,
) -> DryRunReport:
    """Check an automation's draft step by step without calling any model or writing anything.

    Args:
        session: DB session (only read).
        actor: any member of the automation's account (owners, authors and engineers).
        automation_id: the automation.
        sample: optional `{form_data?: {...}, text?: str}` replacing the made-up sample input
            (form fields not in the form are ignored, and said so).
        fetch: `async fetch(method, url, *, headers) -> HTTPResult` for the outbound checks; the
            default is the runner's SSRF-guarded `http_guard.fetch` with one attempt and a 3 s timeout.

    Returns:
        The report: one line per check (`step_order` None for the whole automation), the worst
        status overall, counts per status and the sample input used.

    Raises:
        NotFound: not an automation of the actor's account.
        InvalidInput: `sample` is not `{form_data: object, text: string}`.
    """
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    definition = automations_service.current_definition(session, automation)
    models = _load_models(session, actor.account_id, definition)
    fetch = fetch or guarded_fetch

    steps = definition.steps
    # The classification and structure rules read steps in their stored shape, in the same order.
    raw_steps: list[dict[str, Any]] = sorted(definition.to_json().get("steps") or [], key=lambda s: s["step_order"])
    form_schema = definition.form_schema
    form_ids = [f["id"] for f in form_schema if isinstance(f.get("id"), str)]
    lines: list[DryRunLine] = []

    # Sample input: made up from the form, replaced by what the caller sent.
    sample = dict(sample or {})
    override_text, override_form = sample.get("text"), sample.get("form_data")
    if override_text is not None and not isinstance(override_text, str):
        raise InvalidInput("text must be a string.")
    if override_form is not None and not isinstance(override_form, Mapping):
        raise InvalidInput("form_data must be an object.")
    text = override_text if override_text is not None else SAMPLE_TEXT
    form_data = sample_form_data(form_schema)
    supplied: set[str] = {"flow_input.text"} if override_text is not None else set()
    for key, value in (override_form or {}).items():
        if key in form_data:
            form_data[key] = value
            supplied.update({f"flow_input.{key}", key})
        else:
            lines.append(
                DryRunLine(
                    check="sample",
                    status="amber",
                    message=f"The sample value for “{key}” was ignored: the form has no such field.",
                )
            )
    for problem in automation_rules.form_data_problems(form_schema, form_data) if override_form else []:
        lines.append(
            DryRunLine(check="sample", status="red", message=f"A run with this input would be refused: {problem}")
        )
    shown = [f"free text {_show(text)}"] + [
        f"{f.get('label') or f['id']} = {_show(form_data[f['id']])}" for f in form_schema if f.get("id") in form_data
    ]
    lines.insert(0, DryRunLine(check="sample", status="green", message="Sample input: " + "; ".join(shown) + "."))
    context = build_context(text, form_data, [])

    if not steps:
        lines.append(
            DryRunLine(
                check="definition",
                status="red",
                message="This automation has no steps yet: add a step before running it.",
            )
        )
    for problem in automation_rules.form_schema_problems(form_schema) + automation_rules.structural_problems(raw_steps):
        lines.append(DryRunLine(check="definition", status="red", message=problem))

    levels = {mid: m.security_level for mid, m in models.items()}
    findings = automation_rules.classification_findings(raw_steps, levels)
    steps_by_order = {int(s["step_order"]): s for s in raw_steps}

    # First pass: what every step needs checked over the network.
    planned: list[tuple[int, str, Any]] = []  # (step_order, kind, details) in report order
    probes: list[_Probe] = []
    for index, (step, raw) in enumerate(zip(steps, raw_steps, strict=True)):
        order = step.step_order
        assistant = step.assistant
        model = models.get(assistant.model_id or "")
        if model is None:
            planned.append((order, "model_missing", None))
        else:
            offline = model.provider == "offline"
            kind = (
                "the built-in offline model: it renders the prompt, no language model is called"
                if offline
                else f"an OpenAI-compatible endpoint, model “{model.model}”"
            )
            planned.append(
                (
                    order,
                    "line",
                    DryRunLine(
                        step_order=order,
                        check="model",
                        status="green",
                        message=f"Uses the model “{model.name}” ({kind}); security level {model.security_level}.",
                    ),
                )
            )
            if not offline:
                if not model.base_url:
                    planned.append(
                        (
                            order,
                            "line",
                            DryRunLine(
                                step_order=order,
                                check="model_endpoint",
                                status="red",
                                message=f"The model “{model.name}” has no base URL: the run cannot reach it.",
                            ),
                        )
                    )
                else:
                    headers: tuple[tuple[str, str], ...] = (
                        (("Authorization", f"Bearer {model.api_key}"),) if model.api_key else ()
                    )
                    probe = _Probe("GET", model.base_url.rstrip("/") + "/models", headers)
                    probes.append(probe)
                    planned.append((order, "model_endpoint", (model, probe)))
                if model.api_key:
                    planned.append(
                        (
                            order,
                            "line",
                            DryRunLine(
                                step_order=order,
                                check="api_key",
                                status="green",
                                message=f"The model “{model.name}” has an API key set.",
                            ),
                        )
                    )
                else:
                    planned.append(
                        (
                            order,
                            "line",
                            DryRunLine(
                                step_order=order,
                                check="api_key",
                                status="amber",
                                message=(
                                    f"The model “{model.name}” has no API key set: endpoints that need one (such as "
                                    "OpenAI) will refuse the call."
                                ),
                            ),
                        )
                    )
        planned.append(
            (
                order,
                "line",
                DryRunLine(
                    step_order=order, check="input", status="green", message=_words_for_input(step, order, form_ids)
                ),
            )
        )
        planned.append(
            (
                order,
                "line",
                DryRunLine(
                    step_order=order,
                    check="output",
                    status="green",
                    message=_words_for_output(step, index == len(steps) - 1),
                ),
            )
        )

        # Variables in the prompt and the configured URLs / body.
        places: list[tuple[str, str]] = [("In the prompt", assistant.prompt)]
        source = step.input_source
        cfg = step.input_config or {}
        out_cfg = step.output_config or {}
        if source in ("http_get", "http_post"):
            places.append(("In the HTTP input URL", str(cfg.get("url") or "")))
            if source == "http_post":
                places.append(("In the HTTP input body", str(cfg.get("body") or "")))
        if step.output_mode == "http_post":
            places.append(("In the webhook URL", str(out_cfg.get("url") or "")))
        for where, template in places:
            for path in dict.fromkeys(variables_in(template)):
                status, message = _variable_line(
                    path, order=order, context=context, steps_by_order=steps_by_order, form_ids=form_ids
                )
                planned.append(
                    (
                        order,
                        "line",
                        DryRunLine(step_order=order, check="variable", status=status, message=f"{where}, {message}"),
                    )
                )

        # Reachability of the HTTP input and the webhook (never POSTed).
        if source in ("http_get", "http_post") and cfg.get("url"):
            url, why = _probe_url(str(cfg["url"]), context, supplied)
            if url is None:
                planned.append(
                    (
                        order,
                        "line",
                        DryRunLine(
                            step_order=order,
                            check="http_input",
                            status="amber",
                            message=f"The HTTP input URL {_url_shown(str(cfg['url']))} is not checked now: {why}.",
                        ),
                    )
                )
            else:
                try:
                    headers = tuple(sorted(secrets_box.open_headers(cfg).items()))
                except Exception:  # noqa: BLE001 - an undecryptable header set must not break the report
                    headers = ()
                probe = _Probe("GET" if source == "http_get" else "HEAD", url, headers)
                probes.append(probe)
                planned.append((order, "http_input", probe))
        if step.output_mode == "http_post" and out_cfg.get("url"):
            url, why = _probe_url(str(out_cfg["url"]), context, supplied)
            if url is None:
                planned.append(
                    (
                        order,
                        "line",
                        DryRunLine(
                            step_order=order,
                            check="webhook",
                            status="amber",
                            message=f"The webhook URL {_url_shown(str(out_cfg['url']))} is not checked now: {why}.",
                        ),
                    )
                )
            else:
                probe = _Probe("HEAD", url)
                probes.append(probe)
                planned.append((order, "webhook", probe))

        if model is not None:
            planned.append((order, "line", _token_line(order, model, interpolate(assistant.prompt, context))))
        step_findings = [message for o, message in findings if o == order]
        if step_findings:
            for message in step_findings:
                planned.append(
                    (
                        order,
                        "line",
                        DryRunLine(
                            step_order=order,
                            check="classification",
                            status="red",
                            message=f"{message} Publishing is refused until this is fixed.",
                        ),
                    )
                )
        else:
            level = automation_rules.step_level(raw, levels)
            model_lvl = automation_rules.model_level(raw, levels)
            how = "set on the step" if step.output_classification_override is not None else "its model's level"
            planned.append(
                (
                    order,
                    "line",
                    DryRunLine(
                        step_order=order,
                        check="classification",
                        status="green",
                        message=(
                            f"Its output is classified level {level} ({how}); the model handles level {model_lvl}. The "
                            "classification rules allow this step."
                        ),
                    ),
                )
            )

    # Second pass: run every outbound check at once, then write the lines in order.
    outcomes = _run_probes(probes, fetch)
    for order, kind, details in planned:
        if kind == "line":
            lines.append(details)
        elif kind == "model_missing":
            lines.append(
                DryRunLine(
                    step_order=order,
                    check="model",
                    status="red",
                    message="Its model no longer exists: choose another model for this step.",
                )
            )
        elif kind == "model_endpoint":
            model, probe = details
            lines.append(_model_endpoint_line(order, model, probe.url, outcomes[probe]))
        elif kind == "http_input":
            lines.append(_http_line(order, "http_input", "The HTTP input URL", details, outcomes[details]))
        elif kind == "webhook":
            lines.append(_http_line(order, "webhook", "The webhook URL", details, outcomes[details]))

    counts = {status: sum(1 for line in lines if line.status == status) for status in ("green", "amber", "red")}
    return DryRunReport(
        automation_id=automation.id,
        automation_name=automation.name,
        status=_worst(lines),
        counts=counts,
        sample={"text": text, "form_data": form_data},
        lines=lines,
    )
