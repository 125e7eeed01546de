"""Categories as owners run them: create, rename, delete (steps kept), file any step, filter by it."""

from __future__ import annotations

from tests.factories import add_member, register
from tests.tree_helpers import troubleshooting

B = "/api/v1"


def test_categories_crud_and_assignment(api) -> None:
    owner = register(api)
    author = add_member(api, owner, role="author")
    engineer = add_member(api, owner, role="engineer")
    cat = api.post(f"{B}/step-categories", headers=owner["headers"], json={"name": "Networking"}).json()
    other = api.post(f"{B}/step-categories", headers=owner["headers"], json={"name": "Printers"}).json()
    assert (
        api.put(f"{B}/step-categories/{cat['id']}", headers=owner["headers"], json={"name": "printers"}).status_code
        == 409
    )
    assert (
        api.put(f"{B}/step-categories/{cat['id']}", headers=author["headers"], json={"name": "Net"}).status_code == 403
    )
    renamed = api.put(f"{B}/step-categories/{cat['id']}", headers=owner["headers"], json={"name": "Network & Wi-Fi"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Network & Wi-Fi"
    # A flow-synced step can be filed too (categories organise the account's library).
    tree = api.post(
        f"{B}/trees",
        headers=author["headers"],
        json={"name": "AP", "tree_type": "troubleshooting", "tree_structure": troubleshooting()},
    ).json()
    assert (
        api.put(f"{B}/trees/{tree['id']}", headers=author["headers"], json={"status": "published"}).status_code == 200
    )
    synced = api.get(f"{B}/steps", headers=author["headers"], params={"source_tree_id": tree["id"]}).json()["items"][0]
    assert (
        api.put(
            f"{B}/steps/{synced['id']}/category", headers=engineer["headers"], json={"category_id": cat["id"]}
        ).status_code
        == 403
    )
    filed = api.put(f"{B}/steps/{synced['id']}/category", headers=author["headers"], json={"category_id": cat["id"]})
    assert filed.status_code == 200
    listed = api.get(f"{B}/steps", headers=engineer["headers"], params={"category_id": cat["id"]}).json()["items"]
    assert [s["id"] for s in listed] == [synced["id"]]
    # Republishing keeps the filing.
    changed = troubleshooting()
    changed["nodes"][1]["title"] = "Reboot the access point"
    assert (
        api.put(f"{B}/trees/{tree['id']}", headers=author["headers"], json={"tree_structure": changed}).status_code
        == 200
    )
    assert [
        s["id"]
        for s in api.get(f"{B}/steps", headers=engineer["headers"], params={"category_id": cat["id"]}).json()["items"]
    ] == [synced["id"]]
    assert (
        api.put(
            f"{B}/steps/{synced['id']}/category",
            headers=author["headers"],
            json={"category_id": "00000000-0000-0000-0000-000000000000"},
        ).status_code
        == 404
    )
    # Deleting a category keeps its steps.
    assert api.delete(f"{B}/step-categories/{cat['id']}", headers=author["headers"]).status_code == 403
    assert api.delete(f"{B}/step-categories/{cat['id']}", headers=owner["headers"]).status_code == 204
    assert api.get(f"{B}/steps/{synced['id']}", headers=author["headers"]).status_code == 200
    assert [c["name"] for c in api.get(f"{B}/step-categories", headers=owner["headers"]).json()["items"]] == [
        other["name"]
    ]
    stranger = register(api)
    assert api.delete(f"{B}/step-categories/{other['id']}", headers=stranger["headers"]).status_code == 404
