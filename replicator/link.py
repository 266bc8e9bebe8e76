"""This install's link to central: enrollment, and the stored URL and token."""

from __future__ import annotations

from dataclasses import dataclass

from engine import install, local_settings
from engine.db import Database
from engine.migrations import SCHEMA_VERSION
from replicator.client import CentralClient
from replicator.errors import NotEnrolled
from replicator.wire import EnrollRequest, EnrollResponse


@dataclass(frozen=True)
class CentralLink:
    url: str
    token: str

    def client(self) -> CentralClient:
        return CentralClient(self.url, self.token)


def load(db: Database) -> CentralLink:
    with db.read() as conn:
        url = local_settings.get(conn, "central_url")
        token = local_settings.get(conn, "central_token")
    if not url or not token:
        raise NotEnrolled()
    return CentralLink(url, token)


def enroll(
    db: Database, central_url: str, username: str, password: str, install_name: str = ""
) -> EnrollResponse:
    """Register this install with central and keep the token it returns (bound to our site id).

    Enrolling again sends the current token: central binds an install id to its first enrollment
    and rotates the token only for whoever holds it. The token goes only to the central it came
    from."""
    with db.read() as conn:
        same = local_settings.get(conn, "central_url") == central_url.rstrip("/")
        current = local_settings.get(conn, "central_token") if same else None
        first_link = local_settings.get(conn, "enrolled_user") is None
    request = EnrollRequest(
        username=username,
        password=password,
        site_id=db.site_id,
        install_name=install_name,
        schema_version=SCHEMA_VERSION,
        token=current,
    )
    with CentralClient(central_url) as client:
        response = client.enroll(request)
    with db.write() as conn:
        local_settings.put(conn, "central_url", central_url.rstrip("/"))
        local_settings.put(conn, "central_token", response.token)
        local_settings.put(conn, "enrolled_user", response.username)
        if first_link:  # runs made before the first sign-in become the user's; later ones
            install.adopt_user(conn, response.username)  # stay whose they were
    return response
