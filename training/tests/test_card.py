from make_card import fim_mixes, live_records


def start(tokens, fim, spm, line=0.7):
    return {"tokens": tokens, "start": {"fim_rate": fim, "spm_rate": spm, "fim_line_rate": line}}


def test_fim_mix_per_stretch_of_the_run():
    args = {"fim_rate": 0.6, "spm_rate": 0.5}
    # a log without start records: args.json's mix for the whole run
    assert fim_mixes([{"tokens": 10, "loss": 2.0}], args) == [(0, 0.6, 0.5, 0.5)]
    log = [start(0, 0.8, 0.2), {"tokens": 100, "loss": 2.0}, start(100, 0.8, 0.2),  # a plain resume: same mix
           {"tokens": 500, "loss": 1.9},
           start(300, 0.6, 0.5),  # resumed from the checkpoint at 300 with another mix: supersedes 300..500
           {"tokens": 400, "loss": 1.9}]
    assert fim_mixes(log, args) == [(0, 0.8, 0.2, 0.7), (300, 0.6, 0.5, 0.7)]
    # the stretch the resume replaced (its record at 500) is gone; the resume point itself stays
    assert [r["tokens"] for r in live_records(log)] == [0, 100, 100, 300, 400]
    # a restart at the same point with another mix replaces the first start there
    assert fim_mixes([start(0, 0.8, 0.2), start(0, 0.5, 0.5)], args) == [(0, 0.5, 0.5, 0.7)]
