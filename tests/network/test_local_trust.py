"""The issuer's own configurations let the verifier fetch from the local issuer, and nothing more."""

from __future__ import annotations

from pathlib import Path

from issuer.chain.context import allow_local_origin
from issuer.web.trust import trusting_own_origin
from verifier.config import CONFIG_FILENAME, TrustedRegistry, VerifierConfig, load_config, render_config
from verifier.settings import Settings

REGISTRY = TrustedRegistry(
    "local", 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", "http://127.0.0.1:8545"
)


def test_medcred_run_allows_its_loopback_origin_in_verifier_toml(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chain="local")
    path = tmp_path / CONFIG_FILENAME
    path.write_text(render_config([REGISTRY]))
    allow_local_origin(settings, "http://127.0.0.1:8000")
    allow_local_origin(settings, "http://localhost:8001/")
    allow_local_origin(settings, "https://issuer.example.org")  # public: nothing to allow
    config = load_config(path)
    assert config.allow_hosts == {"127.0.0.1:8000", "localhost:8001"}
    assert config.registries == (REGISTRY,)


def test_the_issuer_page_may_fetch_from_its_own_public_origin() -> None:
    config = trusting_own_origin(
        VerifierConfig(allow_hosts=frozenset({"10.0.0.5:80"})), "http://127.0.0.1:8123"
    )()
    assert config.allow_hosts == {"10.0.0.5:80", "127.0.0.1:8123"}
    lazy = trusting_own_origin(VerifierConfig, "https://issuer.example.org/")()
    assert lazy.allow_hosts == {"issuer.example.org:443"}
