"""Probe: does a plain faust-streaming agent lose or duplicate records when SIGKILLed mid-stream?

Standalone (not collected by pytest):  .venv/bin/python tests/stream/probes/faust_probe.py [N] [early|commit|both]

Starts an embedded Tansu broker, creates an input and an output topic (2 partitions each),
produces N records {"id": "ev-i"}, runs a minimal faust app as a subprocess whose agent sleeps
20 ms per record (80 ms with concurrency 4) and sends {"id": ...} to the output topic keyed by
id, SIGKILLs the worker once a third of the input has been processed (in "commit" mode: and
faust has committed something), restarts it, waits until the output is idle, then counts lost
(input ids with no output) and duplicated outputs. Runs with agent concurrency 1 and 4.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from stream.broker import TansuBroker  # noqa: E402
from stream.settings import KafkaSettings  # noqa: E402
from stream.topics import ensure_topics  # noqa: E402

APP_TEXT = textwrap.dedent(
    """
    import asyncio, os
    import faust

    CONC = int(os.environ["PROBE_CONC"])
    SLEEP_S = float(os.environ["PROBE_SLEEP_MS"]) / 1000
    PROGRESS = open(os.environ["PROBE_PROGRESS"], "a", buffering=1)

    app = faust.App(
        os.environ["PROBE_APP_ID"],
        broker="kafka://" + os.environ["PROBE_BROKER"],
        store="memory://",
        topic_allow_declare=False,
        topic_disable_leader=True,
        web_enabled=False,
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
        consumer_auto_offset_reset="earliest",
    )
    src = app.topic(os.environ["PROBE_IN"], value_serializer="json", key_serializer="raw", partitions=2)
    dst = app.topic(os.environ["PROBE_OUT"], value_serializer="json", key_serializer="raw", partitions=2)


    @app.agent(src, concurrency=CONC)
    async def handle(stream):
        async for ev in stream:
            await asyncio.sleep(SLEEP_S)
            await dst.send(key=ev["id"].encode(), value={"id": ev["id"]})
            PROGRESS.write(ev["id"] + "\\n")
    """
)


def kafka(bootstrap: str) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=bootstrap)


async def produce(bootstrap: str, topic: str, n: int) -> None:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await p.start()
    try:
        futs = [await p.send(topic, json.dumps({"id": f"ev-{i}"}).encode(), key=f"ev-{i}".encode()) for i in range(n)]
        await asyncio.gather(*futs)
    finally:
        await p.stop()


async def read_all(bootstrap: str, topic: str) -> list[str]:
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await c.start()
    try:
        tps = [TopicPartition(topic, p) for p in (c.partitions_for_topic(topic) or {0, 1})]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        end = await c.end_offsets(tps)
        ids: list[str] = []
        deadline = time.monotonic() + 20

        async def behind() -> bool:
            return any([await c.position(tp) < end[tp] for tp in tps])

        while await behind() and time.monotonic() < deadline:
            batch = await c.getmany(timeout_ms=500)
            for msgs in batch.values():
                ids.extend(json.loads(m.value)["id"] for m in msgs)
        return ids
    finally:
        await c.stop()


async def committed(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await c.start()
    try:
        return {p: await c.committed(TopicPartition(topic, p)) for p in (0, 1)}
    finally:
        await c.stop()


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def start_worker(workdir: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "faust", "-A", "app", "worker", "-l", "warn"],
        cwd=workdir,
        env=env,
        stdout=open(log, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


async def scenario(
    bootstrap: str, conc: int, n: int, kill_after: int, tmp: Path, *, wait_for_commit: bool
) -> dict[str, object]:
    tag = f"c{conc}-{'commit' if wait_for_commit else 'early'}"
    t_in, t_out, app_id = f"probe-in-{tag}", f"probe-out-{tag}", f"faustprobe-{tag}"
    await ensure_topics(kafka(bootstrap), [t_in, t_out], partitions=2)
    work = tmp / tag
    work.mkdir()
    (work / "app.py").write_text(APP_TEXT)
    progress, log = work / "progress.txt", work / "worker.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(work),
        "PROBE_CONC": str(conc),
        # 20 ms per record per actor; with 4 actors 80 ms, so both runs move at ~50 records/s
        # and a kill after the first commit (~2.8 s) still lands mid-stream.
        "PROBE_SLEEP_MS": str(20 * conc),
        "PROBE_PROGRESS": str(progress),
        "PROBE_APP_ID": app_id,
        "PROBE_BROKER": bootstrap,
        "PROBE_IN": t_in,
        "PROBE_OUT": t_out,
    }
    await produce(bootstrap, t_in, n)
    res: dict[str, object] = {"concurrency": conc, "wait_for_commit": wait_for_commit}

    # Run 1: SIGKILL once `kill_after` records have been processed.
    # With wait_for_commit, also wait until faust has committed something, so the kill lands
    # after at least one commit (faust commits every commit_interval=2.8 s by default).
    w = start_worker(work, env, log)
    t1 = time.monotonic()
    deadline = t1 + 90
    mon = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=app_id, enable_auto_commit=False)
    await mon.start()
    seen_commit: dict[int, int | None] = {}
    try:
        while time.monotonic() < deadline and w.poll() is None:
            if lines(progress) >= kill_after:
                if not wait_for_commit:
                    break
                seen_commit = {p: await mon.committed(TopicPartition(t_in, p)) for p in (0, 1)}
                if any(v for v in seen_commit.values()):
                    break
            await asyncio.sleep(0.02)
    finally:
        await mon.stop()
    res["processed_before_kill"] = lines(progress)
    res["kill_at_s"] = round(time.monotonic() - t1, 1)
    res["commit_seen_before_kill"] = seen_commit
    res["worker1_exited_early"] = w.poll()
    kill(w, signal.SIGKILL)
    res["committed_after_kill"] = await committed(bootstrap, app_id, t_in)

    # Run 2: restart, wait until the output has been idle for a while (or everything is there).
    w = start_worker(work, env, log)
    t0 = time.monotonic()
    last, last_change = -1, time.monotonic()
    while time.monotonic() - t0 < 150 and w.poll() is None:
        cur = lines(progress)
        if cur != last:
            last, last_change = cur, time.monotonic()
        if time.monotonic() - last_change > (8 if cur >= n else 30):
            break
        await asyncio.sleep(0.5)
    res["worker2_exited_early"] = w.poll()
    res["restart_seconds"] = round(time.monotonic() - t0, 1)
    kill(w, signal.SIGTERM)
    res["committed_at_end"] = await committed(bootstrap, app_id, t_in)

    out = await read_all(bootstrap, t_out)
    counts = Counter(out)
    res["outputs"] = len(out)
    res["distinct"] = len(counts)
    res["lost"] = n - len(set(counts) & {f"ev-{i}" for i in range(n)})
    res["duplicates"] = len(out) - len(counts)
    res["log_tail"] = log.read_text(errors="replace")[-1500:]
    return res


async def main(n: int, modes: tuple[bool, ...]) -> int:
    with tempfile.TemporaryDirectory(prefix="faustprobe-") as d, TansuBroker() as broker:
        tmp = Path(d)
        results = []
        for conc, wait_for_commit in [(c, w) for w in modes for c in (1, 4)]:
            r = await scenario(
                broker.bootstrap_servers, conc, n, kill_after=n // 3, tmp=tmp, wait_for_commit=wait_for_commit
            )
            results.append(r)
            print(json.dumps({k: v for k, v in r.items() if k != "log_tail"}), flush=True)
            if r["lost"] or r["distinct"] == 0:
                print(f"--- worker log tail (concurrency={r['concurrency']}) ---\n{r['log_tail']}", flush=True)
    print(f"\nSUMMARY (N={n})")
    for r in results:
        print(
            f"  concurrency={r['concurrency']} kill_after_first_commit={r['wait_for_commit']}: "
            f"processed before SIGKILL={r['processed_before_kill']} (t={r['kill_at_s']}s), "
            f"committed at kill={r['committed_after_kill']}, "
            f"outputs={r['outputs']}, distinct={r['distinct']}, lost={r['lost']}, duplicates={r['duplicates']}"
        )
    return 0


if __name__ == "__main__":
    # argv: [N] [early|commit|both]
    mode = sys.argv[2] if len(sys.argv) > 2 else "both"
    modes = {"early": (False,), "commit": (True,), "both": (False, True)}[mode]
    raise SystemExit(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, modes)))
