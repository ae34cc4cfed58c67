"""The ``sparse-nqs`` command line: one experiment step at a time, without Snakemake.

Errors in the request (bad model, L, field, boundary, method or backend; a missing Julia) print
one line ``sparse-nqs: error: ...`` and exit with status 2 before any computation; nothing is
written.
"""

from __future__ import annotations

import argparse
import math
import sys

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line (the physicist reads one message, not a page)."""

    def error(self, message):
        raise UsageError(message)


class UsageError(Exception):
    pass


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from .dmrg import DMRG_BACKENDS
    from .models import BOUNDARIES, MODELS
    from .reference import METHODS

    parser = _Parser(prog="sparse-nqs", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ref = commands.add_parser(
        "reference",
        help="ground-state reference record of one system (ED, DMRG or closed form)",
        description="Compute a reference record (energy, magnetisations, correlations) as JSON.",
    )
    ref.add_argument("--model", required=True, choices=MODELS)
    ref.add_argument("--L", required=True, type=int, help="linear size (>= 2)")
    ref.add_argument("--kappa", type=_finite_float, default=None,
                     help="transverse field of the TFIM (default kappa_c = 3.04438)")
    ref.add_argument("--boundary", choices=BOUNDARIES, default=None,
                     help="TFIM boundaries (default open); the toric code is always periodic")
    ref.add_argument("--method", choices=METHODS, default="auto",
                     help="auto: ED when N <= 20, else DMRG (TFIM) or the closed form (toric code)")
    ref.add_argument("--dmrg-backend", choices=DMRG_BACKENDS, default="tenpy")
    ref.add_argument("--dmrg-sweeps", type=int, default=None, help="number of sweeps (default 12)")
    ref.add_argument("--dmrg-maxdims", type=_int_list, default=None,
                     help="bond-dimension bound per sweep, comma separated (default: the paper's "
                          "10,50,100,200,400,800,1200,1600,2000,2400,2800,3000)")
    ref.add_argument("--dmrg-cutoff", type=float, default=None, help="discarded-weight cutoff (1e-15)")
    ref.add_argument("--seed", type=int, default=0, help="seed of the random initial MPS / Lanczos vector")
    ref.add_argument("--out", required=True, help="output JSON file")
    ref.add_argument("--state-out", default=None,
                     help="also save the ED ground space (NetKet basis order) to this .npz file")

    info = commands.add_parser(
        "info",
        help="resolved settings of the runs in a config (n_init, planned n sequence)",
        description="Print, as JSON, every run of a config with n_init and n_sequence, or one run in full.",
    )
    info.add_argument("--config", required=True, help="experiment config (YAML)")
    info.add_argument("--run", default=None, help="print this run's full resolved settings")
    return parser


def run_info(args) -> int:
    import json

    from .config import load_config, resolve_run, run_summary

    config = load_config(args.config)
    if args.run is not None:
        settings = resolve_run(config, args.run)
        output = {**settings, **run_summary(settings)}
    else:
        output = [run_summary(resolve_run(config, name)) for name in config["runs"]]
    print(json.dumps(output, indent=1))
    return 0


def _dmrg_schedule(args):
    from .dmrg import DMRGSchedule

    defaults = DMRGSchedule()
    maxdims = tuple(args.dmrg_maxdims) if args.dmrg_maxdims else defaults.maxdims
    n_sweeps = args.dmrg_sweeps if args.dmrg_sweeps is not None else (
        len(maxdims) if args.dmrg_maxdims else defaults.n_sweeps
    )
    return DMRGSchedule(
        n_sweeps=n_sweeps,
        maxdims=maxdims,
        cutoff=defaults.cutoff if args.dmrg_cutoff is None else args.dmrg_cutoff,
        seed=args.seed,
    )


def run_reference(args) -> int:
    from .io import write_json_atomic, write_npz_atomic
    from .models import make_model
    from .reference import ReferenceRequestError, compute_reference, resolve_method

    model = make_model(args.model, args.L, args.kappa, args.boundary)
    schedule = _dmrg_schedule(args)
    method = resolve_method(model, args.method, args.dmrg_backend)
    if args.state_out and method != "ed":
        raise ReferenceRequestError(
            f"--state-out needs exact diagonalisation, but N = {model.N} runs method {method!r}"
        )
    record, ground_space = compute_reference(model, method, args.dmrg_backend, schedule, seed=args.seed)
    if args.state_out:
        write_npz_atomic(args.state_out, ground_space=ground_space, energy=record["energy"],
                         degeneracy=record["degeneracy"])
    write_json_atomic(args.out, record)
    print(
        f"{record['model']} L={record['L']} N={record['N']} method={record['method']} "
        f"backend={record['backend']} E={record['energy']:.10f} E/N={record['energy_per_spin']:.10f} "
        f"Mx={record['mx']:.6f} ({record['wall_seconds']:.1f} s) -> {args.out}"
    )
    return 0


def main(argv=None) -> int:
    from .config import ConfigError
    from .dmrg import DMRGSettingsError, DMRGUnsupportedError, JuliaUnavailableError
    from .exact import EDTooLargeError
    from .models import ModelError
    from .reference import ReferenceRequestError

    expected = (UsageError, ConfigError, ModelError, ReferenceRequestError, DMRGUnsupportedError,
                DMRGSettingsError, JuliaUnavailableError, EDTooLargeError)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "reference":
            return run_reference(args)
        if args.command == "info":
            return run_info(args)
    except expected as err:
        print(f"sparse-nqs: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
