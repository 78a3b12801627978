#!/usr/bin/env python3
"""compare_revs: the same benchmarks built from two revisions, run alternately on one machine.

    bench/compare_revs.py OLD_REV NEW_REV [--rounds N] [--only hash,match,engine,text,serve]
                          [--keep] [--json]

Each revision is checked out with `git worktree add --detach` under a temporary directory and
built in Release with the benchmarks (-DCG_BUILD_BENCH=ON). Then, round after round, every
benchmark runs once for each revision, the order swapped every round (old-new, new-old, ...), so
that a machine shared with other jobs slows both about equally; the figure of a benchmark is the
median over the rounds and the ratio new / old is what to read (issue 14: "no figure drops by
more than 3 %"). Nothing here is a pass/fail check: the numbers are printed, and noise shows in
the spread (min..max) beside each median.

Figures (higher is better for all):
  hash    hash_bench --synth 8: pipeline images/s, one thread (decode + PDQ + digests)
  match   match_bench 1M PDQ hashes, MIH, radius 31: queries/s one thread
  engine  engine_bench: images/s through cg_engine_scan, messages/s through it
  text    text_bench: messages/s through cg_text_scan (default engine)
  serve   serve_bench.sh --n 100000: GET /m/raw_lookup requests/s (needs wrk)
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, cwd=None, quiet=True):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write("compare_revs: %s failed (exit %d)\n%s\n" %
                         (" ".join(cmd), r.returncode, r.stderr[-2000:]))
        sys.exit(2)
    return r.stdout


def build(rev, tmp):
    src = os.path.join(tmp, "src-" + rev[:12])
    run(["git", "-C", ROOT, "worktree", "add", "--detach", src, rev])
    bdir = os.path.join(src, "build-bench")
    run(["cmake", "-S", src, "-B", bdir, "-DCMAKE_BUILD_TYPE=Release", "-DCG_BUILD_BENCH=ON"])
    # Only what the benchmarks run (the web pages' targets want node_modules, not needed here).
    run(["cmake", "--build", bdir, "-j", str(os.cpu_count() or 2), "--target", "hash_bench",
         "match_bench", "engine_bench", "text_bench", "childguard"])
    return src, bdir


def last_json(out):
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


def bench_hash(src, bdir):
    j = last_json(run([bdir + "/bench/hash_bench", "--synth", "8", "--min-seconds", "2",
                       "--threads", "1", "--json"]))
    return {"hash images/s (1 thread)": j["exact"]["one_thread"]["images_per_s"]}


def bench_match(src, bdir):
    j = last_json(run([bdir + "/bench/match_bench", "--n", "1000000", "--queries", "2000",
                       "--radius", "31", "--kind", "mih", "--threads", "1", "--json"]))
    return {"match queries/s (1M, MIH, 1 thread)": j["qps_1_thread"]}


def bench_engine(src, bdir):
    j = last_json(run([bdir + "/bench/engine_bench", "--min-seconds", "2", "--json"]))
    return {"engine images/s": j["engine_images_s"],
            "engine images/s recording": j["engine_recording_images_s"],
            "engine messages/s": j["engine_messages_s"]}


def bench_text(src, bdir):
    j = last_json(run([bdir + "/bench/text_bench", "--min-seconds", "2", "--data",
                       src + "/data", "--json"]))
    return {"text messages/s": j["engine_msgs_per_s"]}


def bench_serve(src, bdir):
    cg = os.path.join(src, "build-bench", "programs", "childguard")
    out = run(["bash", src + "/bench/serve_bench.sh", cg, "--n", "100000", "--seconds", "10"])
    m = re.search(r"GET /m/raw_lookup\s+([0-9.]+) req/s", out)
    if m is None:
        raise ValueError("serve_bench printed no lookup figure")
    return {"serve lookups/s (100k bank)": float(m.group(1))}


BENCHES = {"hash": bench_hash, "match": bench_match, "engine": bench_engine,
           "text": bench_text, "serve": bench_serve}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="hash,match,engine,text,serve")
    ap.add_argument("--keep", action="store_true", help="keep the worktrees and builds")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a = ap.parse_args()
    names = [n for n in a.only.split(",") if n]
    for n in names:
        if n not in BENCHES:
            ap.error("unknown benchmark %r (one of %s)" % (n, ", ".join(BENCHES)))
    if "serve" in names and shutil.which("wrk") is None:
        ap.error("serve needs wrk (scripts/install-deps.sh --bench installs it)")
    revs = [run(["git", "-C", ROOT, "rev-parse", r]).strip() for r in (a.old, a.new)]
    tmp = tempfile.mkdtemp(prefix="cg-compare-")
    trees = []
    try:
        for r in revs:
            sys.stderr.write("compare_revs: building %s\n" % r[:12])
            trees.append(build(r, tmp))
        figures = [{}, {}]
        for k in range(a.rounds):
            order = (0, 1) if k % 2 == 0 else (1, 0)
            for n in names:
                for i in order:
                    sys.stderr.write("compare_revs: round %d/%d %s %s\n" %
                                     (k + 1, a.rounds, n, "old" if i == 0 else "new"))
                    for key, v in BENCHES[n](*trees[i]).items():
                        figures[i].setdefault(key, []).append(float(v))
        rows = []
        for key in figures[0]:
            o, n = figures[0][key], figures[1].get(key, [])
            mo, mn = statistics.median(o), statistics.median(n)
            rows.append({"figure": key, "old": mo, "new": mn, "ratio": mn / mo if mo else None,
                         "old_range": [min(o), max(o)], "new_range": [min(n), max(n)]})
        load = os.getloadavg()
        if a.json:
            print(json.dumps({"old": revs[0], "new": revs[1], "rounds": a.rounds,
                              "load_average_end": load, "figures": rows}))
        else:
            print("old %s, new %s, %d rounds, load average at the end %.1f %.1f %.1f" %
                  (revs[0][:12], revs[1][:12], a.rounds, *load))
            print("%-38s %14s %14s %8s   %s" % ("figure (median)", "old", "new", "new/old",
                                                 "range old | new"))
            for r in rows:
                print("%-38s %14.1f %14.1f %8.3f   %.0f..%.0f | %.0f..%.0f" %
                      (r["figure"], r["old"], r["new"], r["ratio"], *r["old_range"],
                       *r["new_range"]))
    finally:
        if not a.keep:
            for src, _ in trees:
                subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", src],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            sys.stderr.write("compare_revs: kept %s\n" % tmp)


if __name__ == "__main__":
    main()
