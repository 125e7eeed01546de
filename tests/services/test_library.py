"""Step library service: visibility, search (FTS / tsvector), filters, sorts, synced read-only, fork, ratings."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from resolutionflow_app.services import library as lib
from resolutionflow_app.services import library_search
from tests.factories import make_account, make_user
from tests.library_helpers import make_step, make_tree


@pytest.fixture
def team(session):
    acct = make_account(session)
    owner = make_user(session, acct, role="owner")
    author = make_user(session, acct, role="author")
    engineer = make_user(session, acct, role="engineer")
    outsider = make_user(session, make_account(session, "Other"), role="owner")
    return owner, author, engineer, outsider


def _titles(items) -> list[str]:
    return [i.title for i in items]


def test_visibility_private_team_public(session, team) -> None:
    owner, author, engineer, outsider = team
    make_step(session, author, title="Private one", visibility="private")
    make_step(session, author, title="Team one", visibility="team")
    make_step(session, author, title="Public one", visibility="public")
    assert set(_titles(library_search.list_steps(session=session, actor=author)[0])) == {
        "Private one",
        "Team one",
        "Public one",
    }
    assert set(_titles(library_search.list_steps(session=session, actor=engineer)[0])) == {"Team one", "Public one"}
    assert _titles(library_search.list_steps(session=session, actor=outsider)[0]) == ["Public one"]


def test_get_invisible_is_not_found(session, team) -> None:
    owner, author, engineer, outsider = team
    private = make_step(session, author, visibility="private")
    team_step = make_step(session, author, visibility="team")
    with pytest.raises(NotFound):
        lib.get_step(session=session, actor=engineer, step_id=private.id)
    with pytest.raises(NotFound):
        lib.get_step(session=session, actor=outsider, step_id=team_step.id)
    with pytest.raises(NotFound):
        lib.get_step(session=session, actor=owner, step_id="not-a-uuid")
    assert lib.get_step(session=session, actor=engineer, step_id=team_step.id).title == "Check DNS"


def test_search_title_and_instructions_with_relevance(session, team) -> None:
    _, author, engineer, _ = team
    make_step(session, author, title="Restart the print spooler", instructions="services.msc then restart")
    make_step(session, author, title="Check DNS", instructions="Run nslookup; flush the dns cache")
    make_step(session, author, title="DNS DNS resolution on the firewall", instructions="dns dns settings")
    make_step(session, author, title="Unrelated", instructions="nothing here")
    items, total = library_search.list_steps(session=session, actor=engineer, q="dns")
    assert total == 2
    assert items[0].title == "DNS DNS resolution on the firewall"  # more hits rank first
    assert _titles(library_search.list_steps(session=session, actor=engineer, q="spool")[0]) == [
        "Restart the print spooler"
    ]  # prefix
    assert _titles(library_search.list_steps(session=session, actor=engineer, q="nslookup flush")[0]) == [
        "Check DNS"
    ]  # all words
    assert library_search.list_steps(session=session, actor=engineer, q="dns printer")[1] == 0
    assert library_search.list_steps(session=session, actor=engineer, q='"*)(-') == (
        [],
        0,
    )  # operators never break the query


def test_search_index_follows_updates_and_deletes(session, team) -> None:
    owner, author, engineer, _ = team
    step = lib.create_step(
        session=session, actor=author, title="Old title", step_type="action", content={"instructions": "zebra"}
    )
    assert library_search.list_steps(session=session, actor=author, q="zebra")[1] == 1
    lib.update_step(
        session=session,
        actor=author,
        step_id=step.id,
        changes={"title": "New title", "content": {"instructions": "giraffe"}},
    )
    assert library_search.list_steps(session=session, actor=author, q="zebra")[1] == 0
    assert library_search.list_steps(session=session, actor=author, q="giraffe")[1] == 1
    assert library_search.list_steps(session=session, actor=author, q="new")[1] == 1
    lib.delete_step(session=session, actor=author, step_id=step.id)
    assert library_search.list_steps(session=session, actor=author, q="giraffe")[1] == 0
    got = lib.get_step(session=session, actor=author, step_id=step.id)
    assert got.is_active is False


def test_filters_combine_and_paging_totals(session, team) -> None:
    owner, author, engineer, _ = team
    tree = make_tree(session, author, name="Wifi flow")
    cat = lib.create_category(session=session, actor=author, name="Network")
    for i in range(7):
        make_step(
            session,
            author,
            title=f"Wifi step {i}",
            step_type="action" if i % 2 == 0 else "solution",
            is_flow_synced=True,
            source_tree=tree,
            source_node_id=f"n{i}",
            group_label="Prep" if i < 3 else None,
        )
    for i in range(3):
        make_step(session, author, title=f"Manual wifi {i}", category_id=cat.id, visibility="public")
    items, total = library_search.list_steps(session=session, actor=engineer, is_flow_synced=True, limit=3, offset=0)
    assert total == 7
    assert len(items) == 3
    items2, _ = library_search.list_steps(session=session, actor=engineer, is_flow_synced=True, limit=3, offset=6)
    assert len(items2) == 1
    assert library_search.list_steps(session=session, actor=engineer, is_flow_synced=True, step_type="action")[1] == 4
    assert (
        library_search.list_steps(session=session, actor=engineer, source_tree_id=str(tree.id), group_label="Prep")[1]
        == 3
    )
    assert library_search.list_steps(session=session, actor=engineer, category_id=cat.id)[1] == 3
    assert (
        library_search.list_steps(session=session, actor=engineer, is_flow_synced=False, visibility="public", q="wifi")[
            1
        ]
        == 3
    )
    assert library_search.list_steps(session=session, actor=engineer, is_flow_synced=False, visibility="team")[1] == 0
    synced = library_search.list_steps(session=session, actor=engineer, is_flow_synced=True)[0][0]
    assert synced.source_tree_name == "Wifi flow"
    assert synced.can_edit is False
    assert lib.list_group_labels(session=session, actor=engineer) == ["Prep"]
    with pytest.raises(InvalidInput):
        library_search.list_steps(session=session, actor=engineer, sort="loudest")


def test_sorts(session, team) -> None:
    _, author, engineer, _ = team
    a = make_step(session, author, title="A", usage_count=5)
    b = make_step(session, author, title="B", usage_count=1)
    c = make_step(session, author, title="C", usage_count=3)
    lib.rate_step(session=session, actor=engineer, step_id=b.id, rating=5)
    lib.rate_step(session=session, actor=engineer, step_id=a.id, rating=2)
    assert _titles(library_search.list_steps(session=session, actor=engineer, sort="usage")[0]) == ["A", "C", "B"]
    assert _titles(library_search.list_steps(session=session, actor=engineer, sort="rating")[0]) == ["B", "A", "C"]
    assert _titles(library_search.list_steps(session=session, actor=engineer, sort="newest")[0])[0] in {"A", "B", "C"}
    assert c.id


def test_synced_steps_are_read_only_but_forkable(session, team) -> None:
    owner, author, engineer, _ = team
    tree = make_tree(session, author)
    synced = make_step(
        session, author, title="Reboot the AP", is_flow_synced=True, source_tree=tree, source_node_id="a_reboot"
    )
    for actor in (owner, author):
        with pytest.raises(Conflict, match="managed by its source flow — fork it to customise"):
            lib.update_step(session=session, actor=actor, step_id=synced.id, changes={"title": "x"})
        with pytest.raises(Conflict):
            lib.delete_step(session=session, actor=actor, step_id=synced.id)
    fork = lib.fork_step(session=session, actor=engineer, step_id=synced.id)
    assert (fork.is_flow_synced, fork.source_tree_id, fork.source_node_id, fork.created_by, fork.visibility) == (
        False,
        None,
        None,
        engineer.id,
        "private",
    )
    assert fork.can_edit
    assert fork.usage_count == 0
    assert fork.title == "Reboot the AP"
    edited = lib.update_step(session=session, actor=engineer, step_id=fork.id, changes={"title": "My reboot"})
    assert edited.title == "My reboot"
    assert lib.get_step(session=session, actor=engineer, step_id=synced.id).title == "Reboot the AP"


def test_manual_edit_permissions(session, team) -> None:
    owner, author, engineer, outsider = team
    step = lib.create_step(
        session=session,
        actor=engineer,
        title="Mine",
        step_type="action",
        content={"instructions": "do", "commands": "ipconfig /all"},
    )
    assert step.content["commands"] == [{"label": "", "command": "ipconfig /all", "command_type": None}]
    with pytest.raises(Forbidden):
        lib.update_step(session=session, actor=author, step_id=step.id, changes={"title": "theirs"})
    assert (
        lib.update_step(session=session, actor=owner, step_id=step.id, changes={"visibility": "public"}).visibility
        == "public"
    )
    with pytest.raises(NotFound):
        lib.delete_step(session=session, actor=outsider, step_id=step.id)
    with pytest.raises(InvalidInput):
        lib.update_step(session=session, actor=engineer, step_id=step.id, changes={"visibility": "world"})
    with pytest.raises(InvalidInput):
        lib.update_step(session=session, actor=engineer, step_id=step.id, changes={"title": "  "})
    with pytest.raises(InvalidInput):
        lib.create_step(session=session, actor=engineer, title="x", step_type="banana", content={})
    assert lib.get_step(session=session, actor=engineer, step_id=step.id).title == "Mine"


def test_soft_deleted_leaves_lists(session, team) -> None:
    _, author, engineer, _ = team
    step = lib.create_step(
        session=session, actor=author, title="Gone soon", step_type="action", content={"instructions": "x"}
    )
    lib.delete_step(session=session, actor=author, step_id=step.id)
    assert library_search.list_steps(session=session, actor=author)[1] == 0
    assert lib.get_step(session=session, actor=engineer, step_id=step.id).is_active is False


def test_rating_one_per_user_replaces(session, team) -> None:
    owner, author, engineer, _ = team
    step = make_step(session, author)
    assert lib.rate_step(session=session, actor=engineer, step_id=step.id, rating=2).rating_avg == 2
    out = lib.rate_step(session=session, actor=engineer, step_id=step.id, rating=4)
    assert (out.rating_avg, out.rating_count, out.my_rating) == (4, 1, 4)
    out = lib.rate_step(session=session, actor=owner, step_id=step.id, rating=5)
    assert (out.rating_avg, out.rating_count) == (4.5, 2)
    for bad in (0, 6, True, "3"):
        with pytest.raises(InvalidInput):
            lib.rate_step(session=session, actor=owner, step_id=step.id, rating=bad)


def test_categories(session, team) -> None:
    owner, author, engineer, outsider = team
    cat = lib.create_category(session=session, actor=author, name="Printers")
    with pytest.raises(Conflict):
        lib.create_category(session=session, actor=owner, name="printers")
    assert [c.name for c in lib.list_categories(session=session, actor=engineer)] == ["Printers"]
    assert lib.list_categories(session=session, actor=outsider) == []
    with pytest.raises(InvalidInput):
        lib.create_step(session=session, actor=outsider, title="x", step_type="action", content={}, category_id=cat.id)
