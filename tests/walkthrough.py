"""Run a README walk-through verbatim, so the documentation never rots.

A walk-through is the ```console block that follows an HTML comment ``<!-- walkthrough -->`` in a
chapter's README: each ``$ command`` line runs in bash (from the repo root; a ``NAME=…`` step is run
once and its value is given to the later steps), and the lines after it are its expected output. In an expected
line, ``…`` (one ellipsis character) matches any text; a command followed by no lines may print anything.
"""
import re
import shlex
import subprocess
from pathlib import Path

MARKER = "<!-- walkthrough -->"
REPO = Path(__file__).resolve().parent.parent


def steps(readme: Path) -> list[tuple[str, list[str]]]:
    """The (command, expected lines) pairs of the walk-through in ``readme``."""
    text = readme.read_text()
    block = text.split(MARKER, 1)[1].split("```console", 1)[1].split("```", 1)[0]
    result: list[tuple[str, list[str]]] = []
    for line in block.strip("\n").splitlines():
        if line.startswith("$ "):
            result.append((line[2:], []))
        elif result:
            result[-1][1].append(line)
    return result


def run(readme: Path, env: dict | None = None) -> None:
    """Run every step and assert its output matches."""
    shell = "set -e\n"
    for number, (command, expected) in enumerate(steps(readme)):
        assigned = re.match(r"^(\w+)=", command)
        script = shell + command + (f'\nprintf %s "${assigned.group(1)}"' if assigned else "")
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
        assert done.returncode == 0, f"step {number} `{command}` failed:\n{done.stdout}\n{done.stderr}"
        if assigned:     # run once; later steps get the value, not the command
            shell += f"{assigned.group(1)}={shlex.quote(done.stdout)}\n"
        elif expected:
            check(command, expected, done.stdout.rstrip("\n").splitlines())


def check(command: str, expected: list[str], actual: list[str]) -> None:
    patterns = [re.compile(".*".join(map(re.escape, line.rstrip().split("…"))) + r"\Z") for line in expected]
    lines = [line.rstrip() for line in actual]
    assert len(lines) == len(patterns) and all(p.match(l) for p, l in zip(patterns, lines)), (
        f"`{command}` printed:\n" + "\n".join(lines) + "\nexpected:\n" + "\n".join(expected))
