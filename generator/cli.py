"""Command line: argument parsing and exit codes only; each command calls one function.

Exit codes everywhere: 0 success, 1 findings, 2 input that cannot be read or parsed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from generator import __version__


def _discover_specs() -> list[Path]:
    """Every spec under ./specs (the default when no file is named)."""
    root = Path("specs")
    found = [p for ext in ("yaml", "yml", "json") for p in root.glob(f"*/*.{ext}")]
    return sorted(found)


def _cmd_lint(args: argparse.Namespace) -> int:
    from generator.lint import LintOptions, lint_file
    from generator.lint.report import exit_code, render_json, render_text

    paths = [Path(p) for p in args.specs] or _discover_specs()
    if not paths:
        print("apicontract lint: no spec given and none found under specs/", file=sys.stderr)
        return 2
    options = LintOptions(allow_remote=tuple(args.allow_remote), use_cache=not args.no_cache)
    reports = [lint_file(path, options, display=str(path)) for path in paths]
    sys.stdout.write(render_json(reports) if args.format == "json" else render_text(reports))
    return exit_code(reports)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apicontract",
        description="Keep API integrations honest: lint specs, generate code, check traffic.",
    )
    parser.add_argument("--version", action="version", version=f"apicontract {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lint = commands.add_parser(
        "lint", help="validate specs and report every problem with its location"
    )
    lint.add_argument(
        "specs", nargs="*", metavar="SPEC", help="spec files (default: specs/*/*.yaml)"
    )
    lint.add_argument("--format", choices=("text", "json"), default="text")
    lint.add_argument(
        "--allow-remote",
        action="append",
        default=[],
        metavar="HOST",
        help="allow $ref to fetch from this host (repeatable); network refs are refused otherwise",
    )
    lint.add_argument("--no-cache", action="store_true", help="lint even unchanged specs again")
    lint.set_defaults(run=_cmd_lint)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
