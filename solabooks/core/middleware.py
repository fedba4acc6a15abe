import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def client_ip_from(remote_addr: str, forwarded_for: str | None) -> str:
    """The client's address: the socket peer, unless that peer is a trusted proxy.

    X-Forwarded-For is read right to left, skipping trusted proxies, so a client cannot
    forge its address by sending the header itself.
    """
    trusted = settings.TRUSTED_PROXIES
    try:
        peer = ipaddress.ip_address(remote_addr)
    except ValueError:
        return remote_addr or ""
    if not forwarded_for or not any(peer in net for net in trusted):
        return str(peer)
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return str(peer)
        if not any(address in net for net in trusted):
            return str(address)
        peer = address
    return str(peer)


def _from_trusted_proxy(remote_addr: str) -> bool:
    try:
        peer = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(peer in net for net in settings.TRUSTED_PROXIES)


class ForwardedProtoMiddleware:
    """Drops X-Forwarded-Proto unless a trusted proxy sent it, before SecurityMiddleware
    and `request.is_secure()` read it (SECURE_PROXY_SSL_HEADER): a client must not be able
    to claim https on a plain-http connection."""

    HEADER = "HTTP_X_FORWARDED_PROTO"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.HEADER in request.META and not _from_trusted_proxy(
            request.META.get("REMOTE_ADDR", "")
        ):
            del request.META[self.HEADER]
        return self.get_response(request)


class ClientIPMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.client_ip = client_ip_from(
            request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR")
        )
        return self.get_response(request)


USER_AGENT_MAX = 400
# NUL and the other C0 controls: PostgreSQL refuses NUL in text, and none belongs in a log.
_CONTROL_CHARACTERS = dict.fromkeys(range(32))


def request_origin(request: HttpRequest) -> dict:
    """IP and user agent of a request, as activity rows record them.

    Both are whatever the client sent, so both are cleaned here, once, for every caller: an
    address that is not an IP (a unix-socket peer, a garbled header) is recorded as unknown
    rather than breaking the inet column, and the user agent loses control characters.
    """
    ip = getattr(request, "client_ip", None) or None
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            ip = None
    user_agent = request.META.get("HTTP_USER_AGENT", "").translate(_CONTROL_CHARACTERS)
    return {"ip": ip, "user_agent": user_agent[:USER_AGENT_MAX]}
