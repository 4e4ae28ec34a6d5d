"""Writing to the chain: the managed local node, backends, transactions and registry calls."""
