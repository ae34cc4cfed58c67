"""The project's own install story: README commands, CI script, pins, conda environment."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    first_section = text.split("\n---\n", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", first_section, flags=re.S)


def pyproject_pins():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for dep in deps:
        name, version = dep.split("==")
        pins[name.lower()] = version
    return pins


def test_readme_starts_with_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    install, test = commands
    for command in commands:
        assert "\n" not in command.strip(), "each command must be a single copy-pasteable line"
        assert "pip install -c requirements.lock" in command
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == readme_commands()[1]
    assert "set -euo pipefail" in ci


def test_lock_file_agrees_with_pyproject():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            lock[name.lower()] = version
    for name, version in pyproject_pins().items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"


def test_conda_environment_agrees_with_pyproject():
    env = yaml.safe_load((ROOT / "envs" / "sparse-nqs.yaml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = dict(p.lower().split("==") for p in pip)
    assert conda_pins == pyproject_pins()


def test_readme_is_short_and_its_documents_exist():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    links = re.findall(r"\]\(((?:docs/)[^)#]+)\)", text)
    assert {"docs/science.md", "docs/configuration.md", "docs/workflow.md", "docs/speed.md"} <= set(links)
    for link in links:
        assert (ROOT / link).is_file(), link


def test_no_file_of_the_project_points_outside_the_clone():
    """A clone must explain itself: nothing refers to the design notes the project was built from."""
    tracked = [p for p in ROOT.rglob("*") if p.is_file() and not any(
        part in (".git", ".venv", "results", ".snakemake", "__pycache__") or part.endswith(".egg-info")
        for part in p.relative_to(ROOT).parts)]
    for path in tracked:
        if path.suffix in (".py", ".md", ".yaml", ".smk", ".rst", ".toml", ".jl", ".sh", "") and path.stat().st_size < 2e6:
            text = path.read_text(errors="ignore")
            for brief in ("../" + "shared", "SPEC" + ".md", "SPEC-RBM" + ".md", "DESIGN" + ".md", "SPEC" + " section"):
                assert brief not in text, f"{path} refers to {brief}"


def test_the_configuration_reference_is_generated_from_the_settings():
    from sparse_nqs.settings import markdown_reference

    assert markdown_reference() in (ROOT / "docs" / "configuration.md").read_text()
