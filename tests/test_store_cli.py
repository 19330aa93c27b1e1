"""`trainer db upgrade`, `trainer users add`, `trainer seed demo` as `make demo` and an admin use them."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from trainer.cli import main


def trainer(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["trainer", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err.replace("\n", "")  # rich wraps long messages at the terminal width


@pytest.fixture
def cli_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TRAINER_DATABASE_URL", raising=False)
    return data_dir


def test_upgrade_seed_and_add_users_from_the_command_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = trainer(["seed", "demo"], capsys, monkeypatch)
    assert code == 2 and "run `trainer db upgrade`" in err and "Traceback" not in err

    code, out, _ = trainer(["db", "upgrade"], capsys, monkeypatch)
    assert code == 0 and "(empty) -> 0001" in out
    assert (cli_env / "trainer.sqlite3").exists()  # SQLite in the data dir by default
    code, out, _ = trainer(["db", "upgrade"], capsys, monkeypatch)
    assert code == 0 and "already at 0001" in out

    code, out, _ = trainer(["seed", "demo"], capsys, monkeypatch)
    assert code == 0
    for name in ("maria", "colin", "rita", "raj", "rosa"):
        assert name in out
    assert "practise-the-call" in out
    code, out, _ = trainer(["seed", "demo"], capsys, monkeypatch)
    assert code == 0 and "password unchanged" in out

    code, out, _ = trainer(
        ["users", "add", "olga", "--role", "coach", "--team", "Night shift", "--password-stdin"],
        capsys,
        monkeypatch,
        stdin="a long enough password\n",
    )
    assert code == 0 and "added coach olga to team Night shift" in out
    code, _, err = trainer(
        ["users", "add", "OLGA", "--password-stdin", "--team", "X"], capsys, monkeypatch, "pw123456789\n"
    )
    assert code == 2 and "already taken" in err
    code, _, err = trainer(
        ["users", "add", "newbie", "--password-stdin", "--team", "X"], capsys, monkeypatch, "short\n"
    )
    assert code == 2 and "8 to 256 characters" in err

    code, out, _ = trainer(["users", "list"], capsys, monkeypatch)
    assert "Night shift:" in out and "olga" in out and "Demo team:" in out and "X:" not in out
