"""The ``sparse-nqs`` command line: one experiment step at a time, without Snakemake.

Errors in the request (a bad config, the same check as the workflow's; bad model, L, field,
boundary, method or backend; a missing Julia; an output location that cannot be written) print one
line ``sparse-nqs: error: ...`` and exit with status 2 before any computation; nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import tempfile
from pathlib import Path

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
    from .names import (
        BOUNDARIES,
        DMRG_BACKENDS,
        ED_AUTO_MAX_SPINS,
        KAPPA_C,
        MODELS,
        PRUNING_METHODS,
        RBM_TICKET_VARIANTS,
        REFERENCE_METHODS,
    )

    from importlib.metadata import version

    parser = _Parser(prog="sparse-nqs", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"sparse-nqs {version('sparse-nqs')}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ref = commands.add_parser(
        "reference",
        help="ground-state reference record of one system (ED, DMRG or closed form)",
        description="Compute a reference record (energy, magnetisations, correlations) as JSON.",
    )
    ref.add_argument("--model", required=True, choices=MODELS)
    ref.add_argument("--L", required=True, type=int, help="linear size (>= 2)")
    ref.add_argument("--kappa", type=_finite_float, default=None,
                     help=f"transverse field of the TFIM (default kappa_c = {KAPPA_C})")
    ref.add_argument("--boundary", choices=BOUNDARIES, default=None,
                     help="TFIM boundaries (default open); the toric code is always periodic")
    ref.add_argument("--method", choices=REFERENCE_METHODS, default="auto",
                     help=f"auto: ED when N <= {ED_AUTO_MAX_SPINS}, else DMRG (TFIM) or the closed form (toric code)")
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

    def experiment_parser(name, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", required=True, help="experiment config (YAML)")
        sub.add_argument("--run", required=True, help="run name in the config")
        sub.add_argument("--out", default=None, help="run directory (default results/runs/<run>)")
        sub.add_argument("--reference", default=None,
                         help="reference record (JSON from 'sparse-nqs reference'); default: computed here "
                              "by ED or the closed form when the system is small enough. An RBM run: the "
                              "record of its data (JSON from 'sparse-nqs data', its samples beside it)")
        return sub

    experiment_parser("pretrain", "dense pre-training of a run: theta_init, theta_wr and the dense evaluation")
    prune = experiment_parser("prune", "one pruning method of a run (pre-trains first if needed); resumes")
    prune.add_argument("--method", required=True, choices=PRUNING_METHODS,
                       help="imp_wr: magnitude, rewind to theta_wr; imp_ct: magnitude, continued training; "
                            "irp_wr: random, rewind")
    fid = experiment_parser("fidelity", "neighbour fidelities along a finished pruning path")
    fid.add_argument("--method", required=True, choices=PRUNING_METHODS, help="the pruning path whose states are compared")
    ticket = experiment_parser("ticket", "train one isolated ticket at an IMP-WR iteration; resumes")
    ticket.add_argument("--variant", required=True, choices=RBM_TICKET_VARIANTS,
                        help="init_imp = T(theta_init, m_imp), rand_imp = T(theta_rand, m_imp), "
                             "init_rand = T(theta_init, m_rand); RBM runs also cluster (the source's sc)")
    ticket.add_argument("--iteration", required=True, type=int, help="IMP-WR iteration of the mask")
    evaluate = experiment_parser(
        "evaluate", "re-evaluate the stored states of a run (dense, every finished pruning path, every trained "
                    "ticket, the neighbour fidelities) with the config's evaluation settings; trains nothing")
    evaluate.add_argument("--what", nargs="+", default=["all"],
                          choices=("all", "dense", *PRUNING_METHODS, "tickets", "fidelity"),
                          help="what to evaluate (default all: whatever of these the run has on disk)")
    tickets = experiment_parser("tickets", "train all isolated tickets of a run (config tickets.*); resumes")
    tickets.add_argument("--batch", choices=("auto", "yes", "no"), default="auto",
                         help="one vectorised program for all tickets (auto: the config's tickets.batch)")

    data = commands.add_parser(
        "data", help="measurement data of an RBM run's chain (samples .npz and record .json)",
        description="Z-basis samples of the open TFIM chain's ground state for an RBM run of the config "
                    "(rbm.runs): exact up to 20 spins, else perfect samples of the DMRG state (references.*).")
    data.add_argument("--config", required=True, help="experiment config (YAML)")
    data.add_argument("--run", required=True, help="RBM run name in the config (rbm.runs)")
    data.add_argument("--out", required=True, help="samples file (.npz); the record goes beside it (.json)")

    unpack = commands.add_parser(
        "unpack",
        help="restore a results bundle (the workflow's `bundle` target) into a clone at its commit",
        description="Check a bundle against this clone's commit and config, then restore its results: "
                    "`snakemake --cores 1 all` afterwards re-plots every figure and re-checks every claim "
                    "without training.",
    )
    unpack.add_argument("bundle", help="the .tar.gz written by `snakemake bundle`")
    unpack.add_argument("--config", nargs="+", default=["config.yaml"],
                        help="the config file(s) the bundle was made with, in the order given to snakemake "
                             "(default config.yaml)")
    unpack.add_argument("--directory", default=".", help="the workflow clone to restore into (default: here)")

    def published_parser(name, help_text, description):
        sub = commands.add_parser(name, help=help_text, description=description)
        # optional here so that `--config X DIR` (the directory after the configs) reads as meant:
        # argparse's --config would take DIR as one more config (published_after_configs)
        sub.add_argument("published", nargs="?", help="the published results directory (e.g. published/paper-subset)")
        sub.add_argument("--config", nargs="+", required=True,
                         help="the config file(s) of the results, in the order given to snakemake")
        return sub

    pub = published_parser(
        "publish", "copy a results directory into the repository as plain files, with a manifest",
        "Copy results/ (or --results) to a published directory: the pipeline's layout, the configs and "
        "MANIFEST.json (commits, config fingerprints, checksums). Replaces an earlier publication there.")
    pub.add_argument("--results", default="results", help="the results directory to publish (default results)")
    rep = published_parser(
        "replot", "re-plot every figure and re-check the claims of published results (no training)",
        "Check published results against the config (stale settings stop here, naming the runs; code "
        "changed since they were made is reported; runs the config adds are drawn as not finished), then "
        "draw every figure and the claims table from their tables into --out.")
    rep.add_argument("--out", default=None, help="where the figures and claims go (default results/replot/<name>)")
    res = published_parser(
        "restore", "copy published results into this clone's results/ (Snakemake resumes unfinished runs)",
        "Check published results against the config, then copy them into results/ in their order in time: "
        "Snakemake finds the finished jobs up to date and resumes the unfinished ones from their checkpoints. "
        "A config that adds runs to the published ones (theirs and the reference settings unchanged) is "
        "accepted: Snakemake makes the new runs and draws their figures again.")
    res.add_argument("--directory", default=".", help="the workflow clone to restore into (default: here)")
    return parser


def _published_plan(args, root: Path = Path(".")):
    from .archive import config_fingerprints
    from .config.check import load_config
    from .plan import Plan

    plan = Plan.from_config(load_config(*(root / c for c in args.config)))
    return plan, config_fingerprints(plan)


def run_publish(args) -> int:
    from .archive import tracked_files
    from .io import git_commit
    from .publish import missing_inputs, publish, replot, summary, unfinished_histories, unread_logs

    plan, fingerprints = _published_plan(args)
    configs = {Path(c).name: Path(c).read_text() for c in args.config}
    unfinished = unfinished_histories(plan, Path(args.results))
    manifest = publish(Path(args.results), Path(args.published), commit=git_commit("."),
                       fingerprints=fingerprints, configs=configs, tracked=tracked_files(Path(".")),
                       unfinished=unfinished, unread=unread_logs(plan),
                       draw=lambda target: replot(plan, target, target))
    print(f"{args.published}: {summary(manifest)}; figures and claims drawn from the published tables")
    if manifest["unread"]:
        print(f"  {len(manifest['unread'])} per-step ticket log(s) that nothing reads left out, e.g. "
              f"{manifest['unread'][0]}")
    for name in unfinished:
        print(f"  {name}: pruning under way, left out (its round checkpoints are published: restore resumes it)")
    for fig, lacking in missing_inputs(plan, Path(args.published)).items():
        print(f"  {fig}: {len(lacking)} input(s) not finished yet, e.g. {lacking[0]} (published as partial: "
              "restore leaves it out)")
    return 0


def _report_code_changes(manifest: dict) -> None:
    from .publish import code_changes

    for commit, files in code_changes(Path("."), manifest.get("made_at", [])).items():
        if files:
            print(f"note: the tables were made by the code of {commit[:12]}; changed since: "
                  f"{', '.join(files[:8])}{' ...' if len(files) > 8 else ''} ({len(files)} file(s)). Figures "
                  "and claims are drawn by this clone's code from that code's numbers; a change to training or "
                  "evaluation needs the runs again")


def run_replot(args) -> int:
    from .publish import check, replot, summary

    published = Path(args.published)
    out = Path(args.out) if args.out else Path("results") / "replot" / published.name
    if (out / "MANIFEST.json").is_file():  # its checksums would no longer hold: only publish writes one
        raise UsageError(f"--out: {out} is a publication (it has a MANIFEST.json); replot draws into another "
                         "directory, `sparse-nqs publish` makes a publication")
    plan, fingerprints = _published_plan(args)
    manifest = check(published, fingerprints, extending=plan)
    _check_writable(out, "--out")
    print(f"{published}: {summary(manifest)}")
    _report_code_changes(manifest)
    added = sorted(set(fingerprints["runs"]) - set(manifest["fingerprints"]["runs"]))
    if added:
        print(f"  this config adds run(s) not published yet: {', '.join(added)} (drawn without them)")
    result = replot(plan, published, out)
    for fig, lacking in result["missing"].items():
        print(f"  {fig}: drawn without {len(lacking)} unfinished input(s), e.g. {lacking[0]}")
    from .claims import is_papers_own

    claims = result["claims"]
    counts = claims[~is_papers_own(claims)]["status"].value_counts().to_dict()
    print(f"{len(result['figures'])} figures and the claims ({', '.join(f'{v} {k}' for k, v in counts.items())}) "
          f"-> {out}")
    if result["undrawn"]:
        print(f"  not drawn (no runs of them in this config): {', '.join(result['undrawn'])}")
    return 0


def run_restore(args) -> int:
    from .io import git_commit
    from .publish import restore, summary

    root = Path(args.directory)
    plan, fingerprints = _published_plan(args, root)
    if git_commit(root) is None:
        raise UsageError(f"--directory: {root} is not a git clone of the workflow")
    manifest = restore(Path(args.published), root, fingerprints, plan)
    _report_code_changes(manifest)
    if manifest["added"]:
        print(f"this config adds run(s) {', '.join(manifest['added'])} to the published ones (whose settings "
              "it keeps): Snakemake makes them")
    if manifest["partial"]:
        print(f"left out {len(manifest['partial'])} file(s) drawn from unfinished runs or drawn again with the "
              f"added runs ({', '.join(manifest['partial'])}): their targets finish the runs and draw them again")
    configs = " ".join(args.config)
    print(f"restored {summary(manifest)}; `snakemake --cores all --configfile {configs}` continues what is "
          "unfinished and re-plots")
    return 0


def run_unpack(args) -> int:
    from .archive import config_fingerprints
    from .bundle import unpack
    from .config.check import load_config
    from .io import git_commit
    from .plan import Plan

    root = Path(args.directory)
    plan = Plan.from_config(load_config(*(root / c for c in args.config)))  # an absolute c stays itself
    manifest = unpack(args.bundle, root, commit=git_commit(root), fingerprints=config_fingerprints(plan))
    configs = " ".join(f"--configfile {c}" for c in args.config)
    print(f"restored {len(manifest['files'])} files of commit {manifest['commit'][:12]}; now "
          f"`snakemake --cores 1 {configs} all` re-plots the figures and re-checks the claims (no training)")
    return 0


def run_info(args) -> int:
    import json

    from .config.check import load_config, rbm_run_names, rbm_run_summary, resolve_rbm_run, resolve_run, run_summary

    config = load_config(args.config)
    if args.run is not None and args.run in rbm_run_names(config):
        settings = resolve_rbm_run(config, args.run)
        output = {**settings, **rbm_run_summary(settings)}
    elif args.run is not None:
        settings = resolve_run(config, args.run)
        output = {**settings, **run_summary(settings)}
    else:
        output = [run_summary(resolve_run(config, name)) for name in config["runs"]]
        output += [rbm_run_summary(resolve_rbm_run(config, name)) for name in rbm_run_names(config)]
    print(json.dumps(output, indent=1))
    return 0


def _check_writable(directory: Path, option: str) -> None:
    """UsageError unless files can be written in ``directory``, found before any computation.

    The directory (and its missing parents) is made, a probe file written and removed, and the
    directories made for the probe removed again: a request refused later leaves nothing behind.
    """
    directory = Path(directory).absolute()
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{option}: cannot write in {directory} (it is a file, not a directory)")
    made = [d for d in (directory, *directory.parents) if not d.exists()]  # deepest first
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".sparse-nqs-probe.", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UsageError(f"{option}: cannot write in {directory} ({err.strerror or err})") from None
    finally:
        for d in made:
            with contextlib.suppress(OSError):
                d.rmdir()


def _check_writable_file(path: Path, option: str) -> None:
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a directory; give a file name")
    _check_writable(path.parent, option)


def run_reference(args) -> int:
    from .io import write_json_atomic, write_npz_atomic
    from .physics.dmrg import DMRGSchedule
    from .physics.models import make_model
    from .physics.reference import ReferenceRequestError, compute_reference, resolve_method

    model = make_model(args.model, args.L, args.kappa, args.boundary)
    schedule = DMRGSchedule.from_options(args.dmrg_sweeps, args.dmrg_maxdims, args.dmrg_cutoff, args.seed)
    method = resolve_method(model, args.method, args.dmrg_backend)
    if args.state_out and method != "ed":
        raise ReferenceRequestError(
            f"--state-out needs exact diagonalisation, but N = {model.N} runs method {method!r}"
        )
    for option, path in (("--out", args.out), ("--state-out", args.state_out)):
        if path:
            _check_writable_file(Path(path), option)
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


def _experiment(args):
    """The Run and its reference record for the pretrain / prune / ticket commands."""
    from .config.check import load_config, rbm_run_names, resolve_rbm_run, resolve_run
    from .families import make_run
    from .io import read_json
    from .physics.reference import ReferenceRequestError, compute_reference, resolve_method

    config = load_config(args.config)  # the whole config is checked first
    directory = Path(args.out) if args.out else Path("results") / "runs" / args.run
    if args.run in rbm_run_names(config):
        return _rbm_experiment(args, resolve_rbm_run(config, args.run), directory)
    settings = resolve_run(config, args.run)
    _check_writable(directory, "--out")
    run = make_run(settings, directory)
    if args.reference:
        try:
            reference = read_json(args.reference)
        except (OSError, ValueError) as err:
            raise ReferenceRequestError(f"cannot read reference record {args.reference}: {err}") from None
    else:
        method = resolve_method(run.model, "auto")
        if method not in ("ed", "analytic"):
            raise ReferenceRequestError(
                f"{run.model.N} spins need a DMRG reference: run 'sparse-nqs reference' and pass --reference")
        reference, _ = compute_reference(run.model, method)
    return run, reference


def _rbm_experiment(args, settings: dict, directory: Path):
    """An RBM run learns from data: ``--reference`` is the record of its data, the samples beside it."""
    from .families import make_run
    from .io import read_json
    from .physics.reference import ReferenceRequestError
    from .rbm.data import load_samples

    if args.command == "fidelity":
        raise UsageError("fidelity: the Monte Carlo neighbour fidelities are a VMC analysis; an RBM run's exact "
                         "ones are drawn in the rbm_lth figure")
    if not args.reference:
        raise ReferenceRequestError(f"RBM run {args.run} learns from data: make them with `sparse-nqs data --config "
                                    f"{args.config} --run {args.run} --out DATA.npz` and pass --reference DATA.json")
    record_path = Path(args.reference)
    try:
        record = read_json(record_path)
    except (OSError, ValueError) as err:
        raise ReferenceRequestError(f"cannot read the data record {record_path}: {err}") from None
    samples = record_path.with_suffix(".npz")
    load_samples(samples, settings["model"]["N"])  # shape and convention, before any work
    _check_writable(directory, "--out")
    run = make_run(settings, directory, data=samples)
    run.check_reference(record)
    return run, record


def run_data(args) -> int:
    from .config.check import load_config, rbm_run_names, resolve_rbm_run
    from .physics.dmrg import DMRGSchedule
    from .plan import Plan
    from .rbm.data import write_data
    from .rbm.run import chain_model

    config = load_config(args.config)
    if args.run not in rbm_run_names(config):
        raise UsageError(f"--run: no RBM run named {args.run!r} (rbm.runs: {', '.join(rbm_run_names(config)) or 'none'})")
    settings = resolve_rbm_run(config, args.run)
    out = Path(args.out)
    if out.suffix != ".npz":
        raise UsageError(f"--out: the samples file must end in .npz, got {out}")
    _check_writable_file(out, "--out")
    from .rbm.run import data_system

    options = Plan.from_config(config).reference_options(data_system(settings))
    schedule = DMRGSchedule.from_options(options["dmrg_sweeps"], options["dmrg_maxdims"], options["dmrg_cutoff"])
    record = write_data(out, out.with_suffix(".json"), chain_model(settings), settings["data"]["n_samples"],
                        settings["data"]["seed"], options["dmrg_backend"], schedule)
    print(f"{record['n_samples']} samples ({record['method']}), E = {record['energy']:.10f}, "
          f"<|m|> = {record['statistics']['abs_m']:.4f} -> {out}, {out.with_suffix('.json')}")
    return 0


def _pretrain(args, run, reference) -> None:
    from .pruning.experiment import pretrain

    row = pretrain(run, reference)
    print(f"{run.name}: dense n={row['n']} E={row['energy']:.8f} eps_rel={row['eps_rel']:.3e} -> {run.directory}")


def _prune(args, run, reference) -> None:
    from .pruning.experiment import pretrain, prune

    pretrain(run, reference)
    history = prune(run, args.method, reference)
    last = history.iloc[-1]
    print(f"{run.name} {args.method}: {len(history) - 1} rounds, n={last['n']} eps_rel={last['eps_rel']:.3e} "
          f"-> {run.directory / args.method / 'history.csv'}")


def _fidelity(args, run, reference) -> None:
    from .vmc.run import fidelity_table

    table = fidelity_table(run, args.method)
    exact = bool(table["fidelity_exact"].notna().all())
    column = "fidelity_exact" if exact else "fidelity"
    low = table.loc[table[column].idxmin()]
    print(f"{run.name} {args.method}: {len(table)} pairs, lowest fidelity {low[column]:.4f} "
          f"({'exact' if exact else 'Monte Carlo'}) at rho={low['rho']:.3g} -> {run.directory / args.method / 'fidelity.csv'}")


def _tickets(args, run, reference) -> None:
    import jax

    from .pruning.experiment import batch_tickets, ticket_list, train_tickets

    on_gpu = jax.default_backend() == "gpu"
    batched = {"yes": True, "no": False}.get(args.batch, batch_tickets(run.settings, on_gpu))
    rows = train_tickets(run, ticket_list(run.settings), reference, batched=batched)
    for row in rows:
        print(f"{run.name} ticket {row['variant']} iteration {row['iteration']}: n={row['n']} "
              f"eps_rel={row['eps_rel']:.3e}")
    print(f"{len(rows)} tickets ({'batched' if batched else 'one by one'}) -> {run.directory / 'tickets'}")


def _ticket(args, run, reference) -> None:
    from .pruning.experiment import train_ticket

    row = train_ticket(run, args.variant, args.iteration, reference)
    print(f"{run.name} ticket {args.variant} iteration {args.iteration}: n={row['n']} "
          f"eps_rel={row['eps_rel']:.3e} -> {run.directory / 'tickets'}")


def _evaluate(args, run, reference) -> None:
    import time

    from .io import git_commit, json_safe, package_versions, write_json_atomic

    start = time.perf_counter()
    _evaluate_states(args, run, reference)
    results = run.directory.parent.parent
    if run.directory.parent.name == "runs":  # a results directory: a provenance record as the workflow's jobs write
        record = {"rule": "sparse-nqs evaluate", "what": args.what, "run": run.name, "settings": run.settings,
                  "evaluation": run.fingerprint("evaluate"), "versions": package_versions(),
                  "git_commit": git_commit(Path(__file__).resolve().parents[2]),
                  "wall_seconds": time.perf_counter() - start}
        write_json_atomic(results / "provenance" / "evaluate" / f"{run.name}.json", json_safe(record))


def _evaluate_states(args, run, reference) -> None:
    from . import paths
    from .pruning.experiment import evaluate_dense, evaluate_path, evaluate_tickets, ticket_list

    what = set(args.what)
    everything = "all" in what
    if "dense" in what or everything:
        row = evaluate_dense(run, reference)
        print(f"{run.name} dense: {_summary(row)} -> {run.directory / paths.DENSE_ROW}")
    for method in run.pruning["methods"]:
        if method in what or (everything and run.path(paths.round_checkpoint(method, 0)).exists()):
            last = evaluate_path(run, method, reference).iloc[-1]
            print(f"{run.name} {method}: last round {_summary(last)} -> {run.directory / paths.history(method)}")
    tickets = [t for t in ticket_list(run.settings) if "tickets" in what or
               (everything and run.path(paths.ticket(*t, ".npz")).exists())]
    for row in evaluate_tickets(run, tickets, reference):
        print(f"{run.name} ticket {row['variant']} iteration {row['iteration']}: {_summary(row)}")
    if hasattr(run, "model") and ("fidelity" in what or everything):
        for method in run.pruning["methods"]:
            if "fidelity" in what or run.path(paths.fidelity(method)).exists():
                _fidelity(argparse.Namespace(method=method), run, reference)


def _summary(row) -> str:
    """n and the energy error of an evaluation row, exact where it has one."""
    exact = row.get("exact_eps_rel")
    if exact is not None and math.isfinite(float(exact)):
        return f"n={row['n']} eps_rel={float(exact):.3e} (exact; Monte Carlo {float(row['eps_rel']):.3e})"
    return f"n={row['n']} eps_rel={float(row['eps_rel']):.3e} (Monte Carlo)"


#: the experiment subcommands: each gets (args, run, reference) after the common checks
EXPERIMENT_COMMANDS = {"pretrain": _pretrain, "prune": _prune, "fidelity": _fidelity, "tickets": _tickets,
                       "ticket": _ticket, "evaluate": _evaluate}


def run_experiment(args) -> int:
    from .pruning.progress import enable_bar

    enable_bar()  # a progress bar for a person at a terminal (never in tests, logs or Snakemake jobs)
    run, reference = _experiment(args)
    EXPERIMENT_COMMANDS[args.command](args, run, reference)
    return 0


#: every subcommand and the function that runs it
COMMANDS = {"reference": run_reference, "info": run_info, "unpack": run_unpack, "data": run_data,
            "publish": run_publish, "replot": run_replot, "restore": run_restore,
            **{name: run_experiment for name in EXPERIMENT_COMMANDS}}


def published_after_configs(parser, args):
    """``sparse-nqs replot --config X published/paper-subset``: argparse gives the directory to
    ``--config`` (it takes one or more files); a last "config" that is a directory is the published
    directory. Without one, a usage error that shows the order."""
    if "published" in vars(args) and args.published is None:
        if args.config and len(args.config) > 1 and Path(args.config[-1]).is_dir():
            args.published = args.config.pop()
        else:
            raise UsageError(f"{args.command} needs the published directory: sparse-nqs {args.command} "
                             "published/<name> --config CONFIG [CONFIG ...]")
    return args


def main(argv=None) -> int:
    """Run one subcommand; an expected error (:class:`sparse_nqs.errors.SparseNQSError` or a usage
    error) prints one line and exits 2 before any work, a diverged training run exits 1."""
    from .errors import SparseNQSError
    from .runtime import configure
    from .vmc.training import TrainingDivergedError

    try:
        parser = build_parser()
        args = published_after_configs(parser, parser.parse_args(argv))
        configure(file_backend=False)  # float64 and the compilation cache; the CLI draws no figures
        return COMMANDS[args.command](args)
    except TrainingDivergedError as err:
        # the completed rounds stay on disk; nothing half-written is left
        print(f"sparse-nqs: training diverged: {err}", file=sys.stderr)
        return 1
    except (UsageError, SparseNQSError) as err:
        print(f"sparse-nqs: error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
