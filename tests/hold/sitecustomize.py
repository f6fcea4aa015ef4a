"""Test-only: on PYTHONPATH with ATNN_TEST_HOLD=all (or trial numbers, 1,2), those sweep trials, in any worker process
(spawned ones too), stop after their first epoch and wait there for Ctrl-C (or a kill), or with
ATNN_TEST_HOLD_UNTIL=<path> until that path exists. So a test catches "a trial running" whatever the machine's speed:
a held trial cannot finish first."""
import os

if os.environ.get('ATNN_TEST_HOLD'):
    import time
    from pathlib import Path
    import atnn.sweep
    from atnn.utils import check_stop

    class Hold:
        order = 100                                   # after metrics.jsonl has the epoch's line
        def __init__(self, until): self.until = until
        def after_epoch(self, learn):
            while not (self.until and Path(self.until).exists()):
                check_stop()                          # Ctrl-C: as between two steps
                time.sleep(0.02)

    def held(cfg) -> bool:
        which = os.environ['ATNN_TEST_HOLD']
        return which == 'all' or cfg.name in which.split(',')

    _train = atnn.sweep.train
    def _held_train(cfg, *a, cbs=(), **kw):
        hold = [Hold(os.environ.get('ATNN_TEST_HOLD_UNTIL'))] if held(cfg) else []
        return _train(cfg, *a, cbs=[*cbs, *hold], **kw)
    atnn.sweep.train = _held_train
