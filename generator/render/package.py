"""Render one generated package: models from datamodel-code-generator, the rest from the
templates, which receive only the IR."""

from __future__ import annotations

from generator.ir.model import Api
from generator.render.environment import environment, template_root
from generator.render.format import format_sources
from generator.render.models import Models

TEMPLATES = {
    "__init__.py": "package/__init__.py.jinja",
    "client.py": "client/client.py.jinja",
    "server.py": "server/server.py.jinja",
}


def render_package(api: Api, models: Models) -> dict[str, str]:
    env = environment()
    files: dict[str, str] = {}
    for name, template in TEMPLATES.items():
        if (template_root() / template).is_file():
            files[name] = env.get_template(template).render(api=api)
    files["models.py"] = models.source
    files["_runtime.py"] = (template_root() / "runtime" / "_runtime.py").read_text("utf-8")
    files["py.typed"] = ""
    return format_sources(files, api.package)
