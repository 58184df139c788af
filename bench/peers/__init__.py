"""Exports and a PyTorch reference for the peers bench (run from the repo root: python3 -m bench.peers.<script>)."""
