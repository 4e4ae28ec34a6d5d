"""The committed build artifact of CredentialRegistry, and decoding of its custom errors.

The artifact is produced by `scripts/build-contract.mjs` and checked for freshness by the test suite,
so the ABI loaded here always matches `contracts/CredentialRegistry.sol`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector

from verifier.resources import registry_artifact_path


@dataclass(frozen=True)
class RegistryArtifact:
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str


@cache
def load_artifact() -> RegistryArtifact:
    data = json.loads(registry_artifact_path().read_text(encoding="utf-8"))
    return RegistryArtifact(
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        compiler_version=data["compiler"]["version"],
    )


def _canonical_type(entry: dict[str, Any]) -> str:
    """ABI type string of an input, expanding tuples (none of our errors use them, but be exact)."""
    kind = entry["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in entry["components"])
        return f"({inner}){kind[5:]}"
    return kind


@cache
def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for entry in load_artifact().abi:
        if entry.get("type") != "error":
            continue
        types = [_canonical_type(i) for i in entry["inputs"]]
        names = [i["name"] for i in entry["inputs"]]
        selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
        table[selector] = (entry["name"], types, names)
    return table


@dataclass(frozen=True)
class DecodedError:
    name: str
    args: dict[str, Any]

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args.items())
        return f"{self.name}({shown})"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def decode_custom_error(data: str | bytes | None) -> DecodedError | None:
    """Turn revert data into the registry's custom error name and arguments (None if unknown)."""
    if data is None:
        return None
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
    if len(raw) < 4:
        return None
    known = _error_table().get(raw[:4])
    if known is None:
        if raw[:4] == function_signature_to_4byte_selector("Error(string)"):
            (message,) = abi_decode(["string"], raw[4:])
            return DecodedError("Error", {"message": message})
        return None
    name, types, names = known
    try:
        values = abi_decode(types, raw[4:])
    except Exception:
        return DecodedError(name, {})
    return DecodedError(name, dict(zip(names, values, strict=True)))
