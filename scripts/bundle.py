"""Rule bundle: the finished results, Snakemake's records of them, and the configs, in one archive."""
import sys
from base64 import urlsafe_b64decode
from pathlib import Path

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
import yaml  # noqa: E402
from _common import REPO, job  # noqa: E402

from sparse_nqs.archive import config_fingerprints, tracked_files  # noqa: E402
from sparse_nqs.bundle import bundle_files, pack  # noqa: E402
from sparse_nqs.plan import Plan  # noqa: E402

sm = snakemake  # noqa: F821


def snakemake_records(files: set) -> list[str]:
    """Snakemake's per-file records (.snakemake/metadata, one file per output named by the urlsafe
    base64 of its path, split into directories when long) of the bundled files: with them a changed
    setting still reruns what it touches after unpacking."""
    metadata = Path(".snakemake") / "metadata"
    out = []
    for record in sorted(p for p in metadata.rglob("*") if p.is_file()):
        try:
            name = urlsafe_b64decode("".join(record.relative_to(metadata).parts)).decode()
        except ValueError:
            continue
        if name in files:
            out.append(record.as_posix())
    return out


with job(sm, {"commit": sm.params.commit}):
    plan = Plan.from_config(sm.config)
    files = bundle_files(Path("results"), tracked=tracked_files(Path(".")))
    configs = {Path(c).name: Path(c).read_text() for c in sm.params.configfiles}
    configs["effective-config.yaml"] = yaml.safe_dump(dict(sm.config), sort_keys=False)
    manifest = pack(Path("."), Path(sm.output[0]), files + snakemake_records(set(files)),
                    commit=None if sm.params.commit == "uncommitted" else sm.params.commit,
                    fingerprints=config_fingerprints(plan), configs=configs)
    print(f"{len(manifest['files'])} files of commit {manifest['commit'][:12]} -> {sm.output[0]} (repo {REPO})")
