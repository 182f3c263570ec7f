"""No input ends in a Python traceback: an unexpected exception becomes one line with its cause, exit 3 and
the path of the full traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness import cli


def test_unexpected_exception_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    def boom(args: argparse.Namespace) -> int:
        raise FileNotFoundError(2, "No such file or directory", "rules/team.yml")

    monkeypatch.setenv("OBSDRILL_REPORTS_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "cmd_list", boom)
    assert cli.main(["list"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error: FileNotFoundError" in err[0] and "rules/team.yml" in err[0]
    log = Path(err[0].rsplit("full traceback: ", 1)[1].rstrip(")"))
    assert log.is_file() and "Traceback" in log.read_text()
