"""Atomic writes: the files get the permissions of a plain open(), so a shared results directory is
readable by the group (mkstemp alone would make every checkpoint, history and record 0600)."""

import os
import stat

import numpy as np
import pandas as pd
import pytest

from sparse_nqs import io


def _write_all(directory):
    """Every kind of file the pipeline leaves for others: records, tables, checkpoints, text, figures."""
    from matplotlib.figure import Figure

    from sparse_nqs.figures import save_figure

    io.write_json_atomic(directory / "record.json", {"energy": -1.5})
    io.write_csv_atomic(directory / "history.csv", pd.DataFrame({"n": [3, 2], "energy": [-1.0, -0.5]}))
    io.write_npz_atomic(directory / "weights.npz", w=np.arange(3.0))
    io.write_text_atomic(directory / "claims.rst", "Claims\n======\n")
    save_figure(Figure(), directory / "fig", dpi=20)
    return [directory / name for name in ("record.json", "history.csv", "weights.npz", "claims.rst", "fig.pdf",
                                          "fig.png")]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        assert io.current_umask() == umask
        paths = _write_all(tmp_path)
        with open(tmp_path / "plain.txt", "w") as handle:  # what the atomic files must match
            handle.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == mode
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path.name
    assert io.read_json(paths[0]) == {"energy": -1.5}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["plain.txt"] + [p.name for p in paths])


def test_umask_without_proc(tmp_path, monkeypatch):
    """Where /proc/self/status is missing the umask is read by setting and restoring it."""

    def no_proc(*args, **kwargs):
        raise FileNotFoundError("/proc/self/status")

    monkeypatch.setattr(io, "open", no_proc, raising=False)
    old = os.umask(0o027)
    try:
        assert io.current_umask() == 0o027
        assert os.umask(0o027) == 0o027  # left as it was
        monkeypatch.undo()
        io.write_json_atomic(tmp_path / "r.json", {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o640
