"""Crawl benchmark: ours against Scrapy on one nginx-served site, interleaved.

    .venv/bin/pip install -e ".[bench]"; apt-get install -y nginx-light
    .venv/bin/python -m bench.crawl.run                    # 2,000 pages, 3 rounds
    .venv/bin/python -m bench.crawl.run --rounds 5 --engines ours,scrapy,scrapy-idiomatic
    .venv/bin/python -m bench.crawl.run --memory           # 10,000 pages, ours: RSS curve
    .venv/bin/python -m bench.crawl.run --engines ours,scrapy,ours-no-resources
    .venv/bin/python -m bench.crawl.run --render           # 500 client-rendered pages, 4 tabs:
                                                           # ours (auto) vs scrapy-playwright

Each crawl runs in its own subprocess, engines alternating (A B A B …), so that a
noisy neighbour hits both alike. Per run: pages/s (the engine's own crawl time), CPU
seconds of every process of the crawl (RUSAGE_CHILDREN of this driver: the engine
process plus the parser processes, its children, which it waits for before it exits),
the engine process's own peak RSS, and the peak of the summed RSS and PSS of its whole
process tree (sampled from /proc every 50 ms; `--memory` also prints each process's
peak). Our crawl checks what its pages point to (docs/audit-checks.md "Resources": on this
site ~15 images and 3 hreflang targets a page, ~18 HEADs a page that Scrapy does not
make); `ours-no-resources` is the same crawl without them. Medians over rounds, then
ours/Scrapy. Figures are printed, never asserted; quote them with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.crawl.nginx import start_nginx
from bench.crawl.render_site import write_render_site
from bench.crawl.site import write_site
from seology.testing.servers import free_port

ENGINES = {
    "ours": ["-m", "bench.crawl.ours"],
    "ours-no-resources": ["-m", "bench.crawl.ours", "--no-resources"],
    "scrapy": ["-m", "bench.crawl.scrapy_spider"],
    "scrapy-idiomatic": ["-m", "bench.crawl.scrapy_spider", "--idiomatic"],
    "ours-render": ["-m", "bench.crawl.ours", "--render", "auto", "--no-resources"],
    "scrapy-playwright": ["-m", "bench.crawl.scrapy_render"],
}
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Mark:
    """Peaks so far when the engine reported `done` pages (RSS and PSS in MB)."""

    done: int
    main_rss: float
    tree_rss: float
    tree_pss: float
    processes: list[tuple[str, float]]  # (name, peak RSS) of each process seen so far


@dataclass
class Run:
    engine: str
    pages: int
    seconds: float
    cpu: float
    main_cpu: float
    main_rss: float
    tree_rss: float
    tree_pss: float
    progress: list[Mark] = field(default_factory=list)
    #: Resource checks of our crawl: {"checked": n, "failed": n} (Scrapy: none).
    resources: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_memory(root: int) -> dict[int, tuple[float, float]]:
    """RSS and PSS in MB of `root` and each of its descendants, by pid.

    RSS counts a page shared by several processes (libraries, pages a fork did not
    copy) once per process; PSS splits it between them, so the PSS sum is what the
    tree really holds.
    """
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[1])
        rss[int(entry.name)] = int(stat[21])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return {pid: (rss[pid] * PAGE_SIZE / 2**20, _pss_kb(pid) / 1024) for pid in tree if pid in rss}


def process_name(pid: int, root: int) -> str:
    """The crawl's own process is `engine`; others are named by their `-m` module or program."""
    if pid == root:
        return "engine"
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1].rsplit(".", 1)[-1]
    return Path(argv[0]).name


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples a process tree's memory until told to stop; keeps the peaks.

    Peaks of the sums (`peak`, `peak_pss`) and of each process's RSS (`process_peaks`:
    pid → (name, MB)).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stopping = pid, threading.Event()
        self.peak, self.peak_pss = 0.0, 0.0
        self.process_peaks: dict[int, tuple[str, float]] = {}

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            sizes = tree_memory(self.pid)
            self.peak = max(self.peak, sum(rss for rss, _ in sizes.values()))
            self.peak_pss = max(self.peak_pss, sum(pss for _, pss in sizes.values()))
            for pid, (rss, _) in sizes.items():
                name, peak = self.process_peaks.get(pid) or (process_name(pid, self.pid), 0.0)
                self.process_peaks[pid] = (name, max(peak, rss))

    def mark(self, done: int, main_rss: float) -> Mark:
        processes = sorted(self.process_peaks.items())
        return Mark(done, main_rss, self.peak, self.peak_pss, [peak for _, peak in processes])


