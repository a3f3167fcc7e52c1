"""The command line: each command loads only the module that registers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline import cli

ROOT = Path(__file__).resolve().parents[1]


def test_every_command_is_registered_by_the_module_named_for_it() -> None:
    full = cli.build_parser()
    listed = next(a for a in full._actions if a.dest == "stage").choices
    assert list(listed) == list(cli.COMMANDS)
    for name in cli.COMMANDS:
        one = cli.build_parser(name)
        assert name in next(a for a in one._actions if a.dest == "stage").choices


def test_simulate_does_not_load_the_web_app(tmp_path: Path) -> None:
    src = tmp_path / "l.csv"
    src.write_text("record_id,title,label_included\n" + "".join(
        f"{i},{'stem cell sclerosis' if i % 5 == 0 else 'hip asthma diet'} {i},{int(i % 5 == 0)}\n" for i in range(30)),
        encoding="utf-8")
    code = ("import sys; from pipeline.cli import main; "
            f"rc = main(['simulate', {str(src)!r}, {str(tmp_path / 'o.csv')!r}]); "
            "print(rc, sorted(m for m in ('starlette', 'uvicorn', 'pipeline.app', 'pipeline.report') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split()[-2:] == ["0", "[]"]
