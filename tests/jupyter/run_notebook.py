"""Runs a notebook through a running Jupyter server, as JupyterLab does (tests/jupyter.rs).

The notebook is uploaded through the contents API, a session (notebook + kernel) is started
through the sessions API, each code cell is executed over the kernel's websocket channels, and the
outputs are saved back into the notebook on the server. The code therefore runs in the server's
kernel, not in this process. Uses only the standard library and tornado (from /opt/jupyter).

Usage: python run_notebook.py URL TOKEN NOTEBOOK_JSON
Prints one line `NOTEBOOK <json>`: the notebook as the server stores it after the run.
"""

import asyncio
import json
import sys
import urllib.request
import uuid

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

CELL_TIMEOUT = 300


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


def message(session, code):
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "username": "test",
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


async def main(base, token, notebook):
    name = "check-%s.ipynb" % uuid.uuid4().hex[:8]
    api(base, token, "PUT", "/api/contents/" + name,
        {"type": "notebook", "format": "json", "content": notebook})
    session = api(base, token, "POST", "/api/sessions",
                  {"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}})
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
    print("NOTEBOOK " + json.dumps(saved), flush=True)


if __name__ == "__main__":
    url, token, notebook = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    asyncio.run(main(url.rstrip("/"), token, notebook))
