"""Test-only: on PYTHONPATH with ATNN_TEST_HOLD=all (or trial numbers, 1,2), those sweep trials, in any worker process
(spawned ones too), stop after their first epoch and wait there for Ctrl-C (or a kill). So a test catches "a trial
running" whatever the machine's speed: a held trial cannot finish first."""
import os

if os.environ.get('ATNN_TEST_HOLD'):
    import time
    import atnn.sweep
    from atnn.utils import check_stop

    class Hold:
        order = 100                                   # after metrics.jsonl has the epoch's line
        def after_epoch(self, learn):
            while True:
                check_stop()                          # Ctrl-C: as between two steps
                time.sleep(0.02)

    def held(cfg) -> bool:
        which = os.environ['ATNN_TEST_HOLD']
        return which == 'all' or cfg.name in which.split(',')

    _train = atnn.sweep.train
    def _held_train(cfg, *a, cbs=(), **kw): return _train(cfg, *a, cbs=[*cbs, Hold()] if held(cfg) else cbs, **kw)
    atnn.sweep.train = _held_train
