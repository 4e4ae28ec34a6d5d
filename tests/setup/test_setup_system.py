"""scripts/setup-system.sh: `make run` / `make test` install the Debian packages they need.

The script runs for real against this machine (where everything is installed) and against a PATH
from which `chromium` is missing, as an unprivileged user, so nothing is installed by the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "setup-system.sh"


def _run(profile: str, path: str | None = None, unprivileged: bool = False) -> subprocess.CompletedProcess:
    env = {"PATH": path or os.environ["PATH"], "LANG": "C.UTF-8"}
    command = ["/bin/bash", str(SCRIPT), profile]
    if unprivileged and os.geteuid() == 0:
        command = ["runuser", "-u", "nobody", "--", *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def bin_dir() -> Iterator[Path]:
    """An empty folder that the unprivileged user can read (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="medcred-setup-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def _bin_without_chromium(folder: Path) -> str:
    """A PATH holding the tools the script looks for, except chromium (and apt-get)."""
    for tool in ("id", "runuser"):
        (folder / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    for marker in ("python3.11", "node", "npm"):
        exe = folder / marker
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    return str(folder)


@pytest.mark.browser
@pytest.mark.postgres
def test_with_everything_installed_it_does_nothing() -> None:
    for profile in ("run", "test"):
        result = _run(profile)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "" and result.stderr == ""


def test_a_missing_package_is_named_with_the_command_that_installs_it(bin_dir: Path) -> None:
    path = _bin_without_chromium(bin_dir)
    result = _run("test", path=path, unprivileged=True)
    assert result.returncode == 1
    # No apt-get on this PATH: the script says so rather than failing obscurely.
    assert "not a Debian system (no apt-get): chromium." in result.stderr


def test_non_root_is_told_what_to_run_as_root(bin_dir: Path) -> None:
    path = _bin_without_chromium(bin_dir)
    (Path(path) / "apt-get").symlink_to(shutil.which("apt-get") or "/usr/bin/apt-get")
    result = _run("test", path=path, unprivileged=True)
    assert result.returncode == 1
    assert re.search(r"needs root: .*\bchromium\b", result.stderr), result.stderr
    assert "apt-get install -y -qq --no-install-recommends chromium" in result.stderr
    # `make run` does not need the browser: the same machine is fine for it.
    assert _run("run", path=path, unprivileged=True).returncode == 0


def test_make_and_ci_install_system_packages_before_anything_else() -> None:
    # Run under `make test` itself (CI), a nested make would print "Entering directory" first.
    env = {
        k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}
    }
    dry = subprocess.run(
        ["make", "-n", "-B", "test"], cwd=REPO, capture_output=True, text=True, check=True, env=env
    ).stdout.splitlines()
    assert dry[0] == "bash scripts/setup-system.sh test"
    assert dry.index("bash scripts/setup-system.sh run") < dry.index("bash scripts/setup-node.sh")
    dry_run = subprocess.run(
        ["make", "-n", "-B", "run"], cwd=REPO, capture_output=True, text=True, env=env
    ).stdout
    assert dry_run.splitlines()[0] == "bash scripts/setup-system.sh run"
    ci = (REPO / ".ci" / "run").read_text()
    assert ci.rstrip().endswith("exec make test")
