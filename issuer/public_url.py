"""The public URL a data folder issues under, and the server running in it.

Credential ids, QR codes, status list URLs and claim links all start with the public URL, so every
command that issues in a data folder must use the same one, and it must be where the server runs.
The folder remembers it in `DATA_DIR/public-url` (one line):

- `MEDCRED_PUBLIC_URL`, when set, is what a command uses; a server (`run`, `serve`) also records it;
- otherwise a server started with `--port P` issues under `http://HOST:P` (127.0.0.1 for a wildcard
  HOST) and records that; a server started without `--port` uses the recorded URL (and its port,
  when that URL is a local one), else `http://127.0.0.1:8000`;
- every other command (`issue`, `issue-batch`, ...) uses `MEDCRED_PUBLIC_URL`, else the recorded URL,
  else `http://127.0.0.1:8000` (`issuer.config.ServiceConfig.from_settings`).

A running server also leaves `DATA_DIR/server.json` (its pid and public URL) while it runs, so that a
command issuing under another URL in the same folder can say so (`mismatch_warning`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from issuer.data_folder import write_private

DEFAULT_PORT = 8000
DEFAULT_PUBLIC_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
PUBLIC_URL_FILE = "public-url"
SERVER_FILE = "server.json"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}  # noqa: S104 - names of wildcard addresses, not a bind


def remembered_public_url(data_dir: Path) -> str | None:
    """The URL recorded in the folder, or None (nothing recorded yet, or unreadable)."""
    try:
        text = (Path(data_dir) / PUBLIC_URL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if text.startswith(("http://", "https://")) else None


def remember_public_url(data_dir: Path, url: str) -> None:
    """Record `url` as the folder's public URL (atomically: a reader never sees half a line)."""
    write_private(Path(data_dir) / PUBLIC_URL_FILE, url + "\n")


def is_local(url: str) -> bool:
    """Whether `url` is an http URL on this machine's loopback (a development server)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in _LOCAL_HOSTS


def url_for(host: str, port: int) -> str:
    """The URL a server listening on HOST:PORT is reached at from this machine."""
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@dataclass(frozen=True)
class ServerAddress:
    """Where a server listens and the public URL it issues under; `changed_from` is the URL the
    folder recorded before, when this server changes it (credentials issued before keep it)."""

    port: int
    public_url: str
    changed_from: str | None = None


def choose_server_address(
    data_dir: Path, host: str, port: int | None, env: Mapping[str, str] | None = None
) -> ServerAddress:
    """The port to listen on and the public URL for a server in `data_dir` (module docstring), and
    record the URL in the folder. `port` None means no --port was given."""
    env = os.environ if env is None else env
    remembered = remembered_public_url(data_dir)
    if port is None:
        if remembered is not None and is_local(remembered):
            port = urlsplit(remembered).port or DEFAULT_PORT
        else:
            port = DEFAULT_PORT
        derived = remembered or url_for(host, port)
    else:
        derived = url_for(host, port)
    public = (env.get("MEDCRED_PUBLIC_URL") or derived).rstrip("/")
    if public != remembered:
        remember_public_url(data_dir, public)
    changed_from = remembered if remembered is not None and remembered != public else None
    return ServerAddress(port=port, public_url=public, changed_from=changed_from)


# ---------------------------------------------------------------------------- the running server


@dataclass(frozen=True)
class RunningServer:
    pid: int
    public_url: str
    listening: str


def record_running_server(data_dir: Path, public_url: str, listening: str) -> None:
    """Note in the folder that this process serves `public_url` (removed by `clear_running_server`)."""
    path = Path(data_dir) / SERVER_FILE
    data = {"pid": os.getpid(), "public_url": public_url, "listening": listening}
    write_private(path, json.dumps(data) + "\n")


def clear_running_server(data_dir: Path) -> None:
    """Remove this process's note (not another server's)."""
    server = running_server(data_dir)
    if server is not None and server.pid == os.getpid():
        with contextlib.suppress(OSError):
            (Path(data_dir) / SERVER_FILE).unlink()


def running_server(data_dir: Path) -> RunningServer | None:
    """The server running in `data_dir`, or None (none recorded, or its process is gone)."""
    try:
        data = json.loads((Path(data_dir) / SERVER_FILE).read_text(encoding="utf-8"))
        server = RunningServer(int(data["pid"]), str(data["public_url"]), str(data["listening"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(server.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return server


def mismatch_warning(data_dir: Path, public_url: str, env: Mapping[str, str] | None = None) -> str | None:
    """A sentence when a server runs in `data_dir` under another public URL than `public_url`."""
    env = os.environ if env is None else env
    server = running_server(data_dir)
    if server is None or server.public_url == public_url:
        return None
    fix = (
        f"Unset MEDCRED_PUBLIC_URL (it says {public_url}) to issue under {server.public_url}."
        if env.get("MEDCRED_PUBLIC_URL")
        else f"Restart the server, or set MEDCRED_PUBLIC_URL={server.public_url} for this command."
    )
    return (
        f"The server running in this data folder (pid {server.pid}) issues under {server.public_url}, "
        f"but this command issues under {public_url}: the links and QR codes of these credentials "
        f"lead to {public_url}. {fix}"
    )
