"""This install's link to central: enrollment, and the stored URL, transport choices and token
(the token in ``engine.token_store``, never in engine.db)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import account, local_settings, machine, token_store
from engine.db import Database
from engine.migrations import SCHEMA_VERSION
from replicator import transport
from replicator.client import CentralClient
from replicator.errors import NotEnrolled
from replicator.wire import EnrollRequest, EnrollResponse


@dataclass(frozen=True)
class CentralLink:
    url: str
    token: str
    insecure: bool = False  # plain HTTP to another machine was allowed on purpose
    ca_cert: Path | None = None  # the team's CA bundle, else the system's store
    machine: str | None = None  # this engine.db's nonce on this PC (engine.machine)

    def client(self) -> CentralClient:
        transport.check_url(self.url, insecure=self.insecure)
        transport.warn_if_in_clear(self.url)
        return CentralClient(
            self.url, self.token, verify=transport.tls_context(self.ca_cert), machine=self.machine
        )


def load(db: Database) -> CentralLink:
    with db.read() as conn:
        url = local_settings.get(conn, "central_url")
        insecure = local_settings.get(conn, "central_insecure") == "1"
        ca_cert = local_settings.get(conn, "central_ca_cert")
    token = token_store.open_store(db).get() if url else None
    if not url or not token:
        raise NotEnrolled()
    return CentralLink(
        url, token, insecure, Path(ca_cert) if ca_cert else None, machine.nonce(db.path.parent)
    )


def enrolled_as(db: Database) -> tuple[str, str] | None:
    """The central URL and user this install is enrolled with, while it holds a token."""
    with db.read() as conn:
        url = local_settings.get(conn, "central_url")
        user = local_settings.get(conn, "enrolled_user")
    if not url or not token_store.open_store(db).get():
        return None
    return url, user or "?"


def configure(db: Database, *, insecure: bool = False, ca_cert: Path | None = None) -> None:
    """Allow plain HTTP (``insecure``) and/or use ``ca_cert`` for the stored link from now on."""
    with db.write() as conn:
        if insecure:
            local_settings.put(conn, "central_insecure", "1")
        if ca_cert is not None:
            local_settings.put(conn, "central_ca_cert", str(ca_cert.absolute()))


def enroll(
    db: Database,
    central_url: str,
    username: str,
    password: str,
    install_name: str = "",
    *,
    insecure: bool = False,
    ca_cert: Path | None = None,
) -> EnrollResponse:
    """Register this install with central and keep the token it returns (bound to our site id).

    Enrolling again sends the current token: central binds an install id to its first enrollment
    and rotates the token only for whoever holds it. The token goes only to the central it came
    from. Plain HTTP to another machine is refused before the password is sent, unless
    ``insecure``. A bare ``HOST:PORT`` is read as :func:`transport.with_scheme` says."""
    central_url = transport.with_scheme(central_url)
    transport.check_url(central_url, insecure=insecure)
    store = token_store.open_store(db)
    with db.read() as conn:
        same = local_settings.get(conn, "central_url") == central_url.rstrip("/")
    current = store.get() if same else None
    request = EnrollRequest(
        username=username,
        password=password,
        site_id=db.site_id,
        install_name=install_name,
        schema_version=SCHEMA_VERSION,
        token=current,
        machine=machine.nonce(db.path.parent),
    )
    transport.warn_if_in_clear(central_url)
    with CentralClient(central_url, verify=transport.tls_context(ca_cert)) as client:
        response = client.enroll(request)
    store.put(response.token)
    with db.write() as conn:
        local_settings.put(conn, "central_url", central_url.rstrip("/"))
        local_settings.put(conn, "enrolled_user", response.username)
        # Central takes runs only under the enrolled user: the ones recorded while nobody was
        # signed in become this user's; other users' stay theirs.
        account.adopt_runs(conn, response.username)
        local_settings.put(conn, "central_insecure", "1" if insecure else None)
        local_settings.put(
            conn, "central_ca_cert", str(ca_cert.absolute()) if ca_cert is not None else None
        )
    return response


def forget(db: Database) -> None:
    """End the link on this side (after central ended the token, or gave it up for lost)."""
    token_store.open_store(db).clear()
    with db.write() as conn:
        for key in ("central_url", "enrolled_user"):
            local_settings.put(conn, key, None)
