"""The data folder is private: folders 0700, files 0600, whatever the umask says.

    private_dir(path)               # mkdir -p, then 0700
    write_private(path, text)       # atomic write of a 0600 file (in a 0700 folder)
    private_file(path)              # create empty as 0600 if missing, else chmod 0600
    secure_tree(data_dir)           # no group/other access left in a folder made before

The folder holds the SQLite database (private keys sealed, tokens hashed, but credentials name
their holders), its WAL and SHM files, the master key by default, the web secret, the anchoring
lease, the local chain's state and log, deployment records and verifier.toml. Nothing in it is
meant for another user of the machine. SQLite creates `-wal` and `-shm` with the mode of the
database file, so creating that file 0600 first is enough for all three.

Only entries owned by this process's user are changed, and symbolic links are never followed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700; returns it."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists (empty if new) with mode 0600, in a 0700 folder; returns it."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
    os.close(fd)
    _tighten(path, PRIVATE_FILE)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with `text` (UTF-8) as a 0600 file in a 0700 folder."""
    path = Path(path)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def secure_tree(root: Path) -> None:
    """Take group and other permissions off `root` and everything under it (creating `root` if
    missing): what medcred creates is 0700/0600 already, this tightens a folder made before.

    Owner permissions are kept (nothing loses its owner's execute bit). A sticky folder such as
    /tmp given as the data folder is left alone: it is shared by design.
    """
    root = Path(root)
    root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if root.lstat().st_mode & stat.S_ISVTX:
        return
    _strip_shared(root)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            _strip_shared(Path(folder) / name)


def _strip_shared(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
            return
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            os.chmod(path, mode & ~0o077)


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & stat.S_ISVTX:
            return  # not ours, a link, or a shared sticky folder such as /tmp
        if stat.S_IMODE(info.st_mode) != mode:
            os.chmod(path, mode)
