"""The data folder is private and the master key can live elsewhere (issue 9).

- After a real cycle on anvil (chain start, registry deploy, institution, issue, anchor, revoke,
  chain stop) with the usual umask 022, every folder in the data folder is 0700 and every file
  0600: the database and its WAL/SHM, the keys, the chain's state and log, deployment records,
  verifier.toml. A folder made world-readable before is tightened when the issuer opens it.
- The master key from MEDCRED_MASTER_KEY or from MEDCRED_MASTER_KEY_FILE outside the folder: no key
  in the folder, and a copy of the folder decrypts nothing.
- `medcred serve` on a non-loopback address warns once on stderr while the key sits beside the
  database, and not when it is elsewhere or the server is on loopback; the gunicorn entry warns too.
"""

from __future__ import annotations

import logging
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from issuer.chain.backends import memory_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.config import ConfigError, ServiceConfig
from issuer.data_folder import secure_tree
from issuer.key_placement import key_placement_warning
from issuer.secrets import SecretError, generate_master_key
from issuer.service import IssuerService
from verifier.cli import _load_plugins, cli
from verifier.settings import Settings

WARNING = "sits in the data folder beside the database"


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def deployed(data_dir: Path) -> Settings:
    """Settings for a data folder with a registry on a fresh in-process chain."""
    settings = Settings(data_dir=data_dir, chain="memory")
    chain = memory_chain(fresh=True)
    deployment_store(settings, chain).save(deploy_registry(TransactionSender(chain.w3, chain.governor())))
    return settings


