"""Central over HTTPS with a certificate of the team's own CA, made here; installs enroll and sync
with that CA bundle (--ca-cert or LOCANEXT_APP_CA_CERT), and without it they refuse the
certificate. Plain http:// to another machine is refused with one line before anything is sent,
unless --insecure allows it (kept with the link)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from central.admin_client import session_headers
from engine.db import Database
from shell.processes import Child, command, free_port
from shell.processes import run as locanext
from tests.conftest import ADMIN_PASSWORD
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A team CA and a certificate it signs for 127.0.0.1 and localhost: (ca, cert, key)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("LocaNext test CA"))
        .issuer_name(_name("LocaNext test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("central"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "central.pem", folder / "central.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, paths[2])
    return paths


@pytest.fixture
def tls_central(tmp_path: Path, pg_dsn: str) -> Iterator[tuple[str, Path]]:
    """`locanext central` serving HTTPS on 127.0.0.1, with user mina: (url, CA bundle)."""
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    port = free_port()
    args = ["central", "--dsn", pg_dsn, "--port", str(port), "--tls-cert", str(cert)]
    child = Child(
        "central",
        [*args, "--tls-key", str(key)],
        tmp_path / "central.log",
        {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )
    url = f"https://127.0.0.1:{port}"
    trusted = ssl.create_default_context(cafile=str(ca))
    try:
        assert child.wait_line("LocaNext central: ", timeout=120).split()[2] == url + "/"

        def health() -> int:
            try:
                return httpx.get(f"{url}/api/health", verify=trusted).status_code
            except httpx.TransportError:
                return 0

        wait_for(health, until=lambda s: s == 200, timeout=60, what="central over HTTPS")
        with httpx.Client(base_url=url, verify=trusted) as admin:
            session = admin.post(
                "/api/admin/session", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            headers = {"Authorization": f"Bearer {session.json()['token']}"}
            created = admin.post(
                "/api/admin/users",
                json={"username": "mina", "password": "mina-password"},
                headers=headers,
            )
            assert created.status_code == 201, created.text
        yield url, ca
    finally:
        assert child.stop() == 0, child.tail()


def _enroll(
    url: str, data: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    args = ["enroll", "--central", url, "--user", "mina", "--password-stdin"]
    return subprocess.run(
        command(*args, *extra, "--data-dir", str(data)),
        input="mina-password\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_installs_enroll_and_sync_over_https_with_the_teams_ca(
    tls_central: tuple[str, Path], tmp_path: Path
) -> None:
    url, ca = tls_central
    data = tmp_path / "pc"
    enrolled = _enroll(url, data, "--ca-cert", str(ca))
    assert enrolled.returncode == 0, enrolled.stderr
    assert "enrolled install" in enrolled.stdout
    synced = locanext("sync", "--once", "--data-dir", str(data))  # the CA is kept with the link
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("pushed ")

    by_variable = _enroll(url, tmp_path / "pc2", env={"LOCANEXT_APP_CA_CERT": str(ca)})
    assert by_variable.returncode == 0, by_variable.stderr


def test_a_certificate_the_install_cannot_verify_is_refused(
    tls_central: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = tls_central
    refused = _enroll(url, tmp_path / "pc")
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach central") and "CERTIFICATE_VERIFY_FAILED" in line


def test_plain_http_to_another_machine_is_refused_before_anything_is_sent(
    tmp_path: Path, central_url: str
) -> None:
    # 192.0.2.0/24 is reserved for documentation: nothing answers there, nothing is sent.
    data = tmp_path / "pc"
    refused = _enroll("http://192.0.2.10:8700", data)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: refusing plain http:// to 192.0.2.10: your password and token would cross the "
        "network in clear; use https:// (or --insecure to allow it anyway)"
    )
    assert not data.exists()  # not even engine.db was made

    # A link to such a central (made before this check existed) stops syncing the same way.
    db = Database(data / "engine.db")
    with db.write() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('central_url', ?)", (
            "http://192.0.2.10:8700",
        ))  # fmt: skip
    db.close()
    (data / "secrets").mkdir(mode=0o700)
    (data / "secrets" / "central-token").write_text("some-token\n")
    sync = locanext("sync", "--once", "--data-dir", str(data))
    assert sync.returncode == 1
    assert sync.stderr.strip().splitlines() == [
        "error: refusing plain http:// to 192.0.2.10: your password and token would cross the "
        "network in clear; use https:// (or --insecure to allow it anyway)"
    ]


def test_insecure_allows_plain_http_and_is_kept_with_the_link(
    tmp_path: Path, central_url: str
) -> None:
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201
    # 0.0.0.0 is not a loopback name, yet on Linux a connection to it stays on this machine.
    plain = central_url.replace("127.0.0.1", "0.0.0.0")
    data = tmp_path / "pc"
    assert _enroll(plain, data).returncode == 1
    allowed = _enroll(plain, data, "--insecure")
    assert allowed.returncode == 0, allowed.stderr
    assert "warning: --insecure" in allowed.stderr
    synced = locanext("sync", "--once", "--data-dir", str(data))
    assert synced.returncode == 0, synced.stderr
