"""The generated clients take each operation's keyword arguments as one `TypedDict`
(`**kwargs: Unpack[...]`, PEP 692) and describe each request once, in an `Operation` both
clients share. These tests prove the shape cost callers nothing:

* mypy --strict proves every generated method and its fully spelled-out signature (the shape
  the client had before, rendered from the same IR by typing/explicit_client.pyi.jinja) are
  substitutable both ways, for every operation, both `async_` overloads, `iter_` and
  `_stream` methods and both clients, on the Zuora packages and the baseline goldens: same
  parameter names, kinds, types, optional-ness and return types;
* a user's script (typing/quickstart_usage.py) passes where it is right, with the exact
  types `assert_type` names, and is refused on each wrong keyword, type or use of the answer;
* at run time an unknown or missing keyword is still the `TypeError` Python gives for an
  explicit signature, raised before anything is sent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.generate import build_package
from generator.ir.model import Api
from generator.render import package as render_module
from generator.render.environment import environment
from tests.conftest import ROOT

HERE = Path(__file__).parent / "typing"
GOLDEN = ROOT / "tests" / "generate" / "baseline" / "golden"
#: spec -> (package name, folder holding the committed package)
SPECS = {
    "specs/quickstart/fulfillments.yaml": ("zuora_quickstart", ROOT / "generated"),
    "specs/v1/fulfillments.yaml": ("zuora_v1", ROOT / "generated"),
    "tests/generate/baseline/30.yaml": ("baseline_30", GOLDEN),
    "tests/generate/baseline/31.yaml": ("baseline_31", GOLDEN),
}
MARK = re.compile(r"  # E: ([a-z-]+(?: [a-z-]+)*)$")
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def build_ir(spec: str, package: str) -> Api:
    """The IR the package was rendered from (captured on its way to the templates)."""
    seen: list[Api] = []
    original = render_module.render_package

    def capture(api: Api, models: Any) -> dict[str, str]:
        seen.append(api)
        return original(api, models)

    render_module.render_package = capture
    try:
        result = build_package(ROOT / spec, package)
    finally:
        render_module.render_package = original
    assert result.ok and seen, [f.message for f in result.findings]
    return seen[-1]


CHECK = """\
from {package}.client import AsyncClient, Client

from {reference} import ExplicitAsyncClient, ExplicitClient


def sync_client(client: Client) -> ExplicitClient:
    return client


def async_client(client: AsyncClient) -> ExplicitAsyncClient:
    return client
