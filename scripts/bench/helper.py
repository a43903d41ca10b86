#!/usr/bin/env python3
"""The Python half of `scripts/bench-vs-nginx`: data preparation, result checks, the RSS test and the report.

Subcommands (all called by the bash driver; credentials come from BENCH_ACCESS_KEY / BENCH_SECRET_KEY):

  prepare   creates the bucket, the nginx files and the Stowage objects, and writes the request lists
            that the wrk Lua script reads (plain paths for nginx, presigned paths for Stowage)
  record    parses one wrk run's BENCH_RESULT line, appends it to the results file, and fails loudly
            (after showing one real response) if the server answered anything but 2xx
  rss       peak RSS of Stowage while N threads stream generated bodies to presigned PUT URLs
  report    the Markdown table (medians over rounds, ratios, targets) on stdout and, optionally, a file
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import http.client
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from presign import MAX_EXPIRES_SECONDS, Presigner, boto3_client, check_against_boto3  # noqa: E402

KiB = 1024
MiB = 1024 * 1024
CHUNK = 1 * MiB


def fail(message: str) -> None:
    print(f"bench: ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def credentials() -> tuple[str, str]:
    try:
        return os.environ["BENCH_ACCESS_KEY"], os.environ["BENCH_SECRET_KEY"]
    except KeyError as missing:
        fail(f"{missing.args[0]} is not set")
        raise


def host_port(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    return parts.hostname, parts.port


def size_label(size: int) -> str:
    if size % MiB == 0:
        return f"{size // MiB} MiB"
    if size % KiB == 0:
        return f"{size // KiB} KiB"
    return f"{size} B"


# --------------------------------------------------------------------------------------------- HTTP


def put_stream(endpoint: str, path: str, size: int, chunks, timeout: float = 600) -> tuple[int, bytes]:
    """One PUT with an explicit Content-Length whose body comes from an iterable of chunks (never held whole)."""
    host, port = host_port(endpoint)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("PUT", path, body=chunks, headers={"Content-Length": str(size)})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def generated_chunks(size: int, pattern: bytes):
    """`size` bytes as a stream of slices of one shared 1 MiB pattern."""
    view = memoryview(pattern)
    remaining = size
    while remaining > 0:
        step = min(remaining, len(view))
        yield view[:step]
        remaining -= step


def file_chunks(path: Path):
    with open(path, "rb") as source:
        while chunk := source.read(8 * MiB):
            yield chunk


def get_digest(endpoint: str, path: str, timeout: float = 120) -> tuple[int, str, int, bytes]:
    """GET `path`; returns status, MD5 of the body, its length, and the first bytes (for error messages)."""
    host, port = host_port(endpoint)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        digest, length, head = hashlib.md5(), 0, b""
        while chunk := response.read(CHUNK):
            if not head:
                head = chunk[:2000]
            digest.update(chunk)
            length += len(chunk)
        return response.status, digest.hexdigest(), length, head
    finally:
        connection.close()


# ------------------------------------------------------------------------------------------ prepare


def write_lines(path: Path, lines) -> None:
    with open(path, "w") as out:
        for line in lines:
            out.write(line)
            out.write("\n")


def upload_small_objects(endpoint: str, paths: list[str], bodies: list[bytes], workers: int = 8) -> None:
    """PUTs every body to its presigned path over a few keep-alive connections; fails on any non-200."""
    host, port = host_port(endpoint)
    slices = [list(range(start, len(paths), workers)) for start in range(workers)]

    def upload(indices: list[int]) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            for index in indices:
                connection.request("PUT", paths[index], body=bodies[index])
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"PUT {paths[index][:80]}… answered {response.status}: {body[:1000]!r}")
        finally:
            connection.close()

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(upload, indices) for indices in slices]:
            future.result()


def command_prepare(args: argparse.Namespace) -> None:
    access_key, secret_key = credentials()
    started = time.monotonic()
    lists = Path(args.work) / "lists"
    lists.mkdir(parents=True, exist_ok=True)
    root = Path(args.nginx_root) / args.bucket
    bucket = args.bucket
    signer_args = dict(
        endpoint=args.stowage, access_key=access_key, secret_key=secret_key, region=args.region, expires=MAX_EXPIRES_SECONDS
    )

    client = boto3_client(args.stowage, access_key, secret_key, args.region)
    client.create_bucket(Bucket=bucket)
    check_against_boto3(
        client, signer_args, bucket, ["small/000000", "put/r1/0000000", "large/get.bin", "odd key ~!$&'()*+,;=:@%/ü"]
    )
    signer = Presigner(**signer_args)

    # (1) small GET: the same N keys as nginx files and as Stowage objects.
    small_keys = [f"small/{index:06d}" for index in range(args.objects)]
    bodies = [os.urandom(args.small_size) for _ in small_keys]
    (root / "small").mkdir(parents=True, exist_ok=True)
    for key, body in zip(small_keys, bodies):
        (root / key).write_bytes(body)
    put_paths = [signer.path("PUT", bucket, key) for key in small_keys]
    upload_small_objects(args.stowage, put_paths, bodies)
    write_lines(lists / "nginx-get-small.txt", (f"/{bucket}/{key}" for key in small_keys))
    write_lines(lists / "stowage-get-small.txt", (signer.path("GET", bucket, key) for key in small_keys))

    # (2) small PUT: distinct keys per round, the same key names on both servers.
    for round_number in range(1, args.rounds + 1):
        keys = [f"put/r{round_number}/{index:07d}" for index in range(args.put_keys)]
        write_lines(lists / f"nginx-put-small-r{round_number}.txt", (f"/{bucket}/{key}" for key in keys))
        write_lines(lists / f"stowage-put-small-r{round_number}.txt", (signer.path("PUT", bucket, key) for key in keys))

    # (3) large GET: one file of random bytes, uploaded to Stowage as one PUT (not multipart).
    large_key = "large/get.bin"
    large_file = root / large_key
    large_file.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5()
    with open(large_file, "wb") as out:
        remaining = args.large_get_size
        while remaining:
            chunk = os.urandom(min(remaining, 8 * MiB))
            digest.update(chunk)
            out.write(chunk)
            remaining -= len(chunk)
    status, body = put_stream(args.stowage, signer.path("PUT", bucket, large_key), args.large_get_size, file_chunks(large_file))
    if status != 200:
        fail(f"uploading the large object answered {status}: {body[:1000]!r}")
    write_lines(lists / "nginx-get-large.txt", [f"/{bucket}/{large_key}"])
    write_lines(lists / "stowage-get-large.txt", [signer.path("GET", bucket, large_key)])

    # (4) large PUT: one key per wrk thread and round.
    for round_number in range(1, args.rounds + 1):
        keys = [f"large-put/r{round_number}/t{thread}.bin" for thread in range(args.wrk_threads)]
        write_lines(lists / f"nginx-put-large-r{round_number}.txt", (f"/{bucket}/{key}" for key in keys))
        write_lines(lists / f"stowage-put-large-r{round_number}.txt", (signer.path("PUT", bucket, key) for key in keys))

    # Sanity: both servers serve the same bytes for the first small object and the large object.
    for name, endpoint, path_for in (
        ("nginx", args.nginx, lambda key: f"/{bucket}/{key}"),
        ("Stowage", args.stowage, lambda key: signer.path("GET", bucket, key)),
    ):
        for key, expected_md5, expected_length in (
            (small_keys[0], hashlib.md5(bodies[0]).hexdigest(), len(bodies[0])),
            (large_key, digest.hexdigest(), args.large_get_size),
        ):
            status, md5, length, head = get_digest(endpoint, path_for(key))
            if status != 200 or md5 != expected_md5 or length != expected_length:
                fail(f"{name} GET {key}: status {status}, {length} bytes, md5 {md5} (expected {expected_md5}): {head[:500]!r}")
    print(
        f"bench: prepared {args.objects} × {size_label(args.small_size)} objects, {args.rounds} × {args.put_keys} "
        f"presigned PUT URLs, a {size_label(args.large_get_size)} object, in {time.monotonic() - started:.1f} s "
        f"(presigned URLs equal boto3's)",
        flush=True,
    )


# ------------------------------------------------------------------------------------------- record


def command_record(args: argparse.Namespace) -> None:
    log = Path(args.log).read_text(errors="replace")
    lines = [line for line in log.splitlines() if line.startswith("BENCH_RESULT ")]
    if not lines:
        fail(f"wrk printed no BENCH_RESULT line for {args.workload} against {args.server}:\n{log[-3000:]}")
    result = json.loads(lines[-1][len("BENCH_RESULT ") :])
    seconds = result["duration_us"] / 1e6
    requests = result["requests"]
    moved = result["bytes"] if args.direction == "get" else requests * args.body_bytes
    record = dict(
        workload=args.workload,
        server=args.server,
        round=args.round,
        rps=requests / seconds if seconds else 0.0,
        mbps=moved / seconds / 1e6 if seconds else 0.0,
        **result,
    )
    with open(args.results, "a") as out:
        out.write(json.dumps(record) + "\n")
    socket_errors = sum(result[f"errors_{kind}"] for kind in ("connect", "read", "write", "timeout"))
    print(
        f"bench:   {args.server:<7} round {args.round}: {record['rps']:>10,.0f} req/s {record['mbps']:>9,.1f} MB/s  "
        f"p50 {result['p50_us'] / 1000:.2f} ms  p99 {result['p99_us'] / 1000:.2f} ms"
        + (f"  socket errors {socket_errors}" if socket_errors else "")
        + ("  (key list wrapped: keys reused)" if result.get("wrapped") else ""),
        flush=True,
    )
    if result["errors_status"]:
        probe = ""
        if args.probe_path:
            host, port = host_port(args.probe_endpoint)
            connection = http.client.HTTPConnection(host, port, timeout=30)
            body = b"x" * args.body_bytes if args.probe_method == "PUT" else None
            connection.request(args.probe_method, args.probe_path, body=body)
            response = connection.getresponse()
            probe = f"\n  one {args.probe_method} of the same list now answers {response.status}: {response.read()[:2000]!r}"
        fail(
            f"{result['errors_status']} of {requests} responses from {args.server} were 4xx/5xx in {args.workload} "
            f"(round {args.round}); for Stowage a 403 means the presigned URLs are wrong{probe}"
        )
    if requests == 0:
        fail(f"no request completed in {args.workload} against {args.server}:\n{log[-3000:]}")


# ---------------------------------------------------------------------------------------------- rss


def status_kib(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
    return fields


def command_rss(args: argparse.Namespace) -> None:
    access_key, secret_key = credentials()
    signer = Presigner(args.endpoint, access_key, secret_key, args.region)
    paths = [signer.path("PUT", args.bucket, f"rss/{index:03d}.bin") for index in range(args.count)]
    pattern = os.urandom(CHUNK)
    baseline = status_kib(args.pid)
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                samples.append(status_kib(args.pid)["VmRSS"])
            except (FileNotFoundError, ProcessLookupError, KeyError):
                return
            stop.wait(args.interval)

    barrier = threading.Barrier(args.count)

    def upload(path: str) -> tuple[int, bytes]:
        barrier.wait()
        return put_stream(args.endpoint, path, args.size, generated_chunks(args.size, pattern))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.count) as pool:
        outcomes = list(pool.map(lambda path: _capture(upload, path), paths))
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    try:
        final = status_kib(args.pid)
    except FileNotFoundError:
        fail("stowage exited during the RSS test")
    errors = [outcome for outcome in outcomes if isinstance(outcome, str) or outcome[0] != 200]
    if errors:
        first = errors[0] if isinstance(errors[0], str) else f"status {errors[0][0]}: {errors[0][1][:1000]!r}"
        fail(f"{len(errors)} of {args.count} uploads in the RSS test failed; first: {first}")
    result = dict(
        count=args.count,
        size=args.size,
        seconds=elapsed,
        mbps=args.count * args.size / elapsed / 1e6,
        baseline_rss_kib=baseline["VmRSS"],
        peak_rss_kib=max(samples + [final["VmRSS"]]),
        vmhwm_kib=final["VmHWM"],
        samples=len(samples),
    )
    Path(args.out).write_text(json.dumps(result))
    print(
        f"bench:   {args.count} × {size_label(args.size)} PUT in {elapsed:.1f} s ({result['mbps']:,.0f} MB/s): "
        f"RSS {baseline['VmRSS'] / 1024:.0f} MiB before, peak {result['peak_rss_kib'] / 1024:.0f} MiB "
        f"({len(samples)} samples), VmHWM {result['vmhwm_kib'] / 1024:.0f} MiB",
        flush=True,
    )


def _capture(function, *arguments):
    try:
        return function(*arguments)
    except Exception as error:  # reported with the other failures
        return f"{type(error).__name__}: {error}"


# ------------------------------------------------------------------------------------------- report


def git_commit(repo: Path) -> str:
    """HEAD's commit, read from the .git folder (no git process needed)."""
    git = repo / ".git"
    try:
        if git.is_file():  # worktree: "gitdir: …"
            git = Path(git.read_text().split(":", 1)[1].strip())
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head
        ref = head.split(":", 1)[1].strip()
        common = git / "commondir"
        roots = [git] + ([git / common.read_text().strip()] if common.exists() else [])
        for base in roots:
            if (base / ref).exists():
                return (base / ref).read_text().strip()
            packed = base / "packed-refs"
            if packed.exists():
                for line in packed.read_text().splitlines():
                    if line.endswith(" " + ref):
                        return line.split()[0]
        return f"unknown ({ref} not found)"
    except OSError as error:
        return f"unknown ({error})"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def fmt_mbps(value: float) -> str:
    return f"{value:,.0f} MB/s" if value >= 100 else f"{value:,.1f} MB/s"


