"""Benchmark: paging the large bexio sandbox company through the bxhours client (issue 3 §13).

Prints, at 0 and 50 ms added latency per bexio call: records/s, bexio calls made against the minimum
Σ⌈n/2000⌉, and the peak RSS of this (the client's) process. The sandbox runs in its own process.

    .venv/bin/python bench/bexio_paging.py [--timesheets 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sandbox_process import SandboxProcess, sandbox_process

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient

RESOURCES = ("contacts", "projects", "timesheets")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def page_everything(sandbox: SandboxProcess) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with BexioClient(sandbox.url, StaticTokenAuth(sandbox.token), timeout=60) as client:
        for name in RESOURCES:
            total = 0
            async for page in getattr(client, name).pages():
                total += len(page)  # the page is dropped here: memory must not grow with the resource
            counts[name] = total
        counts["_calls"] = client.stats.total_calls
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--timesheets", type=int, default=100_000)
    args = parser.parse_args()
    sizes = [
        "--contacts",
        str(args.contacts),
        "--projects",
        str(args.projects),
        "--timesheets",
        str(args.timesheets),
    ]
    print(f"bexio paging benchmark · large seed {' '.join(sizes)}")
    print(
        f"{'latency':>8} {'records':>9} {'seconds':>8} {'records/s':>10} {'calls':>6} {'minimum':>8} {'peak RSS':>9}"
    )
    with sandbox_process("large", *sizes) as sandbox:
        for latency in (0, 50):
            sandbox.set_faults(latency_ms=latency)
            started = time.perf_counter()
            counts = asyncio.run(page_everything(sandbox))
            elapsed = time.perf_counter() - started
            calls = counts.pop("_calls")
            records = sum(counts.values())
            minimum = sum(math.ceil(n / 2000) for n in counts.values())
            print(
                f"{latency:>6}ms {records:>9} {elapsed:>8.2f} {records / elapsed:>10.0f} "
                f"{calls:>6} {minimum:>8} {peak_rss_mb():>7.0f}MB"
            )
    print(
        "calls above the minimum: a 2.0 list whose last page is full needs one empty page to prove its end."
    )


if __name__ == "__main__":
    main()
