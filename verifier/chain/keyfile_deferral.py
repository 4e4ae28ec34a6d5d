"""Deferring `eth_keyfile`, which web3 imports (through eth_account) and MedCred never uses.

`import web3` imports eth_account, which imports eth_keyfile for `Account.encrypt`/`decrypt`
(Ethereum keystore files), and eth_keyfile's module body imports pycryptodome and py_ecc's BLS12-381
pairing for EIP-2335 keystores: about 0.35 s of a ~0.55 s `import web3`, paid by every
`medcred verify` although neither the verifier nor the issuer reads or writes keystore files (the
issuer seals its keys with its own master key, `issuer.secrets`).

`defer_eth_keyfile()` puts two placeholder modules in `sys.modules` that provide what eth_account
takes from eth_keyfile at import time (`KDFType`, `create_keyfile_json`, `decode_keyfile_json`, the
latter two forwarding to the real functions); the first real use of anything else (or of those two
functions) imports the real eth_keyfile in their place. If eth_keyfile or eth_account is already
imported, or the placeholders are switched off with MEDCRED_NO_DEFERRED_IMPORTS=1, nothing changes.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from typing import Any, Literal

_NAMES = ("eth_keyfile", "eth_keyfile.keyfile")


def _real_eth_keyfile() -> types.ModuleType:
    """Import the real eth_keyfile in place of the placeholders (once) and return it."""
    current = sys.modules.get("eth_keyfile")
    if current is not None and not isinstance(current, _Placeholder):
        return current
    for name in _NAMES:
        sys.modules.pop(name, None)
    return importlib.import_module("eth_keyfile")


class _Placeholder(types.ModuleType):
    """A module whose unknown attributes come from the real eth_keyfile, imported on first use."""

    def __init__(self, name: str, submodule: str) -> None:
        super().__init__(name)
        self._submodule = submodule

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probing __spec__, __path__, ...
            raise AttributeError(name)
        real = _real_eth_keyfile()
        return getattr(getattr(real, self._submodule) if self._submodule else real, name)


def _create_keyfile_json(*args: Any, **kwargs: Any) -> Any:
    return _real_eth_keyfile().create_keyfile_json(*args, **kwargs)


def _decode_keyfile_json(*args: Any, **kwargs: Any) -> Any:
    return _real_eth_keyfile().decode_keyfile_json(*args, **kwargs)


def defer_eth_keyfile() -> bool:
    """Install the placeholders unless eth_keyfile/eth_account is already imported; True if installed."""
    if os.environ.get("MEDCRED_NO_DEFERRED_IMPORTS") or any(
        name in sys.modules for name in (*_NAMES, "eth_account")
    ):
        return False
    package = _Placeholder("eth_keyfile", "")
    keyfile = _Placeholder("eth_keyfile.keyfile", "keyfile")
    package.__path__ = []  # a package, so that `eth_keyfile.keyfile` resolves to the placeholder
    keyfile.KDFType = Literal["pbkdf2", "scrypt"]  # eth_keyfile.keyfile.KDFType, used in annotations
    package.keyfile = keyfile
    package.create_keyfile_json = _create_keyfile_json
    package.decode_keyfile_json = _decode_keyfile_json
    sys.modules.update({"eth_keyfile": package, "eth_keyfile.keyfile": keyfile})
    return True
