"""Command line: argument parsing and exit codes only; each command calls one function.

Exit codes everywhere: 0 success, 1 findings, 2 input that cannot be read or parsed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator import __version__


def _cmd_lint(args: argparse.Namespace) -> int:
    from generator.config import ConfigError, load_config
    from generator.lint import LintOptions, lint_file
    from generator.report.lint import RENDERERS, exit_code
    from generator.report.output import OutputError, write_report

    shown = [(Path(p), p) for p in args.specs]
    if not shown:  # the same specs `generate` builds: [tool.apicontract], else specs/*/*
        try:
            config = load_config(Path.cwd())
        except ConfigError as exc:
            print(f"apicontract lint: {exc}", file=sys.stderr)
            return 2
        shown = [(entry.path, _shown(entry.path)) for entry in config.specs]
    if not shown:
        print(
            "apicontract lint: no spec given and none configured or found under specs/",
            file=sys.stderr,
        )
        return 2
    options = LintOptions(allow_remote=tuple(args.allow_remote), use_cache=not args.no_cache)
    reports = [lint_file(path, options, display=display) for path, display in shown]
    try:
        write_report(RENDERERS[args.format](reports), args.output, args.format)
    except OutputError as exc:
        print(f"apicontract lint: {exc}", file=sys.stderr)
        return 2
    return exit_code(reports)


def _cmd_generate(args: argparse.Namespace) -> int:
    from generator.cache import shown_cache_dir
    from generator.config import ConfigError, load_config
    from generator.generate import Job, build_many
    from generator.write import UnsafeOutputError, check_package, plan_package, write_plan

    try:
        config = load_config(Path.cwd())
    except ConfigError as exc:
        print(f"apicontract generate: {exc}", file=sys.stderr)
        return 2
    if args.package and len(args.specs) != 1:
        print("apicontract generate: --package needs exactly one SPEC", file=sys.stderr)
        return 2

    def conventions_of(spec: Path) -> dict[str, Any]:
        entry = config.entry_for(spec)
        return dict(entry.conventions) if entry is not None else {}

    if args.specs:
        jobs = [(Path(s), args.package or config.package_for(Path(s))) for s in args.specs]
    else:
        jobs = [(e.path, e.package) for e in config.specs]
    if not jobs:
        print("apicontract generate: no spec given and none configured or found", file=sys.stderr)
        return 2
    out_dir = Path(args.out) if args.out else config.output
    shown_out = _shown(out_dir)
    status = 0
    work = [
        Job(
            spec,
            package,
            _shown(spec),
            tuple(args.allow_remote),
            not args.no_cache,
            conventions=conventions_of(spec),
            force=args.force,
        )
        for spec, package in jobs
    ]
    plans = []
    refused = False
    for job, result in zip(work, build_many(work), strict=True):
        shown_spec, package = job.display, job.package
        for finding in result.findings:
            print(finding.render())
        if result.unreadable:
            status = 2
            continue
        if not result.ok:
            if result.refused:
                print(
                    f"{shown_spec}: not generated: the errors above would change the generated "
                    "code; fix them, or pass --force to generate anyway"
                )
            else:
                print(f"{shown_spec}: not generated: see the errors above")
            status = max(status, 1)
            continue
        where = f"{shown_out}/{package}"
        try:
            if args.check:
                diffs = check_package(
                    out_dir, package, result.files, result.digest, shown_out, result.conventions
                )
                if diffs:
                    sys.stdout.write("".join(d if d.endswith("\n") else d + "\n" for d in diffs))
                    print(f"{where}: out of date with {shown_spec} ({len(diffs)} files differ)")
                    status = max(status, 1)
                else:
                    print(f"{where}: up to date with {shown_spec}")
                continue
            # every target of every package is checked before the first file is written
            plan = plan_package(out_dir, package, result.files, result.digest, result.conventions)
            plans.append((where, result, plan))
        except UnsafeOutputError as exc:
            print(f"{where}: {exc}", file=sys.stderr)
            status, refused = 2, True
        except OSError as exc:
            print(f"{where}: cannot write: {exc}", file=sys.stderr)
            status, refused = 2, True
    if refused:
        print(
            "apicontract generate: nothing written (an output target was refused)", file=sys.stderr
        )
        return status
    for where, result, plan in plans:
        try:
            report = write_plan(plan)
        except OSError as exc:
            print(f"{where}: cannot write: {exc}", file=sys.stderr)
            status = 2
            continue
        origin = f" (from cache in {shown_cache_dir()})" if result.cached else ""
        print(
            f"{where}: {len(report.written)} written, {len(report.removed)} removed, "
            f"{len(report.unchanged)} unchanged{origin}"
        )
    return status


def _cmd_conventions(args: argparse.Namespace) -> int:
    """Each convention (configured in [tool.apicontract], declared in the spec, or guessed),
    its value and why: exit 1 when the spec's declaration has problems."""
    import json

    from generator.config import ConfigError, load_config
    from generator.findings import InputError
    from generator.load.workspace import Workspace
    from generator.openapi.build import build_model
    from generator.openapi.conventions import decide_conventions
    from generator.openapi.dialect import require_dialect

    spec = Path(args.spec)
    try:
        entry = load_config(Path.cwd()).entry_for(spec)
        workspace = Workspace.open(spec, _shown(spec), tuple(args.allow_remote))
        require_dialect(workspace.root)
    except ConfigError as exc:
        print(f"apicontract conventions: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(exc.finding.render(), file=sys.stderr)
        return 2
    decided = decide_conventions(
        workspace, build_model(workspace), entry.conventions if entry is not None else None
    )
    if args.format == "json":
        document = {
            "spec": _shown(spec),
            "conventions": [c.to_json() for c in decided.choices],
            "problems": [f.to_json() for f in decided.problems],
        }
        print(json.dumps(document, indent=2))
    else:
        for choice in decided.choices:
            value = "-" if choice.value is None else json.dumps(choice.value)
            print(f"{choice.key}: {value}  ({choice.source.value}: {choice.reason})")
        for finding in decided.problems:
            print(finding.render())
    return 1 if decided.problems else 0


def _cmd_check(args: argparse.Namespace) -> int:
    from generator.contract.run import CheckError, run_check

    if args.jobs is not None and args.jobs < 0:
        print("apicontract check: --jobs must be 0 (one per CPU) or more", file=sys.stderr)
        return 2
    if args.partition_size is not None and args.dask is None:
        print("apicontract check: --partition-size applies to --dask runs", file=sys.stderr)
        return 2
    try:
        counts = run_check(
            args.spec,
            args.traffic,
            fmt=args.format,
            jobs=args.jobs,
            output=args.output,
            dask=args.dask,
            **({"partition_size": args.partition_size} if args.partition_size else {}),
            allow_remote=tuple(args.allow_remote),
            allow_empty=args.allow_empty,
        )
    except CheckError as exc:
        print(f"apicontract check: {exc}", file=sys.stderr)
        return 2
    return 0 if counts.findings == 0 else 1


def _cmd_serve(args: argparse.Namespace) -> int:
    from generator.fake.app import SHIPPED
    from generator.fake.serve import serve

    if args.spec is None and args.style is None:
        what = "check the proxied traffic against" if args.proxy else "serve"
        print(
            f"apicontract serve: give the SPEC to {what}, or --style v1|quickstart|both "
            "for the shipped ones",
            file=sys.stderr,
        )
        return 2
    if args.style == "both" and (args.spec is not None or args.proxy is not None):
        print(
            "apicontract serve: --style both serves the shipped specs; give no SPEC or --proxy",
            file=sys.stderr,
        )
        return 2
    spec = None
    if args.style != "both":
        spec = Path(args.spec) if args.spec is not None else SHIPPED[args.style]
    if spec is not None and spec.is_dir():
        print(f"apicontract serve: {spec}: is a directory, expected a spec file", file=sys.stderr)
        return 2
    if spec is not None and not spec.is_file():
        print(f"apicontract serve: {spec}: no such file", file=sys.stderr)
        return 2
    if args.record is not None and args.proxy is None:
        print("apicontract serve: --record needs --proxy UPSTREAM", file=sys.stderr)
        return 2
    if args.keep_secrets and args.record is None:
        print("apicontract serve: --keep-secrets needs --record FILE", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("apicontract serve: --port must be 0..65535", file=sys.stderr)
        return 2
    for option, seconds in (
        ("--keep-alive-timeout", args.keep_alive_timeout),
        ("--header-timeout", args.header_timeout),
    ):
        if not 0 < seconds < 86400:  # also refuses nan
            print(f"apicontract serve: {option} must be a number of seconds above 0",
                  file=sys.stderr)  # fmt: skip
            return 2
    return serve(
        spec,
        style=args.style,
        host=args.host,
        port=args.port,
        db=args.db,
        token=args.token,
        seed=Path(args.seed) if args.seed else None,
        proxy=args.proxy,
        record=Path(args.record) if args.record else None,
        allow_edit_booked=args.allow_edit_booked,
        keep_secrets=args.keep_secrets,
        keep_alive_timeout=args.keep_alive_timeout,
        header_timeout=args.header_timeout,
        allow_remote=tuple(args.allow_remote),
    )


def _cmd_diff(args: argparse.Namespace) -> int:
    from generator.diff.rules import RULES
    from generator.diff.run import run_diff
    from generator.diff.schema import DiffInputError

    if args.list_rules:
        width = max(len(rule) for rule in RULES)
        for rule in RULES.values():
            print(f"{rule.id:<{width}}  {rule.level.label:<8}  {rule.explanation}")
        return 0
    if args.old is None or args.new is None:
        print("apicontract diff: give OLD and NEW (files or git:REV:PATH)", file=sys.stderr)
        return 2
    try:
        return run_diff(
            args.old,
            args.new,
            fmt=args.format,
            fail_on=args.fail_on,
            ignore_file=args.ignore,
            output=args.output,
            allow_remote=tuple(args.allow_remote),
        )
    except DiffInputError as exc:
        print(f"apicontract diff: {exc}", file=sys.stderr)
        return 2


def _cmd_translate(args: argparse.Namespace) -> int:
    from generator.translate.engine import TranslateSetupError
    from generator.translate.run import TranslateError, translate_traffic

    try:
        summary = translate_traffic(
            args.input,
            args.to,
            output=args.output,
            mapping=args.mapping,
            report_format=args.report_format,
        )
    except TranslateSetupError as exc:
        for finding in exc.findings:
            print(finding.render(), file=sys.stderr)
        return 2
    except TranslateError as exc:
        print(f"apicontract translate: {exc}", file=sys.stderr)
        return 2
    return summary.exit_code


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMG]I?B?|B)?", re.IGNORECASE)


