"""The benchmark helpers: outputs set aside rather than deleted, the wait after a clean-up, and the
per-stage CPU figures stages.py prints. Timings themselves are never asserted."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import corpus, nginx
from sitegen.pipeline import BuildOptions, build

REPO = Path(__file__).resolve().parent.parent


def test_set_aside_moves_a_folder_into_the_trash_and_empty_trash_deletes_it(tmp_path):
    work = tmp_path / "work"
    site_out = work / "site" / "output"
    (site_out / "2019" / "12").mkdir(parents=True)
    (site_out / "2019" / "12" / "index.html").write_text("x", encoding="utf-8")
    corpus.set_aside(site_out, work)
    corpus.set_aside(work / "site" / "missing", work)          # nothing there: nothing to do
    assert not site_out.exists()
    moved = list((work / "trash").iterdir())
    assert len(moved) == 1 and (moved[0] / "2019" / "12" / "index.html").read_text(encoding="utf-8") == "x"

    site_out.mkdir()                                          # a second output of the same name
    corpus.set_aside(site_out, work)
    assert len(list((work / "trash").iterdir())) == 2

    corpus.empty_trash(work)
    assert not (work / "trash").exists()
    assert (work / ".trash-emptied").is_file()


def test_wait_for_disk_waits_out_the_rest_of_five_minutes_after_a_clean_up(tmp_path, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(corpus.time, "sleep", slept.append)
    corpus.wait_for_disk(tmp_path)                             # never cleaned up: no wait
    assert slept == []
    corpus.note_deletion(tmp_path)
    stamp = time.time() - 100
    os.utime(tmp_path / ".trash-emptied", (stamp, stamp))
    corpus.wait_for_disk(tmp_path)
    assert len(slept) == 1 and corpus.RECENT - 110 < slept[0] <= corpus.RECENT - 100
    old = time.time() - corpus.RECENT - 1
    os.utime(tmp_path / ".trash-emptied", (old, old))
    corpus.wait_for_disk(tmp_path)
    assert len(slept) == 1


def test_every_stage_reports_its_cpu_time(site):
    site.add("2019/12/a.md", title="Hội nghị A")
    site.add("2019/12/b.md", title="Hội nghị B")
    result = build(BuildOptions(root=site.root, output=site.root / "output", search=False))
    assert [name for name, _ in result.timings] == [name for name, _, _ in result.cpu]
    assert "render" in dict(result.timings)
    for _, own, workers in result.cpu:
        assert own >= -0.01 and workers >= -0.01            # os.times() is rounded to clock ticks
    assert sum(own for _, own, _ in result.cpu) > 0


@pytest.mark.skipif(not corpus.MAKE_CORPUS.exists(), reason="needs ../shared/bench/ beside the repository")
def test_stages_all_cores_prints_wall_and_cpu_of_each_stage(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "stages.py"), "--articles", "40", "--all-cores",
                           "--check", "--work", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {m.group(1): m.groups()[1:] for m in re.finditer(r"^(\w+)\s+([\d.]+) s\s+([\d.]+) s\s+([\d.]+) s$",
                                                            done.stdout, re.M)}
    assert {"load", "markdown", "group", "render", "total"} <= rows.keys(), done.stdout
    assert "40 articles" in done.stdout
    assert not (tmp_path / "trash").exists()                  # set aside, then deleted after the timing
    assert not (tmp_path / "corpus-40" / "output").exists()  # --check writes nothing


def test_instruction_count_is_read_from_valgrinds_summary():
    from benchmarks.instructions import instructions
    report = "==29179== Collected : 10921657362\n==29179== \n==29179== I   refs:      10,921,657,362\n"
    assert instructions(report) == 10_921_657_362
    with pytest.raises(ValueError):
        instructions("==1== ERROR SUMMARY: 0 errors")


@pytest.mark.skipif(shutil.which("valgrind") is None or not corpus.MAKE_CORPUS.exists(),
                    reason="needs valgrind and ../shared/bench/ beside the repository")
def test_instructions_counts_a_cold_check_build(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "instructions.py"), "--articles", "20",
                           "--work", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"^instructions ([\d,]+)$", done.stdout, re.M)
    assert found and int(found.group(1).replace(",", "")) > 100_000_000, done.stdout   # Python starting is ~50 M
    assert re.search(r"^# .*20 articles, \d+ pages, one core, nothing written", done.stdout, re.M), done.stdout
    # the stages' shares of the time (the Markdown is converted while loading: see load_site)
    assert re.search(r"^shares +load \d+%.*render \d+%", done.stdout, re.M), done.stdout
    assert not (tmp_path / "corpus-20" / ".cache").exists() and not (tmp_path / "corpus-20" / "output").exists()


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
@pytest.mark.parametrize("server", ["nginx", "python"])
def test_search_latency_builds_a_corpus_and_times_its_queries_in_chromium(tmp_path, server):
    """The search benchmark end to end on a tiny corpus: build, edit, serve (deploy/nginx.conf in
    nginx, or the script's own server), two queries, every byte sent counted."""
    if not corpus.MAKE_CORPUS.exists():
        pytest.skip("needs ../shared/bench/make_corpus.py")
    if server == "nginx" and not nginx.available():
        pytest.skip("nginx is not installed (bash scripts/install.sh --test installs Debian's nginx)")
    report = tmp_path / "report.txt"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks/search_latency.py"), "--articles", "40",
                           "--work", str(tmp_path / "work"), "--profiles", "fast", "--queries", "common-1,none-1",
                           "--timeout", "60", "--server", server, "--settle", "0.1", "--out", str(report)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    text = report.read_text(encoding="utf-8")
    assert ("# served by nginx with deploy/nginx.conf" in text) == (server == "nginx"), text
    assert "opened 0.1 s after the context was made" in text, text
    assert "bytes counted = bytes the server sent in 2 of 2 page loads" in text, text
    assert re.search(r"^index \(search stage\)\s+[\d.]+ s", text, re.M), text
    assert re.search(r"^peak memory, Pagefind\s+\d+ MiB", text, re.M), text
    assert re.search(r"^index after one edit\s+[\d.]+ s", text, re.M), text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith(("common-1", "none-1"))}
    results, shown = int(rows["common-1"][2]), int(rows["common-1"][3])
    assert results > 0 and shown == min(10, results), rows
    assert rows["none-1"][2:4] == ["0", "0"], rows
    assert re.search(r"^fast\s+2\s+0\s+\d+", text, re.M), text


@pytest.mark.skipif(not corpus.MAKE_CORPUS.exists(), reason="needs ../shared/bench/ beside the repository")
def test_run_with_photos_prints_the_cost_per_photo_and_makes_none_again_after_an_edit(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--articles", "30", "--photos", "3",
                           "--edits", "1", "--work", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "## 30 articles, 3 with a 2000×1333 photo" in done.stdout
    assert re.search(r"^portal cold, photos\s+[\d.]+ s  peak [1-9]\d* MiB", done.stdout, re.M), done.stdout
    assert re.search(r"^cost per photo\s+-?[\d.]+ s", done.stdout, re.M), done.stdout
    assert re.search(r"^edit, article w/ photo\s+[\d.]+ s  0 photo\(s\) made again \(exit 0\)$", done.stdout, re.M)
    published = tmp_path / "corpus-30-photos-3" / "output"
    assert len(list(published.rglob("*-anh-480.webp"))) == 3 and len(list(published.rglob("*-anh.jpg"))) == 3
