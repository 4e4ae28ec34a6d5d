"""Trust beyond registries: [[trusted_issuer]] and [[trust_list]] (DCC issuer registry format, and a
plain list), against a credential signed by the reference JavaScript library (npm
@digitalbazaar/vc, tests/vectors/foreign) whose issuer is on no MedCred registry, and MedCred's own."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from credentials.helpers import VECTORS

from verifier.cli import _load_plugins, cli
from verifier.config import VerifierConfig, load_config, parse_config
from verifier.errors import InputError
from verifier.pipeline import Verifier
from verifier.report import INVALID, VALID, CheckStatus
from verifier.trust import TrustListSource, TrustStore, parse_trust_list

from .servers import credential_host
from .world import Institution, World

FIXTURES = json.loads((VECTORS / "foreign" / "fixtures.json").read_text(encoding="utf-8"))
FOREIGN = FIXTURES["credentials"]["eddsa-rdfc-2022_did-key"]
FOREIGN_DID = FOREIGN["issuer"]["id"]
WEB_FOREIGN = FIXTURES["credentials"]["eddsa-rdfc-2022_did-web-jwk"]


def dcc_registry(*entries: tuple[str, str]) -> dict[str, Any]:
    """A list in the DCC issuer registry format (as its known-issuer registries publish them)."""
    return {
        "meta": {"created": "2025-01-01T00:00:00Z", "updated": "2025-06-01T00:00:00Z"},
        "registry": {did: {"name": name, "url": "https://school.example", "location": "Boston, MA"}
                     for did, name in entries},
    }  # fmt: skip


def _failed(report: Any) -> dict[str, str]:
    return {c.name: c.code for c in report.failed}


def _config(tmp_path: Path, world: World, text: str) -> VerifierConfig:
    file = tmp_path / "verifier.toml"
    file.write_text(text)
    loaded = load_config(file)
    return replace(world.config(), trusted_issuers=loaded.trusted_issuers, trust_lists=loaded.trust_lists,
                   source=file)  # fmt: skip


def test_a_foreign_credential_from_a_trusted_issuer_is_valid_without_a_registry(
    world: World, tmp_path: Path
) -> None:
    config = _config(
        tmp_path,
        world,
        f'[[trusted_issuer]]\ndid = "{FOREIGN_DID}"\nname = "Example School of Nursing (NY)"\n',
    )
    report = Verifier(config).verify(FOREIGN)
    assert report.status == VALID, report.to_json()
    trust = report.check("trust")
    assert trust is not None and trust.status is CheckStatus.PASS and trust.code == "trusted_trusted_issuer"
    assert "not anchored on a registry" in trust.message
    assert report.summary.trust == (
        "trusted by name in your configuration ([[trusted_issuer]]); not anchored on a registry"
    )
    # The name shown is the configuration's, not the one the credential gives itself.
    assert report.summary.issuer_name == "Example School of Nursing (NY)"
    assert report.check("anchor") is None


def test_a_dcc_trust_list_file(world: World, tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "nursing.json").write_text(
        json.dumps(dcc_registry(("did:key:z6MkOther", "Other"), (FOREIGN_DID, "Example School of Nursing")))
    )
    config = _config(
        tmp_path, world, '[[trust_list]]\nname = "State nursing board"\nsource = "lists/nursing.json"\n'
    )
    report = Verifier(config).verify(FOREIGN)
    assert report.status == VALID, report.to_json()
    assert report.summary.trust == "trusted by list State nursing board; not anchored on a registry"
    assert report.check("trust").details == {"basis": "trust_list", "source": "State nursing board"}


def test_a_trust_list_url_is_fetched_through_the_hardened_fetcher(world: World, tmp_path: Path) -> None:
    plain = {"issuers": [{"id": FOREIGN_DID, "name": "Example School of Nursing"}]}
    with credential_host() as host:
        url = host.put("trusted.json", plain)
        text = f'[[trust_list]]\nname = "Published list"\nsource = "{url}"\n'
        refused = Verifier(_config(tmp_path, world, text)).verify(FOREIGN)
        # A loopback URL is refused unless allowed: the list vouches for nobody, and says why.
        assert _failed(refused) == {"trust": "issuer_not_trusted"}
        assert refused.check("trust_list").status is CheckStatus.WARN
        allowed = replace(_config(tmp_path, world, text), allow_hosts=host.allow)
        report = Verifier(allowed).verify(FOREIGN)
    assert report.status == VALID, report.to_json()
    assert report.summary.trust == "trusted by list Published list; not anchored on a registry"


def test_an_issuer_trusted_by_nothing_is_invalid_and_its_name_is_not_confirmed(world: World) -> None:
    report = Verifier(world.config()).verify(FOREIGN)
    assert report.status == INVALID
    assert _failed(report) == {"trust": "issuer_not_trusted"}
    assert report.headline.startswith("Issuer not trusted")
    assert "calling itself Example School of Nursing" in report.headline
    issuer = report.check("issuer")
    assert issuer.status is CheckStatus.PASS and "Example School of Nursing" not in issuer.message
    assert report.check("signature").status is CheckStatus.PASS


def test_an_unreadable_trust_list_vouches_for_nobody(world: World, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{ not json")
    text = (
        '[[trust_list]]\nname = "Broken"\nsource = "broken.json"\n'
        '[[trust_list]]\nname = "Missing"\nsource = "nowhere.json"\n'
    )
    report = Verifier(_config(tmp_path, world, text)).verify(FOREIGN)
    assert _failed(report) == {"trust": "issuer_not_trusted"}
    warnings = [c for c in report.checks if c.name == "trust_list"]
    assert [c.code for c in warnings] == ["trust_list_invalid", "trust_list_unreachable"]


def test_a_registry_issuer_takes_the_registry_path_whatever_the_lists_say(
    world: World, institution: Institution, tmp_path: Path
) -> None:
    """On a trusted registry, an issuer's credential needs its anchor: a list cannot replace it."""
    (tmp_path / "list.json").write_text(json.dumps(dcc_registry((institution.did, "Listed too"))))
    config = _config(tmp_path, world, '[[trust_list]]\nname = "L"\nsource = "list.json"\n')
    (anchored,) = world.issue_anchored(institution)
    report = Verifier(config).verify(anchored)
    assert report.status == VALID
    assert report.check("trust") is None and report.check("anchor").status is CheckStatus.PASS
    assert report.summary.trust.startswith(
        "anchored on a trusted registry: Recorded on MedCred test registry"
    )
    (unanchored,) = world.issue(institution)
    report = Verifier(config).verify(unanchored)
    # The registry's rule (the issuer's copy decides: PENDING or INVALID), never the list's VALID.
    assert report.check("trust") is None and report.check("anchor") is not None
    assert report.status != VALID


