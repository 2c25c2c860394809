#!/usr/bin/env python3
"""Writes the gatewayd(8) man page (man(7) roff) from the binary itself.

    scripts/gen-manpage.py BINARY [--section 8] [--extra man/gatewayd.8.in] > gatewayd.8

NAME, SYNOPSIS, DESCRIPTION, OPTIONS and COMMANDS come from `BINARY --experimental-dump-help`
(swift-argument-parser's JSON description of every command, option, flag and argument), so the
page says exactly what `--help` says. The hand-written sections (EXIT STATUS, ENVIRONMENT,
FILES, SEE ALSO) come from the --extra file, roff as it is. The date is $SOURCE_DATE_EPOCH, else
the last commit's, so the same sources give the same page.

Why not swift-argument-parser's generate-manual plugin (`swift package generate-manual`): it
first builds the whole package in release mode (7 minutes here, case-server included), writes
only if that build succeeds, and then into <scratch>/plugins/GenerateManual/outputs/<target>/,
not the package directory; its mdoc draws "Empty input line" warnings from `man --warnings` on
blank lines in discussions; and the hand-written sections would have to be spliced into it.
`make install` works from a binary already built; this script needs only python3 and that binary.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys


def esc(text):
    """Text for roff: backslashes, leading control characters, non-ASCII as \\[uXXXX]."""
    out = []
    for ch in text.replace("\\", "\\e"):
        if ord(ch) < 128:
            out.append(ch)
        else:
            out.append("\\[u%04X]" % ord(ch))
    s = "".join(out)
    lines = []
    for line in s.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def opt(text):
    """Option and command names: hyphens are minus signs (so they can be searched and pasted)."""
    return esc(text).replace("-", "\\-")


def name_of(n):
    kind, name = n["kind"], n["name"]
    return ("--" if kind == "long" else "-") + name


def visible(args):
    return [a for a in args if a.get("shouldDisplay", True)]


def synopsis_item(a):
    """One argument in a synopsis line: [--config <config>], <files> ..., [--json]."""
    if a["kind"] == "positional":
        s = "\\fI<%s>\\fR" % opt(a["valueName"])
    else:
        s = "\\fB%s\\fR" % opt(name_of(a["preferredName"]))
        if a["kind"] == "option":
            s += " \\fI<%s>\\fR" % opt(a["valueName"])
    if a.get("isRepeating"):
        s += " ..."
    if a.get("isOptional"):
        s = "[" + s + "]"
    return s


def argument_entry(a):
    """A .TP entry: every name of the argument, its value, what it does, default and choices."""
    if a["kind"] == "positional":
        head = "\\fI<%s>\\fR" % opt(a["valueName"])
    else:
        head = ", ".join("\\fB%s\\fR" % opt(name_of(n)) for n in a.get("names", []))
        if a["kind"] == "option":
            head += " \\fI<%s>\\fR" % opt(a["valueName"])
    if a.get("isRepeating"):
        head += " ..."
    body = esc(a.get("abstract", "").strip())
    extra = []
    if a.get("allValues") and not all(v in a.get("abstract", "") for v in a["allValues"]):
        extra.append("Values: " + ", ".join(opt(v) for v in a["allValues"]) + ".")
    if "defaultValue" in a:
        extra.append("Default: %s." % opt(str(a["defaultValue"])))
    lines = [".TP", head, body + (" " if body and extra else "") + " ".join(extra)]
    if a.get("discussion"):
        # Under the entry's own indent, not back at the margin.
        lines += [".RS"] + discussion(a["discussion"]) + [".RE"]
    return lines


def discussion(text):
    """Paragraphs separated by blank lines; within one, indented lines (examples, tables) are
    kept as they are and the other lines are filled."""
    lines = []
    for para in text.strip("\n").split("\n\n"):
        lines.append(".PP")
        rows = para.split("\n")
        i = 0
        while i < len(rows):
            literal = rows[i].startswith((" ", "\t"))
            j = i
            while j < len(rows) and rows[j].startswith((" ", "\t")) == literal:
                j += 1
            block = rows[i:j]
            if literal:
                indent = min(len(r) - len(r.lstrip()) for r in block if r.strip())
                lines += [".RS 2", ".nf"] + [esc(r[indent:].rstrip()) or ".sp" for r in block] + [".fi", ".RE"]
            else:
                lines.append(esc(" ".join(r.strip() for r in block)))
            i = j
    return lines


def common(a):
    """--help and --version: listed once under OPTIONS, not under every command."""
    return a["kind"] == "flag" and a.get("preferredName", {}).get("name") in ("help", "version")


def command_section(cmd, path, lines):
    """.SS per (sub)command, depth-first, in the order --help lists them."""
    for sub in cmd.get("subcommands", []):
        if not sub.get("shouldDisplay", True):
            continue
        full = path + [sub["commandName"]]
        args = [a for a in visible(sub.get("arguments", [])) if not common(a)]
        title = " ".join(opt(p) for p in full)
        if cmd.get("defaultSubcommand") == sub["commandName"]:
            title += " (default)"
        lines.append('.SS "%s"' % title.replace('"', ""))
        if sub.get("subcommands"):
            syn = ["\\fB%s\\fR" % opt(" ".join(full)), "\\fI<subcommand>\\fR"]
        else:
            syn = ["\\fB%s\\fR" % opt(" ".join(full))] + [synopsis_item(a) for a in args]
        lines += [".PP", " ".join(syn)]
        if sub.get("abstract"):
            lines += [".PP", esc(sub["abstract"])]
        if sub.get("discussion"):
            lines += discussion(sub["discussion"])
        for a in args:
            lines += argument_entry(a)
        command_section(sub, full, lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--section", default="8")
    ap.add_argument("--extra", help="roff appended after COMMANDS (EXIT STATUS, FILES, SEE ALSO)")
    ns = ap.parse_args()

    dump = json.loads(subprocess.run([ns.binary, "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True).stdout)
    root = dump["command"]
    name = root["commandName"]
    version = subprocess.run([ns.binary, "--version"], capture_output=True, text=True).stdout.strip() or "unknown"

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        here = os.path.dirname(os.path.abspath(__file__))
        r = subprocess.run(["git", "-C", here, "log", "-1", "--format=%ct"], capture_output=True, text=True)
        epoch = r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None
    date = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc)).strftime("%Y-%m-%d")

    abstract = root.get("abstract", "").strip()
    lines = [
        ".\\\" Generated by scripts/gen-manpage.py from `%s --experimental-dump-help`; do not edit." % name,
        '.TH %s %s "%s" "%s %s" "System Administration"' % (name.upper(), ns.section, date, name, esc(version)),
        ".nh",  # no hyphenation (paths, option names)
        ".ad l",  # ragged right: no stretched spaces in synopses
        ".SH NAME",
        "%s \\- %s" % (opt(name), esc(abstract[:1].lower() + abstract[1:].rstrip("."))),
        ".SH SYNOPSIS",
    ]
    default = root.get("defaultSubcommand")
    synopsis = []
    for s in root.get("subcommands", []):
        if not s.get("shouldDisplay", True):
            continue
        sub = opt(s["commandName"])
        line = "\\fB%s\\fR " % opt(name) + ("[\\fB%s\\fR]" % sub if s["commandName"] == default else "\\fB%s\\fR" % sub)
        if s.get("subcommands"):
            line += " \\fI<subcommand>\\fR"
        else:
            line += "".join(" " + synopsis_item(a) for a in visible(s.get("arguments", [])) if not common(a))
        synopsis.append(line)
    synopsis.append("\\fB%s\\fR \\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR" % opt(name))
    for i, line in enumerate(synopsis):
        lines += ([".br"] if i else []) + [line]
    lines += [".SH DESCRIPTION", ".PP", esc(abstract)]
    if root.get("discussion"):
        lines += discussion(root["discussion"])
    elif default:
        lines += [".PP", "Without a subcommand, \\fB%s\\fR does what \\fB%s %s\\fR does." % (opt(name), opt(name), opt(default))]
    lines += [".SH OPTIONS"]
    for a in visible(root.get("arguments", [])):
        lines += argument_entry(a)
    lines += [".PP", "Every command also takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR; "
              "\\fB%s help\\fR \\fI<subcommand>\\fR shows the help of one command." % opt(name)]
    lines += [".SH COMMANDS"]
    command_section(root, [name], lines)
    if ns.extra:
        with open(ns.extra, encoding="utf-8") as f:
            lines += [l for l in f.read().rstrip("\n").split("\n")]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