def fmt_ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.2f} ms"


def fmt_pct(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.0f}%"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def command_report(args: argparse.Namespace) -> None:
    runs = [json.loads(line) for line in Path(args.results).read_text().splitlines() if line.strip()]
    rss = json.loads(Path(args.rss).read_text()) if args.rss and Path(args.rss).exists() else None
    by_key: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        by_key.setdefault((run["workload"], run["server"]), []).append(run)

    def median(workload: str, server: str, field: str) -> float | None:
        values = [run[field] for run in by_key.get((workload, server), [])]
        return statistics.median(values) if values else None

    def ratio(workload: str, field: str) -> float | None:
        nginx, stowage = median(workload, "nginx", field), median(workload, "stowage", field)
        return stowage / nginx if nginx and stowage is not None else None

    small, large_get, large_put = size_label(args.small_size), size_label(args.large_get_size), size_label(args.large_put_size)
    full_sizes = args.large_get_size == 256 * MiB and args.large_put_size == 64 * MiB
    rows: list[tuple[str, str, str, str, str, str]] = []
    misses = []

    def row(label, nginx, stowage, ratio_text, target, ok):
        if args.quick:  # a smoke run: too short and too small to judge against the targets
            ok = None
        rows.append((label, nginx, stowage, ratio_text, target, verdict(ok)))
        if ok is False:
            misses.append(label)

    def num(value, formatter):
        return "—" if value is None else formatter(value)

    w = "get_small"
    get_ratio, get_p99 = ratio(w, "rps"), median(w, "stowage", "p99_us")
    row(
        f"{small} GET, {args.small_connections} conn: req/s",
        num(median(w, "nginx", "rps"), fmt_int),
        num(median(w, "stowage", "rps"), fmt_int),
        fmt_pct(get_ratio),
        "≥ 50% of nginx",
        None if get_ratio is None else get_ratio >= 0.5,
    )
    p99_ratio = ratio(w, "p99_us")
    row(
        f"{small} GET, {args.small_connections} conn: p99 latency",
        num(median(w, "nginx", "p99_us"), fmt_ms),
        num(get_p99, fmt_ms),
        "—" if p99_ratio is None else f"{p99_ratio:.1f}×",
        "< 10 ms",
        None if get_p99 is None else get_p99 < 10_000,
    )
    w = "put_small"
    put_rps = median(w, "stowage", "rps")
    row(
        f"{small} PUT, {args.small_connections} conn: objects/s",
        num(median(w, "nginx", "rps"), fmt_int),
        num(put_rps, fmt_int),
        fmt_pct(ratio(w, "rps")),
        "≥ 2,000/s, durable",
        None if put_rps is None else put_rps >= 2000,
    )
    p99_ratio = ratio(w, "p99_us")
    row(
        f"{small} PUT, {args.small_connections} conn: p99 latency",
        num(median(w, "nginx", "p99_us"), fmt_ms),
        num(median(w, "stowage", "p99_us"), fmt_ms),
        "—" if p99_ratio is None else f"{p99_ratio:.1f}×",
        "—",
        None,
    )
    for w, label in (("get_large", f"{large_get} GET"), ("put_large", f"{large_put} PUT")):
        value = ratio(w, "mbps")
        row(
            f"{label}, {args.large_connections} conn: MB/s",
            num(median(w, "nginx", "mbps"), fmt_mbps),
            num(median(w, "stowage", "mbps"), fmt_mbps),
            fmt_pct(value),
            "≥ 70% of nginx",
            None if value is None or not full_sizes else value >= 0.7,
        )
    if rss:
        peak = max(rss["peak_rss_kib"], rss["vmhwm_kib"]) / 1024
        full_rss = rss["count"] == 64 and rss["size"] == 256 * MiB
        row(
            f"peak RSS, {rss['count']} concurrent {size_label(rss['size'])} PUTs",
            "—",
            f"{rss['peak_rss_kib'] / 1024:.0f} MiB (VmHWM {rss['vmhwm_kib'] / 1024:.0f} MiB)",
            "—",
            "< 300 MiB",
            peak < 300 if full_rss else None,
        )

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"# Stowage vs nginx ({'quick smoke run' if args.quick else 'benchmark'}, {now})", ""]
    if args.quick:
        out += ["Quick mode: 2-second runs, one round, reduced sizes; the numbers only show that everything runs.", ""]
    out += ["| workload | nginx | Stowage | ratio | target | met? |", "| --- | ---: | ---: | ---: | --- | --- |"]
    out += [f"| {' | '.join(cells)} |" for cells in rows]
    repo = Path(args.repo)
    out += [
        "",
        f"- command: `{args.command}`",
        f"- date: {now}; host: `nproc` = {len(os.sched_getaffinity(0))}, CPU {cpu_model()}, Linux {platform.release()}",
        f"- Stowage commit: {git_commit(repo)} (binary `{args.stowage_bin}`)",
        f"- {args.nginx_version}; {args.wrk_version}; Python {platform.python_version()}",
        f"- each workload ran {args.rounds} round(s) of {args.duration} s per server, alternating nginx → Stowage; "
        f"medians shown; wrk `-t{args.wrk_threads}`, {args.small_connections} connections for {small}, "
        f"{args.large_connections} for large bodies",
        "- Stowage requests are presigned SigV4 URLs (UNSIGNED-PAYLOAD), so signature verification is in the "
        "measured path; nginx serves the same paths as plain files (`sendfile on`) and takes PUTs with its dav module",
        "- nginx PUTs are not fsync'd; Stowage PUTs are acknowledged after data and metadata are fsync'd",
        "- latency percentiles are wrk's (which corrects for coordinated omission)",
    ]
    if any(run.get("wrapped") for run in runs):
        servers = sorted({run["server"] for run in runs if run.get("wrapped")})
        out.append(f"- the PUT key list wrapped for {', '.join(servers)}: some keys were overwritten in a round")

    out += ["", "## Every run", "", "| workload | server | round | req/s | MB/s | p50 | p90 | p99 | max | socket errors |"]
    out += ["| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in runs:
        socket_errors = sum(run[f"errors_{kind}"] for kind in ("connect", "read", "write", "timeout"))
        out.append(
            f"| {run['workload']} | {run['server']} | {run['round']} | {fmt_int(run['rps'])} | {fmt_mbps(run['mbps'])} | "
            f"{fmt_ms(run['p50_us'])} | {fmt_ms(run['p90_us'])} | {fmt_ms(run['p99_us'])} | {fmt_ms(run['max_us'])} | "
            f"{socket_errors} |"
        )
    if rss:
        out += [
            "",
            f"RSS test: {rss['count']} × {size_label(rss['size'])} streamed to presigned PUT URLs by {rss['count']} Python threads "
            f"(`http.client`, 1 MiB chunks) in {rss['seconds']:.1f} s ({rss['mbps']:,.0f} MB/s); Stowage restarted "
            f"before it; RSS {rss['baseline_rss_kib'] / 1024:.0f} MiB before, VmRSS sampled every 50 ms "
            f"({rss['samples']} samples).",
        ]
    text = "\n".join(out) + "\n"
    print(text, flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        print(f"bench: wrote {args.out}", flush=True)
    if args.strict and misses:
        print(f"bench: targets missed: {'; '.join(misses)}", file=sys.stderr, flush=True)
        sys.exit(3)


# --------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    prepare = commands.add_parser("prepare")
    prepare.add_argument("--work", required=True)
    prepare.add_argument("--nginx-root", required=True)
    prepare.add_argument("--nginx", required=True, help="nginx endpoint, http://127.0.0.1:PORT")
    prepare.add_argument("--stowage", required=True, help="Stowage endpoint, http://127.0.0.1:PORT")
    prepare.add_argument("--region", default="us-east-1")
    prepare.add_argument("--bucket", default="bench")
    prepare.add_argument("--objects", type=int, required=True)
    prepare.add_argument("--small-size", type=int, default=4 * KiB)
    prepare.add_argument("--put-keys", type=int, required=True)
    prepare.add_argument("--rounds", type=int, required=True)
    prepare.add_argument("--large-get-size", type=int, required=True)
    prepare.add_argument("--wrk-threads", type=int, required=True)

    record = commands.add_parser("record")
    record.add_argument("--results", required=True)
    record.add_argument("--log", required=True)
    record.add_argument("--workload", required=True)
    record.add_argument("--server", required=True)
    record.add_argument("--round", type=int, required=True)
    record.add_argument("--direction", choices=["get", "put"], required=True)
    record.add_argument("--body-bytes", type=int, default=0)
    record.add_argument("--probe-endpoint")
    record.add_argument("--probe-method", default="GET")
    record.add_argument("--probe-path")

    rss = commands.add_parser("rss")
    rss.add_argument("--endpoint", required=True)
    rss.add_argument("--region", default="us-east-1")
    rss.add_argument("--bucket", default="bench")
    rss.add_argument("--pid", type=int, required=True)
    rss.add_argument("--count", type=int, required=True)
    rss.add_argument("--size", type=int, required=True)
    rss.add_argument("--interval", type=float, default=0.05)
    rss.add_argument("--out", required=True)

    report = commands.add_parser("report")
    report.add_argument("--results", required=True)
    report.add_argument("--rss")
    report.add_argument("--out")
    report.add_argument("--repo", required=True)
    report.add_argument("--command", dest="command_line", required=True)
    report.add_argument("--stowage-bin", required=True)
    report.add_argument("--nginx-version", required=True)
    report.add_argument("--wrk-version", required=True)
    report.add_argument("--quick", action="store_true")
    report.add_argument("--strict", action="store_true")
    report.add_argument("--rounds", type=int, required=True)
    report.add_argument("--duration", type=int, required=True)
    report.add_argument("--wrk-threads", type=int, required=True)
    report.add_argument("--small-size", type=int, default=4 * KiB)
    report.add_argument("--small-connections", type=int, required=True)
    report.add_argument("--large-connections", type=int, required=True)
    report.add_argument("--large-get-size", type=int, required=True)
    report.add_argument("--large-put-size", type=int, required=True)

    args = parser.parse_args()
    if args.command == "report":
        args.command = args.command_line
        command_report(args)
    else:
        {"prepare": command_prepare, "record": command_record, "rss": command_rss}[args.command](args)


if __name__ == "__main__":
    main()
