"""How an install reaches central safely: HTTPS, verified against the system's certificate store
or a CA bundle of the team's own; plain HTTP only on this machine, or when allowed on purpose.

Enrollment sends the user's password and every request carries the install's token, so a central
on another machine over plain ``http://`` is refused before anything is sent, unless the link
was made with ``--insecure`` (kept with the link, warned about in the log).
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from engine.sync_state import FailureKind
from replicator.errors import SyncError

log = logging.getLogger(__name__)


class InsecureCentral(SyncError):
    """Central's URL would send passwords and tokens in clear over the network."""

    kind = FailureKind.REFUSED
    code = "insecure_central"


class BadCentralUrl(SyncError):
    kind = FailureKind.REFUSED
    code = "bad_central_url"


class BadCaCert(SyncError):
    kind = FailureKind.REFUSED
    code = "bad_ca_cert"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def in_clear(url: str) -> bool:
    """True when ``url`` is plain HTTP to another machine."""
    parts = urlsplit(url)
    return parts.scheme == "http" and not is_loopback(parts.hostname)


def with_scheme(url: str) -> str:
    """``url``, with a bare ``HOST[:PORT]`` made a URL: ``http://`` to this machine (nothing
    crosses the network), ``https://`` to any other."""
    if "://" in url:
        return url
    host = urlsplit(f"//{url}").hostname
    if not host:
        return url
    return f"{'http' if is_loopback(host) else 'https'}://{url}"


def check_url(url: str, *, insecure: bool) -> None:
    """Refuse a URL that is not http(s) with a host, or plain HTTP off this machine unless
    ``insecure``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadCentralUrl(f"central's URL must be https://HOST[:PORT] (got {url!r})")
    if in_clear(url) and not insecure:
        raise InsecureCentral(
            f"refusing plain http:// to {parts.hostname}: your password and token would cross "
            "the network in clear; use https:// (or --insecure to allow it anyway)"
        )


def warn_if_in_clear(url: str) -> None:
    if in_clear(url):
        log.warning("central %s is reached over plain HTTP: tokens cross the network in clear", url)


def tls_context(ca_cert: Path | None) -> ssl.SSLContext:
    """Verification against ``ca_cert`` (a PEM bundle) when given, else the system's store."""
    try:
        return ssl.create_default_context(cafile=str(ca_cert) if ca_cert else None)
    except (OSError, ssl.SSLError) as exc:
        raise BadCaCert(f"cannot use the CA bundle {ca_cert}: {exc}") from exc
