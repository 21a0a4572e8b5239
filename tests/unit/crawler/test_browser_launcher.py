"""The Chromium launcher: every feature switch merged into one, every other argument intact."""

from __future__ import annotations

import subprocess
from pathlib import Path

from seology.crawler.browser import launcher_script


def run_launcher(tmp_path: Path, *args: str) -> list[str]:
    """Start the launcher of a fake browser that prints the arguments it was given."""
    fake = tmp_path / "fake browser"  # a path with a space: the launcher quotes it
    fake.write_text('#!/bin/sh\nfor arg do printf "%s\\n" "$arg"; done\n')
    fake.chmod(0o700)
    launcher = launcher_script(str(fake), str(tmp_path))
    out = subprocess.run([launcher, *args], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_feature_switches_are_merged_into_one_each(tmp_path: Path) -> None:
    """Playwright's switch and ours both hold: Chromium reads only the last of a name."""
    args = run_launcher(
        tmp_path,
        "--disable-features=A,B",
        "--enable-features=E",
        "--headless",
        "--disable-features=C",
        "--enable-features=F,G",
    )
    assert args == ["--headless", "--disable-features=A,B,C", "--enable-features=E,F,G"]


def test_other_arguments_pass_unchanged(tmp_path: Path) -> None:
    """Spaces, quotes, globs and `=` inside values reach the browser as given."""
    given = ["--user-data-dir=/tmp/a b", "--proxy-bypass-list=<-loopback>", "*", "--x='y' \"z\""]
    assert run_launcher(tmp_path, *given) == given


def test_no_feature_switch_adds_none(tmp_path: Path) -> None:
    assert run_launcher(tmp_path, "--headless") == ["--headless"]


def test_the_launcher_is_private_to_its_owner(tmp_path: Path) -> None:
    path = Path(launcher_script("/usr/bin/chromium", str(tmp_path)))
    assert path.stat().st_mode & 0o777 == 0o700
    assert "exec /usr/bin/chromium" in path.read_text()
