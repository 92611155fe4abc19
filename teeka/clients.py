"""Who is asking: the client's address behind the proxies we run."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address, trusting only the proxies we run (TEEKA_PROXY_COUNT):
    behind nginx, REMOTE_ADDR is nginx itself, and the per-address limits would
    then count the whole state as one caller."""
    hops = settings.TEEKA_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if hops and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def client_ip_key(group: str, request: HttpRequest) -> str:
    """client_ip as a django-ratelimit key."""
    return client_ip(request)
