"""SSRF guard: hostile URL table on every outbound path, pinning, redirects, caps, retries, header injection."""

from __future__ import annotations

import gzip
import socket
import time

import httpx
import pytest

from resolutionflow_app.integrations import http_guard, llm, webhooks
from resolutionflow_app.integrations.http_guard import (
    BlockedURLError,
    InvalidHeaderError,
    OutboundHTTPError,
    ResponseTooLargeError,
    check_url,
    fetch,
    make_client,
)
from resolutionflow_app.settings import get_settings
from tests.fakes._server import LoopbackServer, Request

LOOPBACK = ["127.0.0.0/8"]

DNS = {
    "public.example": ["93.184.216.34"],
    "public6.example": ["2606:4700:4700::1111"],
    "internal.example": ["10.0.0.5"],
    "corp.example": ["192.168.1.10"],
    "carrier.example": ["100.64.0.1"],
    "metadata.example": ["169.254.169.254"],
    "loopback.example": ["127.0.0.1"],
    "v6loop.example": ["::1"],
    "ula.example": ["fd00::1"],
    "mapped.example": ["::ffff:10.0.0.1"],
    "nat64.example": ["64:ff9b::a00:1"],
    "rebind.example": ["93.184.216.34", "127.0.0.1"],  # one bad answer taints the name
    "zero.example": ["0.0.0.0"],
}


def fake_resolver(host: str) -> list[str]:
    try:
        return list(DNS[host])
    except KeyError:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


def private_only_resolver(host: str) -> list[str]:
    if host.startswith("public"):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return fake_resolver(host)


HOSTILE_URLS = [
    # private and reserved IPv4
    "http://127.0.0.1/",
    "http://127.255.255.254:8080/admin",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://169.254.1.1/",  # link-local
    "http://0.0.0.0/",
    "http://198.18.0.1/",  # benchmarking
    "http://192.0.0.1/",
    "http://192.0.2.10/",  # documentation
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    # metadata endpoints
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://metadata.example/computeMetadata/v1/",
    # IPv6
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[ff02::1]/",
    "http://[2001:db8::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[fe80::1%25eth0]/",  # zone id
    # odd IPv4 notations
    "http://2130706433/",  # decimal
    "http://0x7f000001/",  # hex
    "http://0x7f.0x0.0x0.0x1/",
    "http://0177.0.0.1/",  # octal
    "http://017700000001/",
    "http://127.1/",  # short form
    "http://127.0.1/",
    "http://10.1/",
    "http://127.0.0.1./",
    "http://8.8.8.08/",  # leading zero: ambiguous even when public
    # localhost names
    "http://localhost/",
    "http://LOCALHOST:8000/",
    "http://localhost./",
    "http://api.localhost/",
    "http://localhost.localdomain/",
    # DNS names that resolve to private addresses
    "http://internal.example/",
    "http://corp.example/",
    "http://carrier.example/",
    "http://loopback.example/",
    "http://v6loop.example/",
    "http://ula.example/",
    "http://mapped.example/",
    "http://nat64.example/",
    "http://rebind.example/",
    "http://zero.example/",
    # userinfo, backslashes, whitespace
    "http://user:pass@public.example/",
    "http://public.example@127.0.0.1/",
    "http://@public.example/",
    "http://public.example\\@127.0.0.1/",
    "http:\\\\127.0.0.1\\",
    "http://public.example/\\..\\admin",
    " http://public.example/",
    "http://public.example/a b",
    "http://public.example/\r\nX-Injected: 1",
    # non-http schemes and broken URLs
    "file:///etc/passwd",
    "ftp://public.example/",
    "gopher://127.0.0.1:6379/_INFO",
    "dict://127.0.0.1:11211/",
    "javascript:alert(1)",
    "data:text/plain,hello",
    "//public.example/",
    "http:/public.example/",
    "public.example/path",
    "",
    "http:///path",
    "http://public.example:99999/",
]


