"""scrapyd: the project deploys to a real scrapyd with scrapyd-deploy and the crawl it schedules
through the JSON API stores its articles.

The test xfails, naming the cause, while the project still lacks what a deployed egg needs
(the ``scrapy`` entry point in pyproject.toml; migrations readable from a zip).
"""

from __future__ import annotations

import configparser
import json
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from crawlkit import articles, env, last_run

from newsbot.demo import SiteServer
from newsbot.demo.generated import build_site

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCRAPYD_CONF = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
poll_interval = 0.5
max_proc = 2
eggs_dir = {root}/eggs
logs_dir = {root}/logs
dbs_dir = {root}/dbs
items_dir =
jobs_to_keep = 5
"""


# scrapyd and its jobs take the database from the job's settings, and their settings module
# from the egg.
_ENV = {k: v for k, v in env(None).items() if k != "SCRAPY_SETTINGS_MODULE"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _api(base: str, endpoint: str, data: dict | list | None = None) -> dict:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path):
    """A real scrapyd on a free port of 127.0.0.1, in a directory of its own."""
    if not (BIN / "scrapyd").exists() or not (BIN / "scrapyd-deploy").exists():
        pytest.skip("scrapyd and scrapyd-client are not installed (the 'scrapyd' extra)")
    root = tmp_path / "scrapyd"
    root.mkdir()
    port = _free_port()
    (root / "scrapyd.conf").write_text(SCRAPYD_CONF.format(port=port, root=root))
    log = (root / "scrapyd.log").open("w")
    process = subprocess.Popen([str(BIN / "scrapyd")], cwd=root, env=_ENV,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if _api(base, "daemonstatus.json")["status"] == "ok":
                break
        except OSError:
            pass
        assert process.poll() is None, (root / "scrapyd.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "scrapyd did not start"
        time.sleep(0.2)
    try:
        yield base, root
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _project_copy(tmp_path: Path, url: str) -> Path:
    """The project's files, with the deploy target pointed at the test's scrapyd (scrapyd-deploy
    writes a setup.py and build files where it runs)."""
    copy = tmp_path / "project"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("newsbot", "pipelines"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("scrapy.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, copy / name)
    config = configparser.ConfigParser()
    config.read(copy / "scrapy.cfg")
    assert config["deploy"]["url"] == "http://127.0.0.1:6800"  # the documented target
    assert config["deploy"]["project"] == "newsbot"
    config["deploy"]["url"] = url
    with (copy / "scrapy.cfg").open("w") as stream:
        config.write(stream)
    return copy


_EGG_CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
import newsbot, newsbot.settings, pipelines.migrate
from newsbot.sites import load_sites
assert newsbot.__file__.startswith(sys.argv[1]), newsbot.__file__
print(len(load_sites()), pipelines.migrate.head())
"""


def _check_egg(egg: Path) -> None:
    """The egg alone runs newsbot: its settings, its site registry and its migrations load from
    the zip (a scrapyd whose environment has newsbot installed runs that copy instead)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry_points = pyproject["project"].get("entry-points", {}).get("scrapy", {})
    if entry_points.get("settings") != "newsbot.settings":
        pytest.xfail("pyproject.toml has no [project.entry-points.scrapy] settings entry: "
                     "the egg does not tell scrapyd its settings module")
    probe = subprocess.run([sys.executable, "-c", _EGG_CHECK, str(egg)], capture_output=True,
                           text=True, env=_ENV, cwd=egg.parent)
    if "Path doesn't exist" in probe.stderr and "migrations" in probe.stderr:
        pytest.xfail("pipelines/migrate.py cannot read its revisions from a zipped egg")
    assert probe.returncode == 0, probe.stderr[-3000:]
    sites, head = probe.stdout.split()
    assert int(sites) >= 20 and head.startswith("0")


def test_deploy_schedule_and_store_through_scrapyd(tmp_path, scrapyd):
    """scrapyd-deploy uploads the project; schedule.json runs `news` on a local site with the
    database given as a setting; the job finishes and its articles and run are in the
    database."""
    base, root = scrapyd
    project = _project_copy(tmp_path, base)
    built = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(tmp_path / "n.egg")],
                           cwd=project, env=_ENV, capture_output=True, text=True,
                           timeout=120)
    assert built.returncode == 0, built.stderr
    _check_egg(tmp_path / "n.egg")
    deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "-v", "r1"], cwd=project,
                            env=_ENV, capture_output=True, text=True, timeout=120)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout
    assert (root / "eggs" / "newsbot" / "r1.egg").exists()
    assert _api(base, "listspiders.json?project=newsbot")["spiders"] == ["news"]

    site = tmp_path / "site"
    build_site(site, articles=15, kb=4)
    database_url = f"sqlite:///{tmp_path / 'scrapyd.db'}"
    with SiteServer(site) as server:
        job = _api(base, "schedule.json", [
            ("project", "newsbot"), ("spider", "news"),
            ("url", f"{server.base_url}/sitemap.xml"),
            ("setting", f"NEWSBOT_DATABASE_URL={database_url}"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
            ("setting", "NEWSBOT_STORE_FLUSH_SECONDS=0"),
        ])
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 60
        while True:
            jobs = _api(base, "listjobs.json?project=newsbot")
            if any(j["id"] == job["jobid"] for j in jobs["finished"]):
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.3)
    log = (root / "logs" / "newsbot" / "news" / f"{job['jobid']}.log").read_text()
    assert "Spider closed (finished)" in log, log[-3000:]
    assert len(articles(database_url)) == 15
    run = last_run(database_url)
    assert (run.status, run.items_stored, run.sites) == ("finished", 15, ["127.0.0.1"])
