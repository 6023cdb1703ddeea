"""Stress probe of faust-streaming's commit path: out-of-order completion, repeated kills, rebalances, slow acks.

Standalone (not collected by pytest):

    .venv/bin/python tests/stream/probes/faust_stress.py SCENARIO [--seeds 1,2,3] [--n N] [--tail-ms LO,HI] ...

SCENARIO is one of:

- ``uneven``: one worker, agent concurrency 4 on 4 partitions, per-record sleep drawn per id from a seeded
  heavy-tailed distribution (``--base-ms`` usually, ``--tail-ms`` for ``--tail-p`` of the records), so records
  finish out of order across the 4 actors. SIGKILL at a random point after the generation's first commit,
  restart; three times; then let the fourth generation drain.
- ``rebalance``: worker A; after its first commit worker B joins the group (rebalance with a live member),
  then A is SIGTERMed (graceful leave), later B is SIGKILLed and restarted; drain.
- ``churn``: workers A and B; a third member C joins and leaves three times (SIGTERM, SIGTERM, SIGKILL), each a
  rebalance with records in flight; drain.
- ``join-kill``: worker A; after its first commit worker B joins; the moment the monitor flags a commit past a
  record nobody has finished, SIGKILL A (a targeted kill, to show what such a commit costs); restart A; drain.
- ``slow-ack``: faust's producer lingers ``--linger-ms`` (default 4000, longer than the 2.8 s commit interval),
  so outputs sit un-acknowledged in the producer; SIGKILL the moment a new commit is visible, twice; drain. An
  input committed before its output was acknowledged would show up as lost.
- ``take``: like ``uneven`` (two kills), but the agent uses ``stream.take(10, within=1.0)`` and runs a batch's
  records concurrently (a batch is as slow as its slowest record).

Every run gets a fresh embedded Tansu broker (memory storage) and topics made with ``ensure_topics`` (Tansu 0.6.0
creates none on demand). Inputs ``{"id": "ev-i"}`` keyed by id are produced one record per request (each send
awaited), so no committed offset can fall inside a producer batch (a Tansu 0.6.0 bug, fixed upstream later, makes
a consumer whose committed offset lies inside a batch poll empty forever); ``--batched-input`` produces them in
batches instead. The faust worker (``python -m faust -A app worker``) writes each id to a progress file after
its output was sent; its output carries the source partition/offset.

While the workers run, a monitor polls the group's committed offsets every 0.25 s and flags every committed
offset that lies past an input record no worker has finished yet ("commit past an in-flight record", the shape
of faust-streaming#606). Because a record is acked only after its progress line is written, such a flag means
faust committed an offset it had not acked. Whether it becomes a loss depends on a crash landing before that
record finishes.

Per run it reports: N, outputs, distinct ids, LOST ids (no output although the final committed offset is past
them: faust will never read them again), UNFINISHED ids (no output, offset at/after the committed offset: the
group stopped before them), duplicates, final committed vs end offsets per partition, and STUCK (committed
offsets short of the end while every worker had been idle for ``--idle-s`` seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from stream.broker import TansuBroker  # noqa: E402
from stream.settings import KafkaSettings  # noqa: E402
from stream.topics import ensure_topics  # noqa: E402

APP_TEXT = textwrap.dedent(
    """
    import asyncio, os, random, time
    import faust

    E = os.environ
    CONC = int(E["STRESS_CONC"])
    SEED = E["STRESS_SEED"]
    BASE_S = float(E["STRESS_BASE_MS"]) / 1000
    TAIL_P = float(E["STRESS_TAIL_P"])
    TAIL_LO, TAIL_HI = (float(x) / 1000 for x in E["STRESS_TAIL_MS"].split(","))
    PARTS = int(E["STRESS_PARTITIONS"])
    NAME = E["STRESS_NAME"]
    PROGRESS = open(E["STRESS_PROGRESS"], "a", buffering=1)


    def delay(ident):
        r = random.Random(SEED + ":" + ident)
        return r.uniform(TAIL_LO, TAIL_HI) if r.random() < TAIL_P else BASE_S


    app = faust.App(
        E["STRESS_APP_ID"],
        broker="kafka://" + E["STRESS_BROKER"],
        store="memory://",
        datadir=E["STRESS_DATADIR"],
        topic_allow_declare=False,
        topic_disable_leader=True,
        web_enabled=False,
        broker_session_timeout=float(E["STRESS_SESSION_S"]),
        broker_heartbeat_interval=1.0,
        consumer_auto_offset_reset="earliest",
        producer_linger=float(E["STRESS_LINGER_MS"]) / 1000,
    )
    # Trace faust's own commit bookkeeping (wall-clock times, so traces of several workers interleave).
    from faust.transport import consumer as _fc

    TRACE = open(E["STRESS_PROGRESS"] + ".trace", "a", buffering=1)


    def trace(text):
        TRACE.write(f"{time.time():.3f} {NAME} {text}\\n")


    def _tps(tps):
        return sorted(tp.partition for tp in tps if tp.topic == E["STRESS_IN"])


    _orig_gap = _fc.Consumer._add_gap
    _orig_commit = _fc.Consumer._commit_offsets
    _orig_revoked = _fc.Consumer.on_partitions_revoked
    _orig_assigned = _fc.Consumer.on_partitions_assigned


    async def _add_gap(self, tp, offset_from, offset_to):
        trace(f"gap p{tp.partition} [{offset_from},{offset_to}] committed={self._committed_offset[tp]}")
        return await _orig_gap(self, tp, offset_from, offset_to)


    async def _commit_offsets(self, offsets, start_new_transaction=True):
        mine = {tp.partition: o for tp, o in offsets.items() if tp.topic == E["STRESS_IN"]}
        before = {tp.partition: self._committed_offset[tp] for tp in offsets if tp.topic == E["STRESS_IN"]}
        trace(f"commit {mine} was {before} assigned {_tps(self.assignment())}")
        return await _orig_commit(self, offsets, start_new_transaction)


    async def on_partitions_revoked(self, revoked):
        trace(f"revoked {_tps(revoked)}")
        return await _orig_revoked(self, revoked)


    async def on_partitions_assigned(self, assigned, generation_id=0):
        trace(f"assigned {_tps(assigned)} generation {generation_id}")
        return await _orig_assigned(self, assigned, generation_id)


    _fc.Consumer._add_gap = _add_gap
    _fc.Consumer._commit_offsets = _commit_offsets
    _fc.Consumer.on_partitions_revoked = on_partitions_revoked
    _fc.Consumer.on_partitions_assigned = on_partitions_assigned

    src = app.topic(E["STRESS_IN"], value_serializer="json", key_serializer="raw", partitions=PARTS)
    dst = app.topic(E["STRESS_OUT"], value_serializer="json", key_serializer="raw", partitions=PARTS)


    async def emit(ident, p, o):
        await dst.send(key=ident.encode(), value={"id": ident, "p": p, "o": o, "w": NAME})


    if E["STRESS_MODE"] == "each":

        @app.agent(src, concurrency=CONC)
        async def handle(stream):
            async for ev in stream:
                msg = stream.current_event.message
                await asyncio.sleep(delay(ev["id"]))
                await emit(ev["id"], msg.partition, msg.offset)
                PROGRESS.write(ev["id"] + "\\n")

    else:

        @app.agent(src, concurrency=CONC)
        async def handle(stream):
            async for batch in stream.take(10, within=1.0):
                await asyncio.gather(*(asyncio.sleep(delay(ev["id"])) for ev in batch))
                for ev in batch:
                    await emit(ev["id"], -1, -1)
                PROGRESS.write("".join(ev["id"] + "\\n" for ev in batch))
    """
)


@dataclass
class Config:
    scenario: str
    seed: int
    n: int
    partitions: int = 4
    concurrency: int = 4
    base_ms: float = 5.0
    tail_p: float = 0.05
    tail_ms: tuple[float, float] = (500.0, 1500.0)
    linger_ms: float = 0.0
    session_s: float = 6.0
    batched_input: bool = False
    idle_s: float = 20.0
    mode: str = "each"


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen[bytes]
    progress: Path
    log: Path
    started: float
    exit: str = ""


@dataclass
class Skip:
    t: float
    partition: int
    committed: int
    offsets: list[int]
    ids: list[str]
    #: the committed offset the monitor saw before this one (faust-streaming#606: equals the skipped offset)
    prev_committed: int = 0
    finished_later: list[str] = field(default_factory=list)
    #: which worker instance(s) produced an output for the skipped ids, in the end
    output_by: list[str] = field(default_factory=list)


def kafka(bootstrap: str) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=bootstrap)


def _val(i: int) -> bytes:
    return json.dumps({"id": f"ev-{i}"}).encode()


async def produce(bootstrap: str, topic: str, n: int, *, batched: bool) -> None:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await p.start()
    try:
        if batched:
            futs = [await p.send(topic, _val(i), key=f"ev-{i}".encode()) for i in range(n)]
            await asyncio.gather(*futs)
        else:
            # One record per produce request: no committed offset can fall inside a producer batch.
            for i in range(n):
                await (await p.send(topic, _val(i), key=f"ev-{i}".encode()))
    finally:
        await p.stop()


async def read_records(bootstrap: str, topic: str, timeout_s: float = 30.0) -> tuple[list[Any], dict[int, int]]:
    """Every record of `topic` as (value, partition, offset), and the end offset of each partition."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await c.start()
    try:
        await c.topics()
        tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or ())]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        end = await c.end_offsets(tps)
        out: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any([await c.position(tp) < end[tp] for tp in tps]):
            for msgs in (await c.getmany(timeout_ms=500)).values():
                out.extend((json.loads(m.value), m.partition, m.offset) for m in msgs)
        return out, {tp.partition: end[tp] for tp in tps}
    finally:
        await c.stop()


