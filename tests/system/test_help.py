"""--help: every option of every gatewayd subcommand explains itself with an example, and the
examples that can run here do run (so the help never shows a command that fails)."""
import json
import shlex
import subprocess

from harness import GATEWAYD


def commands():
    doc = json.loads(subprocess.run([GATEWAYD, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout)

    def walk(c, path):
        yield path, c
        for s in c.get("subcommands", []):
            yield from walk(s, path + [s["commandName"]])
    return list(walk(doc["command"], ["gatewayd"]))


def test_every_option_has_an_example_and_every_command_an_abstract():
    missing = []
    for path, c in commands():
        if path[-1] == "help":  # ArgumentParser's own `help` subcommand
            continue
        assert c.get("abstract"), f"{' '.join(path)} has no abstract"
        for a in c.get("arguments", []):
            name = a.get("valueName") or str(a.get("names"))
            if name in ("help", "version"):
                continue
            if "Example:" not in (a.get("discussion") or ""):
                missing.append(f"{' '.join(path)} {name}")
    assert not missing, f"options without an example: {missing}"


def test_decode_examples_from_the_help_run():
    ran = 0
    for path, c in commands():
        if path != ["gatewayd", "decode"]:
            continue
        for a in c["arguments"]:
            if "Example:" not in (a.get("discussion") or ""):
                continue
            ex = a["discussion"].removeprefix("Example: ")
            for cmd in ex.split(" or "):
                argv = shlex.split(cmd)
                assert argv[:2] == ["gatewayd", "decode"], cmd
                r = subprocess.run([GATEWAYD] + argv[1:], capture_output=True, text=True)
                assert r.returncode == 0 and "format:" in r.stdout or r.stdout.lstrip().startswith("{"), (cmd, r.stdout, r.stderr)
                ran += 1
    assert ran >= 6


def test_help_lines_fit_a_terminal():
    for path, _ in commands():
        out = subprocess.run([GATEWAYD] + path[1:] + ["--help"], capture_output=True, text=True).stdout
        long = [l for l in out.splitlines() if len(l) > 80 and not l.startswith("USAGE:")]
        assert not long, (path, long)
