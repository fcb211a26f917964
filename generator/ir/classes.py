"""Which model class datamodel-code-generator made for which spec location: what the IR needs
from the model step. `generator.render.models` fills it from the generator's own metadata, so
class names are decided in one place (its resolver) and never re-derived here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelClass:
    class_name: str
    #: the spec location the class was made from, as path tokens (`components`, `schemas`, X)
    source_path: tuple[str, ...]


@dataclass(frozen=True)
class ClassIndex:
    classes: tuple[ModelClass, ...]
    _index: dict[tuple[str, ...], list[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for model in self.classes:  # built once: large specs ask thousands of times
            self._index.setdefault(model.source_path, []).append(model.class_name)

    def classes_at(self, path: tuple[str, ...]) -> list[str]:
        return list(self._index.get(path, ()))
