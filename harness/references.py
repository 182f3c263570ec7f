"""Everything a config references travels with it into the run dir: Alertmanager `templates` (globs),
files named by `*_file` settings (password_file, credentials_file, ca_file, ...) and `file_sd_configs` files.
Relative paths keep their place (Prometheus and Alertmanager resolve them against their config file's dir);
files outside it go to ``external/``. A file that is not there is replaced by the harness's own (a
placeholder secret; a TLS file is dropped and verification turned off), and every copy or stand-in is
noted for the run's report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from harness.config import matched_files, relative_name

TLS_FILES = ("ca_file", "cert_file", "key_file")
PLACEHOLDER = "obsdrill-placeholder\n"


def _copy(path: Path, base: Path, out_dir: Path) -> str:
    name = relative_name(path, base)
    target = out_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    target.chmod(0o644)
    return name


def carry_templates(am: dict[str, Any], base: Path, out_dir: Path) -> list[str]:
    """Copy every file `templates:` matches; the rendered list names the copies one by one."""
    notes, names = [], []
    for i, pattern in enumerate(am.get("templates") or []):
        matched = matched_files(base, pattern, f"alertmanager.yml: templates[{i}]")
        if not matched:
            notes.append(f"alertmanager.yml: templates[{i}] {pattern!r} matches no file")
        for path in matched:
            names.append(_copy(path, base, out_dir))
            notes.append(f"copied template {names[-1]} (templates[{i}] {pattern!r})")
    if "templates" in am:
        am["templates"] = names
    return notes


def carry_files(doc: Any, base: Path, out_dir: Path, where: str) -> list[str]:
    """Walk ``doc`` (rewritten in place): copy the file of every `*_file` setting and `file_sd_configs`
    entry, or stand in for it when it is missing."""
    notes: list[str] = []
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            notes += carry_files(item, base, out_dir, f"{where}[{i}]")
        return notes
    if not isinstance(doc, dict):
        return notes
    for key in list(doc):
        value = doc[key]
        if key.endswith("_file") and isinstance(value, str):
            notes += _carry_one(doc, key, base, out_dir, f"{where}.{key}")
        elif key == "file_sd_configs" and isinstance(value, list):
            notes += _carry_sd(value, base, out_dir, f"{where}.{key}")
        else:
            notes += carry_files(value, base, out_dir, f"{where}.{key}")
    return notes


def _carry_one(doc: dict[str, Any], key: str, base: Path, out_dir: Path, where: str) -> list[str]:
    value = str(doc[key])
    path = Path(value) if Path(value).is_absolute() else base / value
    if path.is_file():
        doc[key] = _copy(path, base, out_dir)
        return [f"copied {where} {value!r} -> {doc[key]}"]
    if key in TLS_FILES:
        del doc[key]
        doc["insecure_skip_verify"] = True
        return [f"{where} {value!r} not found: dropped, TLS verification off (harness stand-in)"]
    name = f"obsdrill-placeholders/{where.replace(' ', '_').replace(':', '')}"
    target = out_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(PLACEHOLDER)
    target.chmod(0o644)
    doc[key] = name
    return [f"{where} {value!r} not found: replaced by the harness's placeholder {name}"]


def _carry_sd(configs: list[Any], base: Path, out_dir: Path, where: str) -> list[str]:
    notes = []
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, dict):
            continue
        names = []
        for pattern in cfg.get("files") or []:
            for path in matched_files(base, str(pattern), f"{where}[{i}].files"):
                names.append(_copy(path, base, out_dir))
                notes.append(f"copied {where}[{i}].files {names[-1]}")
        cfg["files"] = names
    return notes
