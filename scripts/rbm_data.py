"""Rule rbm_data: the measurement data of one chain (samples and their record)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job  # noqa: E402

from sparse_nqs.physics.dmrg import DMRGSchedule  # noqa: E402
from sparse_nqs.physics.models import TFIMChain  # noqa: E402
from sparse_nqs.rbm.data import write_data  # noqa: E402

sm = snakemake  # noqa: F821
settings = sm.params.settings
with job(sm, settings):
    model, data, options = TFIMChain(L=settings["model"]["N"], kappa=float(settings["model"]["h"])), settings["data"], \
        settings["references"]
    schedule = DMRGSchedule.from_options(options["dmrg_sweeps"], options["dmrg_maxdims"], options["dmrg_cutoff"])
    record = write_data(sm.output.samples, sm.output.record, model, data["n_samples"], data["seed"],
                        options["dmrg_backend"], schedule)
    stats = record["statistics"]
    print(f"{model.describe()}: {data['n_samples']} samples ({record['method']}), E = {record['energy']:.10f}, "
          f"<|m|> = {stats['abs_m']:.4f}, Z2 ratio {record['z2_ratio']:.2f} +- {record['z2_ratio_std']:.2f}")
