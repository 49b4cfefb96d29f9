"""With no config file: watch what this machine obviously runs, and say how to add more.

The probes only ask "does something answer on the default address"; the panels do the
real talking later. They run concurrently in threads with a short timeout, so discovery
costs one probe timeout (0.3 s) at most, and works whether or not an event loop runs.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tui.config.model import PanelSpec

PROBE_TIMEOUT = 0.3
POSTGRES_ADDR = ("127.0.0.1", 5432)
POSTGRES_SOCKET_DIR = Path("/var/run/postgresql")
REDIS_ADDR = ("127.0.0.1", 6379)
DOCKER_SOCKET = Path("/var/run/docker.sock")


@dataclass(frozen=True)
class Discovery:
    panels: tuple[PanelSpec, ...]
    hints: tuple[str, ...]


def _tcp_answers(addr: tuple[str, int], timeout: float) -> bool:
    try:
        with socket.create_connection(addr, timeout=timeout):
            return True
    except OSError:
        return False


def _unix_answers(path: Path, timeout: float) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            return True
    except OSError:
        return False


def docker_host(env: Mapping[str, str] | None = None,
                default_socket: Path = DOCKER_SOCKET) -> str | None:
    """The Docker engine address to watch: DOCKER_HOST if set, else the local socket if present.

    A unix:// DOCKER_HOST whose socket file is missing counts as absent, so a stale
    variable does not add a panel that can only ever say "refused".
    """
    env = os.environ if env is None else env
    configured = env.get("DOCKER_HOST", "").strip()
    if configured:
        if configured.startswith("unix://"):
            return configured if Path(configured[len("unix://"):]).exists() else None
        return configured
    return f"unix://{default_socket}" if default_socket.exists() else None


def discover(
    *,
    postgres_addr: tuple[str, int] | None = POSTGRES_ADDR,
    postgres_socket_dir: Path | None = POSTGRES_SOCKET_DIR,
    redis_addr: tuple[str, int] | None = REDIS_ADDR,
    docker_socket: Path = DOCKER_SOCKET,
    env: Mapping[str, str] | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> Discovery:
    """Panels for this host plus whatever answers at the default local addresses.

    Every address is a parameter so tests can point discovery at ports with nothing
    behind them (or at their own servers); None skips that probe.
    """
    pg_port = postgres_addr[1] if postgres_addr else 5432
    pg_socket = postgres_socket_dir / f".s.PGSQL.{pg_port}" if postgres_socket_dir else None
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="opsdash-discover") as pool:
        pg_unix = pool.submit(_unix_answers, pg_socket, timeout) if pg_socket else None
        pg_tcp = pool.submit(_tcp_answers, postgres_addr, timeout) if postgres_addr else None
        redis = pool.submit(_tcp_answers, redis_addr, timeout) if redis_addr else None
        pg_unix_ok = pg_unix.result() if pg_unix else False
        pg_tcp_ok = pg_tcp.result() if pg_tcp else False
        redis_ok = redis.result() if redis else False

    panels = [PanelSpec("host", "host", {"mounts": ("/",)}, where="discovered [host]")]
    hints = ["no config found; watching this host. Add [[health]] url = \"http://...\" "
             "to opsdash.toml to watch your service (see examples/opsdash.toml)"]

    docker = docker_host(env, docker_socket)
    if docker:
        panels.append(PanelSpec("containers", "containers", {"docker_host": docker},
                                where="discovered [containers]"))
    else:
        hints.append(f"no Docker socket at {docker_socket} and DOCKER_HOST unset: "
                     "no containers panel")

    # The socket first: Debian's default peer auth lets a user with a role in without a
    # password, where TCP usually asks for one. PGUSER/PGPASSWORD still apply to both.
    if pg_unix_ok and postgres_socket_dir is not None:
        dsn = f"host={postgres_socket_dir} port={pg_port} dbname=postgres"
        panels.append(PanelSpec("postgres", "local", {"dsn": dsn},
                                where="discovered [[postgres]]"))
    elif pg_tcp_ok and postgres_addr is not None:
        host, port = postgres_addr
        panels.append(PanelSpec("postgres", "local",
                                {"dsn": f"postgresql://{host}:{port}/postgres"},
                                where="discovered [[postgres]]"))
    else:
        where = f"{postgres_addr[0]}:{postgres_addr[1]}" if postgres_addr else "no address"
        hints.append(f"no PostgreSQL answered at {where}; add [[postgres]] dsn = "
                     "\"postgresql://...\" to watch one")

    if redis_ok and redis_addr is not None:
        host, port = redis_addr
        panels.append(PanelSpec("redis", "local", {"url": f"redis://{host}:{port}/0"},
                                where="discovered [[redis]]"))
    else:
        where = f"{redis_addr[0]}:{redis_addr[1]}" if redis_addr else "no address"
        hints.append(f"no Redis answered at {where}; add [[redis]] url = \"redis://...\" "
                     "to watch one")
    return Discovery(tuple(panels), tuple(hints))
