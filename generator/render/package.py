"""Render one generated package: models from datamodel-code-generator, the rest from the
templates, which receive only the IR. The runtimes (`_runtime.py` for the client and, with a
server, `_server_runtime.py`) are static files copied verbatim."""

from __future__ import annotations

from generator.ir.model import Api
from generator.render.environment import environment, template_root
from generator.render.format import format_sources
from generator.render.models import HEADER, Models
from generator.render.modules import LAZY_MODULE, split_models

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
    split = split_models(models.source, HEADER, models.code, api.server_model_classes)
    files.update({f"models/{name}": text for name, text in split.items()})
    runtime = template_root() / "runtime"
    files[f"models/{LAZY_MODULE}.py"] = (runtime / "_lazy.py").read_text("utf-8")
    files["_runtime.py"] = (runtime / "_runtime.py").read_text("utf-8")
    if "server.py" in files:
        files["_server_runtime.py"] = (runtime / "_server_runtime.py").read_text("utf-8")
    files["py.typed"] = ""
    return format_sources(files, api.package)
