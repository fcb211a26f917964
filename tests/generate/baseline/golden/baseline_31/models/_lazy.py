"""Model references resolved on first use (part of the generated models package).

A model class refers to models of other modules through a `LazyType` bound to the class's
name at run time (type checkers see the real import): the referenced module is imported, and
its validator built, the first time a value of that type is validated, not when the referring
model is built. So building one model builds only that model, however many classes its
fields reach: a large API's models load in the time the classes a program really uses take.

Validation and serialization are the real types' own (a union of several members is one
pydantic union of the real types, so its choice of branch is unchanged); errors keep their
full location. In a JSON Schema of a model, a lazily referenced model appears as an object
with its class name as title rather than with its properties.

pydantic has no lazy reference of its own (a model's validator includes every model its
fields reach), hence this module.
"""

from __future__ import annotations

import typing
from importlib import import_module
from typing import Any

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter
from pydantic_core import core_schema


class _Ref:
    """A model class named by its module (relative to `package`) and name."""

    __slots__ = ("module", "name", "package")

    def __init__(self, package: str, module: str, name: str) -> None:
        self.package, self.module, self.name = package, module, name

    def resolve(self) -> Any:
        return getattr(import_module(self.module, self.package), self.name)


def _members(value: object) -> tuple[object, ...]:
    return value._members if isinstance(value, LazyType) else (value,)


class LazyType:
    """A type, or a union of types, some of them model classes not yet imported."""

    __slots__ = ("_adapter", "_members", "_resolved")

    def __init__(self, members: tuple[object, ...]) -> None:
        self._members = members
        self._resolved: Any = None
        self._adapter: TypeAdapter[Any] | None = None

    # annotations such as `Account | str | None` are evaluated with this object in them
    def __or__(self, other: object) -> LazyType:
        return LazyType(self._members + _members(other))

    def __ror__(self, other: object) -> LazyType:
        return LazyType(_members(other) + self._members)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never resolve for pydantic's or typing's probes
            raise AttributeError(name)
        return getattr(self.resolve(), name)

    def __repr__(self) -> str:
        return " | ".join(
            m.name if isinstance(m, _Ref) else repr(m) for m in self._members
        )

    def resolve(self) -> Any:
        """The real type (imports the modules of its model classes)."""
        if self._resolved is None:
            real = tuple(
                m.resolve() if isinstance(m, _Ref) else m for m in self._members
            )
            self._resolved = real[0] if len(real) == 1 else typing.Union[real]  # noqa: UP007
        return self._resolved

    def _model(self) -> type[BaseModel] | None:
        real = self.resolve()
        return real if isinstance(real, type) and issubclass(real, BaseModel) else None

    def _type_adapter(self) -> TypeAdapter[Any]:
        if self._adapter is None:
            self._adapter = TypeAdapter(self.resolve())
        return self._adapter

    def _validate(self, value: Any, info: core_schema.ValidationInfo) -> Any:
        model = self._model()
        if model is not None:
            return model.model_validate(value, context=info.context)
        return self._type_adapter().validate_python(value, context=info.context)

    def _serialize(self, value: Any, info: core_schema.SerializationInfo) -> Any:
        options: dict[str, Any] = {
            "mode": info.mode,
            "by_alias": info.by_alias,
            "exclude_unset": info.exclude_unset,
            "exclude_defaults": info.exclude_defaults,
            "exclude_none": info.exclude_none,
            "round_trip": info.round_trip,
        }
        if self._model() is not None:
            return (
                value.model_dump(**options) if isinstance(value, BaseModel) else value
            )
        return self._type_adapter().dump_python(value, **options)

    def _json_schema(
        self, schema: Any, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        for member in self._members:
            real: Any = member.resolve() if isinstance(member, _Ref) else member
            if real is None or real is type(None):
                parts.append({"type": "null"})
            elif isinstance(real, type) and issubclass(real, BaseModel):
                parts.append({"type": "object", "title": real.__name__})
            else:
                parts.append(handler(TypeAdapter(real).core_schema))
        return parts[0] if len(parts) == 1 else {"anyOf": parts}

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            self._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                self._serialize, info_arg=True
            ),
            metadata={"pydantic_js_functions": [self._json_schema]},
        )


def model(package: str | None, module: str, name: str) -> Any:
    """The model class `name` of `module` (relative to `package`), imported on first use."""
    return LazyType((_Ref(package or "", module, name),))
