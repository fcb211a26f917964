"""The catalogue of spec-diff rules: a stable id, a severity and why it matters to callers.

Direction decides severity. A request is what callers send, so the new spec must still accept
everything the old one did: narrowing a request breaks callers, widening it is harmless. A
response is what callers receive, so the new spec may promise no less than the old one did:
widening a response breaks callers, narrowing it is harmless.

Webhooks and callbacks run the other way: the provider sends the request and the caller
receives it. Their request bodies and parameters are judged by the response rules (what the
caller receives) and their responses by the request rules (what the caller answers with).

`apicontract diff --list-rules` prints this table; README's rule table is checked against it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.IntEnum):
    """Severity of a change; ordered so `--fail-on` can compare."""

    INFO = 1
    WARNING = 2
    BREAKING = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    explanation: str


_B, _W, _I = Level.BREAKING, Level.WARNING, Level.INFO

_TABLE: tuple[tuple[str, Level, str], ...] = (
    # operations
    ("operation-removed", _B, "An operation is gone: every call to it now fails."),
    ("operation-added", _I, "A new operation; existing callers are unaffected."),
    (
        "operation-id-changed",
        _W,
        "The operationId changed: the wire format is the same, but generated clients rename "
        "the method, so code calling it by name stops compiling.",
    ),
    ("operation-deprecated", _I, "The operation is now marked deprecated."),
    (
        "security-requirement-changed",
        _B,
        "A way of authenticating that used to work is no longer accepted by the operation.",
    ),
    (
        "security-requirement-relaxed",
        _I,
        "The operation accepts an additional way to authenticate.",
    ),
    (
        "server-removed",
        _W,
        "A server URL is no longer listed: clients configured for it (generated clients offer "
        "the listed servers as presets) must move.",
    ),
    ("server-added", _I, "A new server URL is listed."),
    (
        "webhook-removed",
        _B,
        "A webhook is gone: callers relying on the event no longer receive it.",
    ),
    ("webhook-added", _I, "A new webhook; callers that do not subscribe are unaffected."),
    (
        "callback-removed",
        _B,
        "A callback of an operation is gone: callers waiting for it are never called back.",
    ),
    ("callback-added", _I, "A new callback of an operation."),
    (
        "callback-body-became-optional",
        _B,
        "A webhook or callback request may now arrive without the body it always carried: "
        "receivers reading it break.",
    ),
    # request parameters and bodies
    (
        "request-parameter-added-required",
        _B,
        "A new required parameter: callers that do not send it are rejected.",
    ),
    (
        "request-parameter-became-required",
        _B,
        "An optional parameter became required: callers that omit it are rejected.",
    ),
    (
        "request-parameter-removed",
        _W,
        "A parameter is no longer documented: callers still sending it may see it ignored or "
        "refused.",
    ),
    ("request-parameter-added", _I, "A new optional parameter; callers may ignore it."),
    ("request-parameter-became-optional", _I, "A required parameter became optional."),
    (
        "request-parameter-style-changed",
        _B,
        "How a parameter is serialized changed (style or explode): callers encoding it the old "
        "way send something the server reads differently.",
    ),
    (
        "request-body-added-required",
        _B,
        "The operation now requires a request body it did not take before.",
    ),
    (
        "request-body-became-required",
        _B,
        "An optional request body became required: callers that send none are rejected.",
    ),
    ("request-body-removed", _W, "The operation no longer documents a request body."),
    ("request-body-added", _I, "The operation accepts an optional request body."),
    ("request-body-became-optional", _I, "A required request body became optional."),
    (
        "request-media-type-removed",
        _B,
        "A request content type is no longer accepted: callers sending it are rejected.",
    ),
    ("request-media-type-added", _I, "An additional request content type is accepted."),
    # request schemas
    (
        "request-property-added-required",
        _B,
        "A new required property: request bodies without it are rejected.",
    ),
    (
        "request-property-became-required",
        _B,
        "An optional property became required: request bodies that omit it are rejected.",
    ),
    (
        "request-property-refused",
        _B,
        "A property was removed from a closed object (no additional properties): callers "
        "still sending it are rejected.",
    ),
    (
        "request-property-removed",
        _W,
        "A property is no longer documented in an open object: callers still sending it may "
        "find it ignored.",
    ),
    ("request-property-added", _I, "A new optional property; callers may ignore it."),
    ("request-property-became-optional", _I, "A required property became optional."),
    (
        "request-type-narrowed",
        _B,
        "The schema accepts fewer types than before (for example number to integer, or null no "
        "longer allowed): values that used to be valid are rejected.",
    ),
    ("request-type-widened", _I, "The schema accepts more types than before."),
    (
        "request-enum-value-removed",
        _B,
        "An enum value callers could send is no longer accepted (or an enum now restricts a "
        "value that was free before).",
    ),
    ("request-enum-value-added", _I, "An enum accepts an additional value."),
    (
        "request-format-changed",
        _B,
        "A format (or contentMediaType, contentEncoding) was added or changed: values valid "
        "under the old one may be rejected.",
    ),
    (
        "request-length-narrowed",
        _B,
        "A length or size limit got stricter (minLength/maxLength, minItems/maxItems, "
        "minProperties/maxProperties, minContains/maxContains).",
    ),
    (
        "request-range-narrowed",
        _B,
        "A numeric bound got stricter (minimum/maximum, exclusive bounds, multipleOf).",
    ),
    (
        "request-pattern-changed",
        _B,
        "A pattern was added or changed: strings valid before may be rejected.",
    ),
    (
        "request-object-closed",
        _B,
        "The object no longer accepts additional properties: callers sending extra fields are "
        "rejected.",
    ),
    (
        "request-variant-removed",
        _B,
        "A oneOf/anyOf alternative is no longer accepted.",
    ),
    (
        "request-variants-overlap",
        _B,
        "A oneOf now has alternatives that overlap (a schema became a oneOf, anyOf became "
        "oneOf, or an alternative changed): a request matching more than one of them is "
        "refused.",
    ),
    (
        "request-contains-added",
        _B,
        "An array must now hold an item matching `contains`: arrays without one are rejected.",
    ),
    (
        "request-dependency-added",
        _B,
        "dependentRequired gained a property: a request carrying the trigger property must now "
        "carry more.",
    ),
    (
        "request-condition-changed",
        _B,
        "The `if` of an if/then/else changed: requests meet a different branch than before, "
        "which may refuse them.",
    ),
    (
        "request-negation-narrowed",
        _B,
        "A `not` refuses more than before (it was added, or the schema inside it widened): "
        "requests matching it are rejected.",
    ),
    (
        "request-default-changed",
        _W,
        "A default value changed or was removed: requests that omit the value are still "
        "accepted but now get different behaviour.",
    ),
    (
        "request-constraint-relaxed",
        _I,
        "A request constraint got looser (format or pattern dropped, limit widened, object "
        "opened, alternative added, a 2020-12 keyword dropped); every old request is still "
        "valid.",
    ),
    # responses
    (
        "response-status-removed",
        _B,
        "A response status is no longer documented: callers handling it lose their contract.",
    ),
    ("response-status-added", _I, "A new response status is documented."),
    (
        "response-media-type-removed",
        _B,
        "A response content type is no longer produced: callers that asked for it get "
        "something else.",
    ),
    ("response-media-type-added", _I, "An additional response content type."),
    (
        "response-header-removed",
        _B,
        "A response header is no longer sent: callers reading it break.",
    ),
    (
        "response-header-became-optional",
        _B,
        "A response header that was always sent may now be missing.",
    ),
    ("response-header-added", _I, "A new response header; callers may ignore it."),
    (
        "response-property-removed",
        _B,
        "A response property is gone: callers reading it break.",
    ),
    (
        "response-property-became-optional",
        _B,
        "A response property that was always present may now be missing.",
    ),
    ("response-property-added", _I, "A new response property; tolerant readers ignore it."),
    (
        "response-property-added-to-closed-object",
        _W,
        "A new property in a response object that allowed no additional properties: clients "
        "whose models forbid unknown fields (apicontract's generated models do) reject it.",
    ),
    ("response-property-became-required", _I, "A response property is now always present."),
    (
        "response-type-widened",
        _B,
        "The response may carry types it did not before (for example integer to number, or "
        "null now possible): callers' parsing breaks.",
    ),
    ("response-type-narrowed", _I, "The response carries fewer types than before."),
    (
        "response-enum-value-added",
        _W,
        "The response may carry a new enum value: clients that match exhaustively break.",
    ),
    (
        "response-enum-removed",
        _W,
        "A response value is no longer restricted to an enum: any value may now arrive.",
    ),
    ("response-enum-value-removed", _I, "The response no longer carries one enum value."),
    (
        "response-format-changed",
        _W,
        "A response format was removed or changed: callers parsing it (dates, uuids) may fail.",
    ),
    (
        "response-length-widened",
        _W,
        "A response length or size limit got looser: callers relying on it may break.",
    ),
    (
        "response-range-widened",
        _W,
        "A response numeric bound got looser: callers relying on it may break.",
    ),
    (
        "response-pattern-changed",
        _W,
        "A response pattern was removed or changed: values may no longer match what callers "
        "expect.",
    ),
    (
        "response-object-opened",
        _W,
        "A closed response object now allows additional properties: strict models that forbid "
        "unknown fields reject it.",
    ),
    (
        "response-variant-added",
        _B,
        "A response oneOf/anyOf has a new alternative: callers cannot parse it.",
    ),
    (
        "response-variant-duplicated",
        _I,
        "A response oneOf/anyOf gained an alternative structurally identical to an existing "
        "one: no new shape arrives.",
    ),
    (
        "response-variants-overlap",
        _W,
        "A response oneOf became anyOf with overlapping alternatives: a value may match "
        "several, and clients that pick the single matching one may fail.",
    ),
    (
        "response-const-changed",
        _B,
        "A value fixed by const (or a one-value enum) changed: the old value is never sent "
        "again, and callers comparing against it break.",
    ),
    (
        "response-contains-removed",
        _W,
        "`contains` was removed: arrays may no longer hold the item callers looked for.",
    ),
    (
        "response-dependency-removed",
        _B,
        "dependentRequired lost a property: it no longer always comes with its trigger "
        "property, and callers reading it break.",
    ),
    (
        "response-condition-changed",
        _W,
        "The `if` of an if/then/else changed: responses may follow a different branch than "
        "callers expect.",
    ),
    (
        "response-negation-widened",
        _W,
        "A `not` rules out less than before (it was removed, or the schema inside it "
        "narrowed): values it excluded may arrive.",
    ),
    (
        "response-default-changed",
        _W,
        "A default value changed or was removed: an absent value in a response now means "
        "something else.",
    ),
    (
        "response-constraint-tightened",
        _I,
        "A response constraint got stricter (format or pattern added, limit narrowed, object "
        "closed, alternative removed); everything callers receive was valid before.",
    ),
)

RULES: dict[str, Rule] = {rid: Rule(rid, level, text) for rid, level, text in _TABLE}
