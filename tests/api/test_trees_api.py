"""/api/v1/trees contract (API.md "Flows (trees)")."""

from tests.factories import add_member, register
from tests.tree_helpers import procedure, troubleshooting

B = "/api/v1"


def _create(api, who, **kw):
    body = {"name": "Wi-Fi AP offline", "tree_type": "troubleshooting", "tree_structure": troubleshooting(), **kw}
    resp = api.post(f"{B}/trees", headers=who["headers"], json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_create_get_list(api):
    owner = register(api)
    t = _create(api, owner, description="AP down")
    assert (t["status"], t["version"], t["is_public"], t["validation"]) == ("draft", 1, False, [])
    for key in (
        "id",
        "name",
        "description",
        "tree_type",
        "tree_structure",
        "is_active",
        "author_id",
        "account_id",
        "parent_tree_id",
        "fork_reason",
        "parent_updated_at",
        "has_parent_updates",
        "updated_at",
    ):
        assert key in t
    got = api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).json()
    assert got["tree_structure"] == troubleshooting()
    _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    lst = api.get(f"{B}/trees", headers=owner["headers"]).json()
    assert lst["total"] == 2
    assert len(lst["items"]) == 2
    assert api.get(f"{B}/trees?q=switch", headers=owner["headers"]).json()["total"] == 1
    assert api.get(f"{B}/trees?tree_type=procedural", headers=owner["headers"]).json()["total"] == 1
    assert api.get(f"{B}/trees?status=published", headers=owner["headers"]).json()["total"] == 0
    assert api.get(f"{B}/trees?author_id={owner['user']['id']}", headers=owner["headers"]).json()["total"] == 2
    page = api.get(f"{B}/trees?limit=1&offset=1", headers=owner["headers"]).json()
    assert page["total"] == 2
    assert len(page["items"]) == 1
    assert api.get(f"{B}/trees").status_code == 401


def test_bad_input(api):
    owner = register(api)
    h = owner["headers"]
    assert (
        api.post(f"{B}/trees", headers=h, json={"name": "x", "tree_type": "bogus", "tree_structure": {}}).status_code
        == 422
    )
    r = api.post(
        f"{B}/trees", headers=h, json={"name": "x", "tree_type": "troubleshooting", "tree_structure": {"nodes": 5}}
    )
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)
    assert api.post(
        f"{B}/trees",
        headers=h,
        content=b"{nope",
    ).status_code in (400, 422)
    assert api.get(f"{B}/trees/not-a-uuid", headers=h).status_code == 404
    t = _create(api, owner)
    assert api.put(f"{B}/trees/{t['id']}", headers=h, json={"status": "archived"}).status_code == 422
    assert api.put(f"{B}/trees/{t['id']}", headers=h, json={"name": ""}).status_code == 422


def test_publish_with_problems_is_422_listing_them(api):
    owner = register(api)
    s = troubleshooting()
    s["nodes"][0]["options"] = []
    t = _create(api, owner, tree_structure=s)
    assert any(p["node_id"] == "q_power" for p in t["validation"])
    r = api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json={"status": "published"})
    assert r.status_code == 422
    body = r.json()
    assert isinstance(body["detail"], str)
    assert any(p["node_id"] == "q_power" and p["message"] for p in body["problems"])
    assert api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).json()["status"] == "draft"


def test_publish_syncs_library_and_versions(api):
    owner = register(api)
    h = owner["headers"]
    t = _create(api, owner, name="Switch upgrade", tree_type="procedural", tree_structure=procedure())
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"status": "published"})
    assert r.status_code == 200
    assert r.json()["status"] == "published"
    assert r.json()["version"] == 1
    s = procedure()
    s["steps"][2]["title"] = "Call the customer"
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"tree_structure": s})
    assert r.json()["version"] == 2
    versions = api.get(f"{B}/trees/{t['id']}/versions", headers=h).json()
    assert versions["total"] == 2
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert {"version", "created_at", "created_by"} <= set(versions["items"][0])
    v1 = api.get(f"{B}/trees/{t['id']}/versions/1", headers=h).json()
    assert v1["version"] == 1
    assert v1["tree_structure"] == procedure()
    assert api.get(f"{B}/trees/{t['id']}/versions/7", headers=h).status_code == 404
    r = api.post(f"{B}/trees/{t['id']}/versions/1/restore", headers=h)
    assert r.status_code == 200
    assert r.json()["version"] == 3
    assert r.json()["tree_structure"] == procedure()


