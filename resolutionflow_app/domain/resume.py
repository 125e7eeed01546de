"""Where a resumed run starts (seed: resume from the first failed step unless upstream changed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ResumePlan:
    """`start_step`: first step to (re)execute; `keep`: step orders whose results are kept."""

    start_step: int
    keep: tuple[int, ...]
    reason: str


def plan_resume(
    old_orders: list[int], new_hashes: Mapping[int, str], results: Mapping[int, tuple[str, str | None]]
) -> ResumePlan:
    """Decide where a resumed run starts.

    Args:
        old_orders: step orders of the definition the run last executed.
        new_hashes: `{step_order: execution hash}` of the definition to resume with.
        results: `{step_order: (status, execution_hash)}` of the run's stored step results.

    Returns:
        A plan: start at the first step that is not `completed`, keeping the completed steps before
        it, when every one of them still has the same execution hash and the topology (the list of
        step orders) is unchanged; otherwise start again at step 1 and keep nothing.
    """
    new_orders = sorted(new_hashes)
    if sorted(old_orders) != new_orders:
        return ResumePlan(1, (), "the steps of the automation changed")
    first_open = next((o for o in new_orders if (results.get(o) or ("", None))[0] != "completed"), None)
    start = first_open if first_open is not None else (new_orders[-1] + 1 if new_orders else 1)
    upstream = [o for o in new_orders if o < start]
    for order in upstream:
        status, stored_hash = results[order]
        if stored_hash != new_hashes[order]:
            return ResumePlan(1, (), f"step {order} changed since it ran")
    return ResumePlan(start, tuple(upstream), "upstream steps unchanged")
