"""The one base class of this package's expected errors (as NetKet's ``netket/errors.py``).

Every error that a request can meet (a bad config, model, network or reference; a missing input;
a too-large exact diagonalisation; a missing Julia; a diverged training run) derives from
:class:`SparseNQSError`, so an entry point catches that one class and lets anything else surface as
a bug. Each subclass also keeps the built-in base it had (``ValueError`` for bad input,
``RuntimeError`` for a failed run), so ``except ValueError`` in user code still works.
"""


class SparseNQSError(Exception):
    """An expected failure of a request; the message says what to change or to run."""