def run_engine(engine: str, base_url: str, pages: int, concurrency: int) -> Run:
    """One crawl in a subprocess; CPU from RUSAGE_CHILDREN before/after."""
    command = [sys.executable, *ENGINES[engine], base_url, str(pages)]
    command += ["--concurrency", str(concurrency)]
    cpu_before = children_cpu()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    progress, result = [], {}
    for line in process.stdout:
        if line.startswith("PROGRESS"):
            _, done, main_rss = line.split()
            progress.append(sampler.mark(int(done), float(main_rss)))
        elif line.startswith("{"):
            result = json.loads(line)
    process.wait()
    sampler.stopping.set()
    sampler.join()
    if process.returncode or not result:
        raise RuntimeError(f"{engine} failed with exit code {process.returncode}")
    return Run(
        engine=engine,
        pages=result["pages"],
        seconds=result["seconds"],
        cpu=children_cpu() - cpu_before,
        main_cpu=result["main_cpu"],
        main_rss=result["main_rss_mb"],
        tree_rss=sampler.peak,
        tree_pss=sampler.peak_pss,
        progress=progress,
        resources=result.get("resources", {}),
    )


def serve_site(
    workdir: Path, pages: int, *, rendered: bool = False
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    if rendered:
        size = write_render_site(workdir / "site", pages=pages)
    else:
        size = write_site(workdir / "site", pages=pages, base_url=base_url)
    kind = "client-rendered " if rendered else ""
    print(
        f"site: {pages} {kind}pages, {size / pages / 1024:.1f} KB a page (files) on average,"
        f" nginx {base_url}"
    )
    return base_url, start_nginx(workdir / "site", workdir / "nginx", port)


def print_run(run: Run, load: float) -> None:
    print(
        f"  {run.engine:<17} {run.pages:>6} pages {run.rate:7.1f} pages/s"
        f"  CPU {run.cpu:5.1f} s (main {run.main_cpu:4.1f})"
        f"  RSS main {run.main_rss:5.1f} MB, all {run.tree_rss:5.1f} MB (PSS {run.tree_pss:5.1f})"
        f"{_resources(run)}  (load {load:.2f})",
        flush=True,
    )


def _resources(run: Run) -> str:
    if not run.resources:
        return ""
    return f"  resources {run.resources['checked']} checked ({run.resources['failed']} failed)"


def summarise(runs: list[Run], engines: list[str]) -> None:
    print("\nmedians over rounds:")
    medians = {}
    for engine in engines:
        mine = [r for r in runs if r.engine == engine]
        medians[engine] = {
            "pages/s": statistics.median(r.rate for r in mine),
            "CPU s": statistics.median(r.cpu for r in mine),
            "RSS main MB": statistics.median(r.main_rss for r in mine),
            "RSS all MB": statistics.median(r.tree_rss for r in mine),
            "PSS all MB": statistics.median(r.tree_pss for r in mine),
        }
        figures = "  ".join(f"{k} {v:.1f}" for k, v in medians[engine].items())
        print(f"  {engine:<17} {figures}")
    ours = next((e for e in engines if e.startswith("ours")), None)
    for other in (e for e in engines if not e.startswith("ours")):
        if ours is not None:
            ratio = medians[ours]["pages/s"] / medians[other]["pages/s"]
            cpu = medians[ours]["CPU s"] / medians[other]["CPU s"]
            print(f"  {ours}/{other}: speed ×{ratio:.2f}, CPU ×{cpu:.2f}")


def compare(args: argparse.Namespace) -> None:
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        base_url, nginx = serve_site(Path(tmp), args.pages, rendered=args.render)
        try:
            runs = []
            for round_no in range(1, args.rounds + 1):
                print(f"round {round_no}:")
                for engine in engines:
                    runs.append(run_engine(engine, base_url, args.pages, args.concurrency))
                    print_run(runs[-1], os.getloadavg()[0])
                    if args.render:
                        print_marks(runs[-1])
            summarise(runs, engines)
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def print_marks(run: Run) -> None:
    """Peak RSS of the whole tree (browser included) at each progress mark: flat or not."""
    for mark in run.progress:
        print(f"    at {mark.done:>5} pages: peak RSS all {mark.tree_rss:7.1f} MB")


def memory(args: argparse.Namespace) -> None:
    """A 10,000-page crawl of ours: peak RSS at 2k, 5k and 10k pages."""
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        base_url, nginx = serve_site(Path(tmp), args.pages)
        try:
            run = run_engine("ours", base_url, args.pages, args.concurrency)
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    print_run(run, os.getloadavg()[0])
    for mark in run.progress:
        each = ", ".join(f"{name} {rss:.1f}" for name, rss in mark.processes)
        print(
            f"  at {mark.done:>6} pages: peak RSS main {mark.main_rss:6.1f} MB,"
            f" all {mark.tree_rss:6.1f} MB (PSS {mark.tree_pss:6.1f} MB); each: {each}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="2,000 (10,000 with --memory)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--engines", default="ours,scrapy")
    parser.add_argument("--memory", action="store_true", help="the 10,000-page RSS curve")
    parser.add_argument(
        "--render", action="store_true", help="client-rendered site: ours-render, scrapy-playwright"
    )
    args = parser.parse_args()
    if args.render:
        args.pages = args.pages or 500
        args.rounds = min(args.rounds, 1) if args.rounds == 3 else args.rounds
        args.concurrency = 4 if args.concurrency == 16 else args.concurrency
        if args.engines == "ours,scrapy":
            args.engines = "ours-render,scrapy-playwright"
    args.pages = args.pages or (10_000 if args.memory else 2_000)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    started = time.monotonic()
    memory(args) if args.memory else compare(args)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"benchmark took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
