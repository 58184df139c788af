"""spark-nano's training pipeline (see README.md). Its scripts run as files (`/usr/bin/python3 training/X.py`)
and import one another by plain module name; code outside training/ imports it as a package from the repo
root (bench/peers: `from training import formats`). tests/test_structure.py keeps the imports free of cycles.
"""
