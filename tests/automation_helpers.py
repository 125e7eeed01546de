"""Helpers for automation tests: accounts with roles, models, a scripted in-process LLM provider."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from resolutionflow_app.db.models import CompletionModel
from resolutionflow_app.integrations.llm import Completion
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services.automation_runner import RunnerDeps, execute_run
from tests.factories import make_account, make_user


@dataclass
class Team:
    """An account with one user per role."""

    owner: Any
    author: Any
    engineer: Any

    @property
    def account_id(self) -> uuid.UUID:
        return self.owner.account_id


def make_team(session: Session) -> Team:
    account = make_account(session)
    return Team(
        make_user(session, account, role="owner"),
        make_user(session, account, role="author"),
        make_user(session, account, role="engineer"),
    )


def make_model(
    session: Session,
    account_id: uuid.UUID,
    *,
    level: int = 0,
    name: str | None = None,
    provider: str = "offline",
    base_url: str | None = None,
    token_limit: int | None = None,
) -> CompletionModel:
    row = CompletionModel(
        account_id=account_id,
        name=name or f"Model L{level}",
        provider=provider,
        base_url=base_url,
        model="fake-model",
        security_level=level,
        token_limit=token_limit,
    )
    session.add(row)
    session.flush()
    return row


def inline(model: CompletionModel, prompt: str = "Be helpful.") -> dict:
    return {"prompt": prompt, "model_id": str(model.id)}


def make_automation(session: Session, actor: Any, steps: list[dict], **kw: Any) -> automations_service.AutomationDTO:
    return automations_service.create_automation(
        session=session, actor=actor, data={"name": kw.pop("name", "Test automation"), "steps": steps, **kw}
    )


@dataclass
class ScriptedProvider:
    """An in-process LLMProvider: answers from a function, records every call."""

    answer: Any = None  # callable(call_dict) -> str | Completion, or raise
    delay: float = 0.0
    calls: list[dict] = field(default_factory=list)
    cancelled: int = 0

    def factory(self, _model: Any) -> ScriptedProvider:
        return self

    async def complete(
        self, *, system_prompt: str, user_input: str, model: str, tools=None, file_texts=None, timeout=None
    ) -> Completion:
        call = {
            "system_prompt": system_prompt,
            "user_input": user_input,
            "model": model,
            "tools": tools or [],
            "file_texts": file_texts or [],
        }
        self.calls.append(call)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        result = (
            self.answer(call)
            if callable(self.answer)
            else (self.answer if self.answer is not None else f"out:{user_input}")
        )
        if hasattr(result, "__await__"):
            result = await result
        if isinstance(result, Completion):
            return result
        return Completion(
            text=result,
            prompt_tokens=len((system_prompt + " " + user_input).split()),
            completion_tokens=len(str(result).split()),
        )


def deps_for(provider: ScriptedProvider, **kw: Any) -> RunnerDeps:
    return RunnerDeps(provider_factory=provider.factory, http_backoff=(0, 0, 0), cancel_poll_seconds=0.05, **kw)


def run_now(run_id: Any, deps: RunnerDeps, **kw: Any) -> str:
    return asyncio.run(execute_run(uuid.UUID(str(run_id)), deps=deps, **kw))