def test_the_table_is_large_enough() -> None:
    assert len(HOSTILE_URLS) >= 40
    assert len(set(HOSTILE_URLS)) == len(HOSTILE_URLS)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_url_is_blocked_by_check_url(url: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        check_url(url, resolver=fake_resolver)
    assert str(info.value)  # a human message
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_hostile_url_is_blocked_on_every_outbound_path(url: str) -> None:
    with pytest.raises(BlockedURLError):
        await fetch("GET", url, resolver=fake_resolver, retries=0)
    with pytest.raises(BlockedURLError):
        await webhooks.deliver(
            url, "{}", secret="whsec_c2VjcmV0", idempotency_key="k", resolver=fake_resolver, retries=0
        )
    with pytest.raises(BlockedURLError):
        async with llm.OpenAICompatibleProvider(url, "key", resolver=fake_resolver, max_retries=0) as provider:
            await provider.complete(system_prompt="s", user_input="u", model="m")
    # A raw guarded client sees the URL after httpx normalised it (e.g. an empty "@" is dropped), so
    # public names resolve to nothing here: the request must fail without connecting anywhere.
    async with make_client(resolver=private_only_resolver) as client:
        with pytest.raises((OutboundHTTPError, httpx.UnsupportedProtocol, httpx.InvalidURL)):
            await client.get(url)


@pytest.mark.parametrize(
    "url,ip",
    [
        ("http://public.example/", "93.184.216.34"),
        ("https://public.example:8443/path?q=1", "93.184.216.34"),
        ("http://public6.example/", "2606:4700:4700::1111"),
        ("http://8.8.8.8/", "8.8.8.8"),
        ("https://1.1.1.1/dns-query", "1.1.1.1"),
        ("http://[2606:4700::1111]/", "2606:4700::1111"),
        ("HTTPS://PUBLIC.EXAMPLE/", "93.184.216.34"),
        ("http://public.example./", "93.184.216.34"),
    ],
)
def test_public_addresses_are_allowed(url: str, ip: str) -> None:
    target = check_url(url, resolver=fake_resolver)
    assert target.ip == ip
    assert target.scheme in ("http", "https")
    assert target.port in (80, 443, 8443)


def test_allowed_cidrs_open_only_that_network() -> None:
    assert check_url("http://10.0.0.1/", allowed_cidrs=["10.0.0.0/8"]).ip == "10.0.0.1"
    assert check_url("http://internal.example/", allowed_cidrs=["10.0.0.0/8"], resolver=fake_resolver).ip == "10.0.0.5"
    with pytest.raises(BlockedURLError):
        check_url("http://192.168.0.1/", allowed_cidrs=["10.0.0.0/8"])
    with pytest.raises(BlockedURLError):  # odd notations stay blocked even inside an allowed network
        check_url("http://10.1/", allowed_cidrs=["10.0.0.0/8"])


def test_setting_is_the_default_for_allowed_cidrs(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BlockedURLError):
        check_url("http://127.0.0.1:9/")
    monkeypatch.setenv("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8, 10.0.0.0/8")
    get_settings.cache_clear()
    try:
        assert check_url("http://127.0.0.1:9/").ip == "127.0.0.1"
        assert check_url("http://localhost:9/").ip == "127.0.0.1"
    finally:
        monkeypatch.delenv("RF_ALLOWED_INTERNAL_CIDRS")
        get_settings.cache_clear()
    with pytest.raises(BlockedURLError):
        check_url("http://127.0.0.1:9/")


def test_unresolvable_host_is_a_clear_error() -> None:
    with pytest.raises(OutboundHTTPError) as info:
        check_url("http://nowhere.example/", resolver=fake_resolver)
    assert not isinstance(info.value, BlockedURLError)
    assert "nowhere.example" in str(info.value)


# ---------------------------------------------------------------- real loopback server


class Scripted:
    """A loopback server whose answer per path is configured by the test."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.requests: list[Request] = []
        self.server = LoopbackServer(self._handle)

    def _handle(self, req: Request):
        self.requests.append(req)
        route = self.routes.get(req.path.split("?")[0], (404, {"Content-Type": "text/plain"}, b"not found"))
        return route(req) if callable(route) else route

    def __enter__(self) -> Scripted:
        self.server.start()
        self.origin = self.server.origin
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


@pytest.fixture
def srv():
    with Scripted() as s:
        yield s


async def test_loopback_server_is_blocked_by_default(srv: Scripted) -> None:
    srv.routes["/ok"] = (200, {"Content-Type": "text/plain"}, b"hello")
    with pytest.raises(BlockedURLError):
        await fetch("GET", f"{srv.origin}/ok", retries=0)
    assert srv.requests == []
    result = await fetch("GET", f"{srv.origin}/ok", allowed_cidrs=LOOPBACK)
    assert result.status_code == 200
    assert result.text == "hello"
    assert not result.is_binary


async def test_connection_goes_to_the_pinned_ip_with_the_original_host_header(srv: Scripted) -> None:
    calls: list[str] = []

    def resolver(host: str) -> list[str]:
        calls.append(host)
        # first answer is checked and pinned; a rebinding second answer must never be used
        return ["127.0.0.1"] if len(calls) == 1 else ["10.9.9.9"]

    srv.routes["/who"] = lambda req: (200, {"Content-Type": "text/plain"}, req.headers["host"].encode())
    result = await fetch("GET", f"http://service.test:{srv.server.port}/who", resolver=resolver, allowed_cidrs=LOOPBACK)
    assert result.text == f"service.test:{srv.server.port}"
    assert calls == ["service.test"]  # resolved exactly once


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::1]/",
        "http://internal.example/",
        "http://2130706433/",
        "http://127.0.0.2/",  # loopback, but outside the 127.0.0.1/32 the first hop was allowed
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_x",
    ],
)
async def test_redirect_to_private_address_is_blocked(srv: Scripted, location: str) -> None:
    srv.routes["/redirect"] = (302, {"Location": location}, b"")
    with pytest.raises((BlockedURLError, httpx.UnsupportedProtocol)):
        async with make_client(resolver=fake_resolver, allowed_cidrs=["127.0.0.1/32"]) as client:
            await client.get(f"{srv.origin}/redirect")
    with pytest.raises(OutboundHTTPError):
        await fetch("GET", f"{srv.origin}/redirect", resolver=fake_resolver, allowed_cidrs=["127.0.0.1/32"], retries=0)
    assert [r.path for r in srv.requests] == ["/redirect", "/redirect"]


async def test_redirects_are_followed_up_to_five_hops(srv: Scripted) -> None:
    for i in range(7):
        srv.routes[f"/hop{i}"] = (302, {"Location": f"/hop{i + 1}"}, b"")
    srv.routes["/hop7"] = (200, {"Content-Type": "text/plain"}, b"arrived")
    srv.routes["/hop2"] = (302, {"Location": "/final"}, b"")
    srv.routes["/final"] = (200, {"Content-Type": "text/plain"}, b"arrived")
    ok = await fetch("GET", f"{srv.origin}/hop0", allowed_cidrs=LOOPBACK)
    assert ok.text == "arrived"
    srv.routes["/hop2"] = (302, {"Location": "/hop3"}, b"")
    with pytest.raises(OutboundHTTPError, match="redirected more than 5"):
        await fetch("GET", f"{srv.origin}/hop0", allowed_cidrs=LOOPBACK)


async def test_body_cap_by_content_length(srv: Scripted) -> None:
    srv.routes["/big"] = (200, {"Content-Type": "application/octet-stream"}, b"x" * 5000)
    with pytest.raises(ResponseTooLargeError):
        await fetch("GET", f"{srv.origin}/big", allowed_cidrs=LOOPBACK, max_body_bytes=4000)
    ok = await fetch("GET", f"{srv.origin}/big", allowed_cidrs=LOOPBACK, max_body_bytes=5000)
    assert ok.is_binary
    assert ok.text is None
    assert len(ok.content) == 5000


async def test_body_cap_without_content_length_in_the_transport(srv: Scripted) -> None:
    data = b"y" * 5000
    chunked = (
        b"".join(b"%x\r\n%s\r\n" % (len(data[i : i + 1000]), data[i : i + 1000]) for i in range(0, 5000, 1000))
        + b"0\r\n\r\n"
    )
    srv.routes["/chunked"] = (
        200,
        {"Content-Type": "text/plain", "Transfer-Encoding": "chunked", "Content-Length": ""},
        chunked,
    )
    async with make_client(allowed_cidrs=LOOPBACK, max_body_bytes=2500) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.get(f"{srv.origin}/chunked")
    async with make_client(allowed_cidrs=LOOPBACK, max_body_bytes=5000) as client:
        assert (await client.get(f"{srv.origin}/chunked")).content == data


def test_guarded_transport_is_an_httpx_transport() -> None:
    assert issubclass(http_guard.GuardedTransport, httpx.AsyncBaseTransport)
    client = make_client()
    assert isinstance(client._transport, http_guard.GuardedTransport)
    assert client.max_redirects == 5
    assert client.follow_redirects


async def test_body_cap_applies_to_the_decompressed_body(srv: Scripted) -> None:
    bomb = gzip.compress(b"\0" * 200_000)
    srv.routes["/bomb"] = (200, {"Content-Type": "text/plain", "Content-Encoding": "gzip"}, bomb)
    assert len(bomb) < 10_000
    with pytest.raises(ResponseTooLargeError):
        await fetch("GET", f"{srv.origin}/bomb", allowed_cidrs=LOOPBACK, max_body_bytes=50_000)


async def test_default_body_cap_is_one_megabyte(srv: Scripted) -> None:
    assert get_settings().http_max_body_bytes == 1_000_000
    srv.routes["/mb"] = (200, {"Content-Type": "text/plain"}, b"a" * 1_000_001)
    with pytest.raises(ResponseTooLargeError):
        await fetch("GET", f"{srv.origin}/mb", allowed_cidrs=LOOPBACK)


async def test_timeout_gives_a_clear_error(srv: Scripted) -> None:
    def slow(req: Request):
        time.sleep(1.5)
        return 200, {"Content-Type": "text/plain"}, b"late"

    srv.routes["/slow"] = slow
    with pytest.raises(OutboundHTTPError, match="seconds"):
        await fetch("GET", f"{srv.origin}/slow", allowed_cidrs=LOOPBACK, timeout=0.2, retries=0)
    assert get_settings().http_timeout_seconds == 30


async def test_retries_on_5xx_then_succeeds(srv: Scripted) -> None:
    answers = [
        (503, {}, b"busy"),
        (502, {}, b"bad gateway"),
        (200, {"Content-Type": "application/json"}, b'{"ok": true}'),
    ]
    srv.routes["/flaky"] = lambda req: answers.pop(0)
    result = await fetch("POST", f"{srv.origin}/flaky", json_body={"a": 1}, allowed_cidrs=LOOPBACK, backoff=(0, 0, 0))
    assert result.status_code == 200
    assert result.text == '{"ok": true}'
    assert len(srv.requests) == 3
    assert all(r.json() == {"a": 1} for r in srv.requests)


async def test_retries_give_up_with_a_clear_error(srv: Scripted) -> None:
    srv.routes["/down"] = (500, {}, b"no")
    with pytest.raises(OutboundHTTPError, match="after 4 attempt") as info:
        await fetch("GET", f"{srv.origin}/down", allowed_cidrs=LOOPBACK, backoff=(0, 0, 0))
    assert info.value.status_code == 500
    assert len(srv.requests) == 4  # 1 + 3 retries


async def test_client_errors_are_not_retried(srv: Scripted) -> None:
    srv.routes["/missing"] = (404, {"Content-Type": "text/plain"}, b"nope")
    with pytest.raises(OutboundHTTPError, match="404"):
        await fetch("GET", f"{srv.origin}/missing", allowed_cidrs=LOOPBACK, backoff=(0, 0, 0))
    assert len(srv.requests) == 1
    result = await fetch("GET", f"{srv.origin}/missing", allowed_cidrs=LOOPBACK, raise_for_status=False)
    assert result.status_code == 404
    assert not result.ok


async def test_network_errors_are_retried() -> None:
    # a closed port on loopback: connection refused each time
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(OutboundHTTPError, match="after 3 attempt"):
        await fetch("GET", f"http://127.0.0.1:{port}/", allowed_cidrs=LOOPBACK, retries=2, backoff=(0, 0))


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "internal.example"},
        {"host": "x"},
        {"Connection": "close"},
        {"Content-Length": "0"},
        {"Transfer-Encoding": "chunked"},
        {"X-Token": "abc\r\nX-Injected: 1"},
        {"X-Token": "abc\nX-Injected: 1"},
        {"X-Bad\r\nName": "1"},
        {"X Bad": "1"},
        {"": "1"},
    ],
)
async def test_header_injection_is_rejected(srv: Scripted, headers: dict[str, str]) -> None:
    srv.routes["/h"] = (200, {}, b"ok")
    with pytest.raises(InvalidHeaderError):
        await fetch("GET", f"{srv.origin}/h", headers=headers, allowed_cidrs=LOOPBACK)
    assert srv.requests == []


async def test_allowed_headers_are_sent(srv: Scripted) -> None:
    srv.routes["/h"] = lambda req: (
        200,
        {"Content-Type": "application/json"},
        req.headers.get("authorization", "").encode(),
    )
    result = await fetch("GET", f"{srv.origin}/h", headers={"Authorization": "Bearer t0ken"}, allowed_cidrs=LOOPBACK)
    assert result.text == "Bearer t0ken"


async def test_text_and_binary_bodies(srv: Scripted) -> None:
    srv.routes["/json"] = (200, {"Content-Type": "application/json; charset=utf-8"}, '{"å": 1}'.encode())
    srv.routes["/png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n\x00\x00")
    srv.routes["/latin"] = (200, {"Content-Type": "text/plain; charset=iso-8859-1"}, "café".encode("latin-1"))
    assert (await fetch("GET", f"{srv.origin}/json", allowed_cidrs=LOOPBACK)).text == '{"å": 1}'
    png = await fetch("GET", f"{srv.origin}/png", allowed_cidrs=LOOPBACK)
    assert png.is_binary
    assert png.text is None
    assert png.content.startswith(b"\x89PNG")
    assert (await fetch("GET", f"{srv.origin}/latin", allowed_cidrs=LOOPBACK)).text == "café"


def test_safe_url_hides_query_and_credentials() -> None:
    assert http_guard.safe_url("https://u:p@example.com:8443/a?token=secret#x") == "https://example.com:8443/a"


# ---------------------------------------------------------------- robustness

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(lambda host, path: f"http://{host}/{path}", st.text(max_size=30), st.text(max_size=10)),
        st.builds(lambda host: f"https://[{host}]:443/", st.text(alphabet="0123456789abcdef:.%", max_size=30)),
    )
)
def test_any_input_is_either_checked_or_rejected_cleanly(url: str) -> None:
    def resolver(host: str) -> list[str]:
        return ["10.0.0.1"]  # every name is internal: nothing arbitrary may pass

    try:
        target = check_url(url, resolver=resolver)
    except OutboundHTTPError as exc:
        assert exc.message
    else:
        assert http_guard.blocked_reason(__import__("ipaddress").ip_address(target.ip)) is None
