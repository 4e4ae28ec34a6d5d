"""Where the registry was deployed, remembered in the data folder so later commands find it.

One record per chain id (`<data-dir>/deployments/<chain-id>.json`), so a data folder can serve a local
chain and a testnet side by side. The in-process chain is forgotten with its process, so its record
is kept in memory only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from issuer.data_folder import write_private
from verifier.errors import RegistryNotFoundError


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    address: str
    block_number: int
    tx_hash: str
    deployer: str
    deployed_at: float


_memory_records: dict[int, Deployment] = {}


class DeploymentStore:
    def __init__(self, data_dir: Path, persistent: bool = True) -> None:
        self.dir = Path(data_dir) / "deployments"
        self.persistent = persistent

    def _path(self, chain_id: int) -> Path:
        return self.dir / f"{chain_id}.json"

    def save(self, deployment: Deployment) -> None:
        if not self.persistent:
            _memory_records[deployment.chain_id] = deployment
            return
        write_private(self._path(deployment.chain_id), json.dumps(asdict(deployment), indent=2) + "\n")

    def load(self, chain_id: int) -> Deployment | None:
        if not self.persistent:
            return _memory_records.get(chain_id)
        try:
            return Deployment(**json.loads(self._path(chain_id).read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as exc:
            raise RegistryNotFoundError(
                f"The deployment record {self._path(chain_id)} is corrupt: {exc}."
            ) from exc

    def require(self, chain_id: int) -> Deployment:
        found = self.load(chain_id)
        if found is None:
            raise RegistryNotFoundError(
                f"No registry is recorded for chain {chain_id} in this data folder: "
                "run `medcred registry deploy` first."
            )
        return found
