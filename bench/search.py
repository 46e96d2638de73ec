"""Search bench: `python -m bench.search` from the repo root (see bench/README.md).

Loads Synthea-shaped data (bench/synthetic.py) of 10k, 100k and 1M resources through
painfhir's own write path (transaction Bundles, one per patient), then serves each database
with `painfhir serve` (one worker) and measures the typical queries over HTTP. Prints an
ingest table, a query table and PASS/FAIL for the PostgreSQL targets; the exit status is 0
only if every response was 200 and every target checked was met.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
import psycopg
import uvloop

from bench import synthetic
from bench.loadgen import Connection, RunResult, build_request, run_load
from bench.rest_core import FHIR_JSON, HOST, Server, _painfhir_argv, _spawned, _status_kb, start
from painfhir.fhir.codec import parse_json
from painfhir.interactions import bundles
from painfhir.search.query import parse_query
from painfhir.store import Store, open_store

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
STORES = ("sqlite", "postgresql")
DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/test"
INFO_TABLE = "bench_search_info"  # what was loaded, so --keep can reuse a database
MAX_REQUESTS = 20_000  # per measured run: keeps every run bounded

P50_TARGET_MS = 10.0  # PostgreSQL, at 1M resources
SCALE_TARGET = 2.0  # p50 at 1M / p50 at 10k, PostgreSQL

# The typical queries of the pain-clinic workflow; names are what the tables print.
CAREPLAN = "CarePlan?patient&status=active"
REFERRALS = "ServiceRequest?subject:Patient.identifier"
OBSERVATIONS = "Observation?code&date=ge"
TASKS = "Task?owner&status&_include=Task:focus"
QUERIES = (CAREPLAN, REFERRALS, OBSERVATIONS, TASKS)

# Observation codes and look-back windows the Observation query varies over: vital signs
# taken at every check-up and the commonest labs, from the last month to the last two years.
OBSERVATION_CODES = ("72514-3", "8302-2", "29463-7", "39156-5", "2339-0", "2093-3", "718-7")
LOOKBACK_DAYS = (30, 90, 365, 730)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    sizes: tuple[str, ...]
    stores: tuple[str, ...]
    keep: bool
    data_dir: Path
    postgres: str
    seed: int
    requests: int  # measured requests per run, at most
    budget_s: float  # ... and about this long
    warmup: int
    repeats: int
    concurrency: int
    variants: int
    http_ingest_max: int
    timeout_s: float


def _parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k,100k,1m")
    parser.add_argument("--stores", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse databases loaded by an earlier --keep run (same seed and size), and keep"
        " them afterwards; without it every database is loaded afresh and dropped at the end",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "painfhir-bench-search",
        help="where the SQLite databases and server logs go",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("PAINFHIR_BENCH_POSTGRES", DEFAULT_POSTGRES),
        help="a PostgreSQL database to connect to for creating the bench databases"
        " (painfhir_bench_<size>); default $PAINFHIR_BENCH_POSTGRES or " + DEFAULT_POSTGRES,
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2_000, help="measured requests per run")
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per run, about")
    parser.add_argument("--warmup", type=int, default=100, help="unrecorded requests per run")
    parser.add_argument("--repeats", type=int, default=3, help="latency runs per query")
    parser.add_argument("--concurrency", type=int, default=4, help="connections, req/s run")
    parser.add_argument("--variants", type=int, default=100, help="parameter sets per query")
    parser.add_argument(
        "--http-ingest-max",
        type=int,
        default=10_000,
        help="also time ingest over HTTP for sizes up to this many resources (0: never)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run, at most")
    args = parser.parse_args(argv)
    sizes = tuple(s.strip().lower() for s in args.sizes.split(",") if s.strip())
    stores = tuple(s.strip().lower() for s in args.stores.split(",") if s.strip())
    if not sizes or any(s not in SIZES for s in sizes):
        parser.error(f"--sizes takes a comma-separated subset of {', '.join(SIZES)}")
    if not stores or any(s not in STORES for s in stores):
        parser.error(f"--stores takes a comma-separated subset of {', '.join(STORES)}")
    if not 1 <= args.requests <= MAX_REQUESTS or not 0 <= args.warmup <= MAX_REQUESTS:
        parser.error(f"--requests must be in 1..{MAX_REQUESTS} and --warmup in 0..{MAX_REQUESTS}")
    if not 1 <= args.repeats <= 10 or not 1 <= args.concurrency <= 64:
        parser.error("--repeats must be 1..10 and --concurrency 1..64")
    if not 1 <= args.variants <= 1000 or not 0.5 <= args.budget <= 120:
        parser.error("--variants must be 1..1000 and --budget 0.5..120")
    return Options(
        sizes=tuple(sorted(sizes, key=SIZES.__getitem__)),
        stores=tuple(s for s in STORES if s in stores),
        keep=args.keep,
        data_dir=args.data_dir,
        postgres=args.postgres,
        seed=args.seed,
        requests=args.requests,
        budget_s=args.budget,
        warmup=args.warmup,
        repeats=args.repeats,
        concurrency=args.concurrency,
        variants=args.variants,
        http_ingest_max=args.http_ingest_max,
        timeout_s=args.timeout,
    )


# --------------------------------------------------------------------------- databases


class Database(Protocol):
    """One bench database: where it is, and the few things the bench does to it directly."""

    store: str

    @property
    def url(self) -> str: ...

    def info(self) -> dict[str, Any] | None: ...

    def save_info(self, info: dict[str, Any]) -> None: ...

    def create(self) -> None: ...

    def drop(self) -> None: ...

    def maintain(self) -> str: ...

    def size_mb(self) -> float: ...


@dataclass
class SqliteDatabase:
    path: Path
    store: str = "sqlite"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def info(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        with sqlite3.connect(self.path) as db:
            try:
                row = db.execute(f"SELECT value FROM {INFO_TABLE} WHERE key = 'load'").fetchone()
            except sqlite3.OperationalError:
                return None
        return json.loads(row[0]) if row else None

    def save_info(self, info: dict[str, Any]) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {INFO_TABLE} (key TEXT PRIMARY KEY, value TEXT)"
            )
            db.execute(
                f"INSERT OR REPLACE INTO {INFO_TABLE} VALUES ('load', ?)", (json.dumps(info),)
            )

    def create(self) -> None:
        self.drop()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def maintain(self) -> str:
        # painfhir's SQLite store runs no ANALYZE of its own and SQLite has no autovacuum
        # daemon that would: measure what production gets.
        return "none"

    def size_mb(self) -> float:
        files = [Path(f"{self.path}{suffix}") for suffix in ("", "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 2**20


@dataclass
class PostgresDatabase:
    admin_url: str
    name: str
    store: str = "postgresql"

    @property
    def url(self) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    def _admin(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.admin_url, autocommit=True)

    def exists(self) -> bool:
        with self._admin() as db:
            found = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.name,))
            return found.fetchone() is not None

    def info(self) -> dict[str, Any] | None:
        if not self.exists():
            return None
        with psycopg.connect(self.url) as db:
            try:
                row = db.execute(f"SELECT value FROM {INFO_TABLE} WHERE key = 'load'").fetchone()
            except psycopg.errors.UndefinedTable:
                return None
        return json.loads(row[0]) if row else None

    def save_info(self, info: dict[str, Any]) -> None:
        with psycopg.connect(self.url) as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {INFO_TABLE} (key TEXT PRIMARY KEY, value TEXT)"
            )
            db.execute(
                f"INSERT INTO {INFO_TABLE} VALUES ('load', %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (json.dumps(info),),
            )

    def create(self) -> None:
        self.drop()
        with self._admin() as db:
            db.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._admin() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def maintain(self) -> str:
        # What autovacuum does on its own within a minute or so of a bulk load (insert-driven
        # vacuum since PostgreSQL 13, analyze after 10 % new rows): statistics for the
        # planner and an up-to-date visibility map for index-only scans. Done explicitly so
        # that measurements do not depend on when the daemon gets round to it.
        started = time.perf_counter()
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute("VACUUM (ANALYZE)")
        return f"VACUUM (ANALYZE) {time.perf_counter() - started:.0f} s"

    def size_mb(self) -> float:
        with self._admin() as db:
            row = db.execute("SELECT pg_database_size(%s)", (self.name,)).fetchone()
        return int(row[0]) / 2**20 if row else 0.0


def database(options: Options, store: str, label: str) -> Database:
    if store == "sqlite":
        return SqliteDatabase(options.data_dir / f"search-{label}.db")
    return PostgresDatabase(options.postgres, f"painfhir_bench_{label}")


# --------------------------------------------------------------------------- ingest


def _self_peak_rss_mb() -> float:
    return _status_kb(os.getpid(), "VmHWM") / 1024


def _reset_self_peak() -> None:
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@dataclass
class Loaded:
    """What a load wrote and how fast; kept in the database for --keep runs."""

    resources: int
    patients: int
    regions: int
    busy_s: float  # inside bundles.process: the write path itself
    wall_s: float  # including generating the data
    last_tenth_rate: float  # resources/s over the last 10 % of the load
    peak_rss_mb: float  # of the bench process, which ran the write path
    reused: bool = False

    @property
    def rate(self) -> float:
        return self.resources / self.busy_s if self.busy_s else 0.0


def _progress(label: str, done: int, target: int, busy: float, started: float) -> None:
    rate = done / busy if busy else 0.0
    print(
        f"  {label}: {done:,}/{target:,} resources, {rate:,.0f}/s,"
        f" {time.perf_counter() - started:,.0f} s",
        file=sys.stderr,
        flush=True,
    )


def ingest(url: str, seed: int, target: int, label: str) -> Loaded:
    """Every bundle through `bundles.process`, exactly what `POST /` runs, one transaction
    per patient. Timed: parsing the Bundle's bytes (as the server does, decimals kept as
    written) and processing it; not timed: generating and encoding it (the client's work)."""
    store = open_store(url)
    _reset_self_peak()
    resources = patients = regions = 0
    busy = 0.0
    tenth_mark, tenth_busy = int(target * 0.9), 0.0
    started = last_report = time.perf_counter()
    try:
        for item in synthetic.population(seed, target):
            raw = orjson.dumps(item.bundle)
            began = time.perf_counter()
            bundles.process(store, parse_json(raw), base="", representation=False)
            spent = time.perf_counter() - began
            busy += spent
            resources += item.resources
            if isinstance(item, synthetic.PatientBundle):
                patients += 1
            else:
                regions += 1
            if resources >= tenth_mark:
                tenth_busy += spent
            if began - last_report > 15:
                last_report = began
                _progress(label, resources, target, busy, started)
    finally:
        store.close()
    tenth = resources - tenth_mark
    return Loaded(
        resources=resources,
        patients=patients,
        regions=regions,
        busy_s=busy,
        wall_s=time.perf_counter() - started,
        last_tenth_rate=tenth / tenth_busy if tenth_busy else 0.0,
        peak_rss_mb=_self_peak_rss_mb(),
    )


async def http_ingest(server: Server, seed: int, target: int) -> tuple[int, float, int]:
    """The same Bundles POSTed to the server one at a time on one connection, as a client
    would; returns (resources, seconds, unexpected responses)."""
    connection = Connection(HOST, server.port)
    resources, errors, elapsed = 0, 0, 0.0
    try:
        for item in synthetic.population(seed, target):
            request = build_request(
                "POST", "/", server.port, body=orjson.dumps(item.bundle), content_type=FHIR_JSON
            )
            began = time.perf_counter()
            try:
                response = await connection.send(request)
            except (OSError, asyncio.IncompleteReadError) as exc:
                # The server dropped the connection (it crashed, or refused a body): count it
                # and stop, the rest would fail alike.
                print(f"  HTTP ingest: connection lost: {exc!r}", file=sys.stderr)
                return resources, elapsed, errors + 1
            elapsed += time.perf_counter() - began
            resources += item.resources
            if response.status != 200:
                errors += 1
                if errors == 1:
                    body = response.body[:300]
                    print(f"  HTTP ingest: {response.status} {body!r}", file=sys.stderr)
    finally:
        await connection.close()
    return resources, elapsed, errors


# --------------------------------------------------------------------------- queries


def _path(res_type: str, params: list[tuple[str, str]]) -> str:
    # `:` and `/` may stand as they are in a query string; `|` is percent-encoded.
    return f"/{res_type}?{urlencode(params, safe=':/')}"


def _patient_id(store: Store, patient: synthetic.PatientBundle) -> str:
    query = parse_query(
        "Patient", [("identifier", f"{synthetic.MRN_SYSTEM}|{patient.mrn}")], strict=True
    )
    matches = store.search(query).matches
    if len(matches) != 1:
        raise RuntimeError(f"patient {patient.number} (MRN {patient.mrn}) not loaded")
    return matches[0].res_id


def _full_page_observation_queries(store: Store, rng: random.Random) -> list[str]:
    """Code-and-window pairs whose first page is full at this size. A page of 50 costs more to
    read and send than a page of 20, so comparing sizes with whatever the pairs happen to find
    would measure the page, not the search: every size is measured on full pages."""
    pairs = [(code, days) for code in OBSERVATION_CODES for days in LOOKBACK_DAYS]
    rng.shuffle(pairs)
    full = []
    for code, days in pairs:
        params = [
            ("code", f"{synthetic.LOINC}|{code}"),
            ("date", f"ge{(synthetic.NOW - timedelta(days=days)).date().isoformat()}"),
        ]
        query = parse_query("Observation", params, strict=True)
        if len(store.search(query).matches) == query.count:
            full.append(_path("Observation", params))
    if not full:
        raise RuntimeError("no Observation code and window fills a page: load more data")
    return full


def choose_queries(url: str, seed: int, loaded: Loaded, variants: int) -> dict[str, list[str]]:
    """Parameter sets for each query, picked from the loaded data so they match what a
    clinic would look up: patients who were referred to the clinic (their care plans and
    referrals), common Observation codes over recent windows that fill a page, the work
    queues of clinics and of their pain specialists."""
    rng = random.Random(f"{seed}:queries")
    candidates = rng.sample(range(loaded.patients), min(loaded.patients, 4 * variants))
    referred = [p for p in (synthetic.patient(seed, n) for n in candidates) if p.referrals]
    referred = referred[:variants]
    store = open_store(url, migrate=False)
    try:
        ids = [_patient_id(store, patient) for patient in referred]
        observations = _full_page_observation_queries(store, rng)
    finally:
        store.close()
    queries: dict[str, list[str]] = {
        CAREPLAN: [_path("CarePlan", [("patient", i), ("status", "active")]) for i in ids],
        REFERRALS: [
            _path(
                "ServiceRequest",
                [("subject:Patient.identifier", f"{synthetic.MRN_SYSTEM}|{p.mrn}")],
            )
            for p in referred
        ],
        OBSERVATIONS: observations[:variants],
    }
    tasks = []
    for region in rng.sample(range(loaded.regions), min(loaded.regions, variants)):
        # A clinic's triage queue and waiting list; a specialist's current and past cases.
        clinic = f"Organization/{synthetic.clinic_id(region)}"
        role = f"PractitionerRole/{synthetic.pain_role_id(region, rng.randrange(2))}"
        for owner, status in (
            (clinic, "requested"),
            (clinic, "accepted"),
            (role, "in-progress"),
            (role, "completed"),
        ):
            params = [("owner", owner), ("status", status), ("_include", "Task:focus")]
            tasks.append(_path("Task", params))
    rng.shuffle(tasks)
    queries[TASKS] = tasks[:variants]
    return queries


@dataclass
class Shape:
    """What a query's parameter sets find: mean total matches and entries per page."""

    matches: float
    page: float
    latency_s: float  # mean, from this first pass: sizes the measured runs
    errors: int
    first_error: str | None


async def survey(server: Server, paths: list[str]) -> Shape:
    """Every parameter set once with `_total=accurate`, checking the answers, then once as
    measured (timed, to size the runs: counting every match costs far more than a page);
    doubles as the first warm-up of the server and the database cache."""
    connection = Connection(HOST, server.port)
    totals, entries, errors, first_error, elapsed = 0, 0, 0, None, 0.0
    try:
        for path in paths:
            request = build_request("GET", f"{path}&_total=accurate", server.port)
            response = await connection.send(request)
            if response.status != 200:
                errors += 1
                first_error = first_error or f"HTTP {response.status}: {response.body[:300]!r}"
                continue
            bundle = orjson.loads(response.body)
            totals += bundle.get("total", 0)
            entries += len(bundle.get("entry", []))
            began = time.perf_counter()
            await connection.send(build_request("GET", path, server.port))
            elapsed += time.perf_counter() - began
    finally:
        await connection.close()
    n = max(1, len(paths))
    return Shape(totals / n, entries / n, elapsed / n, errors, first_error)


@dataclass
class QueryRow:
    store: str
    size: str
    query: str
    variants: int
    shape: Shape
    serial: RunResult  # one connection: the latency of one request on its own
    loaded: RunResult  # `concurrency` connections: requests/s of the server
    concurrency: int
    peak_rss_mb: float = 0.0

    @property
    def p50(self) -> float:
        return self.serial.percentile_ms(50)

    @property
    def p99(self) -> float:
        return self.serial.percentile_ms(99)

    @property
    def errors(self) -> int:
        return self.shape.errors + self.serial.errors + self.loaded.errors

    @property
    def first_error(self) -> str | None:
        return self.shape.first_error or self.serial.first_error or self.loaded.first_error


def _lowest_p50(runs: Sequence[RunResult]) -> RunResult:
    """The run with the lowest median, carrying the errors of all runs. Other work on a
    shared 2-core machine only ever slows a run down, so the best run is the closest to the
    server's own latency (and it keeps its own p99, so the figures stay consistent)."""
    best = min(runs, key=lambda run: run.percentile_ms(50))
    return replace(
        best,
        errors=sum(run.errors for run in runs),
        first_error=next((run.first_error for run in runs if run.first_error), None),
    )


async def measure_queries(
    server: Server, queries: dict[str, list[str]], options: Options, store: str, size: str
) -> list[QueryRow]:
    requests = {
        name: [build_request("GET", path, server.port) for path in paths]
        for name, paths in queries.items()
    }
    server.reset_peak()
    shapes = {name: await survey(server, queries[name]) for name in QUERIES}

    def total(name: str) -> int:
        estimate = options.budget_s / max(shapes[name].latency_s, 1e-4)
        return int(min(options.requests, max(100, estimate)))

    async def run(name: str, concurrency: int) -> RunResult:
        return await run_load(
            HOST,
            server.port,
            requests[name],
            total=total(name),
            warmup=min(options.warmup, total(name)),
            concurrency=concurrency,
            expect_status=200,
            timeout_s=options.timeout_s,
        )

    # Repeats interleave the queries, so a busy spell on the machine hits them alike.
    serial: dict[str, list[RunResult]] = {name: [] for name in QUERIES}
    for _ in range(options.repeats):
        for name in QUERIES:
            serial[name].append(await run(name, 1))
    loaded = {name: await run(name, options.concurrency) for name in QUERIES}
    peak = server.peak_rss_mb()
    return [
        QueryRow(
            store,
            size,
            name,
            len(queries[name]),
            shapes[name],
            _lowest_p50(serial[name]),
            loaded[name],
            options.concurrency,
            peak,
        )
        for name in QUERIES
    ]


# --------------------------------------------------------------------------- one database


@dataclass
class Result:
    store: str
    size: str
    loaded: Loaded
    maintenance: str
    db_mb: float
    http_ingest: tuple[int, float, int] | None = None  # resources, seconds, errors
    queries: list[QueryRow] = field(default_factory=list)


def prepare(db: Database, options: Options, label: str) -> tuple[Loaded, str]:
    """A loaded database: reused when --keep finds one from the same seed and size."""
    target = SIZES[label]
    wanted = {"generator": synthetic.GENERATOR_VERSION, "seed": options.seed, "target": target}
    if options.keep:
        info = db.info()
        if info is not None and all(info.get(k) == v for k, v in wanted.items()):
            print(f"{db.store} {label}: reusing the database loaded earlier", file=sys.stderr)
            loaded = Loaded(**info["loaded"])
            return replace(loaded, reused=True), info["maintenance"]
    print(f"{db.store} {label}: loading {target:,} resources into {db.url}", file=sys.stderr)
    db.create()
    gc.collect()
    loaded = ingest(db.url, options.seed, target, f"{db.store} {label}")
    print(
        f"{db.store} {label}: {loaded.resources:,} resources in {loaded.busy_s:,.0f} s"
        f" ({loaded.rate:,.0f}/s); maintenance ...",
        file=sys.stderr,
    )
    maintenance = db.maintain()
    info = {**wanted, "loaded": {**loaded.__dict__, "reused": False}, "maintenance": maintenance}
    db.save_info(info)
    return loaded, maintenance


def _scratch(options: Options, store: str) -> Database:
    return database(options, store, "http-scratch")


async def measure_http_ingest(
    options: Options, store: str, label: str, logs: Path
) -> tuple[int, float, int]:
    scratch = _scratch(options, store)
    scratch.create()
    open_store(scratch.url).close()  # the schema, as `painfhir db upgrade` would make it
    try:
        env = {**os.environ, "PAINFHIR_DATABASE_URL": scratch.url}
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        with _spawned(f"ingest-{store}-{label}", _painfhir_argv(), env, logs) as server:
            await start(server, "/metadata")
            return await http_ingest(server, options.seed, SIZES[label])
    finally:
        scratch.drop()


async def bench_one(options: Options, store: str, label: str, logs: Path) -> Result:
    db = database(options, store, label)
    loaded, maintenance = prepare(db, options, label)
    result = Result(store, label, loaded, maintenance, db.size_mb())
    if 0 < SIZES[label] <= options.http_ingest_max:
        print(f"{store} {label}: ingest over HTTP (scratch database)", file=sys.stderr)
        result.http_ingest = await measure_http_ingest(options, store, label, logs)
    queries = choose_queries(db.url, options.seed, loaded, options.variants)
    env = {**os.environ, "PAINFHIR_DATABASE_URL": db.url}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    print(f"{store} {label}: measuring the queries", file=sys.stderr)
    with _spawned(f"serve-{store}-{label}", _painfhir_argv(), env, logs) as server:
        await start(server, "/metadata")
        result.queries = await measure_queries(server, queries, options, store, label)
    if not options.keep:
        db.drop()
    return result


# --------------------------------------------------------------------------- report


def _ingest_table(results: Sequence[Result]) -> str:
    header = (
        f"{'store':<10} {'size':>5} {'resources':>10} {'ingest res/s':>12} {'last 10%/s':>10}"
        f" {'load s':>7} {'HTTP res/s':>10} {'DB MB':>7} {'peak RSS MB':>11}  after load"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        http = "-"
        if r.http_ingest is not None:
            count, seconds, _ = r.http_ingest
            http = f"{count / seconds:,.0f}" if seconds else "-"
        note = r.maintenance + (" (database reused)" if r.loaded.reused else "")
        lines.append(
            f"{r.store:<10} {r.size:>5} {r.loaded.resources:>10,} {r.loaded.rate:>12,.0f}"
            f" {r.loaded.last_tenth_rate:>10,.0f} {r.loaded.wall_s:>7,.0f} {http:>10}"
            f" {r.db_mb:>7,.0f} {r.loaded.peak_rss_mb:>11,.0f}  {note}"
        )
    return "\n".join(lines)


def _query_table(results: Sequence[Result]) -> str:
    concurrency = next((q.concurrency for r in results for q in r.queries), 0)
    header = (
        f"{'store':<10} {'size':>5} {'query':<42} {'sets':>4} {'matches':>8} {'page':>5}"
        f" {'n':>5} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>6} {f'req/s@{concurrency}':>8}"
        f" {'RSS MB':>6} {'errors':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        for q in r.queries:
            lines.append(
                f"{q.store:<10} {q.size:>5} {q.query:<42} {q.variants:>4}"
                f" {q.shape.matches:>8,.1f} {q.shape.page:>5.1f} {q.serial.requests:>5}"
                f" {q.p50:>7.2f} {q.p99:>7.2f} {q.serial.rate:>6,.0f} {q.loaded.rate:>8,.0f}"
                f" {q.peak_rss_mb:>6.0f} {q.errors:>6}"
            )
    return "\n".join(lines)


def verdicts(results: Sequence[Result]) -> list[tuple[str, bool]]:
    rows = {(q.store, q.size, q.query): q for r in results for q in r.queries}
    checks = []
    for query in QUERIES:
        large, small = rows.get(("postgresql", "1m", query)), rows.get(("postgresql", "10k", query))
        if large is not None:
            checks.append(
                (
                    f"PostgreSQL 1M  {query}: p50 {large.p50:.2f} ms (target < {P50_TARGET_MS:g})",
                    large.p50 < P50_TARGET_MS,
                )
            )
        if large is not None and small is not None:
            ratio = large.p50 / small.p50
            checks.append(
                (
                    f"PostgreSQL 1M/10k {query}: p50 {large.p50:.2f} / {small.p50:.2f} ms"
                    f" = {ratio:.2f}x (target <= {SCALE_TARGET:g}x)",
                    ratio <= SCALE_TARGET,
                )
            )
    return checks


def report(results: Sequence[Result], options: Options, elapsed_s: float) -> bool:
    print(
        f"\nSearch bench — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, seed"
        f" {options.seed}; {elapsed_s / 60:.1f} min in all\n"
    )
    print("Ingest: one transaction Bundle per patient through bundles.process (POST / path)")
    print(_ingest_table(results))
    print(
        f"\nQueries: painfhir serve, one worker; p50/p99/req/s on one connection (best of"
        f" {options.repeats} runs by p50), req/s@{options.concurrency} on"
        f" {options.concurrency} connections\n"
    )
    print(_query_table(results))
    print()
    ok = True
    for text, passed in verdicts(results):
        print(f"  {'PASS' if passed else 'FAIL'}  {text}")
        ok &= passed
    for r in results:
        if r.http_ingest is not None and r.http_ingest[2]:
            ok = False
            print(f"  ERROR {r.store} {r.size} HTTP ingest: {r.http_ingest[2]} bundles refused")
        for q in r.queries:
            if q.errors:
                ok = False
                print(
                    f"  ERROR {q.store} {q.size} {q.query}: {q.errors} unexpected responses;"
                    f" first: {q.first_error}",
                    file=sys.stderr,
                )
    return ok


# --------------------------------------------------------------------------- entry point


async def _run(options: Options) -> bool:
    started = time.perf_counter()
    options.data_dir.mkdir(parents=True, exist_ok=True)
    # Server logs live as long as the run: a failing server's tail is printed before then.
    with tempfile.TemporaryDirectory(prefix="logs-", dir=options.data_dir) as tmp:
        results = await _run_all(options, Path(tmp))
    return report(results, options, time.perf_counter() - started)


async def _run_all(options: Options, logs: Path) -> list[Result]:
    # Setup garbage is done with before anything is timed; freeze it so the collector does
    # not rescan it during the measured phases.
    gc.collect()
    gc.freeze()
    results = []
    for store in options.stores:
        for label in options.sizes:
            results.append(await bench_one(options, store, label, logs))
            print(_query_table(results[-1:]), file=sys.stderr)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse_args(argv)
    return 0 if uvloop.run(_run(options)) else 1


if __name__ == "__main__":
    sys.exit(main())
