#!/usr/bin/python3
"""make lint: README.md as a CommonMark renderer reads it (Debian's
python3-markdown-it, CommonMark mode with GitHub's tables).

- every code fence closes: its last line is a closing fence, and no line
  inside it looks like one with text after it ("``` text" does not close a
  fence in CommonMark, and what follows renders as code);
- every link and image target exists: a relative path names a file or a
  directory of the repository (tracked by git, when this is a checkout),
  an anchor (#name, or file.md#name) names a heading as GitHub spells it;
- a "<!-- readme.t: why -->" comment (a snippet t/readme.t skips) stands
  right before a code fence.

Usage: check-readme.py [README.md ...]; exits 1 with one line per problem.
"""
import os
import re
import subprocess
import sys

try:
    from markdown_it import MarkdownIt
except ImportError:
    sys.exit("check-readme: python3-markdown-it is missing (scripts/deps.sh)")

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
SKIP_MARK = re.compile(r"^<!--\s*readme\.t:")


def parser():
    return MarkdownIt("commonmark").enable("table")


def slug(text):
    """The anchor GitHub gives a heading."""
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def heading_anchors(tokens):
    anchors, seen = set(), {}
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open":
            continue
        inline = tokens[i + 1]
        text = "".join(c.content for c in inline.children or []
                       if c.type in ("text", "code_inline"))
        base = slug(text)
        n = seen.get(base, 0)
        seen[base] = n + 1
        anchors.add(base if n == 0 else "%s-%d" % (base, n))
    return anchors


def tracked_paths(top):
    """Files and directories git tracks under top, or None outside a
    checkout (then the file system decides)."""
    try:
        out = subprocess.run(["git", "-C", top, "ls-files", "-z"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    paths = set()
    for name in out.decode("utf-8", "replace").split("\0"):
        if not name:
            continue
        paths.add(name)
        parts = name.split("/")
        for i in range(1, len(parts)):
            paths.add("/".join(parts[:i]))
    return paths


def walk(tokens, line=None):
    """Every token with the first line of the block it is in."""
    for tok in tokens:
        here = tok.map[0] if tok.map else line
        yield tok, here
        if tok.children:
            yield from walk(tok.children, here)


def check(path):
    problems = []
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    lines = text.split("\n")
    md = parser()
    tokens = md.parse(text)
    top = os.path.dirname(os.path.abspath(path))
    tracked = tracked_paths(top)
    anchors = {os.path.abspath(path): heading_anchors(tokens)}

    def where(line):
        return "%s:%d" % (path, line + 1)

    # fences
    for tok in tokens:
        if tok.type != "fence":
            continue
        start, end = tok.map
        opening = FENCE.match(lines[start])
        char, length = opening.group(1)[0], len(opening.group(1))
        last = lines[end - 1] if end - 1 > start else ""
        closing = FENCE.match(last)
        if (end - 1 == start or not closing or closing.group(2).strip()
                or closing.group(1)[0] != char
                or len(closing.group(1)) < length):
            problems.append("%s: code fence never closes (it runs to the "
                            "end of the file)" % where(start))
        for n in range(start + 1, end - 1):
            m = FENCE.match(lines[n])
            if (m and m.group(1)[0] == char and len(m.group(1)) >= length
                    and m.group(2).strip()):
                problems.append(
                    "%s: '%s' inside the code fence opened at line %d: a "
                    "fence that closes has nothing after it, so this line "
                    "and what follows render as code"
                    % (where(n), lines[n].strip()[:40], start + 1))

    # skip markers stand right before a fence
    fence_starts = {tok.map[0] for tok in tokens if tok.type == "fence"}
    for tok in tokens:
        if tok.type == "html_block" and SKIP_MARK.match(tok.content):
            if tok.map[1] not in fence_starts:
                problems.append("%s: a readme.t comment must stand on the "
                                "line right before a code fence"
                                % where(tok.map[0]))

    # links and images
    for tok, line in walk(tokens):
        if tok.type == "link_open":
            target = tok.attrs.get("href", "")
        elif tok.type == "image":
            target = tok.attrs.get("src", "")
        else:
            continue
        label = where(line) if line is not None else path
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue    # http:, https:, mailto: (no network here)
        file_part, _, anchor = target.partition("#")
        if file_part:
            rel = os.path.normpath(os.path.join(
                os.path.dirname(os.path.relpath(path, top)), file_part))
            full = os.path.join(top, rel)
            if tracked is not None:
                exists = rel in tracked or rel == "."
            else:
                exists = os.path.exists(full)
            if not exists:
                problems.append("%s: link target %s does not exist%s"
                                % (label, target,
                                   " in git" if tracked is not None else ""))
                continue
        else:
            full = os.path.abspath(path)
        if anchor and full.endswith(".md") and os.path.isfile(full):
            if full not in anchors:
                with open(full, encoding="utf-8") as fh:
                    anchors[full] = heading_anchors(md.parse(fh.read()))
            if anchor not in anchors[full]:
                problems.append("%s: link %s: no heading has the anchor #%s"
                                % (label, target, anchor))
    return problems


def main(argv):
    problems = []
    for path in argv[1:] or ["README.md"]:
        problems += check(path)
    for p in problems:
        print("check-readme: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
