"""The managed local chain: an anvil node from npm, started and stopped by MedCred.

Its state lives in `<data-dir>/chain/`: `state.json` (dumped every second and on exit, so a crash
loses at most a second of blocks), `node.json` (pid and port of the running node) and `anvil.log`.
The node listens on 127.0.0.1 only. If the default port is taken, a free one is chosen and recorded.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from issuer.data_folder import private_dir, private_file, write_private
from verifier.errors import ChainError

DEFAULT_PORT = 8545
LOCAL_CHAIN_ID = 31337
STATE_INTERVAL_S = 1
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class LocalChainNotRunningError(ChainError):
    """`--chain local` was asked for but the managed node is stopped."""


@dataclass(frozen=True)
class NodeInfo:
    pid: int
    port: int
    chain_id: int
    started_at: float

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def find_anvil() -> Path:
    """The anvil binary shipped by the npm package @foundry-rs/anvil (or MEDCRED_ANVIL, or PATH)."""
    override = os.environ.get("MEDCRED_ANVIL")
    if override:
        return Path(override)
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    relative = Path("node_modules/@foundry-rs") / f"anvil-linux-{arch}" / "bin" / "anvil"
    roots = [Path.cwd(), Path(__file__).resolve().parents[2]]
    for root in roots:
        if (root / relative).is_file():
            return root / relative
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ChainError(
        "The anvil binary was not found: run `make run` or `npm ci` in the MedCred folder "
        "(it comes from the npm package @foundry-rs/anvil), or set MEDCRED_ANVIL."
    )


class LocalChain:
    """Start, stop and inspect the anvil node whose state lives in `data_dir/chain`."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "chain"
        self.state_file = self.dir / "state.json"
        self.info_file = self.dir / "node.json"
        self.log_file = self.dir / "anvil.log"
        self.port_file = self.dir / "last-port"

    # ------------------------------------------------------------------ inspection

    def info(self) -> NodeInfo | None:
        """The running node, or None if it is stopped (a stale record is cleaned up)."""
        try:
            data = json.loads(self.info_file.read_text(encoding="utf-8"))
            info = NodeInfo(**data)
        except (OSError, ValueError, TypeError):
            return None
        if not _pid_alive(info.pid) or not _rpc_answers(info.rpc_url):
            if not _pid_alive(info.pid):
                self.info_file.unlink(missing_ok=True)
            return None
        return info

    def require(self) -> NodeInfo:
        info = self.info()
        if info is None:
            raise LocalChainNotRunningError(
                "The local chain is not running: start it with `medcred chain start` "
                "(or use --chain memory for a throw-away in-process chain)."
            )
        return info

    # ------------------------------------------------------------------ lifecycle

    def start(self, port: int | None = None) -> NodeInfo:
        """Start the node (idempotent: returns the running one if there is one).

        The port is `port`, else the one used last time (so RPC URLs written into configuration
        stay valid), else 8545; a free one when that is taken.
        """
        running = self.info()
        if running is not None:
            return running
        private_dir(self.dir)
        binary = find_anvil()
        preferred = port or self._last_port() or DEFAULT_PORT
        chosen = preferred if _port_free(preferred) else _free_port()
        args = [
            str(binary),
            "--host", "127.0.0.1",
            "--port", str(chosen),
            "--chain-id", str(LOCAL_CHAIN_ID),
            "--state", str(self.state_file),
            "--state-interval", str(STATE_INTERVAL_S),
        ]  # fmt: skip
        with private_file(self.log_file).open("ab") as log:
            proc = subprocess.Popen(  # umask: anvil's state file is as private as the rest
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                umask=0o077,
            )
        info = NodeInfo(pid=proc.pid, port=chosen, chain_id=LOCAL_CHAIN_ID, started_at=time.time())
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ChainError(f"anvil exited at start (code {proc.returncode}); see {self.log_file}.")
            if _rpc_answers(info.rpc_url):
                write_private(self.info_file, json.dumps(asdict(info)))
                write_private(self.port_file, str(chosen))
                return info
            time.sleep(0.1)
        proc.kill()
        raise ChainError(f"anvil did not answer within {START_TIMEOUT_S:.0f} s; see {self.log_file}.")

    def _last_port(self) -> int | None:
        try:
            return int(self.port_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> bool:
        """Stop the node, letting it write its state; False if it was not running."""
        try:
            info = NodeInfo(**json.loads(self.info_file.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return False
        stopped = False
        if _pid_alive(info.pid):
            os.kill(info.pid, signal.SIGINT)  # anvil dumps its state on SIGINT
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while _pid_alive(info.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _pid_alive(info.pid):
                os.kill(info.pid, signal.SIGKILL)
            stopped = True
        self.info_file.unlink(missing_ok=True)
        return stopped


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this very process still "exists"; reap it if so.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0


def _rpc_answers(url: str) -> bool:
    try:
        response = requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1
        )
        return response.ok and "result" in response.json()
    except (requests.RequestException, ValueError):
        return False


def _port_free(port: int) -> bool:
    """Whether nothing listens on `port`. SO_REUSEADDR as anvil binds it: connections of a node
    that just stopped linger in TIME_WAIT and must not push a restart onto another port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
