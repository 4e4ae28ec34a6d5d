"""Connecting to an EVM JSON-RPC node with a timeout and plain-sentence errors."""

from __future__ import annotations

from typing import Any

import requests
from web3 import Web3
from web3.exceptions import Web3RPCError

from verifier.errors import ChainError
from verifier.urls import MalformedURLError, check_http_url

DEFAULT_TIMEOUT_S = 10.0


class ChainUnreachableError(ChainError):
    """The RPC endpoint did not answer."""


class WrongChainError(ChainError):
    """The node answers for another chain than the one configured."""


def connect_rpc(url: str, timeout: float = DEFAULT_TIMEOUT_S) -> Web3:
    """A Web3 client for `url` (http/https) that fails fast instead of hanging on a dead node.

    Retries are disabled: a verifier on a phone would rather hear "unreachable" in seconds.
    """
    if not url.startswith(("http://", "https://")):
        raise ChainError(f"RPC URL {url!r} must start with http:// or https://.")
    try:
        check_http_url(url)
    except MalformedURLError as exc:
        raise ChainError(f"The RPC URL cannot be used: {exc}") from None
    provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
    return Web3(provider)


def describe(w3: Web3) -> str:
    """A short human name for the endpoint behind `w3`, for error messages."""
    endpoint = getattr(w3.provider, "endpoint_uri", None)
    return str(endpoint) if endpoint else type(w3.provider).__name__


def chain_id_of(w3: Web3) -> int:
    """The node's chain id, turning connection failures into `ChainUnreachableError`."""
    return int(call_node(w3, lambda: w3.eth.chain_id))


def call_node(w3: Web3, fn: Any) -> Any:
    """Run one node call, mapping transport failures to a sentence that names the endpoint."""
    try:
        return fn()
    except (requests.exceptions.ConnectionError, ConnectionError) as exc:
        raise ChainUnreachableError(f"The chain node at {describe(w3)} is unreachable.") from exc
    except requests.exceptions.Timeout as exc:
        raise ChainUnreachableError(f"The chain node at {describe(w3)} did not answer in time.") from exc
    except Web3RPCError as exc:
        raise ChainError(f"The chain node at {describe(w3)} refused the request: {exc}") from exc


def expect_chain_id(w3: Web3, expected: int) -> None:
    actual = chain_id_of(w3)
    if actual != expected:
        raise WrongChainError(
            f"The node at {describe(w3)} is on chain {actual}, but chain {expected} was expected."
        )
