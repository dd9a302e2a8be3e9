"""XLA's own HLO parser as a reference, run out of process.

``xla_parse(texts)`` parses each text with ``jaxlib._hlo.hlo_module_from_text``
in a child process of its own (XLA may abort the process on bad text) and
returns, per text, either ``{"ok": True, "computations": [[name, [[inst,
opcode, [operand, ...]], ...]], ...]]}`` or ``{"ok": False, "line": L,
"column": C, "message": first error}``; ``line`` is None when XLA crashed.
"""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = r"""
import json, os, re, sys

def one(text):
    from jaxlib import _hlo
    try:
        module = _hlo.hlo_module_from_text(text)
    except Exception as exc:
        m = re.search(r"was parsing (\d+):(\d+): error: ([^\n]*)", str(exc))
        if m is None:
            return {"ok": False, "line": None, "column": None, "message": str(exc)[:300]}
        return {"ok": False, "line": int(m.group(1)), "column": int(m.group(2)), "message": m.group(3)}
    return {"ok": True, "computations": [
        [c.name, [[i.name, i.opcode.name, [o.name for o in i.operands()]] for i in c.instructions()]]
        for c in module.computations()]}

results = []
for text in json.load(sys.stdin):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, json.dumps(one(text)).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    data = b"".join(chunks)
    results.append(json.loads(data) if data else {"ok": False, "line": None, "column": None, "message": "crashed"})
json.dump(results, sys.stdout)
"""


def xla_parse(texts: list[str]) -> list[dict]:
    """XLA's verdict on each text (see the module docstring)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], input=json.dumps(texts), capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(done.stdout)
