"""``obsdrill init DIR``: a project other teams start from. Only the files a team changes are copied (the
shipped Prometheus scrape config and rules, alertmanager.yml); everything else stays layered from obsdrill's
shipped defaults (harness/layers.py). Plus one example scenario, a pytest test using the plugin and CI
examples (GitHub Actions, GitLab CI)."""

from __future__ import annotations

from pathlib import Path

from harness import resources
from harness.errors import ConfigError

EXAMPLE_SCENARIO = "error-burst"
# template file (harness/templates/) -> where it goes in the project
TEMPLATES = {
    "README.md": "README.md",
    "gitignore": ".gitignore",
    "test_monitoring.py.tmpl": "tests/test_monitoring.py",
    "github-workflow.yml": ".github/workflows/obsdrill.yml",
    "gitlab-ci.yml": ".gitlab-ci.yml",
}


def _shipped_files() -> dict[str, Path]:
    """Project path -> shipped source, for the config and scenario files a project starts with."""
    stack = resources.stack_dir()
    out = {f"config/prometheus/{p.name}": p for p in sorted((stack / "prometheus").glob("*.yml"))}
    out["config/alertmanager/alertmanager.yml"] = stack / "alertmanager" / "alertmanager.yml"
    out[f"scenarios/{EXAMPLE_SCENARIO}.yaml"] = resources.scenarios_dir() / f"{EXAMPLE_SCENARIO}.yaml"
    return out


def scaffold(target: Path, force: bool = False) -> list[Path]:
    """Write the project into ``target``; refuses a non-empty dir unless ``force`` (then overwrites only the
    files it writes). Returns the files written."""
    if target.exists() and not target.is_dir():
        raise ConfigError(f"init: {target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(f"init: {target} is not empty (use --force to write into it anyway)")
    written = []
    for rel, source in _shipped_files().items():
        written.append(_write(target / rel, source.read_bytes()))
    templates = resources.templates()
    for name, rel in TEMPLATES.items():
        written.append(_write(target / rel, templates.joinpath(name).read_bytes()))
    return written


def _write(path: Path, data: bytes) -> Path:
    if path.is_dir():
        raise ConfigError(f"init: {path} is a directory; a file goes there")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