"""

#: changes to the reference that make it differ from the generated client, and which
#: direction of the check must refuse each ("protocol": the generated methods used where the
#: explicit ones are expected; "override": the explicit ones used where the generated ones
#: are); a parameter made required is seen only by the one, made optional only by the other
MUTANTS = {
    "type": ("timeout: float | None = None", "timeout: str | None = None", "both"),
    "name": ("track_id: str | None = None", "trace_id: str | None = None", "both"),
    "required": (
        "extra_headers: Mapping[str, str] | None = None",
        "extra_headers: Mapping[str, str] | None",
        "override",
    ),
    "optional": ("async_: Literal[True],", "async_: Literal[True] = True,", "protocol"),
    "returns": (") -> models.FulfillmentList: ...", ") -> models.Fulfillment: ...", "both"),
}


@dataclass
class Checked:
    errors: dict[str, dict[int, set[str]]]  # file name -> line -> error codes
    output: str


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """One mypy --strict run over every reference, mutant and the user's script."""
    work = tmp_path_factory.mktemp("typing")
    template = environment().from_string((HERE / "explicit_client.pyi.jinja").read_text("utf-8"))
    files = [str(HERE / "quickstart_usage.py")]
    for spec, (package, _) in SPECS.items():
        reference = template.render(api=build_ir(spec, package))
        (work / f"explicit_{package}.pyi").write_text(reference, "utf-8")
        (work / f"check_{package}.py").write_text(
            CHECK.format(package=package, reference=f"explicit_{package}"), "utf-8"
        )
        files.append(str(work / f"check_{package}.py"))
        if package == "zuora_quickstart":
            for name, (old, new, _) in MUTANTS.items():
                assert old in reference
                mutant = f"mutant_{name}"
                (work / f"{mutant}.pyi").write_text(reference.replace(old, new), "utf-8")
                (work / f"check_{mutant}.py").write_text(
                    CHECK.format(package=package, reference=mutant), "utf-8"
                )
                files.append(str(work / f"check_{mutant}.py"))
    path = os.pathsep.join([str(work), str(ROOT / "generated"), str(GOLDEN)])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--show-error-codes",
            "--no-pretty",
            *files,
        ],
        cwd=work,
        env={**os.environ, "MYPYPATH": path},
        capture_output=True,
        text=True,
        timeout=900,
    )
    errors: dict[str, dict[int, set[str]]] = {}
    for line in done.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            lines = errors.setdefault(Path(match["file"]).name, {})
            lines.setdefault(int(match["line"]), set()).add(match["code"])
    assert done.returncode in (0, 1), done.stdout + done.stderr
    yield Checked(errors, done.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("package", [package for package, _ in SPECS.values()])
def test_every_signature_is_the_explicit_one(checked: Checked, package: str) -> None:
    assert f"check_{package}.py" not in checked.errors, checked.output
    assert f"explicit_{package}.pyi" not in checked.errors, checked.output


@pytest.mark.slow
@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_check_refuses_a_signature_that_differs(checked: Checked, mutant: str) -> None:
    direction = MUTANTS[mutant][2]
    protocol = checked.errors.get(f"check_mutant_{mutant}.py", {})
    override = checked.errors.get(f"mutant_{mutant}.pyi", {})
    assert bool(protocol) == (direction in ("protocol", "both")), checked.output
    assert bool(override) == (direction in ("override", "both")), checked.output
    assert {code for codes in protocol.values() for code in codes} <= {"return-value"}
    assert {code for codes in override.values() for code in codes} <= {"override"}


@pytest.mark.slow
def test_a_users_script_is_typed_exactly(checked: Checked) -> None:
    source = (HERE / "quickstart_usage.py").read_text("utf-8").splitlines()
    marked = (MARK.search(line) for line in source)
    expected = {n: set(m[1].split()) for n, m in enumerate(marked, start=1) if m}
    found = checked.errors.get("quickstart_usage.py", {})
    assert len(expected) > 20
    unexpected = {n: codes for n, codes in found.items() if n not in expected}
    assert not unexpected, checked.output
    for number, codes in expected.items():
        assert codes <= found.get(number, set()), (number, source[number - 1], checked.output)


# -- at run time -------------------------------------------------------------------------------


RUNTIME_CHECK = """
import pytest
from baseline_30.client import Client as Baseline
from zuora_quickstart.client import Client

sent = []
with Client(base_url="http://127.0.0.1:9", max_retries=0) as client:
    client._client.send = lambda *a, **k: sent.append(a)
    with pytest.raises(TypeError) as raised:
        client.get_fulfillment("F-1", page_sise=1)
    assert str(raised.value) == "get_fulfillment() got an unexpected keyword argument 'page_sise'"
    with pytest.raises(TypeError, match="unexpected keyword argument 'idempotency_key'"):
        client.get_fulfillment("F-1", idempotency_key="k")
    # the `iter_` method refuses at once, not when the first page is fetched
    with pytest.raises(TypeError, match="unexpected keyword argument 'cursor'"):
        client.iter_list_fulfillments(cursor="c")
    with pytest.raises(TypeError, match="multiple values for argument 'fulfillment_id'"):
        client.get_fulfillment("F-1", fulfillment_id="F-2")
with Baseline(base_url="http://127.0.0.1:9", max_retries=0) as baseline:
    baseline._client.send = lambda *a, **k: sent.append(a)
    with pytest.raises(TypeError) as raised:
        baseline.query_exploded_object(page=1)
    assert str(raised.value) == (
        "query_exploded_object() missing 1 required keyword-only argument: 'color'"
    )
assert sent == []
print("refused")
"""


def test_unknown_and_missing_keywords_are_refused_before_sending() -> None:
    """Python does not check `**kwargs` against its `TypedDict`: the runtime does, with the
    `TypeError` an explicit signature gives, before any request is made."""
    path = os.pathsep.join([str(ROOT / "generated"), str(GOLDEN)])
    done = subprocess.run(
        [sys.executable, "-c", RUNTIME_CHECK],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip() == "refused", done.stdout + done.stderr
