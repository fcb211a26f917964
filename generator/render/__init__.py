"""Rendering: models through datamodel-code-generator, client/server through Jinja, then ruff."""
