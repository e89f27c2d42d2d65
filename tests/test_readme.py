"""Every code block of the README runs: the Python blocks as doctests (pytest's
``--doctest-glob=README.md``), the ``console`` blocks here, command by command
against the output shown (``...`` matches anything, as in doctests), and the
quickstart's test command is the one CI runs."""

import doctest
import re
import shlex
from pathlib import Path

import pytest

from klsym.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _blocks(kind):
    return [body for lang, body in FENCE.findall(README) if lang == kind]


def _commands():
    """``(command, expected output)`` for each ``$ klsym ...`` line of the
    console blocks."""
    out = []
    for block in _blocks("console"):
        command, expected = None, []
        for line in block.splitlines() + ["$"]:
            if line.startswith("$"):
                if command:
                    out.append((command, "\n".join(expected)))
                command, expected = line[1:].strip(), []
            else:
                expected.append(line)
    return out


COMMANDS = _commands()


def test_the_readme_has_console_examples():
    assert len(COMMANDS) >= 5


@pytest.mark.parametrize("command, expected", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_console_example(command, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # commands that write files write them here
    words = shlex.split(command)
    assert words[0] == "klsym", f"only klsym commands run here: {command}"
    code = main(words[1:])
    out = capsys.readouterr().out.rstrip("\n")
    assert code == 0, f"{command} exited {code}"
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    assert checker.check_output(expected + "\n", out + "\n", flags), \
        f"{command}\n--- expected ---\n{expected}\n--- got ---\n{out}"


def test_quickstart_test_command_is_what_ci_runs():
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    (block,) = FENCE.findall(quickstart)[:1]
    commands = [line.strip() for line in block[1].splitlines() if line.strip()]
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in ci.splitlines(), "CI must run the README's test command verbatim"


def test_quickstart_klsym_command_runs(capsys):
    """The quickstart's first command prints the Normal-Normal KL."""
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    (block,) = FENCE.findall(quickstart)[:1]
    (command,) = [part.strip() for line in block[1].splitlines() for part in line.split("&&")
                  if part.strip().startswith("klsym ")]
    assert main(shlex.split(command)[1:]) in (0, None)
    out = capsys.readouterr().out
    assert "sigma_q" in out and "log" in out, out
