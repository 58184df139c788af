def label(scores, sep=", "):
    """Names by score, the best first."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return sep.join(f"{k}={v}" for k, v in ranked)


if __name__ == "__main__":
    data = {"ada": [3, (1, 2)][0], 'bob': 1}
    print(label(data))
    print(label({}) or "empty")
