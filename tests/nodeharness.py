"""Runs the web editor's article format (assets/admin/portal-admin.js) in Node, as the page runs it."""
from __future__ import annotations

import json
import shutil
import subprocess

from .conftest import REPO

SCRIPT = r"""
const vm = require("vm"), fs = require("fs");
const jsyaml = require(process.argv[1]);
global.window = { jsyaml: jsyaml, confirm: function () { return true; }, localStorage: null };
global.document = { addEventListener: function () {} };
vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"));
const jobs = JSON.parse(fs.readFileSync(0, "utf8"));
const f = window.portalFormat;
const out = jobs.map(function (job) {
  if (job.op === "roundtrip") return f.toFile(f.fromFile(job.text));
  if (job.op === "edit") { const d = f.fromFile(job.text); Object.assign(d, job.set); return f.toFile(d); }
  if (job.op === "read") { const d = f.fromFile(job.text); return d; }
  if (job.op === "slug") return f.slugify(job.text);
  throw new Error("unknown op " + job.op);
});
process.stdout.write(JSON.stringify(out));
"""


def node_available() -> bool:
    return shutil.which("node") is not None and (REPO / "node_modules" / "js-yaml").is_dir()


def run(jobs: list[dict]) -> list:
    """Each job's result: {"op": "roundtrip", "text"}, {"op": "edit", "text", "set"}, {"op": "read",
    "text"} or {"op": "slug", "text"}."""
    done = subprocess.run(
        ["node", "-e", SCRIPT, str(REPO / "node_modules/js-yaml/dist/browser/js-yaml.umd.min.js"),
         str(REPO / "assets/admin/portal-admin.js")],
        input=json.dumps(jobs, ensure_ascii=False), capture_output=True, text=True, encoding="utf-8", check=True)
    return json.loads(done.stdout)
