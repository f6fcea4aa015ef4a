"""Side-by-side timing for the benchmark scripts: alternate the compared things, keep the fastest of each."""
import time


def best_of(fns: dict, repeats: int) -> dict:
    "Fastest wall time of each function in `fns`, calling them in turn (ABAB...) `repeats` times."
    best = dict.fromkeys(fns, float('inf'))
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter(); fn(); best[name] = min(best[name], time.perf_counter() - t0)
    return best
