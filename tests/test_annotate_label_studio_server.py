"""Against a real Label Studio server on 127.0.0.1 (slow): the shipped config, our tasks, its export, our import.

Run with ``pytest -m slow tests/test_annotate_label_studio_server.py``. The server comes from
``$LABEL_STUDIO_BIN`` or ``label-studio`` on the PATH (``pip install label-studio``, best in a virtual
environment of its own: it pins Django and many other packages); the test skips, saying so, without one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from stancelab.annotate.cli import main
from stancelab.annotate.formats import label_studio_config
from stancelab.data.schema import read_examples

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parent / "fixtures" / "annotate"
TOKEN = "5f0c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b"  # a throw-away token for the throw-away server
START_TIMEOUT_S = 300  # the first start runs the database migrations (about a minute on two cores)
requests = pytest.importorskip("requests")


def label_studio_bin() -> str:
    found = os.environ.get("LABEL_STUDIO_BIN") or shutil.which("label-studio")
    if not found:
        pytest.skip("no label-studio server: pip install label-studio (or set LABEL_STUDIO_BIN) to run this test")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A Label Studio server bound to 127.0.0.1 only, with its data in tmp_path; stopped afterwards."""
    port = free_port()
    command = [label_studio_bin(), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(tmp_path / "ls"), "--username", "admin@example.com", "--password", "stancelab-1",
               "--user-token", TOKEN, "--enable-legacy-api-token"]
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(tmp_path / "ls")}
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc, tmp_path / "server.log")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group, started above
        proc.wait(timeout=60)
        log.close()


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"label-studio exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/health", timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(2)
    pytest.fail(f"label-studio did not answer on {url} within {START_TIMEOUT_S} s:\n{log.read_text()[-2000:]}")


def api(url: str, method: str, path: str, **kwargs):
    response = requests.request(method, f"{url}/api/{path}", headers={"Authorization": f"Token {TOKEN}"},
                                timeout=60, **kwargs)
    return response


def test_project_tasks_export_and_import_against_label_studio(server, tmp_path):
    broken = label_studio_config().replace('toName="text" choice="single-radio"', 'toName="nowhere" choice="single"')
    assert api(server, "POST", "projects", json={"title": "broken", "label_config": broken}).status_code == 400
    project = api(server, "POST", "projects", json={"title": "stancelab", "label_config": label_studio_config()})
    assert project.status_code == 201, project.text
    pid = project.json()["id"]

    tasks_path = tmp_path / "tasks.json"
    assert main(["export", "--input", str(FIXTURES / "candidates.jsonl"), "--articles",
                 str(FIXTURES / "articles.jsonl"), "--output", str(tasks_path)]) == 0
    imported = api(server, "POST", f"projects/{pid}/import", json=json.loads(tasks_path.read_text()))
    assert imported.status_code == 201, imported.text
    assert (imported.json()["task_count"], imported.json()["prediction_count"]) == (6, 6)

    tasks = sorted(api(server, "GET", "tasks", params={"project": pid}).json()["tasks"], key=lambda t: t["id"])
    labels = ["support", "oppose", "none", "conditional", "support", None]
    for task, label in zip(tasks, labels):
        body = {"result": [], "was_cancelled": True} if label is None else {"result": result_for(task, label)}
        assert api(server, "POST", f"tasks/{task['id']}/annotations/", json=body).status_code == 201

    export = api(server, "GET", f"projects/{pid}/export", params={"exportType": "JSON", "download_all_tasks": "true"})
    assert export.status_code == 200
    export_path = tmp_path / "export.json"
    export_path.write_text(export.text, encoding="utf-8")
    out = tmp_path / "labelled.jsonl"
    assert main(["import", "--input", str(export_path), "--output", str(out), "--articles",
                 str(FIXTURES / "articles.jsonl")]) == 0
    examples = read_examples(out, labels=("support", "oppose", "conditional", "none"), require_label=True)
    assert [ex.label for ex in examples] == labels[:5]
    assert examples[3].meta["condition_start"] == 40
    assert len((tmp_path / "labelled.rejects.jsonl").read_text().splitlines()) == 1  # the skipped task


def result_for(task: dict, label: str) -> list[dict]:
    result = [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]
    if label == "conditional":
        text, cond = task["data"]["text"], "only if jobs were protected"
        start = text.index(cond)
        result.append({"from_name": "condition", "to_name": "text", "type": "labels",
                       "value": {"start": start, "end": start + len(cond), "text": cond, "labels": ["condition"]}})
    return result