def test_visibility_and_roles(api):
    owner = register(api)
    engineer = add_member(api, owner, role="engineer")
    stranger = register(api, account_name="Other MSP")
    t = _create(api, owner)
    tid = t["id"]
    assert api.get(f"{B}/trees/{tid}", headers=engineer["headers"]).status_code == 200
    assert api.put(f"{B}/trees/{tid}", headers=engineer["headers"], json={"name": "x"}).status_code == 403
    assert (
        api.post(f"{B}/trees", headers=engineer["headers"], json={"name": "x", "tree_type": "procedural"}).status_code
        == 403
    )
    for call in (
        api.get(f"{B}/trees/{tid}", headers=stranger["headers"]),
        api.put(f"{B}/trees/{tid}", headers=stranger["headers"], json={"name": "x"}),
        api.delete(f"{B}/trees/{tid}", headers=stranger["headers"]),
        api.post(f"{B}/trees/{tid}/fork", headers=stranger["headers"], json={}),
        api.get(f"{B}/trees/{tid}/versions", headers=stranger["headers"]),
        api.get(f"{B}/trees/{tid}/export", headers=stranger["headers"]),
    ):
        assert call.status_code == 404
    assert api.get(f"{B}/trees", headers=stranger["headers"]).json()["total"] == 0
    api.put(f"{B}/trees/{tid}", headers=owner["headers"], json={"is_public": True, "status": "published"})
    assert api.get(f"{B}/trees/{tid}", headers=stranger["headers"]).status_code == 200
    assert api.get(f"{B}/trees", headers=stranger["headers"]).json()["total"] == 1
    assert api.put(f"{B}/trees/{tid}", headers=stranger["headers"], json={"name": "x"}).status_code == 404


def test_fork_flow(api):
    owner = register(api)
    stranger = register(api, account_name="Other MSP")
    t = _create(api, owner, is_public=True)
    api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json={"status": "published"})
    assert (
        api.post(f"{B}/trees/{t['id']}/fork", headers=stranger["headers"], json={"fork_reason": "x" * 256}).status_code
        == 422
    )
    r = api.post(f"{B}/trees/{t['id']}/fork", headers=stranger["headers"], json={"fork_reason": "Meraki steps"})
    assert r.status_code == 201
    fork = r.json()
    assert (fork["parent_tree_id"], fork["fork_reason"], fork["status"], fork["version"], fork["is_public"]) == (
        t["id"],
        "Meraki steps",
        "draft",
        1,
        False,
    )
    assert fork["account_id"] == stranger["account"]["id"]
    assert fork["has_parent_updates"] is False
    no_body = api.post(f"{B}/trees/{t['id']}/fork", headers=owner["headers"])
    assert no_body.status_code == 201
    assert no_body.json()["fork_reason"] is None
    forks = api.get(f"{B}/trees/{t['id']}/forks", headers=stranger["headers"]).json()
    assert forks["total"] == 1
    assert forks["items"][0]["id"] == fork["id"]
    api.put(f"{B}/trees/{t['id']}", headers=owner["headers"], json={"description": "updated"})
    assert api.get(f"{B}/trees/{fork['id']}", headers=stranger["headers"]).json()["has_parent_updates"] is True
    assert api.delete(f"{B}/trees/{t['id']}", headers=owner["headers"]).status_code == 204
    assert api.get(f"{B}/trees/{t['id']}", headers=owner["headers"]).status_code == 404
    orphan = api.get(f"{B}/trees/{fork['id']}", headers=stranger["headers"]).json()
    assert orphan["parent_tree_id"] is None
    assert orphan["has_parent_updates"] is False


def test_export_import(api):
    owner = register(api)
    other = register(api, account_name="Other MSP")
    t = _create(api, owner, description="desc")
    exp = api.get(f"{B}/trees/{t['id']}/export", headers=owner["headers"]).json()
    assert exp == {
        "format": "resolutionflow.tree",
        "format_version": 1,
        "tree": {
            "name": "Wi-Fi AP offline",
            "description": "desc",
            "tree_type": "troubleshooting",
            "tree_structure": troubleshooting(),
        },
    }
    r = api.post(f"{B}/trees/import", headers=other["headers"], json=exp)
    assert r.status_code == 201
    imp = r.json()
    assert imp["status"] == "draft"
    assert imp["author_id"] == other["user"]["id"]
    assert imp["account_id"] == other["account"]["id"]
    for junk, code in (
        (["x"], 400),
        ({"format": "zip"}, 400),
        (
            {
                "format": "resolutionflow.tree",
                "format_version": 1,
                "tree": {"name": "x", "tree_type": "procedural", "tree_structure": {"steps": "no"}},
            },
            422,
        ),
    ):
        r = api.post(f"{B}/trees/import", headers=other["headers"], json=junk)
        assert r.status_code == code
        assert isinstance(r.json()["detail"], str)
    assert (
        api.post(
            f"{B}/trees/import",
            headers=other["headers"],
            content=b"not json",
        ).status_code
        == 400
    )
    assert api.get(f"{B}/trees", headers=other["headers"]).json()["total"] == 1


def test_deactivate_and_unpublish(api):
    owner = register(api)
    t = _create(api, owner)
    h = owner["headers"]
    r = api.put(f"{B}/trees/{t['id']}", headers=h, json={"is_active": False})
    assert r.status_code == 200
    assert r.json()["is_active"] is False
    assert api.get(f"{B}/trees", headers=h).json()["total"] == 0
    assert api.get(f"{B}/trees?include_inactive=true", headers=h).json()["total"] == 1
    assert (
        api.put(f"{B}/trees/{t['id']}", headers=h, json={"is_active": True, "status": "published"}).json()["status"]
        == "published"
    )
    assert api.put(f"{B}/trees/{t['id']}", headers=h, json={"status": "draft"}).json()["status"] == "draft"
