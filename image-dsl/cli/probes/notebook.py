"""Runs a notebook through a running Jupyter server, as JupyterLab does (the notebook probe,
image-dsl/cli/src/probe/notebook.rs, and tests/live/jupyter.rs).

First the HTTP API: it waits until GET /api/status answers with the token, then asks again with a
wrong token and with none, and lists kernels with a wrong token. Then the notebook: it is uploaded
through the contents API, a session (notebook + kernel) is started through the sessions API, each
code cell is executed over the kernel's websocket channels, and the outputs are saved back into
the notebook on the server. The code therefore runs in the server's kernel, not in this process.
What is reported is read back from the notebook as the server saved it. Uses only the standard
library and tornado (from /opt/jupyter).

Usage: JUPYTER_TOKEN=... python notebook.py URL NOTEBOOK_PATH [KERNEL]   (KERNEL: python3)
Prints, one line each (parsed by image-dsl/cli/src/probe/notebook.rs, so keep them stable):
  PROBE-STATUS <check> <http status>   token, wrong-token, no-token, wrong-token-kernels
  PROBE-CELL <n> ran | error <ename>: <evalue> | not-run
  PROBE-OUT <KEY> <value>              each `KEY value` line the cells printed
  PROBE-SAVED <name>                   the notebook the server saved
"""

import asyncio
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

CELL_TIMEOUT = 300
API_TIMEOUT = 120


def api(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": "token " + token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def status(base, path, token):
    headers = {} if token is None else {"Authorization": "token " + token}
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_api(base, token):
    """The status of GET /api/status with the token once the server answers at all."""
    deadline = time.monotonic() + API_TIMEOUT
    while True:
        try:
            return status(base, "/api/status", token)
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("no HTTP answer from %s within %ss" % (base, API_TIMEOUT))
            time.sleep(1)


def message(session, code):
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "username": "probe",
            "session": session,
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


async def execute(ws, session, code):
    """Executes `code` in the kernel; returns (execution_count, nbformat outputs)."""
    request = message(session, code)
    msg_id = request["header"]["msg_id"]
    await ws.write_message(json.dumps(request))
    outputs, count, idle, replied = [], None, False, False
    while not (idle and replied):
        raw = await asyncio.wait_for(ws.read_message(), CELL_TIMEOUT)
        if raw is None:
            raise SystemExit("the kernel's websocket closed during execution")
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
        elif kind in ("execute_result", "display_data"):
            output = {"output_type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
            if kind == "execute_result":
                output["execution_count"] = content["execution_count"]
            outputs.append(output)
        elif kind == "error":
            outputs.append({"output_type": "error", "ename": content["ename"],
                            "evalue": content["evalue"], "traceback": content["traceback"]})
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            replied = True
            count = content.get("execution_count")
    return count, outputs


def one_line(text, limit=600):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report(saved):
    """The PROBE- lines for the notebook as the server saved it."""
    code = [c for c in saved["cells"] if c["cell_type"] == "code"]
    for n, cell in enumerate(code, 1):
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if errors:
            print("PROBE-CELL %d error %s: %s" % (n, errors[0]["ename"], one_line(errors[0]["evalue"])))
        elif isinstance(cell.get("execution_count"), int):
            print("PROBE-CELL %d ran" % n)
        else:
            print("PROBE-CELL %d not-run" % n)
        for output in cell["outputs"]:
            if output["output_type"] == "stream" and output["name"] == "stdout":
                text = output["text"] if isinstance(output["text"], str) else "".join(output["text"])
                for line in text.splitlines():
                    if " " in line.strip():
                        print("PROBE-OUT " + line.strip())


async def main(base, token, notebook, kernel_name):
    print("PROBE-STATUS token %d" % wait_for_api(base, token), flush=True)
    print("PROBE-STATUS wrong-token %d" % status(base, "/api/status", "wrong-" + token), flush=True)
    print("PROBE-STATUS no-token %d" % status(base, "/api/status", None), flush=True)
    print("PROBE-STATUS wrong-token-kernels %d" % status(base, "/api/kernels", "wrong-" + token), flush=True)

    name = "check-%s.ipynb" % uuid.uuid4().hex[:8]
    api(base, token, "PUT", "/api/contents/" + name,
        {"type": "notebook", "format": "json", "content": notebook})
    session = api(base, token, "POST", "/api/sessions",
                  {"path": name, "name": name, "type": "notebook", "kernel": {"name": kernel_name}})
    kernel = session["kernel"]["id"]
    stored = api(base, token, "GET", "/api/contents/" + name)["content"]
    client_session = uuid.uuid4().hex
    ws_url = base.replace("http", "ws", 1) + "/api/kernels/%s/channels?session_id=%s" % (kernel, client_session)
    ws = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": "token " + token}))
    try:
        for cell in stored["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = cell["source"]
            code = source if isinstance(source, str) else "".join(source)
            count, outputs = await execute(ws, client_session, code)
            cell["execution_count"], cell["outputs"] = count, outputs
            if any(o["output_type"] == "error" for o in outputs):
                break
    finally:
        ws.close()
    api(base, token, "PUT", "/api/contents/" + name,
        {"type": "notebook", "format": "json", "content": stored})
    saved = api(base, token, "GET", "/api/contents/" + name)["content"]
    api(base, token, "DELETE", "/api/sessions/" + session["id"])
    report(saved)
    print("PROBE-SAVED " + name, flush=True)


if __name__ == "__main__":
    url, path = sys.argv[1], sys.argv[2]
    kernel = sys.argv[3] if len(sys.argv) > 3 else "python3"
    with open(path) as f:
        notebook = json.load(f)
    asyncio.run(main(url.rstrip("/"), os.environ["JUPYTER_TOKEN"], notebook, kernel))
