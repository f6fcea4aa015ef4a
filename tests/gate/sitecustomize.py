"""Test-only: on PYTHONPATH with ATNN_TEST_GATE=<file>, sweep trials (in any worker process, spawned ones too) pause
after their first epoch until <file> exists, still answering Ctrl-C; ATNN_TEST_GATE_TRIALS=1,2 holds only those
trials. So a test catches "a trial running" whatever the machine's speed: a held trial cannot finish first."""
import os

if os.environ.get('ATNN_TEST_GATE'):
    import time
    from pathlib import Path
    import atnn.sweep
    from atnn.utils import check_stop

    class Gate:
        order = 100                                   # after metrics.jsonl has the epoch's line
        def after_epoch(self, learn):
            while not Path(os.environ['ATNN_TEST_GATE']).exists():
                check_stop()                          # Ctrl-C: as between two steps
                time.sleep(0.02)

    def held(cfg) -> bool:
        trials = os.environ.get('ATNN_TEST_GATE_TRIALS')
        return trials is None or cfg.name in trials.split(',')

    _train = atnn.sweep.train
    def _gated_train(cfg, *a, cbs=(), **kw): return _train(cfg, *a, cbs=[*cbs, Gate()] if held(cfg) else cbs, **kw)
    atnn.sweep.train = _gated_train
