"""`python -m verifier` is the `medcred` command."""

from verifier.cli import main

main()
