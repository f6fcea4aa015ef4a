"""Test-only: on PYTHONPATH with ATNN_TEST_GATE=<file>, every sweep trial (in any worker process, spawned ones too)
pauses after its first epoch until <file> exists, still answering Ctrl-C. So a test catches "two trials running"
whatever the machine's speed: no trial can finish before the other worker's first epoch."""
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

    _train = atnn.sweep.train
    def _gated_train(*a, cbs=(), **kw): return _train(*a, cbs=[*cbs, Gate()], **kw)
    atnn.sweep.train = _gated_train