def modes(folder: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def assert_private(folder: Path) -> None:
    wrong = {
        name: oct(mode)
        for name, mode in modes(folder).items()
        if mode != (0o700 if (folder / name).is_dir() else 0o600)
    }
    assert not wrong, f"not private: {wrong}"


def medcred(data: Path, *args: str, env: dict[str, str] | None = None, code: int = 0) -> str:
    _load_plugins()
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--chain", "local", *args], env=env)
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.local
def test_after_a_real_issue_anchor_cycle_everything_is_private(tmp_path: Path, usual_umask: None) -> None:
    data = tmp_path / "var"
    env = {"MEDCRED_MASTER_KEY": "", "MEDCRED_MASTER_KEY_FILE": ""}
    medcred(data, "chain", "start", "--port", "18641", env=env)
    try:
        medcred(data, "registry", "deploy", env=env)
        medcred(data, "institution", "create", "Private School", "--slug", "ps", env=env)
        out = medcred(data, "issue", "--institution", "ps", "--template", "acls", "--email", "p@example.org",
                      "-o", str(tmp_path / "c.json"), "--no-wait", env=env)  # fmt: skip
        assert "Traceback" not in out
        assert "self-check ok" in medcred(data, "anchor", env=env)
        credential_id = __import__("json").loads((tmp_path / "c.json").read_text())["id"]
        medcred(data, "revoke", credential_id, "--reason", "withdrawn", env=env)
    finally:
        medcred(data, "chain", "stop", env=env)
    names = set(modes(data))
    expected = {"medcred.db", "master.key", "verifier.toml", "chain", "chain/state.json", "chain/anvil.log"}
    assert expected <= names, names
    assert any(name.startswith("deployments/") for name in names)
    assert_private(data)


def test_sqlite_wal_and_shm_files_are_private(tmp_path: Path, usual_umask: None) -> None:
    settings = deployed(tmp_path / "var")
    env = {"MEDCRED_MASTER_KEY": generate_master_key()}
    with IssuerService(ServiceConfig.from_settings(settings, env=env)) as service:
        service.create_institution("Wal School", slug="wal")
        service.issue("wal", "acls", "w@example.org")
        names = set(modes(settings.data_dir))
        assert {"medcred.db", "medcred.db-wal", "medcred.db-shm"} <= names, names
        assert_private(settings.data_dir)


def test_a_folder_made_readable_before_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "old"
    (data / "chain").mkdir(parents=True, mode=0o755)
    data.chmod(0o755)
    (data / "chain").chmod(0o755)
    (data / "medcred.db").write_bytes(b"")
    (data / "medcred.db").chmod(0o644)
    (data / "master.key").write_text(generate_master_key())
    (data / "master.key").chmod(0o600)
    (data / "chain" / "state.json").write_text("{}")
    (data / "chain" / "state.json").chmod(0o664)
    secure_tree(data)
    assert_private(data)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # a sticky folder such as /tmp is shared on purpose: left alone
    secure_tree(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


def test_the_master_key_from_a_file_outside_the_data_folder(tmp_path: Path) -> None:
    settings = deployed(tmp_path / "var")
    key_file = tmp_path / "secrets" / "medcred-master.key"
    env = {"MEDCRED_MASTER_KEY_FILE": str(key_file)}
    with IssuerService(ServiceConfig.from_settings(settings, env=env)) as service:
        service.create_institution("File Key School", slug="fk")
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (settings.data_dir / "master.key").exists()
    with IssuerService(ServiceConfig.from_settings(settings, env=env)) as service:
        assert service.issue("fk", "acls", "k@example.org").id  # the key file opens the sealed keys
    # A copy of the data folder alone decrypts nothing: a fresh key file does not open the keys.
    with IssuerService(ServiceConfig.from_settings(settings, env={})) as service:
        assert (settings.data_dir / "master.key").exists()
        with pytest.raises(SecretError, match="MEDCRED_MASTER_KEY_FILE"):
            service.issue("fk", "acls", "k@example.org")


def test_the_master_key_from_the_environment(tmp_path: Path) -> None:
    settings = deployed(tmp_path / "var")
    env = {"MEDCRED_MASTER_KEY": generate_master_key()}
    with IssuerService(ServiceConfig.from_settings(settings, env=env)) as service:
        service.create_institution("Env Key School", slug="ek")
        assert service.issue("ek", "acls", "e@example.org").id
    assert not (settings.data_dir / "master.key").exists()
    assert key_placement_warning(ServiceConfig.from_settings(settings, env=env), "0.0.0.0") is None


def test_moving_the_key_is_not_mistaken_for_starting_a_new_one(tmp_path: Path) -> None:
    settings = deployed(tmp_path / "var")
    with IssuerService(ServiceConfig.from_settings(settings, env={})) as service:
        service.create_institution("Moving School", slug="mv")
    target = tmp_path / "elsewhere" / "master.key"
    env = {"MEDCRED_MASTER_KEY_FILE": str(target)}
    with pytest.raises(ConfigError, match=r"Move it there \(mv "):
        IssuerService(ServiceConfig.from_settings(settings, env=env))
    assert not target.exists()
    target.parent.mkdir()
    (settings.data_dir / "master.key").rename(target)
    with IssuerService(ServiceConfig.from_settings(settings, env=env)) as service:
        assert service.issue("mv", "acls", "m@example.org").id


def test_the_warning_says_where_the_key_is_and_what_to_do(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", chain="memory")
    beside = ServiceConfig.from_settings(settings, env={})
    text = key_placement_warning(beside, "0.0.0.0")
    assert text is not None and WARNING in text and "MEDCRED_MASTER_KEY_FILE" in text
    assert str(settings.data_dir / "master.key") in text
    assert key_placement_warning(beside, "127.0.0.1") is None
    assert key_placement_warning(beside, "::1") is None
    assert key_placement_warning(beside, None) is not None  # gunicorn: the address is unknown
    elsewhere = ServiceConfig.from_settings(settings, env={"MEDCRED_MASTER_KEY_FILE": str(tmp_path / "k")})
    assert key_placement_warning(elsewhere, "0.0.0.0") is None
    postgres = ServiceConfig.from_settings(settings, env={"DATABASE_URL": "postgresql://db.example/medcred"})
    assert key_placement_warning(postgres, "0.0.0.0") is None  # the database is not in the folder


def serve_output(data: Path, host: str, env: dict[str, str]) -> str:
    """Start `medcred serve` on HOST, wait until it is ready, stop it; its whole output."""
    process = subprocess.Popen(
        [sys.executable, "-m", "verifier", "--data-dir", str(data), "--chain", "memory", "serve",
         "--host", host, "--port", "0", "--no-worker"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    return "".join(lines) + rest


def test_serve_beyond_loopback_warns_once_about_a_key_beside_the_database(tmp_path: Path) -> None:
    data = tmp_path / "var"
    clean = {"MEDCRED_MASTER_KEY": "", "MEDCRED_MASTER_KEY_FILE": ""}
    output = serve_output(data, "0.0.0.0", clean)
    assert output.count(WARNING) == 1, output
    assert "Traceback" not in output
    assert WARNING not in serve_output(data, "127.0.0.1", clean)
    key_file = tmp_path / "outside.key"
    (data / "master.key").rename(key_file)
    assert WARNING not in serve_output(data, "0.0.0.0", {**clean, "MEDCRED_MASTER_KEY_FILE": str(key_file)})
    assert (data / "web-secret.key").exists()
    assert_private(data)  # what serve wrote too: the web secret, the public URL it serves under


def test_the_gunicorn_entry_warns_about_a_key_beside_the_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from issuer.web.wsgi import PerProcessApp

    monkeypatch.delenv("MEDCRED_MASTER_KEY", raising=False)
    monkeypatch.delenv("MEDCRED_MASTER_KEY_FILE", raising=False)
    with caplog.at_level(logging.WARNING, logger="medcred.security"):
        app = PerProcessApp(Settings(data_dir=tmp_path / "var", chain="memory"))
    assert app.service is not None
    app.service.close()
    assert [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]
