"""The exception hierarchy shared by the verifier and the issuer.

Every error a user can cause (bad input, an unreachable node, an unknown address) is a subclass of
`MedCredError` carrying one plain sentence, so that the CLI and the web layer can show it without a
traceback. Anything else escaping is a bug.
"""


class MedCredError(Exception):
    """Base class: `str(err)` is a complete sentence fit for an end user."""


class InputError(MedCredError):
    """The user's input (a file, an argument, a credential) is malformed."""


class ChainError(MedCredError):
    """The chain could not be reached, is the wrong chain, or refused a transaction."""


class RegistryNotFoundError(ChainError):
    """No registry contract at the configured address (or no deployment recorded)."""


class RegistryOutdatedError(RegistryNotFoundError):
    """The contract at the configured address is an older MedCred registry: it needs a redeploy."""
