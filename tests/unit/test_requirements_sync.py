"""requirements*.txt stay generated from the exact pins in pyproject.toml."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "sync_requirements.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sync_requirements", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


sync = _load()


def _project(tmp_path: Path, runtime: list[str], dev: list[str]) -> Path:
    quoted = ", ".join(f'"{s}"' for s in runtime)
    quoted_dev = ", ".join(f'"{s}"' for s in dev)
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\ndependencies = [{quoted}]\n'
        f"[project.optional-dependencies]\ndev = [{quoted_dev}]\n"
        "[tool.black]\nline-length = 100\n",
        encoding="utf-8",
    )
    return tmp_path


def test_committed_requirement_files_are_in_sync() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "in sync" in result.stdout


def test_generated_files_are_sorted_normalised_and_dev_includes_runtime(tmp_path: Path) -> None:
    root = _project(
        tmp_path, ["Flask_SocketIO==5.7.0", "PyJWT[crypto]==2.15.1", "attrs==1"], ["pytest==9"]
    )
    assert sync.write(root) == ["requirements.txt", "requirements-dev.txt"]
    runtime = (root / "requirements.txt").read_text().splitlines()
    dev = (root / "requirements-dev.txt").read_text().splitlines()
    assert [line for line in runtime if not line.startswith("#")] == [
        "attrs==1",
        "flask-socketio==5.7.0",
        "pyjwt[crypto]==2.15.1",
    ]
    assert [line for line in dev if not line.startswith("#")] == [
        "-r requirements.txt",
        "pytest==9",
    ]
    assert sync.check(root) == []
    assert sync.write(root) == []


def test_check_reports_a_stale_file_with_a_diff(tmp_path: Path) -> None:
    root = _project(tmp_path, ["flask==3.1.3"], ["pytest==9.2.0"])
    sync.write(root)
    _project(tmp_path, ["flask==3.1.3", "redis==8.1.0"], ["pytest==9.2.0"])
    problems = sync.check(root)
    assert len(problems) == 1
    assert problems[0].startswith("requirements.txt is out of sync")
    assert "+redis==8.1.0" in problems[0]
    assert sync.main(["--check", "--root", str(root)]) == 1
    assert sync.main(["--root", str(root)]) == 0
    assert sync.main(["--check", "--root", str(root)]) == 0


def test_missing_files_are_out_of_sync(tmp_path: Path) -> None:
    root = _project(tmp_path, ["flask==3.1.3"], [])
    assert len(sync.check(root)) == 2


@pytest.mark.parametrize(
    ("runtime", "dev", "error"),
    [
        (["flask>=3"], [], "not an exact pin"),
        (["flask"], [], "not an exact pin"),
        (["flask==3 ; python_version<'4'"], [], "not an exact pin"),
        (["flask==3", "Flask==3.1"], [], "listed twice"),
        (["flask==3"], ["flask==3"], "both as runtime and dev"),
    ],
)
def test_unpinned_or_duplicate_requirements_are_refused(
    tmp_path: Path, runtime: list[str], dev: list[str], error: str
) -> None:
    root = _project(tmp_path, runtime, dev)
    with pytest.raises(sync.SyncError, match=error):
        sync.render(root / "pyproject.toml")
    assert sync.main(["--check", "--root", str(root)]) == 2


def test_the_running_environment_has_the_pinned_versions() -> None:
    """The venv that runs the tests is the one the pins describe (catches a stale install)."""
    rendered = sync.render(ROOT / "pyproject.toml")
    lines = (
        rendered["requirements.txt"].splitlines() + rendered["requirements-dev.txt"].splitlines()
    )
    wrong = []
    for line in lines:
        if line.startswith(("#", "-r")):
            continue
        name, version = line.split("==")
        name = name.split("[")[0]
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong.append(f"{name}: pinned {version}, installed {installed}")
    assert wrong == [], "run `make install-dev`: " + "; ".join(wrong)
