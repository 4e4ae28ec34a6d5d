"""Global settings shared by every `medcred` command: where data lives and which chain to use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "./var"
DEFAULT_CHAIN = "local"


@dataclass(frozen=True)
class Settings:
    """`data_dir` holds the database, keys, the local chain's state and deployment records.

    `chain` is `memory` (in-process EVM), `local` (the anvil node MedCred manages) or an RPC URL.
    """

    data_dir: Path
    chain: str

    @classmethod
    def from_env(cls, data_dir: str | None = None, chain: str | None = None) -> Settings:
        return cls(
            data_dir=Path(data_dir or os.environ.get("MEDCRED_DATA_DIR") or DEFAULT_DATA_DIR),
            chain=chain or os.environ.get("MEDCRED_CHAIN") or DEFAULT_CHAIN,
        )
