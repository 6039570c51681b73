"""Readers for the docker/ files, so tests can check and run what the image would do.

Deliberately small: they accept the syntax our files use (line continuations, comments,
exec-form JSON, ``KEY=VALUE`` pairs, Docker's ignore patterns) and raise on anything else,
so a Dockerfile edit they cannot read fails the tests instead of being misread.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "COMPOSE",
    "DOCKERFILE",
    "DOCKERIGNORE",
    "ENV_EXAMPLE",
    "ROOT",
    "Instruction",
    "env_of",
    "exec_form",
    "final_image",
    "global_args",
    "healthcheck_of",
    "is_ignored",
    "only",
    "read_instructions",
    "stages",
]

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
COMPOSE = ROOT / "docker" / "compose.yaml"
ENV_EXAMPLE = ROOT / "docker" / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: upper-case keyword, argument text, first line number."""

    keyword: str
    args: str
    line: int


def read_instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions in file order, continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue  # Docker drops comment lines, also inside a continuation
        if not parts:
            start = number
        parts.append(text.removesuffix("\\").strip())
        if not text.endswith("\\"):
            keyword, _, args = " ".join(parts).partition(" ")
            instructions.append(Instruction(keyword.upper(), args.strip(), start))
            parts = []
    if parts:
        raise ValueError(f"{path}: continuation from line {start} never ends")
    return instructions


def stages(instructions: list[Instruction]) -> list[tuple[str, list[Instruction]]]:
    """The build stages in order: (name, or "" if unnamed; instructions from its FROM on)."""
    result: list[tuple[str, list[Instruction]]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            name = instruction.args.partition(" AS ")[2].strip()
            result.append((name, [instruction]))
        elif not result and instruction.keyword == "ARG":
            continue  # a global ARG, seen only by FROM lines: global_args() reads them
        elif not result:
            raise ValueError(f"line {instruction.line}: {instruction.keyword} before any FROM")
        else:
            result[-1][1].append(instruction)
    return result


def global_args(instructions: list[Instruction]) -> dict[str, str]:
    """The ``ARG NAME=default`` lines before the first FROM (values FROM lines may use)."""
    args: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        name, _, default = instruction.args.partition("=")
        args[name] = default
    return args


def final_image(instructions: list[Instruction]) -> list[Instruction]:
    """What makes the built image: the last stage, after the stages it is ``FROM`` in turn."""
    named = {name: body for name, body in stages(instructions) if name}
    body = stages(instructions)[-1][1]
    while (parent := body[0].args.split()[0]) in named:
        body = named[parent] + body
    return body


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    """The single instruction with ``keyword``; several would leave the reader guessing."""
    found = [i for i in instructions if i.keyword == keyword]
    if len(found) != 1:
        raise ValueError(f"expected one {keyword}, found {len(found)}")
    return found[0]


def env_of(instructions: list[Instruction]) -> dict[str, str]:
    """Every ``ENV KEY=VALUE`` pair, later ones winning as in Docker."""
    env: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword != "ENV":
            continue
        for token in shlex.split(instruction.args):
            key, sep, value = token.partition("=")
            if not sep:
                raise ValueError(f"line {instruction.line}: use ENV KEY=VALUE, not {token!r}")
            env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    """The argument list of an exec-form (JSON array) CMD/ENTRYPOINT/HEALTHCHECK CMD."""
    value = json.loads(args)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"not an exec-form JSON array of strings: {args}")
    return value


def healthcheck_of(instructions: list[Instruction]) -> tuple[dict[str, str], list[str]]:
    """The HEALTHCHECK's options (``{"interval": "30s", ...}``) and its exec-form command."""
    args = only(instructions, "HEALTHCHECK").args
    match = re.fullmatch(r"((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[.*\])", args)
    if match is None:
        raise ValueError("HEALTHCHECK must be: [--option=value ...] CMD [exec-form JSON]")
    options = dict(opt[2:].split("=", 1) for opt in match.group(1).split())
    return options, exec_form(match.group(2))


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's ignore syntax: ``*`` and ``?`` stay inside one path segment, ``**`` crosses."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i + 1)
            out.append(pattern[i : end + 1])
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _ignore_rules(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        keep = text.startswith("!")
        pattern = posixpath.normpath(text.removeprefix("!").strip()).lstrip("/")
        rules.append((keep, _pattern_regex(pattern)))
    return rules


def is_ignored(relpath: str, path: Path = DOCKERIGNORE) -> bool:
    """Whether the build context leaves out ``relpath`` (POSIX, relative to the context root).

    As in Docker: a pattern matches a path or any of its parent directories, the last
    matching pattern decides, and a ``!`` pattern puts a path back in.
    """
    segments = relpath.split("/")
    candidates = ["/".join(segments[: n + 1]) for n in range(len(segments))]
    ignored = False
    for keep, regex in _ignore_rules(path):
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not keep
    return ignored
