"""Does ``build --num-proc 2`` pay? One and two processes on the same articles, as a user runs them.

    python bench/bench_build_numproc.py [articles.jsonl] [--sizes 200 1000] [--repeat 1] [--out bench/results]

Each timing is a whole ``python -m stancelab.build`` command in a fresh process (interpreter start, spaCy
load, reading, writing: what a user waits for), one and two processes alternated on the same input so
both see the same machine load; the ratio is taken within the run. The outputs of the two are checked
to be identical. The goal (issue 19): two processes at least 1.7x one on 1,000 articles, on two cores.
The result is printed and written as ``<out>/build_numproc.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_INPUT = "../shared/realnews/articles.jsonl"


def subset(source: Path, size: int, folder: Path) -> Path:
    """The first ``size`` articles of a JSONL file (repeated, with new ids, if it has fewer)."""
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = [dict(rows[i % len(rows)], id=f"{rows[i % len(rows)]['id']}-{i}") for i in range(size)]
    path = folder / f"articles_{size}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in picked), encoding="utf-8")
    return path


def run_build(articles: Path, output: Path, num_proc: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the builder and its workers) of one build command."""
    command = [sys.executable, "-m", "stancelab.build", "--input", str(articles), "--output", str(output)]
    command += ["--num-proc", str(num_proc), "--quiet"]
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(articles: Path, folder: Path, repeat: int) -> dict[str, float]:
    """Fastest of ``repeat`` runs per setting; the CPU seconds show whether two processes do extra work
    (on a machine that other jobs share, wall time alone cannot tell a slow builder from a busy machine)."""
    runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for _ in range(repeat):
        for num_proc in (1, 2):
            runs[num_proc].append(run_build(articles, folder / f"out{num_proc}.jsonl", num_proc))
    one, two = (folder / "out1.jsonl").read_bytes(), (folder / "out2.jsonl").read_bytes()
    if one != two:
        raise SystemExit(f"{articles}: --num-proc 2 wrote a different output from --num-proc 1")
    (wall_1, cpu_1), (wall_2, cpu_2) = min(runs[1]), min(runs[2])
    return {
        "seconds_1": round(wall_1, 2),
        "seconds_2": round(wall_2, 2),
        "speedup": round(wall_1 / wall_2, 2),
        "cpu_seconds_1": round(cpu_1, 2),
        "cpu_seconds_2": round(cpu_2, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", nargs="?", default=DEFAULT_INPUT, help="JSONL of {id, text} articles")
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000], help="numbers of articles")
    parser.add_argument("--repeat", type=int, default=1, help="runs per setting; the fastest counts")
    parser.add_argument("--out", default="bench/results", help="folder for build_numproc.json")
    args = parser.parse_args(argv)
    results = {"cpus": os.cpu_count(), "load_average": os.getloadavg()[0], "python": platform.python_version()}
    results["load_average_note"] = "1-minute load at start; above the CPU count, other jobs take the cores"
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            articles = subset(Path(args.input), size, Path(tmp))
            results[str(size)] = measure(articles, Path(tmp), args.repeat)
            r = results[str(size)]
            print(f"{size:5d} articles: 1 process {r['seconds_1']:6.2f} s, 2 processes {r['seconds_2']:6.2f} s, "
                  f"speed-up {r['speedup']:.2f}x (CPU seconds {r['cpu_seconds_1']:.1f} and {r['cpu_seconds_2']:.1f})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "build_numproc.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out / 'build_numproc.json'} (load average at start {results['load_average']:.2f})")


if __name__ == "__main__":
    main()