def _size(text: str) -> int:
    """`64MB`, `512KiB`, `1000000`: a byte count for --partition-size."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a size such as 64MB, 512KiB or 1000000"
        )
    unit = (match.group(2) or "").upper().rstrip("B")
    scale = 1
    if unit:
        power = "KMG".index(unit[0]) + 1
        scale = 1024**power if unit.endswith("I") else 1000**power
    value = int(float(match.group(1)) * scale)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1 byte")
    return value


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _allow_remote(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--allow-remote",
        action="append",
        default=[],
        metavar="HOST",
        help="allow $ref to fetch from this host (repeatable); network refs are refused otherwise",
    )


def build_parser() -> argparse.ArgumentParser:
    from generator.report import CHECK_FORMATS, FORMATS

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
        "specs",
        nargs="*",
        metavar="SPEC",
        help="spec files (default: [tool.apicontract] specs, else specs/*/*.yaml)",
    )
    lint.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text: one line per finding and a summary (default); json: every finding with "
        "its full detail; junit, github (workflow annotations), sarif (code scanning)",
    )
    lint.add_argument(
        "--output", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    _allow_remote(lint)
    lint.add_argument("--no-cache", action="store_true", help="lint even unchanged specs again")
    lint.set_defaults(run=_cmd_lint)

    gen = commands.add_parser(
        "generate", help="generate models, typed clients and server stubs from specs"
    )
    gen.add_argument(
        "specs",
        nargs="*",
        metavar="SPEC",
        help="spec files (default: [tool.apicontract] specs, else specs/*/*.yaml)",
    )
    gen.add_argument("--out", metavar="DIR", help="output folder (default: generated)")
    gen.add_argument("--package", metavar="NAME", help="package name (with one SPEC)")
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; print a diff of any drift and exit 1 when out of date",
    )
    _allow_remote(gen)
    gen.add_argument("--no-cache", action="store_true", help="regenerate even unchanged specs")
    gen.add_argument(
        "--force",
        action="store_true",
        help="generate even when the spec has errors that change the generated code "
        "(malformed schema keywords, unreadable parameters); the errors are still printed",
    )
    gen.set_defaults(run=_cmd_generate)

    check = commands.add_parser(
        "check", help="check recorded traffic (HAR or JSONL) against a spec"
    )
    check.add_argument("spec", metavar="SPEC", help="the OpenAPI spec the traffic should follow")
    check.add_argument(
        "traffic",
        nargs="+",
        metavar="TRAFFIC",
        help="HAR 1.2 or JSONL files (one exchange per line), glob patterns, fsspec URLs "
        "(s3://, gs://, file://, with apicontract[dask]), or - for standard input",
    )
    check.add_argument(
        "--format",
        choices=CHECK_FORMATS,
        default="text",
        help="text: a diff per exchange (default); json: one object (check-report.schema.json); "
        "junit: one testcase per exchange; github, sarif; html: one self-contained page "
        "(with --output)",
    )
    check.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="check in N processes (default 1; 0 means one per CPU); with --dask local, "
        "the number of workers (default one per CPU)",
    )
    check.add_argument(
        "--dask",
        metavar="local|tcp://HOST:PORT",
        help="check on a Dask cluster: `local` starts one here, tcp://HOST:PORT uses a "
        "running scheduler (needs apicontract[dask])",
    )
    check.add_argument(
        "--partition-size",
        type=_size,
        metavar="SIZE",
        help="with --dask: bytes of JSONL per task, e.g. 16MB (default 64MiB); a HAR file is "
        "one task",
    )
    check.add_argument(
        "--output", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    _allow_remote(check)
    check.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a traffic file with no exchanges (exit 2 otherwise)",
    )
    check.set_defaults(run=_cmd_check)

    diff = commands.add_parser(
        "diff", help="compare two versions of a spec and report changes that break callers"
    )
    diff.add_argument("old", nargs="?", metavar="OLD", help="old spec: a file or git:REV:PATH")
    diff.add_argument("new", nargs="?", metavar="NEW", help="new spec: a file or git:REV:PATH")
    diff.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default); json (diff-report.schema.json); junit: one testcase per change; "
        "github: workflow annotations on the new spec's lines; sarif (code scanning)",
    )
    diff.add_argument(
        "--fail-on",
        choices=("breaking", "warning", "info", "never"),
        default="breaking",
        help="exit 1 when a change of this severity or above is found (default: breaking)",
    )
    diff.add_argument(
        "--ignore",
        metavar="FILE",
        help="accepted changes (default: .apicontract-ignore.yaml when present)",
    )
    diff.add_argument(
        "--output", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    _allow_remote(diff)
    diff.add_argument(
        "--list-rules", action="store_true", help="print every rule with its severity and exit"
    )
    diff.set_defaults(run=_cmd_diff)

    conventions = commands.add_parser(
        "conventions",
        help="show the API conventions generated code follows, and where each comes from",
    )
    conventions.add_argument("spec", metavar="SPEC")
    conventions.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format"
    )
    _allow_remote(conventions)
    conventions.set_defaults(run=_cmd_conventions)

    translate = commands.add_parser(
        "translate", help="translate Zuora traffic between the v1 and Quickstart styles"
    )
    translate.add_argument("input", metavar="INPUT", help="HAR or JSONL traffic, or - for stdin")
    translate.add_argument(
        "--to", required=True, choices=("quickstart", "v1"), help="the style to translate into"
    )
    translate.add_argument(
        "--output", metavar="FILE", help="write the translation to FILE (default: stdout)"
    )
    translate.add_argument(
        "--mapping", metavar="FILE", help="mapping file (default: the shipped v1-quickstart one)"
    )
    translate.add_argument(
        "--report-format",
        choices=("text", "json"),
        default="text",
        help="how problems are reported on stderr (json: one object per line)",
    )
    translate.set_defaults(run=_cmd_translate)

    serve = commands.add_parser(
        "serve",
        help="run a stateful fake of the API (or a checking proxy) on HTTP",
        usage="%(prog)s (SPEC | --style {v1,quickstart,both}) [options] "
        "[--proxy UPSTREAM [--record FILE]]",
        description="Serve a stateful fake of the API, or with --proxy forward to UPSTREAM and "
        "check both directions. Either way a spec is needed: SPEC, or --style for a shipped one.",
    )
    serve.add_argument(
        "spec",
        nargs="?",
        metavar="SPEC",
        help="the spec to serve or to check proxied traffic against (or use --style)",
    )
    serve.add_argument(
        "--style",
        choices=("v1", "quickstart", "both"),
        help="API style (default: detected from SPEC; alone: serve the shipped spec; both: one "
        "store served as v1 under /v1 and as Quickstart under /v2)",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for every "
        "interface)",
    )
    serve.add_argument("--port", type=int, default=4010, help="0 picks a free port")
    serve.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help="SQLite file of the Zuora styles (default: apicontract-fake.db; :memory: for a "
        "throwaway run); the fake of any other spec keeps its state in memory",
    )
    serve.add_argument("--token", help="accept only this bearer token (401 otherwise)")
    serve.add_argument(
        "--seed",
        metavar="FILE",
        help="JSON list of order line items {id, quantity}: unknown ids are refused",
    )
    serve.add_argument(
        "--proxy",
        metavar="UPSTREAM",
        help="forward to UPSTREAM and check both directions instead of faking",
    )
    serve.add_argument(
        "--record",
        metavar="FILE",
        help="with --proxy: record a HAR file (Authorization, cookies and the spec's apiKey "
        "parameters written as REDACTED)",
    )
    serve.add_argument(
        "--keep-secrets",
        action="store_true",
        help="with --record: keep credentials verbatim in the HAR (do not publish it)",
    )
    serve.add_argument(
        "--allow-edit-booked",
        action="store_true",
        help='act as a tenant granting "Allow Edit Of Booked Order Line Items": fields other '
        "than state stay editable while a fulfillment is booked",
    )
    serve.add_argument(
        "--keep-alive-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="close a kept-alive connection idle this long after an answer (default 5)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close a connection that has not sent a complete request head this long after "
        "connecting or starting it (default 10)",
    )
    _allow_remote(serve)
    serve.set_defaults(run=_cmd_serve)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}  # pragma: no cover - build_parser always adds them


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """parse_args, except that an unknown option is reported by the command it was given to,
    with that command's usage and the closest option it does take."""
    import difflib

    words = list(sys.argv[1:] if argv is None else argv)
    args, extras = parser.parse_known_args(words)
    if extras:
        name = getattr(args, "command", None) or ""
        given_to_command = name in words and words.index(name) < words.index(extras[0])
        command = _subcommands(parser).get(name, parser) if given_to_command else parser
        known = [o for a in command._actions for o in a.option_strings if o.startswith("--")]
        hint = ""
        for extra in extras:
            close = difflib.get_close_matches(extra.partition("=")[0], known, n=1)
            if extra.startswith("-") and close:
                hint = f" (did you mean {close[0]}?)"
                break
        command.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = _parse(parser, argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
