"""A malformed URL anywhere a user can give one is a 400 with a sentence, never a 500 or a logged
traceback: the verifier page's deep link and form, in the issuer app and in `verify-server`'s app,
and `medcred verify URL` (exit code 2). Replays issue 9's `/verify?credential=http://[::1`."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from web_fixtures import WebWorld

from verifier.cli import _load_plugins, cli
from verifier.config import TrustedRegistry, render_config
from verifier.urls import MalformedURLError, check_http_url
from verifier.web.app import create_app as create_verifier_app

MALFORMED = [
    "http://[::1",  # the example: an IPv6 literal never closed
    "http://[zz]/credential",  # brackets around something that is not IPv6
    "https://[fe80::1%eth0]/c",  # an IPv6 zone
    "http://[::1]:99999/c",  # port out of range
    "http://example.org:abc/c",  # port not a number
    "http://exa mple.org/c",  # a space
    "http://exa\x00mple.org/c",  # a control character
    "http://ex\u2100.org/c",  # NFKC turns the host into something with a slash
    "http://a..b/c",  # an empty label
    "http://" + "a" * 64 + ".org/c",  # a label over 63 characters
    "http:///c",  # no host
    "http://:80/c",  # no host, a port
    "ftp://example.org/c",  # not http(s)
    "javascript:alert(1)",
    "https://example.org/" + "x" * 5000,  # too long
]


@pytest.fixture(params=["issuer", "verify-server"])
def app(request: pytest.FixtureRequest, world: WebWorld) -> Flask:
    if request.param == "issuer":
        return world.app
    standalone = create_verifier_app(world.verifier_config)
    standalone.config["TESTING"] = True
    return standalone


@pytest.mark.parametrize("url", MALFORMED)
def test_a_malformed_url_is_a_400_with_a_sentence(
    app: Flask, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        deep_link = client.get("/verify", query_string={"credential": url})
        form = client.post("/verify", data={"credential_url": url})
        wrapped = client.get(
            "/verify", query_string={"credential": f"https://v.example/verify?credential={url}"}
        )
    for response in (deep_link, form):
        assert response.status_code == 400, (url, response.status_code)
        page = response.get_data(as_text=True)
        assert "is not a valid URL" in page or "URL is empty" in page
        assert "Traceback" not in page
    if url.startswith("http"):  # a QR link to a verifier page, wrapping the malformed URL
        assert wrapped.status_code == 400, (url, wrapped.status_code)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text


def test_the_sentence_names_the_url_and_why() -> None:
    with pytest.raises(MalformedURLError, match=r"'http://\[::1' is not a valid URL: .*brackets"):
        check_http_url("http://[::1")
    with pytest.raises(MalformedURLError, match="port"):
        check_http_url("http://example.org:99999/")
    with pytest.raises(MalformedURLError, match="longer than 2,048"):
        check_http_url("https://example.org/" + "x" * 3000)


@pytest.mark.parametrize(
    "url",
    [
        "https://school.example/credentials/1",
        "http://127.0.0.1:8000/credentials/abc?x=1#f",
        "http://[::1]:8000/c",
        "https://bücher.example/c",
        "https://user@school.example/c",
    ],
)
def test_well_formed_urls_pass_unchanged(url: str) -> None:
    assert check_http_url(f"  {url} ") == url


def test_the_cli_answers_exit_code_2_with_the_sentence(tmp_path: Path) -> None:
    trust = tmp_path / "verifier.toml"
    trust.write_text(render_config([TrustedRegistry("r", 31337, "0x" + "11" * 20, "http://127.0.0.1:9")]))
    _load_plugins()
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "verify", "--config", str(trust), "http://[::1"]
    )
    assert result.exit_code == 2, result.output
    assert "is not a valid URL" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("url", ["http://[::1", "http://example.org:abc", "http://a..b/"])
def test_a_malformed_chain_or_public_url_is_a_sentence_not_a_traceback(tmp_path: Path, url: str) -> None:
    _load_plugins()
    chain = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "--chain", url, "registry", "show"])
    assert chain.exit_code != 0 and "is not a valid URL" in chain.output, chain.output
    assert chain.exception is None or isinstance(chain.exception, SystemExit)
    public = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path), "--chain", "memory", "institution", "list"],
        env={"MEDCRED_PUBLIC_URL": url},
    )
    assert public.exit_code != 0 and "MEDCRED_PUBLIC_URL" in public.output, public.output
    assert public.exception is None or isinstance(public.exception, SystemExit)
