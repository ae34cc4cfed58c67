"""Progress of long computations: log lines always, a progress bar only for a person at a terminal.

A paper-scale pruning job trains for many GPU-hours; without these lines its log stays empty until it
ends. Log lines are plain prints to stdout, flushed at once (in a Snakemake job stdout is the job's
log, see scripts/_common.py):

* one line per pruning round, :class:`RoundProgress`::

      ffnn imp_wr: round 3/20 n=412 E=-50.123456 eps_rel=1.234e-04 elapsed 1h02m left ~5h51m

  the time left is the mean time of the rounds done by this process times the rounds still to do;
* during a long training phase (pre-training, tickets, a round of many steps) one line every
  :data:`LOG_EVERY` steps, :class:`StepProgress`::

      ffnn pre-training: step 500/10000 E=-49.876543 elapsed 12m30s left ~3h57m

A ``tqdm`` bar on stderr is added only where :func:`enable_bar` was called (the ``sparse-nqs`` command
line does) and stderr is a terminal and not under pytest: never in Snakemake jobs, logs or tests.
"""

from __future__ import annotations

import math
import os
import sys
import time

#: the clock of elapsed and remaining times (a test replaces it)
clock = time.perf_counter

#: steps between two log lines of a long training phase
LOG_EVERY = 500

_bar_enabled = False


def enable_bar(enabled: bool = True) -> None:
    """Allow progress bars in this process (they still appear only at a terminal, see :func:`bar_wanted`)."""
    global _bar_enabled
    _bar_enabled = bool(enabled)


def bar_wanted() -> bool:
    """A bar only for a person: enabled, stderr a terminal, not under pytest."""
    if not _bar_enabled or "PYTEST_CURRENT_TEST" in os.environ:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def _make_bar(**kwargs):
    if not bar_wanted():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a convenience; the log lines carry the information
        return None
    return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)


def duration(seconds: float) -> str:
    """Compact duration: 42s, 3m05s, 2h07m, 3d04h."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, int(round(seconds)))
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    days, h = divmod(hours, 24)
    if days:
        return f"{days}d{h:02d}h"
    if hours:
        return f"{hours}h{m:02d}m"
    if minutes:
        return f"{minutes}m{s:02d}s"
    return f"{s}s"


def _number(value, spec: str) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return format(value, spec) if math.isfinite(value) else "n/a"


def _energy(energy) -> str:
    """One energy, or the mean of a batch's energies (vectorised tickets)."""
    if isinstance(energy, (list, tuple)):
        if not energy:
            return "E=n/a"
        text = f"E={_number(sum(energy) / len(energy), '.6f')}"
        return f"{text} (mean of {len(energy)})" if len(energy) > 1 else text
    return f"E={_number(energy, '.6f')}"


def log(line: str, bar=None) -> None:
    """Print one progress line to stdout now (through the bar, when one is shown, so it stays whole)."""
    if bar is not None:
        bar.write(line, file=sys.stdout)
        sys.stdout.flush()
    else:
        print(line, flush=True)


def remaining(elapsed: float, done: int, left: int) -> float:
    """Seconds left: the mean time per unit done so far times the units left (nan before the first)."""
    return elapsed / done * left if done > 0 else float("nan")


class StepProgress:
    """Progress callback of one training phase: ``progress(step, energy)`` after each step.

    The phase covers global steps ``first_step .. first_step + total - 1``; ``done`` of them were
    already done (a resumed phase) and do not count into the rate. A line every ``every`` steps
    (and at the last step of a phase long enough to have had one), a bar at a terminal.
    """

    def __init__(self, label: str, total: int, first_step: int = 0, done: int = 0, every: int | None = None,
                 leave: bool = True):
        every = LOG_EVERY if every is None else every
        self.label, self.total, self.first_step, self.every = label, int(total), int(first_step), int(every)
        self.done_at_start = int(done)
        self.start = clock()
        self.bar = None
        if self.done_at_start < self.total:
            self.bar = _make_bar(total=self.total, initial=self.done_at_start, desc=label, unit="step",
                                 leave=leave)

    def __call__(self, step: int, energy) -> None:
        done = step - self.first_step + 1
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        if done % self.every == 0 or (done == self.total and self.total >= self.every):
            log(self.line(done, energy), self.bar)
        if done >= self.total:
            self.close()

    def line(self, done: int, energy) -> str:
        elapsed = clock() - self.start
        left = remaining(elapsed, done - self.done_at_start, self.total - done)
        return (f"{self.label}: step {done}/{self.total} {_energy(energy)} elapsed {duration(elapsed)} "
                f"left ~{duration(left)}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def step_progress(label: str, total: int, first_step: int = 0, done: int = 0,
                  leave: bool = True) -> StepProgress | None:
    """A :class:`StepProgress`, or None where it would show nothing (fewer than :data:`LOG_EVERY`
    steps and no bar): short phases then cost nothing per step."""
    if total < LOG_EVERY and not bar_wanted():
        return None
    return StepProgress(label, total, first_step=first_step, done=done, leave=leave)


class RoundProgress:
    """One line per finished pruning round, with the time left from the mean round time so far.

    ``first`` rounds were done before this process started (resumed from disk); the clock starts
    when this object is made, just before the first round of this process.
    """

    def __init__(self, label: str, method: str, first: int, total: int):
        self.label, self.method, self.first, self.total = label, method, int(first), int(total)
        self.start = clock()
        self.bar = None
        if self.first < self.total:
            self.bar = _make_bar(total=self.total, initial=self.first, desc=f"{label} {method}", unit="round")

    def line(self, i: int, row: dict) -> str:
        """The line of round ``i`` (0-based) just finished: ``row`` holds n and the last training energy."""
        elapsed = clock() - self.start
        left = remaining(elapsed, i + 1 - self.first, self.total - i - 1)
        return (f"{self.label} {self.method}: round {i + 1}/{self.total} n={row.get('n', '?')} "
                f"E={_number(row.get('energy'), '.6f')} (training) "
                f"elapsed {duration(elapsed)} left ~{duration(left)}")

    def done(self, i: int, row: dict) -> None:
        if self.bar is not None:
            self.bar.update(i + 1 - self.bar.n)
        log(self.line(i, row), self.bar)
        if i + 1 >= self.total and self.bar is not None:
            self.bar.close()
            self.bar = None
