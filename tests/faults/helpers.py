"""Run the CLI like a user and check what a fault leaves behind: exit code, one clear line, no damage."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "tests" / "fixtures" / "e2e"


def run(root: Path, *args: str) -> tuple[int, str]:
    """`python -m pipeline <args> --root root`, run from inside `root` as a user would, in this process.

    Returns (exit code, what it printed on stderr). Relative paths in `args` resolve inside the
    project copy, never in the checkout the tests run from.
    """
    err = io.StringIO()
    with contextlib.chdir(root), contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main([*args, "--root", str(root)])
        except SystemExit as exc:      # argparse's usage errors
            code = int(exc.code or 0)
    return code, err.getvalue()


def run_process(root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, str]:
    """The same as a separate `python -m pipeline` process (for kills, locks and the environment)."""
    full = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "pipeline", *args, "--root", str(root)], cwd=root,
                          env=full, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stderr


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` (symlinks by their target path), by relative path."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def people(root: Path) -> dict[str, str]:
    """Checksums of everything under queries/ and outputs/."""
    return {**{f"queries/{k}": v for k, v in digest(root / "queries").items()},
            **{f"outputs/{k}": v for k, v in digest(root / "outputs").items()}}


def assert_clear_error(code: int, err: str, *names: str, exit_code: int = 1) -> str:
    """Exit `exit_code`, no traceback, an error line naming every one of `names`; return that line."""
    assert code == exit_code, f"exit {code}, expected {exit_code}:\n{err}"
    assert "Traceback" not in err, err
    assert "\x1b" not in err, repr(err)
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error:", "usage:", "python -m pipeline"))
              or ": error:" in line]
    assert errors, f"no error line in:\n{err}"
    text = "\n".join(lines)
    for name in names:
        assert name in text, f"{name!r} not named in:\n{err}"
    return errors[-1]
