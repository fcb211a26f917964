"""The OpenAPI document model every engine reads (lint, the IR, the contract engine, diff and
the fake): `build_model(workspace)` reads a loaded spec once into typed, normalized objects.

* `model`: the types (operations, parameters with serialization, bodies and responses per media
  type, servers, security, webhooks and callbacks), each with its location;
* `build`: the one walk over a spec that makes them;
* `dialect`: which OpenAPI version a document speaks, and the 3.0 -> 2020-12 schema conversion;
* `media`: the media-type classifier (JSON, form, multipart, text, binary);
* `servers`: server URL templates matched against request URLs;
* `allof`: what an `allOf` with a closed member really allows (lint reports it, models follow it).
"""

from generator.openapi.build import build_model
from generator.openapi.model import OpenApi

__all__ = ["OpenApi", "build_model"]
