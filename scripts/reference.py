"""Rule reference: the reference record of one system (ED, DMRG or closed form)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job  # noqa: E402

from sparse_nqs.io import write_json_atomic  # noqa: E402
from sparse_nqs.physics.dmrg import DMRGSchedule  # noqa: E402
from sparse_nqs.physics.models import make_model  # noqa: E402
from sparse_nqs.physics.reference import compute_reference  # noqa: E402

sm = snakemake  # noqa: F821
model_settings, options = sm.params.model, sm.params.settings
with job(sm, {"model": model_settings, "references": options}):
    model = make_model(model_settings["name"], model_settings["L"], model_settings["kappa"], model_settings["boundary"])
    schedule = DMRGSchedule.from_options(options["dmrg_sweeps"], options["dmrg_maxdims"], options["dmrg_cutoff"])
    record, _ = compute_reference(model, options["method"], options["dmrg_backend"], schedule)
    write_json_atomic(sm.output[0], record)
    print(f"{model.describe()}: E = {record['energy']:.10f} ({record['method']})")
