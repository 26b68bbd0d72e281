"""The container build, checked by reading it (no Docker engine needed): the Dockerfile's
Node stage installs the UI's ECharts from the committed lock file and the API stage puts
it where the installed app serves ``/ui/vendor/echarts.min.js`` from; the package data
ships every file the UI serves; docker-compose.yml builds that stage and keeps the
paths the image uses."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from search_api.routers import ui

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def _stages() -> dict[str, str]:
    """Dockerfile stages by name, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", "")
    parts = re.split(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$", text, flags=re.MULTILINE | re.IGNORECASE)
    stages = {}
    for i in range(1, len(parts), 3):
        image, name, body = parts[i], parts[i + 1], parts[i + 2]
        stages[name or image] = f"FROM {image}\n{body}"
    return stages


def test_dockerfile_has_a_node_stage_that_installs_echarts_from_the_lock_file():
    stages = _stages()
    assert list(stages) == ["web", "api"]
    web = stages["web"]
    assert re.search(r"^FROM node:(\d+)", web).group(1) >= "20"
    copied = re.search(r"^COPY (.+) \./$", web, re.MULTILINE).group(1).split()
    assert copied == ["search_api/web/package.json", "search_api/web/package-lock.json"]
    for rel in copied:
        assert (ROOT / rel).is_file(), rel
    assert "npm ci" in web  # the lock file decides the version, as scripts/setup.sh does
    # the asset the app serves, relative to its web dir, is what the stage exports
    served = ui.ECHARTS_FILE.relative_to(ui.WEB_DIR)
    assert served.as_posix() == "node_modules/echarts/dist/echarts.min.js"
    assert f"test -s {served.as_posix()}" in web
    assert f"cp {served.as_posix()} /out/echarts/dist/" in web  # what the api stage copies
    lock = json.loads((ROOT / "search_api/web/package-lock.json").read_text(encoding="utf-8"))
    pkg = json.loads((ROOT / "search_api/web/package.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/echarts"]["version"] == pkg["dependencies"]["echarts"]


def test_api_stage_puts_echarts_where_the_installed_app_serves_it(tmp_path):
    api = _stages()["api"]
    assert "COPY --from=web /out/echarts /tmp/echarts" in api
    assert api.index("pip install .") < api.index("COPY --from=web")  # the package exists first
    code = re.search(r'^RUN python -c "(.*)"$', api, re.MULTILINE).group(1)
    assert "from search_api.routers.ui import ECHARTS_FILE" in code
    # run the step against a fake site-packages: the bundle lands on ECHARTS_FILE's path
    staged = tmp_path / "stage" / "echarts"
    (staged / "dist").mkdir(parents=True)
    (staged / "dist" / "echarts.min.js").write_text("/* echarts */", encoding="utf-8")
    (staged / "LICENSE").write_text("Apache-2.0", encoding="utf-8")
    site_web = tmp_path / "site" / "search_api" / "web"
    target = site_web / ui.ECHARTS_FILE.relative_to(ui.WEB_DIR)
    fake = code.replace("from search_api.routers.ui import ECHARTS_FILE as f",
                        f"import pathlib; f = pathlib.Path({str(target)!r})")
    fake = fake.replace("/tmp/echarts", str(staged))
    assert fake != code
    subprocess.run([sys.executable, "-c", fake], check=True)
    assert target.read_text(encoding="utf-8") == "/* echarts */"
    assert (target.parents[1] / "LICENSE").is_file()
    # the image serves the UI from the installed package, whose web dir it just filled
    assert re.search(r"^RUN pip install \.$", api, re.MULTILINE)
    assert 'CMD ["patentnav", "serve"' in api


def _package_globs() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["setuptools"]["package-data"]["search_api"]


def test_package_data_ships_every_file_the_ui_serves():
    """``pip install .`` (the image) must carry every file ``/ui`` can serve."""
    globs = _package_globs()
    served = []
    for path in ui.WEB_DIR.rglob("*"):
        rel = path.relative_to(ui.WEB_DIR)
        if path.is_file() and ui.resolve_asset(rel.as_posix()) is not None:
            served.append(rel.as_posix())
    assert "index.html" in served and "app.js" in served
    missing = [f for f in served if not any(fnmatch.fnmatch(f"web/{f}", g) for g in globs)]
    assert not missing, f"UI files not in pyproject package-data (the image would 404 them): {missing}"


def test_dockerignore_keeps_host_node_modules_out_but_the_lock_file_in():
    ignored = [l.strip() for l in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if l.strip() and not l.startswith("#")]
    assert "search_api/web/node_modules" in ignored
    for needed in ("search_api/web/package.json", "search_api/web/package-lock.json", "search_api",
                   "pyproject.toml"):
        assert not any(fnmatch.fnmatch(needed, pat) for pat in ignored), needed


def test_compose_builds_the_api_stage_with_the_image_paths():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    api = compose["services"]["api"]
    assert api["build"]["context"] == "." and api["build"]["target"] == "api"
    env_image = dict(re.findall(r"(PATENTNAV_\w+)=(\S+)", _stages()["api"]))
    volumes = [re.sub(r"\$\{[^}]*\}", "HOST", v).split(":")[1] for v in api["volumes"]]
    assert env_image["PATENTNAV_VAR_DIR"] in volumes and env_image["PATENTNAV_DATA_DIR"] in volumes
    assert "/health" in " ".join(api["healthcheck"]["test"])
    port = re.search(r"^EXPOSE (\d+)$", _stages()["api"], re.MULTILINE).group(1)
    assert any(p.endswith(f":{port}") for p in api["ports"])
