"""A private PostgreSQL cluster under central's data dir, for when no DSN is configured.

The cluster directory is the PGDATA itself; `postmaster.pid` inside it is the shared truth that
lets a second process (the admin dashboard) find the port of a cluster started by `central`.

The server listens on 127.0.0.1 only, with no Unix socket, and asks every connection for the
superuser's password (scram-sha-256). The password is generated at initdb and kept in
``locanext.password`` inside PGDATA (mode 0600 in a 0700 directory), so only root and the
cluster's owner can read it, which are the users who could read the data files anyway. A cluster
made by an earlier LocaNext with ``--auth=trust`` gets a password at its next start.

The admin console reads the mirror as ``locanext_reader`` (SELECT only, made by a migration);
central gives that role a password of its own at every start, kept in
``locanext.reader-password`` beside the superuser's.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from central.errors import CentralError

log = logging.getLogger(__name__)

PG_USER = "postgres"
SUGGESTED_DIR = "/var/lib/locanext"
_TIMEOUT = 60  # seconds for the server to come up
_LOG_TAIL = 20
# Failures worth another try: a port taken between our probe and the bind, or children of a
# killed postmaster still holding the old shared memory interlock.
_TRANSIENT = ("Address already in use", "could not bind", "pre-existing shared memory block")
PASSWORD_FILE = "locanext.password"
READER = "locanext_reader"
READER_PASSWORD_FILE = "locanext.reader-password"
_AUTH = "scram-sha-256"
_AUTH_FAILED = ("28P01", "28000")  # invalid password, invalid authorization: retrying won't help


class ClusterError(CentralError):
    """The private cluster cannot be created, started or found; the message says why."""

    status = 503
    code = "database_unavailable"


def find_bindir() -> Path | None:
    """Newest /usr/lib/postgresql/*/bin (Debian's layout), else wherever `pg_ctl` on PATH lives."""
    debian = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")]
    if debian:
        return max(debian, key=lambda b: [int(n) for n in re.findall(r"\d+", b.parent.name)])
    on_path = shutil.which("pg_ctl")
    # Resolve symlinks: initdb sits next to the real pg_ctl, not necessarily next to the link.
    return Path(on_path).resolve().parent if on_path else None


def _install_postgresql() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "postgresql"]
    log.warning("PostgreSQL binaries not found; installing Debian's 'postgresql' package")
    if subprocess.run(install, env=env, capture_output=True, text=True).returncode == 0:
        return
    # A fresh container usually has no package lists yet.
    subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
    done = subprocess.run(install, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ClusterError(
            "PostgreSQL is not installed and `apt-get install -y postgresql` failed:\n"
            + _tail(done.stdout + done.stderr)
        )


def _tail(text: str) -> str:
    return "\n".join(text.rstrip().splitlines()[-_LOG_TAIL:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _is_postmaster(pid: int, datadir: Path) -> bool:
    """Whether pid is a live (non-zombie) postmaster of datadir; pids get reused after a reboot."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():
        return True  # no procfs to ask; trust kill()
    try:
        state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        cmdline = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return False  # vanished meanwhile
    if state in ("Z", "X") or not (b"postgres" in cmdline or b"postmaster" in cmdline):
        return False
    try:
        # The postmaster chdirs into its data directory; another cluster's process is not ours.
        return Path(os.readlink(proc / "cwd")) == datadir.resolve()
    except OSError:
        return True  # not allowed to look; the name check has to do


def _trusting(hba: str) -> bool:
    """Does this pg_hba.conf let anyone in without a password?"""
    return any(re.search(r"\btrust\b", line.split("#")[0]) for line in hba.splitlines())


def _distrusted(hba: str) -> str:
    """pg_hba.conf with every ``trust`` method replaced by a password check."""
    return "\n".join(
        re.sub(r"\btrust\b", _AUTH, line) if not line.lstrip().startswith("#") else line
        for line in hba.splitlines()
    )


def _write_private(path: Path, text: str, owner: Path) -> None:
    """Write ``path`` atomically with mode 0600, owned like ``owner`` (when root writes it)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    if os.geteuid() == 0:
        st = owner.stat()
        os.chown(tmp, st.st_uid, st.st_gid)
    os.replace(tmp, path)


def _postgres_can_enter(path: Path) -> bool:
    probe = ["runuser", "-u", PG_USER, "--", "test", "-x", str(path)]
    return subprocess.run(probe, cwd="/", capture_output=True).returncode == 0


def reachable_by_postgres(directory: Path) -> bool:
    """Can a cluster live in ``directory``? Only matters as root, when postgres runs the server."""
    if os.geteuid() != 0:
        return True
    existing = next((p for p in (directory, *directory.parents) if p.exists()), Path("/"))
    return _postgres_can_enter(existing)


class PrivateCluster:
    def __init__(self, directory: Path, database: str = "locanext") -> None:
        self.directory = Path(directory).absolute()
        self.database = database
        self.port: int | None = None
        self._started = False  # only the object that launched the server stops it
        self._bindir: Path | None = None

    def start(self) -> str:
        port = self._running_port()
        if port is not None:
            log.info("reusing the PostgreSQL cluster already running in %s", self.directory)
        else:
            self._prepare()
            port = self._launch()
        self.port = port
        try:
            self._ensure_ready(port)
        except BaseException:
            self.stop()  # do not leave a server behind that nobody will stop
            raise
        return self._dsn(port, self._password())

    def dsn(self) -> str | None:
        port = self._running_port()
        return None if port is None else self._dsn(port, self._password())

    def reader_dsn(self) -> str | None:
        """The read-only role's URL, once central has started the cluster and given the role a
        password; None before."""
        port = self._running_port()
        password = self._secret(READER_PASSWORD_FILE)
        return None if port is None or password is None else self._dsn(port, password, READER)

    def provision_reader(self) -> None:
        """Give the read-only role (central's migrations make it) its password: the one kept in
        the cluster, else a new one."""
        port = self._running_port()
        if port is None:
            raise ClusterError(f"no PostgreSQL running in {self.directory}")
        password = self._secret(READER_PASSWORD_FILE)
        if password is None:
            password = secrets.token_urlsafe(32)
            _write_private(self.directory / READER_PASSWORD_FILE, password + "\n", self.directory)
        with self._connect(port, self._password()) as conn:
            conn.execute(f"SET password_encryption = '{_AUTH}'")
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(READER), sql.Literal(password)
                )
            )

    def stop(self) -> None:
        if not self._started:
            return
        done = self._run(["pg_ctl", "-D", str(self.directory), "-m", "fast", "-w", "stop"])
        self._started = False
        self.port = None
        if done.returncode != 0 and self._running_port() is not None:
            raise ClusterError(f"could not stop PostgreSQL in {self.directory}:\n{done.stderr}")
        log.info("stopped the PostgreSQL cluster in %s", self.directory)

    def __enter__(self) -> PrivateCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def replicate(self, directory: Path) -> PrivateCluster:
        """A hot standby of this running cluster in ``directory`` (made with ``pg_basebackup
        -R``: it streams from this one and answers read-only queries), not yet started. It
        shares this cluster's superuser and password."""
        if self.port is None:
            raise ClusterError(f"start the PostgreSQL cluster in {self.directory} first")
        standby = PrivateCluster(directory, self.database)
        standby._bin("pg_basebackup")
        if os.geteuid() == 0:
            standby._hand_to_postgres()
        else:
            standby.directory.mkdir(parents=True, exist_ok=True)
        if any(standby.directory.iterdir()):
            raise ClusterError(f"{standby.directory} is not empty: a standby starts from nothing")
        password = self._password() or ""
        source = f"host=127.0.0.1 port={self.port} user={PG_USER} password={password}"
        done = standby._run(
            ["pg_basebackup", "-D", str(standby.directory), "-d", source, "-R", "-X", "stream",
             "-c", "fast"]
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterError(
                f"pg_basebackup into {standby.directory} failed:\n{_tail(done.stderr)}"
            )
        standby.directory.chmod(0o700)  # postgres refuses a data directory others can read
        log.info("made a standby of %s in %s", self.directory, standby.directory)
        return standby

    def _dsn(self, port: int, password: str | None, role: str = PG_USER) -> str:
        user = role if password is None else f"{role}:{quote(password, safe='')}"
        return f"postgresql+psycopg://{user}@127.0.0.1:{port}/{quote(self.database, safe='')}"

    def _password(self) -> str | None:
        """The superuser's password, None for a cluster made before there was one."""
        return self._secret(PASSWORD_FILE)

    def _secret(self, name: str) -> str | None:
        path = self.directory / name
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        except PermissionError as e:
            raise ClusterError(f"cannot read {path}: run as root or as the cluster's owner") from e

    def _pidfile(self) -> tuple[list[str] | None, bool]:
        """postmaster.pid's lines (None if absent) and whether its postmaster is alive."""
        path = self.directory / "postmaster.pid"
        try:
            lines = path.read_text().splitlines()
        except FileNotFoundError:
            return None, False
        except PermissionError as e:
            raise ClusterError(f"cannot read {path}: run as root or as the cluster's owner") from e
        # Line 1 is the pid, line 4 the port; a half-written file counts as not running yet.
        if len(lines) < 4 or not lines[0].strip().isdigit() or not lines[3].strip().isdigit():
            return lines, False
        return lines, _is_postmaster(int(lines[0]), self.directory)

    def _running_port(self) -> int | None:
        lines, alive = self._pidfile()
        return int(lines[3]) if lines and alive else None

    def _bin(self, name: str) -> str:
        if self._bindir is None:
            self._bindir = find_bindir()
            if self._bindir is None and os.geteuid() == 0:
                _install_postgresql()
                self._bindir = find_bindir()
            if self._bindir is None:
                raise ClusterError(
                    "PostgreSQL server binaries (pg_ctl, initdb) not found: install Debian's "
                    "'postgresql' package (apt-get install postgresql) or pass --dsn"
                )
        return str(self._bindir / name)

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        argv = [self._bin(argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            argv = ["runuser", "-u", PG_USER, "--", *argv]
        # cwd=/ so postgres never complains about a cwd it cannot enter (e.g. /root).
        return subprocess.run(argv, cwd="/", capture_output=True, text=True, timeout=2 * _TIMEOUT)

    def _prepare(self) -> None:
        """Create and initdb the directory if needed, making sure postgres can reach it."""
        self._bin("pg_ctl")  # fail early (or install) before touching the filesystem
        if os.geteuid() == 0:
            self._hand_to_postgres()
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
        lines, alive = self._pidfile()
        if lines is not None and not alive:
            # postmaster refuses a pid file whose pid now belongs to another process of its user
            # (or to an unreaped zombie); we know it is stale, so it goes.
            log.info("removing stale %s", self.directory / "postmaster.pid")
            (self.directory / "postmaster.pid").unlink(missing_ok=True)
        if (self.directory / "PG_VERSION").exists():
            return
        log.info("creating a PostgreSQL cluster in %s", self.directory)
        try:
            locales = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout
        except OSError:
            locales = ""
        locale = "C.UTF-8" if re.search(r"^c\.utf-?8$", locales, re.M | re.I) else "C"
        password = secrets.token_urlsafe(32)
        # initdb wants an empty directory: the password goes in through a private temp file.
        fd, name = tempfile.mkstemp(prefix="locanext-pw-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(password + "\n")
            if os.geteuid() == 0:
                user = pwd.getpwnam(PG_USER)
                os.chown(name, user.pw_uid, user.pw_gid)
            args = ["-D", str(self.directory), "-U", PG_USER, f"--auth={_AUTH}", "-E", "UTF8"]
            done = self._run(["initdb", *args, f"--pwfile={name}", f"--locale={locale}"])
        finally:
            os.unlink(name)
        if done.returncode != 0:
            raise ClusterError(
                f"initdb failed for {self.directory}:\n{_tail(done.stdout + done.stderr)}"
            )
        _write_private(self.directory / PASSWORD_FILE, password + "\n", self.directory)

    def _hand_to_postgres(self) -> None:
        try:
            user = pwd.getpwnam(PG_USER)
        except KeyError as e:
            raise ClusterError(f"running as root but there is no '{PG_USER}' user") from e
        if not shutil.which("runuser"):
            raise ClusterError("running as root but `runuser` (util-linux) is missing")
        # Check the deepest existing ancestor before creating anything (no litter under /root),
        # then the parent again: directories we create follow our umask.
        existing = next(p for p in self.directory.parents if p.exists())
        self._require_reachable(existing)
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.directory.parent != existing:
            self._require_reachable(self.directory.parent)
        st = self.directory.stat()
        if (st.st_uid, st.st_gid) != (user.pw_uid, user.pw_gid):
            os.chown(self.directory, user.pw_uid, user.pw_gid)

    def _require_reachable(self, path: Path) -> None:
        if _postgres_can_enter(path):
            return
        chain = [*reversed(path.parents), path]
        blocking = next((a for a in chain if not _postgres_can_enter(a)), path)
        raise ClusterError(
            f"the PostgreSQL directory {self.directory} is not reachable by the '{PG_USER}' "
            f"user ({blocking} is not traversable for it); use a data dir such as {SUGGESTED_DIR}"
        )

    def _launch(self) -> int:
        logfile = self.directory / "postgres.log"
        deadline = time.monotonic() + _TIMEOUT
        while True:
            port = _free_port()
            offset = logfile.stat().st_size if logfile.exists() else 0
            opts = f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
            args = ["-l", str(logfile), "-w", "-t", str(_TIMEOUT), "-o", opts, "start"]
            done = self._run(["pg_ctl", "-D", str(self.directory), *args])
            if done.returncode == 0:
                log.info("started PostgreSQL in %s on 127.0.0.1:%d", self.directory, port)
                self._started = True
                return port
            if any(m in self._read_log(offset) for m in _TRANSIENT) and time.monotonic() < deadline:
                log.info("PostgreSQL start hit a transient error; retrying")
                time.sleep(0.5)
                continue
            # Another process may have started this cluster meanwhile; share it then.
            other = self._running_port()
            if other is not None:
                return other
            raise ClusterError(
                f"PostgreSQL failed to start in {self.directory} "
                f"({(done.stderr or done.stdout).strip()}); last lines of {logfile}:\n"
                + _tail(self._read_log(0))
            )

    def _read_log(self, offset: int) -> str:
        try:
            with open(self.directory / "postgres.log", encoding="utf-8", errors="replace") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return ""

    def _connect(self, port: int, password: str | None) -> psycopg.Connection:
        deadline = time.monotonic() + _TIMEOUT
        while True:
            try:
                return psycopg.connect(
                    host="127.0.0.1",
                    port=port,
                    user=PG_USER,
                    password=password,
                    dbname="postgres",
                    connect_timeout=5,
                    autocommit=True,
                )
            except psycopg.OperationalError as e:
                # A cluster started by another process may still be recovering.
                if e.sqlstate in _AUTH_FAILED or time.monotonic() > deadline:
                    raise ClusterError(f"cannot connect to PostgreSQL on port {port}: {e}") from e
                time.sleep(0.2)

    def _ensure_ready(self, port: int) -> None:
        """Make sure the cluster asks for the password, and that the database exists."""
        hba_path = self.directory / "pg_hba.conf"
        hba = hba_path.read_text(encoding="utf-8")
        password = self._password()
        trusting = _trusting(hba)
        if password is None and not trusting:
            raise ClusterError(
                f"{self.directory / PASSWORD_FILE} is missing, so central cannot sign in to the "
                f"PostgreSQL cluster in {self.directory}; restore the file or pass --dsn"
            )
        if trusting and password is None:
            password = secrets.token_urlsafe(32)
            _write_private(self.directory / PASSWORD_FILE, password + "\n", self.directory)
        with self._connect(port, password) as conn:
            if trusting:
                self._stop_trusting(conn, port, password, hba)
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
            if exists.fetchone() is None:
                log.info("creating database %s", self.database)
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    def _stop_trusting(self, conn: psycopg.Connection, port: int, password: str, hba: str) -> None:
        """A cluster made with --auth=trust: set the password, ask for it, and wait until the
        server does."""
        log.warning(
            "the PostgreSQL cluster in %s let every local user in; from now on it asks for the "
            "password kept in %s",
            self.directory,
            PASSWORD_FILE,
        )
        conn.execute(f"SET password_encryption = '{_AUTH}'")
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(PG_USER), sql.Literal(password)
            )
        )
        hba_path = self.directory / "pg_hba.conf"
        _write_private(hba_path, _distrusted(hba) + "\n", hba_path)
        conn.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + _TIMEOUT
        while time.monotonic() < deadline:  # the postmaster reloads pg_hba.conf on its own time
            try:
                psycopg.connect(
                    host="127.0.0.1", port=port, user=PG_USER, dbname="postgres", connect_timeout=5
                ).close()
            except psycopg.OperationalError:
                return
            time.sleep(0.1)
        raise ClusterError(f"PostgreSQL in {self.directory} still lets anyone in after a reload")