def test_parsing_lists_and_configuration() -> None:
    assert parse_trust_list(json.dumps(dcc_registry(("did:web:a.example", "A"))).encode(), "x") == {
        "did:web:a.example": "A"
    }
    legacy = {"meta": {}, "entries": {"did:key:z6Mk1": {"name": "One"}, "not-a-did": {"name": "x"}}}
    assert parse_trust_list(json.dumps(legacy).encode(), "x") == {"did:key:z6Mk1": "One"}
    assert parse_trust_list(b'[{"did": "did:web:b.example"}, "did:web:c.example"]', "x") == {
        "did:web:b.example": None,
        "did:web:c.example": None,
    }
    assert parse_trust_list(b"\xef\xbb\xbf" + json.dumps({"issuers": []}).encode(), "x") == {}
    config = parse_config(
        '[[trusted_issuer]]\ndid = "did:web:s.example"\nname = "S"\n'
        '[[trust_list]]\nname = "L"\nsource = "https://lists.example/l.json"\n'
    )
    assert config.trusts_anything and config.trust_lists[0].is_url
    for bad in (
        '[[trusted_issuer]]\ndid = "https://s.example"\nname = "S"\n',
        '[[trusted_issuer]]\ndid = "did:web:s.example"\n',
        '[[trust_list]]\nname = "L"\nsource = "ftp://x/l.json"\n',
        "trust_list = 3\n",
    ):
        with pytest.raises(InputError):
            parse_config(bad)
    store = TrustStore(trust_lists=[TrustListSource("U", "https://lists.example/l.json")])
    basis, errors = store.lookup("did:web:s.example")
    assert basis is None and errors[0].code == "trust_list_unreachable"


