"""Drive a program in a real terminal: a detached tmux server of its own per test.

::

    pane = TmuxPane.start(["python", "-m", "nerveglide", "session"], env={...})
    pane.wait_for("Back pain now")
    pane.send_line("3")
    pane.send(" ")                       # a key, as typed
    print(pane.screen())
    pane.kill()

The program runs in a shell that prints ``[exit N]`` when it ends and then waits, so its
last screen and its exit code can still be read.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

WIDTH, HEIGHT = 120, 40
EXIT = re.compile(r"\[exit (\d+)\]")


def tmux_program() -> str:
    program = shutil.which("tmux")
    if program is None:
        pytest.fail(
            "tmux is not installed: run `make test`, which installs it through "
            "scripts/install-system-deps.sh (or: apt-get install tmux)",
            pytrace=False,
        )
    return program


class TmuxPane:
    def __init__(self, program: str, socket: str) -> None:
        self.program = program
        self.socket = socket
        self.socket_path: str | None = None

    @classmethod
    def start(cls, command: Sequence[str], env: Mapping[str, str]) -> TmuxPane:
        """Run ``command`` with ``env`` added to the environment, in a new tmux server."""
        pane = cls(tmux_program(), f"nerveglide-test-{uuid.uuid4().hex[:12]}")
        assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        shell = f'{assignments} {shlex.join(command)}; echo "[exit $?]"; sleep 600'
        server_env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        try:
            pane._tmux(
                "new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), shell, env=server_env
            )
            pane.socket_path = pane._tmux("display-message", "-p", "#{socket_path}").strip()
        except BaseException:
            pane.kill()
            raise
        return pane

    def _tmux(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        result = subprocess.run(
            [self.program, "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=dict(env) if env is not None else None,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args[:1])} failed: {result.stderr.strip()}")
        return result.stdout

    def send(self, keys: str) -> None:
        """Type ``keys`` literally (a space is a space)."""
        self._tmux("send-keys", "-l", keys)

    def send_line(self, text: str) -> None:
        self.send(text)
        self._tmux("send-keys", "Enter")

    def screen(self) -> str:
        """What the terminal shows now."""
        return self._tmux("capture-pane", "-p")

    def history(self) -> str:
        """Everything printed so far, scrolled-off lines too."""
        return self._tmux("capture-pane", "-p", "-S", "-")

    def wait_until(
        self,
        done: Callable[[str], bool],
        what: str,
        timeout: float = 20,
        *,
        whole: bool = False,
    ) -> str:
        """Poll the screen (or the whole history) until ``done`` holds; the text then."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.history() if whole else self.screen()
            if done(text):
                return text
            if time.monotonic() > deadline or EXIT.search(text):
                raise AssertionError(f"waited for {what}; the terminal shows:\n{self.history()}")
            time.sleep(0.02)

    def wait_for(self, text: str, timeout: float = 20, *, count: int = 1) -> str:
        """Wait until ``text`` has been printed ``count`` times (history included)."""
        return self.wait_until(
            lambda shown: shown.count(text) >= count,
            f"{text!r} x{count}",
            timeout,
            whole=True,
        )

    def exit_code(self, timeout: float = 20) -> int:
        text = self.wait_until(lambda shown: EXIT.search(shown) is not None, "the exit", timeout)
        match = EXIT.search(text)
        assert match is not None
        return int(match[1])

    def kill(self) -> None:
        """Stop this pane's tmux server (and the program in it); remove its socket."""
        subprocess.run(
            [self.program, "-L", self.socket, "kill-server"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)
