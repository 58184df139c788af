"""The benchmark: Python helpers for the peers live in bench.peers (run from the repo root with python3 -m)."""
