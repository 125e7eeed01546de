"""The one SSRF-guarded outbound HTTP client: strict URL parsing, DNS resolved once, pinned connections, caps."""

from __future__ import annotations

import contextvars
import ipaddress
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from resolutionflow_app.settings import get_settings

Resolver = Callable[[str], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_REDIRECTS = 5
ALLOWED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
# Headers a configuration may never set: they would let a user smuggle or reframe requests.
BLOCKED_HEADERS = frozenset(
    {
        "host",
        "connection",
        "content-length",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
    }
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_STRICT_OCTET = re.compile(r"^(0|[1-9][0-9]{0,2})$")
LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_LOOPBACK_ANSWER = ["127.0.0.1"]  # localhost names never reach DNS

# Everything that is not a plain public unicast address. `ipaddress.is_global` alone misses some
# of these on Python 3.11 (NAT64, IPv4-compatible, 6to4), so the list is explicit.
_BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::/96",  # unspecified, loopback and IPv4-compatible addresses
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b::/96",
        "64:ff9b:1::/48",  # NAT64
        "100::/64",
        "2001::/32",
        "2001:2::/48",
        "2001:10::/28",
        "2001:20::/28",
        "2001:db8::/32",
        "2002::/16",  # 6to4 embeds an IPv4 address
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


class OutboundHTTPError(Exception):
    """An outbound request failed; the message is safe to show to the user."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class BlockedURLError(OutboundHTTPError, ValueError):
    """The URL is not allowed (bad scheme, ambiguous form, or a private/reserved address)."""


class InvalidHeaderError(OutboundHTTPError, ValueError):
    """A configured header is forbidden or malformed (header injection)."""


class ResponseTooLargeError(OutboundHTTPError):
    """The response body went over the configured cap."""


@dataclass(frozen=True)
class PinnedTarget:
    """A checked URL and the single IP address the connection must go to."""

    scheme: str
    host: str
    port: int
    ip: str
    url: str


@dataclass
class HTTPResult:
    """A completed outbound response: text for textual bodies, bytes always."""

    status_code: int
    content_type: str
    text: str | None
    content: bytes
    is_binary: bool
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""

    @property
    def ok(self) -> bool:
        """True for 2xx/3xx answers."""
        return self.status_code < 400


# ---------------------------------------------------------------- address rules


def default_resolver(host: str) -> list[str]:
    """Resolve a hostname with the system resolver (every A/AAAA answer)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


def parse_cidrs(cidrs: Iterable[str] | str | None) -> list[IPNetwork]:
    """The allowed internal networks: the given ones, else `RF_ALLOWED_INTERNAL_CIDRS`."""
    if cidrs is None:
        items: Iterable[str] = get_settings().cidr_list()
    elif isinstance(cidrs, str):
        items = [c.strip() for c in cidrs.split(",") if c.strip()]
    else:
        items = cidrs
    networks: list[IPNetwork] = []
    for cidr in items:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{cidr!r} in RF_ALLOWED_INTERNAL_CIDRS / allowed_cidrs is not a valid CIDR.") from None
    return networks


def blocked_reason(ip: IPAddress) -> str | None:
    """Why an address may not be reached by default, or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if ip in ipaddress.ip_network("64:ff9b::/96") or ip in ipaddress.ip_network("64:ff9b:1::/48"):
            return "a NAT64 address"
    for net in _BLOCKED_NETWORKS:
        if ip.version == net.version and ip in net:
            return f"a private or reserved address ({net})"
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local:
        return "a non-public address"
    return None


def _allowed(ip: IPAddress, allowed: list[IPNetwork]) -> bool:
    return any(ip.version == net.version and ip in net for net in allowed)


def _check_ip(host: str, ip: IPAddress, allowed: list[IPNetwork]) -> None:
    if _allowed(ip, allowed):
        return
    reason = blocked_reason(ip)
    if reason:
        shown = host if host == str(ip) else f"{host} ({ip})"
        raise BlockedURLError(f"Requests to {shown} are not allowed: it is {reason}.")


def _split_url(url: str) -> tuple[str, str, int, bool]:
    """Strictly parse a URL: (scheme, raw host, port, host_is_ip_literal); raises BlockedURLError."""
    if not isinstance(url, str) or not url:
        raise BlockedURLError("The URL is empty.")
    if len(url) > 8000:
        raise BlockedURLError("The URL is too long.")
    if "\\" in url:
        raise BlockedURLError("The URL contains a backslash, which parsers disagree on.")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise BlockedURLError("The URL contains whitespace or control characters.")
    scheme, sep, _rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise BlockedURLError("Only http:// and https:// URLs are allowed.")
    try:
        parts = urlsplit(url)
        port_from_split = parts.port
    except ValueError as exc:
        raise BlockedURLError(f"The URL cannot be parsed: {exc}.") from None
    if "@" in parts.netloc:
        raise BlockedURLError("URLs with credentials (user@host) are not allowed; use a header instead.")
    try:
        parsed = httpx.URL(url)
    except Exception as exc:  # noqa: BLE001 - httpx.InvalidURL and friends
        raise BlockedURLError(f"The URL cannot be parsed: {exc}.") from None
    if parsed.userinfo:
        raise BlockedURLError("URLs with credentials (user@host) are not allowed; use a header instead.")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise BlockedURLError("The URL has no host.")
    split_host = (parts.hostname or "").lower()
    if split_host.isascii() and split_host != host:
        raise BlockedURLError("The URL's host is ambiguous.")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if port_from_split is not None and port_from_split != port:
        raise BlockedURLError("The URL's port is ambiguous.")
    if not 0 < port < 65536:
        raise BlockedURLError("The URL's port is out of range.")
    if ":" in host:  # IPv6 literal
        if "%" in host:
            raise BlockedURLError("IPv6 zone identifiers are not allowed in URLs.")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise BlockedURLError("The URL's IPv6 address is malformed.") from None
        return parsed.scheme, host, port, True
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # Browsers and resolvers read decimal/octal/hex/short forms as IPv4 (2130706433, 0x7f.1,
        # 0177.0.0.1, 127.1): accept only the canonical dotted quad.
        if host.endswith(".") or len(labels) != 4 or not all(_STRICT_OCTET.match(p) and int(p) <= 255 for p in labels):
            raise BlockedURLError(
                f"The host {host!r} uses an ambiguous IP address notation; write a plain a.b.c.d address."
            )
        return parsed.scheme, host, port, True
    return parsed.scheme, host, port, False


def _resolve_host(host: str, is_ip: bool, allowed: list[IPNetwork], resolver: Resolver | None) -> str:
    """Check a host and return the one IP to connect to."""
    if is_ip:
        ip = ipaddress.ip_address(host)
        _check_ip(host, ip, allowed)
        return str(ip)
    name = host.rstrip(".")
    if name in LOCALHOST_NAMES or name.endswith(".localhost"):
        answers = list(_LOOPBACK_ANSWER)
    else:
        try:
            answers = list((resolver or default_resolver)(name))
        except (OSError, UnicodeError) as exc:
            raise OutboundHTTPError(f"Could not resolve the host {name}: {exc}.") from None
    if not answers:
        raise OutboundHTTPError(f"Could not resolve the host {name}.")
    ips: list[IPAddress] = []
    for answer in answers:
        try:
            ips.append(ipaddress.ip_address(str(answer).split("%", 1)[0]))
        except ValueError:
            raise BlockedURLError(f"The host {name} resolved to something that is not an IP address.") from None
    for ip in ips:  # every answer must be acceptable, or a rebinding answer could slip through
        _check_ip(name, ip, allowed)
    return str(ips[0])


def check_url(
    url: str, *, allowed_cidrs: Iterable[str] | str | None = None, resolver: Resolver | None = None
) -> PinnedTarget:
    """Validate a URL, resolve its host once and return where to connect.

    Args:
        url: the absolute http(s) URL.
        allowed_cidrs: private networks that may be reached; None means `RF_ALLOWED_INTERNAL_CIDRS`.
        resolver: hostname -> list of IP strings (default: the system resolver).

    Returns:
        The pinned target (scheme, host, port, ip, url).

    Raises:
        BlockedURLError: the URL is malformed, ambiguous or points to a non-public address.
        OutboundHTTPError: the host could not be resolved.
    """
    scheme, host, port, is_ip = _split_url(url)
    ip = _resolve_host(host, is_ip, parse_cidrs(allowed_cidrs), resolver)
    return PinnedTarget(scheme=scheme, host=host, port=port, ip=ip, url=url)


def check_url_syntax(url: str, *, allowed_cidrs: Iterable[str] | str | None = None) -> str:
    """The save-time check of an outbound URL: scheme, syntax, credentials and literal addresses, no DNS.

    Saving a configuration must not depend on DNS at that moment (a host that resolves later, or
    a machine without outbound DNS); `check_url` resolves and pins at call time.

    Args:
        url: the absolute http(s) URL to store.
        allowed_cidrs: private networks that may be reached; None means `RF_ALLOWED_INTERNAL_CIDRS`.

    Returns:
        The URL, stripped.

    Raises:
        BlockedURLError: malformed, ambiguous, with credentials, or a literal non-public address.
    """
    url = (url or "").strip()
    _scheme, host, _port, is_ip = _split_url(url)
    allowed = parse_cidrs(allowed_cidrs)
    if is_ip:
        _check_ip(host, ipaddress.ip_address(host), allowed)
    elif host.rstrip(".") in LOCALHOST_NAMES or host.rstrip(".").endswith(".localhost"):
        for answer in _LOOPBACK_ANSWER:
            _check_ip(host, ipaddress.ip_address(answer), allowed)
    return url


def check_templated_url_syntax(url: str, *, allowed_cidrs: Iterable[str] | str | None = None) -> str:
    """`check_url_syntax` for a URL that may hold `{{variables}}`: the fixed scheme and host are
    checked now; a host that comes from a variable is checked (with DNS) when the step runs."""
    url = (url or "").strip()
    if "{{" not in url:
        return check_url_syntax(url, allowed_cidrs=allowed_cidrs)
    fixed = url.split("{{", 1)[0]
    scheme, sep, rest = fixed.partition("://")
    if not sep:
        if fixed.strip():
            raise BlockedURLError("Only http:// and https:// URLs are allowed.")
        return url  # the whole URL comes from a variable
    if scheme.lower() not in ("http", "https"):
        raise BlockedURLError("Only http:// and https:// URLs are allowed.")
    if "/" in rest:  # the host part ended before the first variable
        check_url_syntax(f"{scheme}://{rest.split('/', 1)[0]}/", allowed_cidrs=allowed_cidrs)
    return url


def validate_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the headers as str -> str, rejecting forbidden names and CR/LF/NUL (header injection).

    Raises:
        InvalidHeaderError: with a message naming the header.
    """
    clean: dict[str, str] = {}
    for name, value in (headers or {}).items():
        name = str(name)
        if not _HEADER_NAME.match(name):
            raise InvalidHeaderError(f"The header name {name!r} is not valid.")
        if name.lower() in BLOCKED_HEADERS:
            raise InvalidHeaderError(f"The header {name!r} cannot be set on outbound requests.")
        text = "" if value is None else str(value)
        if any(ch in text for ch in "\r\n\x00"):
            raise InvalidHeaderError(f"The value of header {name!r} contains a line break or NUL character.")
        clean[name] = text
    return clean


def safe_url(url: str) -> str:
    """The URL without query string, fragment or credentials, for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    except ValueError:
        return "<invalid URL>"


# ---------------------------------------------------------------- pinned transport

# host -> checked IP, set by the transport for the request being sent in this task.
_PINS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("rf_http_pins", default=None)


class _Guard:
    """Check configuration shared by a transport and its network backend."""

    def __init__(self, resolver: Resolver | None, allowed_cidrs: Iterable[str] | str | None) -> None:
        self.resolver = resolver
        self.allowed = parse_cidrs(allowed_cidrs)

    async def check(self, url: str) -> PinnedTarget:
        scheme, host, port, is_ip = _split_url(url)
        if is_ip:
            ip = _resolve_host(host, True, self.allowed, None)
        else:
            ip = await anyio.to_thread.run_sync(_resolve_host, host, False, self.allowed, self.resolver)
        return PinnedTarget(scheme=scheme, host=host, port=port, ip=ip, url=url)

    async def ip_for(self, host: str) -> str:
        host = host.lower()
        pinned = (_PINS.get() or {}).get(host)
        if pinned is not None:
            return pinned
        # A connection opened outside a guarded request: check it from scratch.
        is_ip = ":" in host
        if not is_ip:
            labels = host.rstrip(".").split(".")
            is_ip = len(labels) == 4 and all(_STRICT_OCTET.match(p) for p in labels)
            if not is_ip and _NUMERIC_LABEL.match(labels[-1]):
                raise BlockedURLError(f"The host {host!r} uses an ambiguous IP address notation.")
        return await anyio.to_thread.run_sync(_resolve_host, host, is_ip, self.allowed, self.resolver)


def _build_transport(httpx_mod: Any, httpcore_mod: Any) -> type:
    """Build the guarded transport class for one httpx flavour (httpx, or httpx2 used by openai/mcp)."""
    ssl_cache: list[ssl.SSLContext] = []  # one default context per flavour (loading CAs is slow)

    class PinningBackend(httpcore_mod.AsyncNetworkBackend):
        """Connects to the address the guard checked, never to a fresh DNS answer."""

        def __init__(self, guard: _Guard) -> None:
            self._guard = guard
            self._inner = httpcore_mod.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> Any:
            ip = await self._guard.ip_for(host)
            return await self._inner.connect_tcp(
                ip, port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )

        async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
            raise BlockedURLError("Unix sockets are not allowed.")

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    class CappedStream(httpx_mod.AsyncByteStream):
        """Raises ResponseTooLargeError once more than `limit` bytes arrived."""

        def __init__(self, stream: Any, limit: int, url: str) -> None:
            self._stream, self._limit, self._url = stream, limit, url

        async def __aiter__(self):  # type: ignore[override]
            total = 0
            async for chunk in self._stream:
                total += len(chunk)
                if total > self._limit:
                    raise ResponseTooLargeError(f"The response from {self._url} is larger than {self._limit} bytes.")
                yield chunk

        async def aclose(self) -> None:
            await self._stream.aclose()

    class Transport(httpx_mod.AsyncBaseTransport):
        """Validates and pins every request (each redirect hop passes here again) and caps bodies."""

        def __init__(
            self,
            *,
            resolver: Resolver | None = None,
            allowed_cidrs: Iterable[str] | str | None = None,
            max_body_bytes: int | None = None,
            verify: Any = True,
        ) -> None:
            self.guard = _Guard(resolver, allowed_cidrs)
            self.max_body_bytes = max_body_bytes or get_settings().http_max_body_bytes
            if verify is True:
                if not ssl_cache:
                    ssl_cache.append(httpx_mod.create_ssl_context(verify=True, trust_env=False))
                verify = ssl_cache[0]
            elif not isinstance(verify, ssl.SSLContext):
                verify = httpx_mod.create_ssl_context(verify=verify, trust_env=False)
            inner = httpx_mod.AsyncHTTPTransport(verify=verify, trust_env=False)
            # Same pool httpx would build, but with the pinning network backend. TLS still uses
            # the URL's hostname for SNI and certificate checks (httpcore passes it to start_tls).
            inner._pool = httpcore_mod.AsyncConnectionPool(
                ssl_context=verify,
                max_connections=100,
                max_keepalive_connections=20,
                keepalive_expiry=5.0,
                network_backend=PinningBackend(self.guard),
            )
            self._inner = inner

        async def handle_async_request(self, request: Any) -> Any:
            url = str(request.url)
            target = await self.guard.check(url)
            pins = dict(_PINS.get() or {})
            pins[request.url.raw_host.decode("ascii").lower()] = target.ip
            token = _PINS.set(pins)
            try:
                response = await self._inner.handle_async_request(request)
            finally:
                _PINS.reset(token)
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > self.max_body_bytes:
                await response.aclose()
                raise ResponseTooLargeError(
                    f"The response from {safe_url(url)} is larger than {self.max_body_bytes} bytes."
                )
            return httpx_mod.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=CappedStream(response.stream, self.max_body_bytes, safe_url(url)),
                extensions=response.extensions,
            )

        async def aclose(self) -> None:
            await self._inner.aclose()

    return Transport


class GuardedTransport(_build_transport(httpx, httpcore)):  # type: ignore[misc]
    """httpx transport: SSRF checks + DNS pinning on every request and redirect hop, body cap.

    Keyword args: resolver, allowed_cidrs (None = RF_ALLOWED_INTERNAL_CIDRS), max_body_bytes.
    """


_GuardedTransport2: type | None = None


def guarded_transport_httpx2(**kwargs: Any) -> Any:
    """The same guarded transport for `httpx2` clients (the flavour the openai and mcp SDKs use)."""
    global _GuardedTransport2
    if _GuardedTransport2 is None:
        import httpcore2  # noqa: PLC0415
        import httpx2  # noqa: PLC0415

        _GuardedTransport2 = _build_transport(httpx2, httpcore2)
    return _GuardedTransport2(**kwargs)


def _timeout(timeout: float | None) -> float:
    return float(timeout if timeout is not None else get_settings().http_timeout_seconds)


def make_client(
    *,
    resolver: Resolver | None = None,
    allowed_cidrs: Iterable[str] | str | None = None,
    timeout: float | None = None,
    max_body_bytes: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """An httpx.AsyncClient whose every request (and redirect, max 5) goes through GuardedTransport."""
    return httpx.AsyncClient(
        transport=GuardedTransport(resolver=resolver, allowed_cidrs=allowed_cidrs, max_body_bytes=max_body_bytes),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(_timeout(timeout)),
        trust_env=False,
        headers=dict(headers or {}),
    )


def make_client_httpx2(
    *,
    resolver: Resolver | None = None,
    allowed_cidrs: Iterable[str] | str | None = None,
    timeout: float | None = None,
    max_body_bytes: int | None = None,
    headers: Mapping[str, str] | None = None,
    auth: Any = None,
) -> Any:
    """An httpx2.AsyncClient with the same guard (for SDKs built on httpx2, e.g. mcp)."""
    import httpx2  # noqa: PLC0415

    return httpx2.AsyncClient(
        transport=guarded_transport_httpx2(
            resolver=resolver, allowed_cidrs=allowed_cidrs, max_body_bytes=max_body_bytes
        ),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx2.Timeout(_timeout(timeout)),
        trust_env=False,
        headers=dict(headers or {}),
        auth=auth,
    )


# ---------------------------------------------------------------- fetch

_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/x-ndjson",
    "application/yaml",
    "application/x-yaml",
)


def _decode(content: bytes, content_type: str) -> tuple[str | None, bool]:
    """(text, is_binary) for a body: text/*, JSON and XML types become text, the rest bytes."""
    mime = content_type.split(";", 1)[0].strip().lower()
    charset = "utf-8"
    match = re.search(r"charset=([\w.-]+)", content_type, re.IGNORECASE)
    if match:
        charset = match.group(1)
    textual = mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith("+json") or mime.endswith("+xml")
    if textual or not mime:
        try:
            return content.decode(charset), False
        except (UnicodeDecodeError, LookupError):
            if textual:
                return content.decode("utf-8", errors="replace"), False
    return None, True


async def fetch(
    method: str,
    url: str,
    *,
    headers: Mapping[str, Any] | None = None,
    content: bytes | str | None = None,
    json_body: Any = None,
    retries: int = 3,
    backoff: tuple[float, ...] = (1, 2, 4),
    client: httpx.AsyncClient | None = None,
    timeout: float | None = None,
    raise_for_status: bool = True,
    resolver: Resolver | None = None,
    allowed_cidrs: Iterable[str] | str | None = None,
    max_body_bytes: int | None = None,
) -> HTTPResult:
    """Send one guarded request with retries on network errors, 429 and 5xx.

    Args:
        method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.
        url: absolute http(s) URL (checked, and every redirect hop re-checked).
        headers: extra headers (validated against the injection blocklist).
        content: raw body; json_body: a JSON-serialisable body (sets Content-Type).
        retries: extra attempts after the first; backoff: seconds to wait before each retry.
        client: a client from `make_client` (one is created and closed otherwise).
        timeout: total seconds per attempt (default RF_HTTP_TIMEOUT_SECONDS, never more).
        raise_for_status: raise OutboundHTTPError for 4xx/5xx answers (else return them).
        resolver, allowed_cidrs, max_body_bytes: passed to `make_client` when no client is given.

    Returns:
        HTTPResult with text for textual bodies and `is_binary` for the rest.

    Raises:
        BlockedURLError, InvalidHeaderError: the request is not allowed (never retried).
        ResponseTooLargeError: the body went over the cap.
        OutboundHTTPError: network failure or error status after the retries.
    """
    method = method.upper()
    if method not in ALLOWED_METHODS:
        raise OutboundHTTPError(f"The HTTP method {method!r} is not supported.")
    clean_headers = validate_headers(headers)
    _split_url(url)  # fail fast on malformed URLs, before any retry
    limit = max_body_bytes or get_settings().http_max_body_bytes
    settings_timeout = get_settings().http_timeout_seconds
    total_timeout = min(float(timeout), settings_timeout) if timeout else settings_timeout
    shown = f"{method} {safe_url(url)}"
    own_client = client is None
    if client is None:
        client = make_client(
            resolver=resolver, allowed_cidrs=allowed_cidrs, timeout=total_timeout, max_body_bytes=limit
        )
    attempts = max(0, retries) + 1
    last_error = ""
    try:
        for attempt in range(attempts):
            if attempt:
                delay = backoff[min(attempt - 1, len(backoff) - 1)] if backoff else 0
                if delay:
                    await anyio.sleep(delay)
            try:
                with anyio.fail_after(total_timeout):
                    async with client.stream(
                        method, url, headers=clean_headers, content=content, json=json_body
                    ) as resp:
                        body = bytearray()
                        async for chunk in resp.aiter_bytes():
                            body += chunk
                            if len(body) > limit:
                                raise ResponseTooLargeError(f"The response to {shown} is larger than {limit} bytes.")
            except (BlockedURLError, ResponseTooLargeError, InvalidHeaderError):
                raise
            except OutboundHTTPError as exc:  # e.g. DNS failure inside the transport
                last_error = exc.message
                continue
            except TimeoutError:
                last_error = f"no complete answer within {total_timeout:g} seconds"
                continue
            except httpx.TooManyRedirects:
                raise OutboundHTTPError(f"{shown} redirected more than {MAX_REDIRECTS} times.") from None
            except httpx.TimeoutException:
                last_error = f"timed out after {total_timeout:g} seconds"
                continue
            except httpx.TransportError as exc:
                last_error = f"network error ({type(exc).__name__}: {exc})".replace(": )", ")")
                continue
            except httpx.HTTPError as exc:
                raise OutboundHTTPError(f"{shown} failed: {exc}.") from None
            content_type = resp.headers.get("content-type", "")
            raw = bytes(body)
            if resp.status_code >= 500 or resp.status_code == 429:
                last_error = f"the server answered HTTP {resp.status_code}"
                if attempt + 1 < attempts:
                    continue
                if not raise_for_status:
                    text, is_binary = _decode(raw, content_type)
                    return HTTPResult(
                        resp.status_code, content_type, text, raw, is_binary, dict(resp.headers), str(resp.url)
                    )
                raise OutboundHTTPError(
                    f"{shown} failed after {attempts} attempt(s): {last_error}.", status_code=resp.status_code
                )
            if resp.status_code >= 400 and raise_for_status:
                raise OutboundHTTPError(f"{shown} answered HTTP {resp.status_code}.", status_code=resp.status_code)
            text, is_binary = _decode(raw, content_type)
            return HTTPResult(resp.status_code, content_type, text, raw, is_binary, dict(resp.headers), str(resp.url))
        raise OutboundHTTPError(f"{shown} failed after {attempts} attempt(s): {last_error}.")
    finally:
        if own_client:
            await client.aclose()
