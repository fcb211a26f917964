"""The v1 <-> Quickstart mapping as data: `specs/v1-quickstart.mapping.yaml` read into typed
objects (`Mapping.load`), and checked against both specs (`validate`): every name it uses must
exist in its spec, and everything a mapped operation carries (parameters, statuses, body
properties) must be mapped or listed as one-sided. A spec that gains a property the mapping
does not account for is therefore a validation finding, not a field translation silently loses.

The mapping names the operations and schemas it covers; the specs are read through the OpenAPI
model (`generator.openapi`, via the contract engine's `Contract`), never walked on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Mapping as ABCMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator.findings import Finding, InputError, Severity
from generator.load import pointer as jp
from generator.load.workspace import Document, load_document

Style = Literal["v1", "quickstart"]
STYLES: tuple[Style, Style] = ("v1", "quickstart")
LABEL: dict[Style, str] = {"v1": "v1", "quickstart": "Quickstart"}
CONVERSIONS = frozenset({"reason_code"})

_SPECS = Path(__file__).resolve().parents[2] / "specs"
if not _SPECS.is_dir():  # installed from a wheel: specs/ ships as generator/specs
    _SPECS = Path(__file__).resolve().parents[1] / "specs"
DEFAULT_MAPPING = _SPECS / "v1-quickstart.mapping.yaml"


def other(style: Style) -> Style:
    return "quickstart" if style == "v1" else "v1"


Path_ = tuple[str, ...]


def split_path(text: str) -> Path_:
    """`a/b` -> ("a", "b"); '' -> () (the whole body)."""
    return tuple(part for part in text.split("/") if part) if text else ()


def show_path(path: Path_) -> str:
    return "/" + "/".join(jp.escape(p) for p in path) if path else "/"


@dataclass(frozen=True)
class FieldMap:
    paths: dict[Style, Path_]
    enum: str | None = None
    each: str | None = None
    object: str | None = None
    verbatim: bool = False
    convert: str | None = None
    lossy: str | None = None
    where: str = ""  # pointer in the mapping file


@dataclass(frozen=True)
class Derived:
    values: dict[int, Any]
    default: Any = None
    has_default: bool = False

    def value_for(self, status: int) -> tuple[bool, Any]:
        if status in self.values:
            return True, self.values[status]
        return self.has_default, self.default


@dataclass(frozen=True)
class ObjectMap:
    name: str
    schemas: dict[Style, tuple[str, ...]]
    fields: tuple[FieldMap, ...]
    one_sided: dict[Style, dict[Path_, str]]
    rest: dict[Style, str]
    constants: dict[Style, dict[str, Any]]
    derived: dict[Style, dict[str, Derived]]
    where: str = ""


@dataclass(frozen=True)
class Wrap:
    into: str
    keep: tuple[str, ...]


@dataclass(frozen=True)
class Endpoint:
    style: Style
    operation: str
    method: str
    path: str
    wrap: Wrap | None = None
    where: str = ""
    regex: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        from generator.contract.operations import compile_template

        regex, names, _ = compile_template(self.path)
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "_names", names)

    def match(self, path: str) -> dict[str, str] | None:
        import urllib.parse

        found = self.regex.match(path)
        if found is None:
            return None
        names: dict[str, str] = self._names  # type: ignore[attr-defined]
        return {names[g]: urllib.parse.unquote(v) for g, v in found.groupdict().items()}

    def build(self, variables: ABCMapping[str, str]) -> str:
        import urllib.parse

        def value(match: re.Match[str]) -> str:
            return urllib.parse.quote(variables[match.group(1)], safe="")

        return re.sub(r"\{([^{}/]+)\}", value, self.path)


@dataclass(frozen=True)
class ResponseMap:
    status: dict[Style, int]
    objects: dict[Style, str | None]


@dataclass(frozen=True)
class OperationMap:
    name: str
    endpoints: dict[Style, Endpoint]
    also: dict[Style, tuple[Endpoint, ...]]
    path_parameters: dict[Style, dict[str, str]]  # source name -> target name, per source
    #: v1 path parameters that may hold a number instead of an id (no Quickstart path then)
    id_only: frozenset[str]
    request: str | None
    responses: tuple[ResponseMap, ...]
    where: str = ""

    def sources(self, style: Style) -> tuple[Endpoint, ...]:
        return (self.endpoints[style], *self.also.get(style, ()))

    def response(self, style: Style, status: int) -> ResponseMap | None:
        return next((r for r in self.responses if r.status[style] == status), None)


@dataclass(frozen=True)
class OneSidedOperation:
    endpoint: Endpoint
    reason: str


@dataclass(frozen=True)
class QueryRule:
    reason: str
    default: str | None = None


@dataclass(frozen=True)
class Errors:
    statuses: dict[Style, dict[int, int]]  # source status -> target status
    one_sided: dict[Style, dict[int, str]]
    categories: dict[int, int]
    default_status: int
    object: str
    v1_codes: dict[int, int]
    lossy: str


@dataclass(frozen=True)
class StyleInfo:
    spec: Path
    base_path: str


@dataclass
class Mapping:
    """The whole mapping file, typed. `document` keeps positions for findings."""

    document: Document
    styles: dict[Style, StyleInfo]
    id_pattern: re.Pattern[str]
    operations: tuple[OperationMap, ...]
    one_sided_operations: dict[Style, tuple[OneSidedOperation, ...]]
    headers: dict[Style, dict[str, str]]  # lower-case source name -> target name
    one_sided_headers: dict[Style, dict[str, str]]  # lower-case name -> reason
    response_headers: tuple[str, ...]
    one_sided_query: dict[Style, dict[str, QueryRule]]
    errors: Errors
    enums: dict[str, dict[Style, dict[str, str]]]  # name -> source style -> value map
    objects: dict[str, ObjectMap]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Mapping:
        """Read and type the mapping file. InputError (exit 2) when it cannot be read or its
        shape is wrong; `validate` then checks it against the specs."""
        source = Path(path) if path is not None else DEFAULT_MAPPING
        document = load_document(source, str(path) if path is not None else source.name)
        return _Reader(document, source.parent).read()


class _Reader:
    def __init__(self, document: Document, folder: Path) -> None:
        self.doc = document
        self.folder = folder

    def fail(self, pointer: str, message: str) -> InputError:
        return InputError(self.doc.finding(pointer, "mapping-invalid", message))

    def obj(self, value: Any, pointer: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(pointer, "expected a mapping")
        return value

    def text(self, value: Any, pointer: str) -> str:
        if not isinstance(value, str):
            raise self.fail(pointer, "expected a string")
        return value

    def status(self, value: Any, pointer: str) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise self.fail(pointer, "expected an HTTP status") from None
        if not 100 <= number <= 599:
            raise self.fail(pointer, "expected an HTTP status")
        return number

    def style_key(self, key: Any, pointer: str) -> Style:
        if key not in STYLES:
            raise self.fail(pointer, f"expected v1 or quickstart, not {key!r}")
        style: Style = key
        return style

    def read(self) -> Mapping:
        data = self.obj(self.doc.data, "")
        if data.get("mapping") != 1:
            raise self.fail("/mapping", "expected `mapping: 1` (the format version)")
        styles: dict[Style, StyleInfo] = {}
        raw_styles = self.obj(data.get("styles"), "/styles")
        for style in STYLES:
            entry = self.obj(raw_styles.get(style), f"/styles/{style}")
            spec = self.text(entry.get("spec"), f"/styles/{style}/spec")
            resolved = (self.folder / spec).resolve()
            if not resolved.is_relative_to(self.folder.resolve()):
                raise self.fail(f"/styles/{style}/spec", "the spec must lie beside the mapping")
            base = self.text(entry.get("base_path", ""), f"/styles/{style}/base_path")
            styles[style] = StyleInfo(resolved, base.rstrip("/"))
        try:
            id_pattern = re.compile(self.text(data.get("id_pattern"), "/id_pattern"))
        except re.error as exc:
            raise self.fail("/id_pattern", f"not a regular expression: {exc}") from None
        enums = self.enums(self.obj(data.get("enums"), "/enums"))
        objects = {
            name: self.object(name, value, f"/objects/{jp.escape(name)}")
            for name, value in self.obj(data.get("objects"), "/objects").items()
        }
        operations = []
        raw_ops = data.get("operations")
        if not isinstance(raw_ops, list):
            raise self.fail("/operations", "expected a list of operations")
        for index, raw in enumerate(raw_ops):
            operations.append(self.operation(raw, f"/operations/{index}"))
        one_sided_ops: dict[Style, tuple[OneSidedOperation, ...]] = {}
        for key, entries in self.obj(
            data.get("one_sided_operations"), "/one_sided_operations"
        ).items():
            style = self.style_key(key, "/one_sided_operations")
            items = []
            for index, raw in enumerate(entries if isinstance(entries, list) else []):
                where = f"/one_sided_operations/{style}/{index}"
                entry = self.obj(raw, where)
                items.append(
                    OneSidedOperation(
                        self.endpoint(style, entry, where),
                        self.text(entry.get("reason"), f"{where}/reason"),
                    )
                )
            one_sided_ops[style] = tuple(items)
        pairs = {
            self.text(k, "/headers"): self.text(v, f"/headers/{jp.escape(str(k))}")
            for k, v in self.obj(data.get("headers"), "/headers").items()
        }
        headers: dict[Style, dict[str, str]] = {
            "v1": {k.lower(): v for k, v in pairs.items()},
            "quickstart": {v.lower(): k for k, v in pairs.items()},
        }
        one_sided_headers: dict[Style, dict[str, str]] = {"v1": {}, "quickstart": {}}
        for key, entries in self.obj(data.get("one_sided_headers"), "/one_sided_headers").items():
            style = self.style_key(key, "/one_sided_headers")
            for name, reason in self.obj(entries, f"/one_sided_headers/{style}").items():
                one_sided_headers[style][str(name).lower()] = self.text(
                    reason, f"/one_sided_headers/{style}/{jp.escape(str(name))}"
                )
        response_headers = data.get("response_headers") or []
        if not isinstance(response_headers, list):
            raise self.fail("/response_headers", "expected a list of header names")
        one_sided_query: dict[Style, dict[str, QueryRule]] = {"v1": {}, "quickstart": {}}
        for key, entries in self.obj(data.get("one_sided_query"), "/one_sided_query").items():
            style = self.style_key(key, "/one_sided_query")
            for name, rule in self.obj(entries, f"/one_sided_query/{style}").items():
                where = f"/one_sided_query/{style}/{jp.escape(str(name))}"
                rule = self.obj(rule, where)
                default = rule.get("default")
                one_sided_query[style][str(name)] = QueryRule(
                    self.text(rule.get("reason"), f"{where}/reason"),
                    None if default is None else str(default),
                )
        return Mapping(
            document=self.doc,
            styles=styles,
            id_pattern=id_pattern,
            operations=tuple(operations),
            one_sided_operations=one_sided_ops,
            headers=headers,
            one_sided_headers=one_sided_headers,
            response_headers=tuple(str(h) for h in response_headers),
            one_sided_query=one_sided_query,
            errors=self.errors(self.obj(data.get("errors"), "/errors")),
            enums=enums,
            objects=objects,
        )

    def enums(self, raw: dict[str, Any]) -> dict[str, dict[Style, dict[str, str]]]:
        out: dict[str, dict[Style, dict[str, str]]] = {}
        for name, table in raw.items():
            table = self.obj(table, f"/enums/{jp.escape(name)}")
            forward = {str(k): str(v) for k, v in table.items()}
            if len(set(forward.values())) != len(forward):
                raise self.fail(f"/enums/{jp.escape(name)}", "two v1 values map to one value")
            out[name] = {"v1": forward, "quickstart": {v: k for k, v in forward.items()}}
        return out

    def object(self, name: str, raw: Any, where: str) -> ObjectMap:
        raw = self.obj(raw, where)
        schemas: dict[Style, tuple[str, ...]] = {}
        raw_schemas = self.obj(raw.get("schemas"), f"{where}/schemas")
        for style in STYLES:
            names = raw_schemas.get(style) or []
            if not isinstance(names, list):
                raise self.fail(f"{where}/schemas/{style}", "expected a list of schema names")
            schemas[style] = tuple(str(n) for n in names)
        fields = []
        for key, value in self.obj(raw.get("fields"), f"{where}/fields").items():
            at = f"{where}/fields/{jp.escape(str(key))}"
            spec = {"to": value} if isinstance(value, str) else self.obj(value, at)
            target = self.text(spec.get("to"), f"{at}/to")
            convert = spec.get("convert")
            if convert is not None and convert not in CONVERSIONS:
                raise self.fail(f"{at}/convert", f"unknown conversion {convert!r}")
            unknown = set(spec) - {"to", "enum", "each", "object", "verbatim", "convert", "lossy"}
            if unknown:
                raise self.fail(at, f"unknown keys {sorted(unknown)}")
            fields.append(
                FieldMap(
                    {"v1": split_path(str(key)), "quickstart": split_path(target)},
                    enum=spec.get("enum"),
                    each=spec.get("each"),
                    object=spec.get("object"),
                    verbatim=bool(spec.get("verbatim")),
                    convert=convert,
                    lossy=spec.get("lossy"),
                    where=at,
                )
            )
        one_sided: dict[Style, dict[Path_, str]] = {"v1": {}, "quickstart": {}}
        for key, entries in self.obj(raw.get("one_sided"), f"{where}/one_sided").items():
            style = self.style_key(key, f"{where}/one_sided")
            for path, reason in self.obj(entries, f"{where}/one_sided/{style}").items():
                one_sided[style][split_path(str(path))] = self.text(
                    reason, f"{where}/one_sided/{style}/{jp.escape(str(path))}"
                )
        rest: dict[Style, str] = {}
        for key, reason in self.obj(raw.get("rest"), f"{where}/rest").items():
            rest[self.style_key(key, f"{where}/rest")] = self.text(reason, f"{where}/rest/{key}")
        constants: dict[Style, dict[str, Any]] = {"v1": {}, "quickstart": {}}
        for key, values in self.obj(raw.get("constants"), f"{where}/constants").items():
            constants[self.style_key(key, f"{where}/constants")] = dict(
                self.obj(values, f"{where}/constants/{key}")
            )
        derived: dict[Style, dict[str, Derived]] = {"v1": {}, "quickstart": {}}
        for key, entries in self.obj(raw.get("derived"), f"{where}/derived").items():
            style = self.style_key(key, f"{where}/derived")
            for prop, rule in self.obj(entries, f"{where}/derived/{style}").items():
                at = f"{where}/derived/{style}/{jp.escape(str(prop))}"
                rule = self.obj(rule, at)
                if rule.get("from") != "status":
                    raise self.fail(f"{at}/from", "only `from: status` is supported")
                values = {
                    self.status(k, f"{at}/values"): v
                    for k, v in self.obj(rule.get("values"), f"{at}/values").items()
                }
                derived[style][str(prop)] = Derived(values, rule.get("default"), "default" in rule)
        return ObjectMap(name, schemas, tuple(fields), one_sided, rest, constants, derived, where)

    def endpoint(self, style: Style, raw: dict[str, Any], where: str) -> Endpoint:
        wrap = None
        if raw.get("wrap") is not None:
            spec = self.obj(raw["wrap"], f"{where}/wrap")
            keep = spec.get("keep") or []
            wrap = Wrap(
                self.text(spec.get("into"), f"{where}/wrap/into"), tuple(str(k) for k in keep)
            )
        return Endpoint(
            style,
            self.text(raw.get("operation"), f"{where}/operation"),
            self.text(raw.get("method"), f"{where}/method").upper(),
            self.text(raw.get("path"), f"{where}/path"),
            wrap,
            where,
        )

    def operation(self, raw: Any, where: str) -> OperationMap:
        raw = self.obj(raw, where)
        endpoints = {
            style: self.endpoint(
                style, self.obj(raw.get(style), f"{where}/{style}"), f"{where}/{style}"
            )
            for style in STYLES
        }
        also: dict[Style, tuple[Endpoint, ...]] = {}
        for key, entries in self.obj(raw.get("also"), f"{where}/also").items():
            style = self.style_key(key, f"{where}/also")
            also[style] = tuple(
                self.endpoint(
                    style, self.obj(e, f"{where}/also/{style}/{i}"), f"{where}/also/{style}/{i}"
                )
                for i, e in enumerate(entries if isinstance(entries, list) else [])
            )
        params: dict[str, str] = {}
        id_only: set[str] = set()
        raw_params = self.obj(raw.get("path_parameters"), f"{where}/path_parameters")
        for key, value in raw_params.items():
            at = f"{where}/path_parameters/{jp.escape(str(key))}"
            spec = {"to": value} if isinstance(value, str) else self.obj(value, at)
            params[str(key)] = self.text(spec.get("to"), f"{at}/to")
            if spec.get("id_only"):
                id_only.add(str(key))
        responses = []
        for index, entry in enumerate(raw.get("responses") or []):
            at = f"{where}/responses/{index}"
            entry = self.obj(entry, at)
            responses.append(
                ResponseMap(
                    {s: self.status(entry.get(s), f"{at}/{s}") for s in STYLES},
                    {s: entry.get(f"{s}_object") for s in STYLES},
                )
            )
        return OperationMap(
            self.text(raw.get("name"), f"{where}/name"),
            endpoints,
            also,
            {"v1": params, "quickstart": {v: k for k, v in params.items()}},
            frozenset(id_only),
            raw.get("request"),
            tuple(responses),
            where,
        )

    def errors(self, raw: dict[str, Any]) -> Errors:
        statuses: dict[Style, dict[int, int]] = {"v1": {}, "quickstart": {}}
        for index, entry in enumerate(raw.get("statuses") or []):
            entry = self.obj(entry, f"/errors/statuses/{index}")
            v1 = self.status(entry.get("v1"), f"/errors/statuses/{index}/v1")
            qs = self.status(entry.get("quickstart"), f"/errors/statuses/{index}/quickstart")
            statuses["v1"][v1] = qs
            statuses["quickstart"][qs] = v1
        one_sided: dict[Style, dict[int, str]] = {"v1": {}, "quickstart": {}}
        for key, entries in self.obj(
            raw.get("one_sided_statuses"), "/errors/one_sided_statuses"
        ).items():
            style = self.style_key(key, "/errors/one_sided_statuses")
            for status, reason in self.obj(entries, f"/errors/one_sided_statuses/{style}").items():
                at = f"/errors/one_sided_statuses/{style}/{status}"
                one_sided[style][self.status(status, at)] = self.text(reason, at)
        business = self.obj(raw.get("business_error_status"), "/errors/business_error_status")
        categories = {
            int(k): self.status(v, "/errors/business_error_status/categories")
            for k, v in self.obj(
                business.get("categories"), "/errors/business_error_status/categories"
            ).items()
        }
        codes = {
            self.status(k, "/errors/v1_codes"): int(v)
            for k, v in self.obj(raw.get("v1_codes"), "/errors/v1_codes").items()
        }
        return Errors(
            statuses,
            one_sided,
            categories,
            self.status(business.get("default"), "/errors/business_error_status/default"),
            self.text(raw.get("object"), "/errors/object"),
            codes,
            self.text(raw.get("lossy", ""), "/errors/lossy"),
        )


# -- validation against the specs ----------------------------------------------------------------
def validate(mapping: Mapping, specs: ABCMapping[Style, Any] | None = None) -> list[Finding]:
    """Every way the mapping and the two specs disagree, as findings on the mapping file.
    `specs` maps each style to a loaded `Contract` (loaded from the mapping's specs if None)."""
    from generator.contract.run import load_contract

    contracts = (
        dict(specs)
        if specs is not None
        else {style: load_contract(mapping.styles[style].spec) for style in STYLES}
    )
    return list(dict.fromkeys(_Validator(mapping, contracts).run()))


class _Validator:
    def __init__(self, mapping: Mapping, contracts: dict[Style, Any]) -> None:
        self.m = mapping
        self.contracts = contracts
        self.data = {s: contracts[s].workspace.root.data for s in STYLES}

    def finding(self, pointer: str, message: str) -> Finding:
        return self.m.document.finding(pointer, "mapping-mismatch", message, Severity.ERROR)

    def run(self) -> Iterator[Finding]:
        for obj in self.m.objects.values():
            yield from self.check_object(obj)
        for op in self.m.operations:
            yield from self.check_operation(op)
        for entries in self.m.one_sided_operations.values():
            for entry in entries:
                yield from self.check_endpoint(entry.endpoint)
        for name in self.m.enums:
            if not any(f.enum == name for o in self.m.objects.values() for f in o.fields):
                yield self.finding(f"/enums/{jp.escape(name)}", "no field uses this enum table")
        if self.m.errors.object not in self.m.objects:
            yield self.finding("/errors/object", f"no object {self.m.errors.object!r}")

    # -- schemas -----------------------------------------------------------------------------
    def schema(self, style: Style, name: str) -> dict[str, Any] | None:
        """A `components/schemas` entry, as the OpenAPI model knows it."""
        loc = self.contracts[style].model.schemas.get(name)
        if loc is None or loc.doc is not self.contracts[style].workspace.root:
            return None
        try:
            found = jp.resolve(loc.doc.data, loc.pointer)
        except KeyError:
            return None
        return found if isinstance(found, dict) else None

    def resolve(self, style: Style, schema: Any, depth: int = 0) -> Any:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < 32:
            ref = schema["$ref"]
            if not ref.startswith("#"):
                return {}
            try:
                schema = jp.resolve(self.data[style], ref[1:])
            except KeyError:
                return {}
            depth += 1
        return schema

    def properties(self, style: Style, schema: Any, depth: int = 0) -> dict[str, Any]:
        """Declared properties, through $ref, allOf and the branches of anyOf/oneOf."""
        schema = self.resolve(style, schema)
        if not isinstance(schema, dict) or depth > 16:
            return {}
        out: dict[str, Any] = {}
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key) or []:
                out.update(self.properties(style, branch, depth + 1))
        props = schema.get("properties")
        if isinstance(props, dict):
            out.update(props)
        return out

    def prop_at(self, style: Style, schema: Any, path: Path_) -> Any:
        """The schema of `path` inside `schema`, or None when it does not exist."""
        for name in path:
            props = self.properties(style, schema)
            if name not in props:
                return None
            schema = props[name]
        return self.resolve(style, schema)

    def enum_of(self, style: Style, schema: Any, depth: int = 0) -> list[Any] | None:
        schema = self.resolve(style, schema)
        if not isinstance(schema, dict) or depth > 8:
            return None
        if isinstance(schema.get("enum"), list):
            return list(schema["enum"])
        for branch in schema.get("allOf") or []:
            found = self.enum_of(style, branch, depth + 1)
            if found is not None:
                return found
        return None

    def check_object(self, obj: ObjectMap) -> Iterator[Finding]:
        for style in STYLES:
            for name in obj.schemas[style]:
                if self.schema(style, name) is None:
                    yield self.finding(
                        f"{obj.where}/schemas/{style}",
                        f"the {LABEL[style]} spec has no schema {name!r}",
                    )
        for fmap in obj.fields:
            for style in STYLES:
                path = fmap.paths[style]
                found = [
                    self.prop_at(style, self.schema(style, n), path)
                    for n in obj.schemas[style]
                    if self.schema(style, n) is not None
                ]
                found = [f for f in found if f is not None]
                if obj.schemas[style] and not found:
                    yield self.finding(
                        fmap.where,
                        f"{show_path(path)} is in none of the {LABEL[style]} schemas "
                        f"{', '.join(obj.schemas[style])}",
                    )
                if fmap.enum is not None:
                    table = self.m.enums.get(fmap.enum)
                    if table is None:
                        yield self.finding(fmap.where, f"no enum table {fmap.enum!r}")
                        continue
                    for schema in found:
                        values = self.enum_of(style, schema)
                        if values is not None and set(values) != set(table[style]):
                            yield self.finding(
                                fmap.where,
                                f"the {LABEL[style]} enum of {show_path(path)} is "
                                f"{sorted(map(str, values))}; the table maps "
                                f"{sorted(table[style])}",
                            )
            for ref in (fmap.each, fmap.object):
                if ref is not None and ref not in self.m.objects:
                    yield self.finding(fmap.where, f"no object {ref!r}")
        # completeness: every property of every listed schema is accounted for
        for style in STYLES:
            for name in obj.schemas[style]:
                schema = self.schema(style, name)
                if schema is None:
                    continue
                yield from self.coverage(obj, style, name, schema, ())

    def coverage(
        self, obj: ObjectMap, style: Style, name: str, schema: Any, prefix: Path_
    ) -> Iterator[Finding]:
        mapped = {f.paths[style] for f in obj.fields}
        for prop, sub in self.properties(style, schema).items():
            path = (*prefix, prop)
            if (
                path in mapped
                or path in obj.one_sided[style]
                or (not prefix and prop in obj.constants[style])
                or (not prefix and prop in obj.derived[style])
                or () in mapped  # the whole body maps to another object
            ):
                continue
            if any(m[: len(path)] == path for m in mapped | set(obj.one_sided[style])):
                yield from self.coverage(obj, style, name, sub, path)  # an intermediate object
                continue
            if style in obj.rest:
                continue
            yield self.finding(
                f"{obj.where}/fields",
                f"the {LABEL[style]} schema {name} has {show_path(path)}, which this object "
                "neither maps nor lists as one-sided",
            )

    # -- operations --------------------------------------------------------------------------
    def spec_operation(self, endpoint: Endpoint) -> Any:
        index = self.contracts[endpoint.style].operations
        return next(
            (
                op
                for op in index.operations
                if op.method == endpoint.method and op.path == endpoint.path
            ),
            None,
        )

    def check_endpoint(self, endpoint: Endpoint) -> Iterator[Finding]:
        op = self.spec_operation(endpoint)
        if op is None:
            yield self.finding(
                endpoint.where,
                f"the {LABEL[endpoint.style]} spec has no {endpoint.method} {endpoint.path}",
            )
        elif op.operation_id != endpoint.operation:
            yield self.finding(
                endpoint.where,
                f"{endpoint.method} {endpoint.path} is {op.operation_id!r} in the "
                f"{LABEL[endpoint.style]} spec, not {endpoint.operation!r}",
            )

    def check_operation(self, opmap: OperationMap) -> Iterator[Finding]:
        for ref in [opmap.request, *(o for r in opmap.responses for o in r.objects.values())]:
            if ref is not None and ref not in self.m.objects:
                yield self.finding(opmap.where, f"no object {ref!r}")
        for style in STYLES:
            for endpoint in opmap.sources(style):
                yield from self.check_endpoint(endpoint)
                op = self.spec_operation(endpoint)
                if op is None:
                    continue
                yield from self.check_parameters(opmap, style, endpoint, op)
                yield from self.check_statuses(opmap, style, endpoint, op)
                yield from self.check_bodies(opmap, style, endpoint, op)

    def check_parameters(
        self, opmap: OperationMap, style: Style, endpoint: Endpoint, op: Any
    ) -> Iterator[Finding]:
        for param in op.parameters:
            if param.location == "path":
                if param.name not in opmap.path_parameters[style]:
                    yield self.finding(
                        opmap.where,
                        f"{LABEL[style]} {endpoint.operation} takes path parameter "
                        f"{param.name!r}, which path_parameters does not map",
                    )
            elif param.location == "header":
                name = param.name.lower()
                if (
                    name not in self.m.headers[style]
                    and name not in self.m.one_sided_headers[style]
                ):
                    yield self.finding(
                        "/headers",
                        f"{LABEL[style]} {endpoint.operation} takes header {param.name!r}, "
                        "which is neither mapped nor one-sided",
                    )
            elif param.location == "query" and param.name not in self.m.one_sided_query[style]:
                yield self.finding(
                    "/one_sided_query",
                    f"{LABEL[style]} {endpoint.operation} takes query parameter "
                    f"{param.name!r}, which is neither mapped nor one-sided",
                )
        for target, name in opmap.path_parameters[style].items():
            if not any(p.location == "path" and p.name == target for p in op.parameters):
                yield self.finding(
                    opmap.where,
                    f"{LABEL[style]} {endpoint.operation} has no path parameter {target!r}",
                )
            del name

    def check_statuses(
        self, opmap: OperationMap, style: Style, endpoint: Endpoint, op: Any
    ) -> Iterator[Finding]:
        errors = self.m.errors
        for status in op.responses:
            try:
                code = int(status)
            except ValueError:
                yield self.finding(opmap.where, f"{endpoint.operation} documents {status!r}")
                continue
            if (
                opmap.response(style, code) is None
                and code not in errors.statuses[style]
                and code not in errors.one_sided[style]
            ):
                yield self.finding(
                    opmap.where,
                    f"{LABEL[style]} {endpoint.operation} documents status {code}, which is "
                    "neither mapped nor one-sided",
                )

    def body_schemas(self, style: Style, content_holder: Any) -> list[str]:
        """Names of the component schemas a body may be (its $ref, or the $refs of a oneOf)."""
        names: list[str] = []
        for content in content_holder:
            if content.schema_pointer is None:
                continue
            try:
                schema = jp.resolve(self.data[style], content.schema_pointer)
            except KeyError:
                continue
            refs = [schema] if "$ref" in schema else list(schema.get("oneOf") or [])
            for ref in refs:
                target = ref.get("$ref") if isinstance(ref, dict) else None
                if isinstance(target, str) and target.startswith("#/components/schemas/"):
                    names.append(jp.unescape(target.rsplit("/", 1)[1]))
        return names

    def check_bodies(
        self, opmap: OperationMap, style: Style, endpoint: Endpoint, op: Any
    ) -> Iterator[Finding]:
        objects = self.m.objects
        if op.body:
            request = objects.get(opmap.request or "")
            names = self.body_schemas(style, op.body)
            if request is None:
                yield self.finding(opmap.where, f"{endpoint.operation} takes a body; map `request`")
            elif endpoint.wrap is not None:
                # the wrapped body is one element plus the kept members: check both
                inner = next(
                    (f for f in request.fields if f.paths[style] == (endpoint.wrap.into,)), None
                )
                element = objects.get(inner.each or "") if inner else None
                for name in names:
                    schema = self.schema(style, name)
                    for prop in self.properties(style, schema):
                        known = prop in endpoint.wrap.keep or (
                            element is not None and self.covered(element, style, prop)
                        )
                        if not known:
                            yield self.finding(
                                endpoint.where,
                                f"{LABEL[style]} {name} has {prop!r}, which neither the wrapped "
                                "element's object nor `keep` accounts for",
                            )
            else:
                for name in names:
                    if name not in request.schemas[style]:
                        yield self.finding(
                            opmap.where,
                            f"{endpoint.operation}'s {LABEL[style]} body is {name}, which object "
                            f"{request.name!r} does not list",
                        )
        for status, response in op.responses.items():
            try:
                code = int(status)
            except ValueError:
                continue
            mapped = opmap.response(style, code)
            names = self.body_schemas(style, response.content)
            expected: set[str] = set()
            if mapped is not None and mapped.objects[style] is not None:
                expected |= set(objects[mapped.objects[style] or ""].schemas[style])
            if code in self.m.errors.statuses[style] or (style == "v1" and mapped is not None):
                expected |= set(objects[self.m.errors.object].schemas[style])
            if endpoint.wrap is not None and mapped is not None:
                continue  # a wrapped answer is one element of the bulk answer
            for name in names:
                if code in self.m.errors.one_sided[style]:
                    continue
                if name not in expected:
                    yield self.finding(
                        opmap.where,
                        f"{LABEL[style]} {endpoint.operation} answers {code} with {name}, "
                        "which no object mapped for that status lists",
                    )

    def covered(self, obj: ObjectMap, style: Style, prop: str) -> bool:
        return (
            any(f.paths[style][:1] == (prop,) for f in obj.fields)
            or any(p[:1] == (prop,) for p in obj.one_sided[style])
            or style in obj.rest
        )