class Harness:
    """One scenario run: a broker, the topics, faust worker processes, and a commit monitor."""

    def __init__(self, bootstrap: str, cfg: Config, tmp: Path) -> None:
        self.bootstrap, self.cfg, self.tmp = bootstrap, cfg, tmp
        tag = f"{cfg.scenario}-s{cfg.seed}"
        self.t_in, self.t_out, self.app_id = f"stress-in-{tag}", f"stress-out-{tag}", f"fauststress-{tag}"
        self.work = tmp / tag
        self.work.mkdir()
        (self.work / "app.py").write_text(APP_TEXT)
        self.rng = random.Random(f"harness:{cfg.scenario}:{cfg.seed}")
        self.workers: dict[str, Worker] = {}
        self.all_workers: list[Worker] = []
        self.events: list[str] = []
        self.skips: list[Skip] = []
        self._skipped: set[tuple[int, int]] = set()
        self.committed: dict[int, int] = {}
        self.commit_changes = 0
        self.t0 = time.monotonic()
        self.id_at: dict[str, tuple[int, int]] = {}
        self.at_id: dict[tuple[int, int], str] = {}
        self.end: dict[int, int] = {}
        self._progress_cache: dict[Path, tuple[int, set[str]]] = {}

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def now(self) -> float:
        return round(time.monotonic() - self.t0, 1)

    def note(self, text: str) -> None:
        line = f"t={self.now():6.1f}s {text}"
        self.events.append(line)
        print(f"  [{self.cfg.scenario} s{self.cfg.seed}] {line}", flush=True)

    def processed(self) -> set[str]:
        done: set[str] = set()
        for w in self.all_workers:
            if not w.progress.exists():
                continue
            size = w.progress.stat().st_size
            cached = self._progress_cache.get(w.progress)
            if cached is None or cached[0] != size:
                ids = set(w.progress.read_text().split())
                cached = (size, ids)
                self._progress_cache[w.progress] = cached
            done |= cached[1]
        return done

    def processed_by(self, name: str) -> int:
        w = next(w for w in reversed(self.all_workers) if w.name == name)
        return len(w.progress.read_text().split()) if w.progress.exists() else 0

    async def read_committed(self) -> dict[int, int]:
        res = {}
        for p in range(self.cfg.partitions):
            off = await self.mon.committed(TopicPartition(self.t_in, p))
            res[p] = off if off is not None else 0
        return res

    async def monitor(self) -> None:
        """Poll committed offsets; flag each committed offset past a record nobody has finished yet."""
        while True:
            try:
                com = await self.read_committed()
            except Exception as exc:  # noqa: BLE001 - a monitor hiccup must not end the run
                self.note(f"monitor: committed() failed: {exc!r}")
                await asyncio.sleep(1)
                continue
            prev = self.committed
            if com != self.committed:
                self.commit_changes += 1
                self.committed = com
            done = self.processed()
            for p, c in com.items():
                behind = [o for o in range(c) if (p, o) not in self._skipped and self.at_id[(p, o)] not in done]
                if behind:
                    self._skipped.update((p, o) for o in behind)
                    ids = [self.at_id[(p, o)] for o in behind]
                    self.skips.append(Skip(self.now(), p, c, behind, ids, prev.get(p, 0)))
                    self.note(
                        f"COMMIT PAST UNFINISHED: p{p} committed={c} (was {prev.get(p, 0)}) "
                        f"but offsets {behind} ({ids}) not finished"
                    )
            await asyncio.sleep(0.25)

    # -- workers -------------------------------------------------------------------------------------------
    def start(self, name: str) -> Worker:
        gen = sum(1 for w in self.all_workers if w.name == name)
        label = f"{name}{gen}"
        progress, log = self.work / f"progress-{label}.txt", self.work / f"worker-{label}.log"
        datadir = self.work / f"data-{label}"
        env = {
            **os.environ,
            "PYTHONPATH": str(self.work),
            "STRESS_CONC": str(self.cfg.concurrency),
            "STRESS_SEED": str(self.cfg.seed),
            "STRESS_BASE_MS": str(self.cfg.base_ms),
            "STRESS_TAIL_P": str(self.cfg.tail_p),
            "STRESS_TAIL_MS": f"{self.cfg.tail_ms[0]},{self.cfg.tail_ms[1]}",
            "STRESS_PARTITIONS": str(self.cfg.partitions),
            "STRESS_NAME": label,
            "STRESS_PROGRESS": str(progress),
            "STRESS_APP_ID": self.app_id,
            "STRESS_BROKER": self.bootstrap,
            "STRESS_DATADIR": str(datadir),
            "STRESS_SESSION_S": str(self.cfg.session_s),
            "STRESS_LINGER_MS": str(self.cfg.linger_ms),
            "STRESS_IN": self.t_in,
            "STRESS_OUT": self.t_out,
            "STRESS_MODE": self.cfg.mode,
        }
        proc = subprocess.Popen(
            # --without-web: web_enabled=False alone still binds port 6066, so a second worker would die
            [sys.executable, "-m", "faust", "-A", "app", "worker", "-l", "warn", "--without-web"],
            cwd=self.work,
            env=env,
            stdout=open(log, "ab"),  # noqa: SIM115 - the child owns it
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        w = Worker(label, proc, progress, log, time.monotonic())
        w.name = name
        self.workers[name] = w
        self.all_workers.append(w)
        self.note(f"start {label} (pid {proc.pid})")
        return w

    async def stop(self, name: str, sig: int) -> None:
        w = self.workers.pop(name)
        label = w.progress.stem.removeprefix("progress-")
        done_before = len(self.processed())
        if w.proc.poll() is None:
            os.killpg(w.proc.pid, sig)
        limit = 45.0 if sig == signal.SIGTERM else 10.0
        t = time.monotonic()
        while w.proc.poll() is None and time.monotonic() - t < limit:
            await asyncio.sleep(0.1)
        if w.proc.poll() is None:
            os.killpg(w.proc.pid, signal.SIGKILL)
            w.proc.wait(10)
            w.exit = f"{signal.Signals(sig).name} ignored for {limit:.0f}s, SIGKILLed"
        else:
            w.exit = f"{signal.Signals(sig).name} -> exit {w.proc.returncode} after {time.monotonic() - t:.1f}s"
        self.note(
            f"{signal.Signals(sig).name} {label}: {w.exit}; finished ids so far {done_before}; "
            f"committed {self.committed}"
        )

    async def wait_for(self, what: str, cond: Any, timeout_s: float) -> bool:
        t = time.monotonic()
        while time.monotonic() - t < timeout_s:
            if cond():
                return True
            for w in self.workers.values():
                if w.proc.poll() is not None and not w.exit:
                    w.exit = f"exited by itself with {w.proc.returncode}"
                    self.note(f"worker {w.name} {w.exit}")
            await asyncio.sleep(0.05)
        self.note(f"TIMEOUT after {timeout_s:.0f}s waiting for {what}")
        return False

    def total(self) -> int:
        return sum(self.committed.values())

    def at_end(self) -> bool:
        return self.committed == self.end

    async def wait_commit_advance(self, timeout_s: float = 60.0) -> bool:
        self.committed = await self.read_committed()  # fresh: the monitor's copy may lag a kill
        base = self.total()
        return await self.wait_for("a new commit", lambda: self.total() > base or self.at_end(), timeout_s)

    async def drain(self, hard_s: float = 150.0) -> dict[str, Any]:
        """Wait until everything is finished and committed, or no progress and no commit for `idle_s`."""
        t = time.monotonic()
        last = (-1, -1)
        last_change = time.monotonic()
        state = "timeout"
        while time.monotonic() - t < hard_s:
            cur = (len(self.processed()), self.total())
            if cur != last:
                last, last_change = cur, time.monotonic()
            if cur[0] >= self.cfg.n and self.at_end():
                state = "complete"
                break
            if time.monotonic() - last_change > self.cfg.idle_s:
                state = f"idle {self.cfg.idle_s:.0f}s"
                break
            await asyncio.sleep(0.5)
        alive = [w.name for w in self.workers.values() if w.proc.poll() is None]
        self.note(
            f"drain: {state}; finished {last[0]}/{self.cfg.n}; committed {self.committed} end {self.end}; alive {alive}"
        )
        return {"drain": state, "committed_idle": dict(self.committed), "alive_at_drain": alive}

    # -- the run -------------------------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        cfg = self.cfg
        await ensure_topics(kafka(self.bootstrap), [self.t_in, self.t_out], partitions=cfg.partitions)
        await produce(self.bootstrap, self.t_in, cfg.n, batched=cfg.batched_input)
        inputs, self.end = await read_records(self.bootstrap, self.t_in)
        for v, p, o in inputs:
            self.id_at[v["id"]] = (p, o)
            self.at_id[(p, o)] = v["id"]
        self.note(f"produced {len(inputs)} inputs; end offsets {self.end}")
        self.mon = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.app_id, enable_auto_commit=False)
        await self.mon.start()
        mon_task = asyncio.create_task(self.monitor())
        kills: list[dict[str, Any]] = []
        res: dict[str, Any] = {}
        try:
            await getattr(self, "scenario_" + cfg.scenario.replace("-", "_"))(kills)
            res.update(await self.drain())
        finally:
            for name in list(self.workers):
                await self.stop(name, signal.SIGTERM)
            await asyncio.sleep(0.6)
            mon_task.cancel()
            res["committed_final"] = await self.read_committed()
            await self.mon.stop()
        outs, _ = await read_records(self.bootstrap, self.t_out)
        counts = Counter(v["id"] for v, _, _ in outs)
        done = self.processed()
        fin = res["committed_final"]
        lost, unfinished = [], []
        for ident, (p, o) in sorted(self.id_at.items(), key=lambda kv: kv[1]):
            if ident not in counts:
                (lost if o < fin[p] else unfinished).append(f"{ident}@p{p}:{o}")
        by: dict[str, list[str]] = {}
        for v, _, _ in outs:
            by.setdefault(v["id"], []).append(v["w"])
        for s in self.skips:
            s.finished_later = [i for i in s.ids if i in done]
            s.output_by = [f"{i}:{'+'.join(by.get(i, ['none']))}" for i in s.ids]
        res.update(
            inputs=cfg.n,
            outputs=len(outs),
            distinct=len(counts),
            lost=len(lost),
            lost_ids=lost[:30],
            unfinished=len(unfinished),
            unfinished_ids=unfinished[:30],
            duplicates=len(outs) - len(counts),
            end=self.end,
            stuck=res["drain"].startswith("idle") and res["committed_idle"] != self.end,
            commit_past_unfinished=len(self._skipped),
            skips=[asdict(s) for s in self.skips],
            kills=kills,
            commit_changes=self.commit_changes,
            wall_s=self.now(),
            worker_exits={w.progress.stem.removeprefix("progress-"): w.exit for w in self.all_workers},
        )
        return res

    async def kill_record(self, name: str, kills: list[dict[str, Any]]) -> None:
        done = self.processed()
        com = await self.read_committed()
        behind = [
            f"{self.at_id[(p, o)]}@p{p}:{o}" for p, c in com.items() for o in range(c) if self.at_id[(p, o)] not in done
        ]
        await self.stop(name, signal.SIGKILL)
        kills.append(
            {"t": self.now(), "finished": len(done), "committed": com, "committed_but_unfinished_at_kill": behind}
        )

    async def scenario_uneven(self, kills: list[dict[str, Any]], n_kills: int = 3) -> None:
        for _k in range(n_kills):
            self.start("W")
            if not await self.wait_commit_advance():
                break
            if self.at_end():
                self.note("stream already fully committed; no more kills")
                return
            extra = self.rng.uniform(0.0, 3.0)
            await asyncio.sleep(extra)
            self.note(f"SIGKILL {extra:.1f}s after this generation's first commit")
            await self.kill_record("W", kills)
        self.start("W")

    async def scenario_take(self, kills: list[dict[str, Any]]) -> None:
        await self.scenario_uneven(kills, n_kills=2)

    async def scenario_slow_ack(self, kills: list[dict[str, Any]]) -> None:
        for _k in range(2):
            self.start("W")
            # the monitor polls every 0.25 s; poll faster here so the kill lands right after the commit
            base = sum((await self.read_committed()).values())
            t = time.monotonic()
            seen = False
            while time.monotonic() - t < 60:
                com = await self.read_committed()
                if sum(com.values()) > base:
                    seen = True
                    break
                await asyncio.sleep(0.03)
            if not seen or com == self.end:
                self.note("no new commit seen (or all committed); no kill")
                break
            outs, _ = await read_records(self.bootstrap, self.t_out, timeout_s=10)
            await self.kill_record("W", kills)
            have = {v["id"] for v, _, _ in outs}
            missing = [
                f"{self.at_id[(p, o)]}@p{p}:{o}"
                for p, c in com.items()
                for o in range(c)
                if self.at_id[(p, o)] not in have
            ]
            kills[-1]["committed_seen"] = com
            kills[-1]["committed_without_output_in_topic"] = missing
            self.note(f"commit {com} seen; inputs below it without output in the topic right then: {len(missing)}")
        self.start("W")

    async def scenario_rebalance(self, kills: list[dict[str, Any]]) -> None:
        n = self.cfg.n
        self.start("A")
        await self.wait_commit_advance()
        self.start("B")
        await self.wait_for("B to finish 20 records", lambda: self.processed_by("B") >= 20, 60)
        await self.stop("A", signal.SIGTERM)
        mark = len(self.processed())
        await self.wait_for("B to make progress", lambda: len(self.processed()) >= min(n, mark + max(30, n // 8)), 60)
        await self.kill_record("B", kills)
        self.start("B")

    async def scenario_join_kill(self, kills: list[dict[str, Any]]) -> None:
        """Targeted, not random: B joins A's group; SIGKILL A the moment a commit past an unfinished record shows."""
        self.start("A")
        await self.wait_commit_advance()
        n0 = len(self.skips)
        self.start("B")
        flagged = await self.wait_for("a commit past an unfinished record", lambda: len(self.skips) > n0, 40)
        await self.kill_record("A", kills)
        kills[-1]["targeted_at_flag"] = flagged
        self.start("A")

    async def scenario_churn(self, kills: list[dict[str, Any]]) -> None:
        self.start("A")
        await self.wait_commit_advance()
        self.start("B")
        await self.wait_for("B to finish 10 records", lambda: self.processed_by("B") >= 10, 60)
        for i, sig in enumerate((signal.SIGTERM, signal.SIGTERM, signal.SIGKILL)):
            self.start("C")
            await self.wait_for(f"C (round {i}) to finish 10 records", lambda: self.processed_by("C") >= 10, 40)
            if sig == signal.SIGKILL:
                await self.kill_record("C", kills)
            else:
                await self.stop("C", sig)
            mark = len(self.processed())
            target = min(self.cfg.n, mark + 20)
            await self.wait_for("progress after C left", lambda t=target: len(self.processed()) >= t, 30)


DEFAULTS: dict[str, dict[str, Any]] = {
    "uneven": {"n": 1000, "base_ms": 20.0},
    "take": {"n": 1000, "base_ms": 20.0, "mode": "take"},
    "rebalance": {"n": 1000, "base_ms": 20.0},
    # slower records so the stream outlasts the join/leave cycles of the third member
    "churn": {"n": 1200, "base_ms": 250.0},
    "join-kill": {"n": 1000, "base_ms": 20.0},
    "slow-ack": {"n": 400, "base_ms": 20.0, "linger_ms": 4000.0},
}


async def run_one(cfg: Config, timeout_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fauststress-") as d:
        async with TansuBroker() as broker:
            h = Harness(broker.bootstrap_servers, cfg, Path(d))
            try:
                res = await asyncio.wait_for(h.run(), timeout_s)
            except TimeoutError:
                for w in h.all_workers:
                    if w.proc.poll() is None:
                        os.killpg(w.proc.pid, signal.SIGKILL)
                res = {"error": f"run exceeded {timeout_s:.0f}s", "committed": h.committed, "end": h.end}
            res["events"] = h.events
            traces = [
                ln
                for w in h.all_workers
                if w.progress.with_suffix(".txt.trace").exists()
                for ln in w.progress.with_suffix(".txt.trace").read_text().splitlines()
            ]
            res["faust_trace"] = sorted(traces)
            logs = {w.log.name: w.log.read_text(errors="replace")[-2000:] for w in h.all_workers if w.log.exists()}
            res["log_tails"] = {k: v for k, v in logs.items() if v.strip()}
            return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("scenario", choices=sorted(DEFAULTS))
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--n", type=int)
    ap.add_argument("--base-ms", type=float)
    ap.add_argument("--tail-p", type=float)
    ap.add_argument("--tail-ms", help="LO,HI: range of the slow records' sleep")
    ap.add_argument("--linger-ms", type=float)
    ap.add_argument("--session-s", type=float)
    ap.add_argument("--batched-input", action="store_true")
    ap.add_argument("--run-timeout-s", type=float, default=300.0)
    ap.add_argument("--json", type=Path, help="append one JSON line per run here")
    a = ap.parse_args()
    results = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        kw: dict[str, Any] = dict(DEFAULTS[a.scenario])
        for k in ("n", "base_ms", "tail_p", "linger_ms", "session_s"):
            if getattr(a, k) is not None:
                kw[k] = getattr(a, k)
        if a.tail_ms:
            lo, hi = (float(x) for x in a.tail_ms.split(","))
            kw["tail_ms"] = (lo, hi)
        cfg = Config(scenario=a.scenario, seed=seed, batched_input=a.batched_input, **kw)
        print(f"=== {a.scenario} seed={seed} {cfg}", flush=True)
        res = asyncio.run(run_one(cfg, a.run_timeout_s))
        res["config"] = asdict(cfg)
        results.append(res)
        brief = {k: v for k, v in res.items() if k not in ("events", "log_tails", "skips", "config", "faust_trace")}
        print(json.dumps(brief), flush=True)
        if res.get("lost") or res.get("stuck") or res.get("error"):
            for name, tail in res["log_tails"].items():
                print(f"--- {name} (tail) ---\n{tail}", flush=True)
        if a.json:
            with a.json.open("a") as f:
                f.write(json.dumps(res) + "\n")
    print(f"\nSUMMARY {a.scenario}")
    print("seed | N | outputs | distinct | LOST | unfinished | dups | stuck | commit-past-unfinished | committed | end")
    for r in results:
        c = r["config"]
        print(
            f"{c['seed']} | {c['n']} | {r.get('outputs')} | {r.get('distinct')} | {r.get('lost')} | "
            f"{r.get('unfinished')} | {r.get('duplicates')} | {r.get('stuck')} | {r.get('commit_past_unfinished')} | "
            f"{r.get('committed_final', r.get('committed'))} | {r.get('end')}"
            + (f" | ERROR {r['error']}" if "error" in r else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