def _cli(*args: str, stdin: str | None = None) -> Any:
    _load_plugins()
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_cli_trusted_issuer_and_cannot_check(tmp_path: Path) -> None:
    trusted = tmp_path / "trusted.toml"
    trusted.write_text(f'[[trusted_issuer]]\ndid = "{FOREIGN_DID}"\nname = "Example School of Nursing"\n')
    result = _cli("verify", "--config", str(trusted), "-", stdin=json.dumps(FOREIGN))
    assert result.exit_code == 0, result.output
    assert "trusted by name in your configuration" in result.output
    empty = tmp_path / "empty.toml"
    empty.write_text("[network]\ntimeout = 5\n")
    for command in (["verify", "-"], ["verify-batch", "--quiet", str(tmp_path / "x.json")]):
        (tmp_path / "x.json").write_text(json.dumps(FOREIGN))
        result = _cli(command[0], "--config", str(empty), *command[1:], stdin=json.dumps(FOREIGN))
        assert result.exit_code == 2, result.output
        assert "Cannot check: no trusted registry, [[trusted_issuer]] or [[trust_list]]" in result.output


def test_the_page_names_the_trust_basis_and_flags_an_untrusted_name(world: World, tmp_path: Path) -> None:
    from verifier.web.app import create_app

    untrusted = create_app(world.config()).test_client()
    page = untrusted.post("/verify", data={"credential_json": json.dumps(FOREIGN)}).get_data(as_text=True)
    assert 'data-status="INVALID"' in page and "Issuer not trusted" in page
    assert "not trusted: the name is the credential's own claim" in page
    assert 'data-check="issuer" data-status="pass"' in page and "Example School of Nursing." not in page
    text = f'[[trusted_issuer]]\ndid = "{FOREIGN_DID}"\nname = "Example School of Nursing"\n'
    trusted = create_app(_config(tmp_path, world, text)).test_client()
    page = trusted.post("/verify", data={"credential_json": json.dumps(FOREIGN)}).get_data(as_text=True)
    assert 'data-status="VALID"' in page
    assert '<dd id="trust">Trusted by name in your configuration ([[trusted_issuer]]); not anchored' in page


def test_a_presentation_mixing_a_list_trusted_and_a_registry_credential(
    world: World, institution: Institution, tmp_path: Path
) -> None:
    """A nurse presents a foreign badge (issuer on a trust list) with an anchored MedCred credential."""
    from verifier.presentation import PresentationReport, verify_submission

    from .reference_wallet import sign_presentation

    (anchored,) = world.issue_anchored(institution)
    signed = sign_presentation([FOREIGN, anchored], challenge="c-mix", domain="board.example.org")
    assert signed.presentation is not None, signed.error
    data = json.dumps(signed.presentation)
    untrusted = verify_submission(
        Verifier(world.config()), data, challenge="c-mix", domain="board.example.org"
    )
    assert isinstance(untrusted, PresentationReport) and untrusted.status == INVALID
    assert untrusted.headline.startswith("Credential 1 of 2: Issuer not trusted")
    (tmp_path / "list.json").write_text(json.dumps(dcc_registry((FOREIGN_DID, "Example School of Nursing"))))
    config = _config(tmp_path, world, '[[trust_list]]\nname = "Nursing board"\nsource = "list.json"\n')
    report = verify_submission(Verifier(config), data, challenge="c-mix", domain="board.example.org")
    assert isinstance(report, PresentationReport) and report.status == VALID, report.to_json()
    assert [c.report.summary.trust.split(";")[0].split(":")[0] for c in report.credentials] == [
        "trusted by list Nursing board",
        "anchored on a trusted registry",
    ]
