#!/usr/bin/env python3
"""K-fold cross-validation of the whole default engine over the corpus's TRAIN split (the dev
split is never read): conversations go to fold MD5(id) mod K; for each fold the learned layer is
trained on the other folds' messages (the settings of tests/text/train_model.sh) and the engine
(`text eval --learned`) measures the fold's conversations; the counts are summed over the folds.
This is how changes to the rules, the context and the conversation model were checked without
looking at the dev split (docs/text.md, "Measuring").
Usage: tests/text/cv_engine.py CHILDGUARD SOURCE_ROOT [K (4)] [--list]
Environment: CGDATA (data directory, default SOURCE_ROOT/data), CGEXTRA (more eval options)."""
import glob, hashlib, json, os, shutil, subprocess, sys, tempfile
cg, root = sys.argv[1], sys.argv[2]
K = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 4
lst = '--list' in sys.argv
data = os.environ.get('CGDATA', root + '/data')
tmp = tempfile.mkdtemp()
files = sorted(glob.glob(root + '/tests/text/corpus/*.jsonl'))
convs = [json.loads(l) for f in files for l in open(f, encoding='utf-8') if l.strip()]
train = [c for c in convs if c['split'] == 'train']
fold = lambda c: int(hashlib.md5(c['conversation'].encode()).hexdigest(), 16) % K
args = []
for f in files: args += ['--conversations', f]
subprocess.run([cg, 'text', 'eval', '--data', data, '--no-learned', '--split', 'train',
                '--features-out', tmp + '/feat.jsonl'] + args, check=True, stdout=subprocess.DEVNULL)
feat = [json.loads(l) for l in open(tmp + '/feat.jsonl', encoding='utf-8')]
fid = {c['conversation']: fold(c) for c in train}
tot = None
lines = []
def add(a, b):
    if isinstance(a, dict): return {k: add(a[k], b[k]) for k in a}
    return a + b if isinstance(a, (int, float)) else a
for k in range(K):
    with open(tmp + '/tr.jsonl', 'w') as o:
        for d in feat:
            if fid.get(d['conversation'], -1) != k:
                o.write(json.dumps({'text': d['text'], 'labels': d['labels']}) + '\n')
    subprocess.run([cg, 'text', 'train', '--data', tmp + '/tr.jsonl', '--out', tmp + '/l.bin',
                    '--tokens', '--word-ngrams', '2', '--bits', '16', '--tfidf', '--c', '4',
                    '--class-weight', 'balanced'], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(tmp + '/ev.jsonl', 'w', encoding='utf-8') as o:
        for c in train:
            if fid[c['conversation']] == k:
                o.write(json.dumps(c, ensure_ascii=False) + '\n')
    extra = os.environ.get('CGEXTRA', '').split()
    p = subprocess.run([cg, 'text', 'eval', '--data', data, '--learned', tmp + '/l.bin', '--split',
                        'train', '--json', '--conversations', tmp + '/ev.jsonl'] + extra,
                       capture_output=True, text=True, check=True)
    d = json.loads(p.stdout)
    tot = d if tot is None else add(tot, d)
    if lst:
        p = subprocess.run([cg, 'text', 'eval', '--data', data, '--learned', tmp + '/l.bin',
                            '--split', 'train', '--list', '--conversations', tmp + '/ev.jsonl'] + extra,
                           capture_output=True, text=True, check=True)
        lines += [l for l in p.stdout.split('\n') if l[:3] in ('vi-', 'en-', 'mix', 'mx-', 'r3v', 'r3e', 'r3m', 'tq-', 't6v', 't6e', 't6m')]
c = tot['conversation_level']
r = lambda x: '%d/%d' % (x['hit'], x['of'])
print('CV(%d) train: in_time %s FA %s (hardneg %s) | ' % (K, r(c['grooming_alerted_by_sexual_stage']),
      r(c['negative_false_alert']), r(c['hard_negative_false_alert'])) +
      ' '.join('%s %s' % (h[:6], r(x)) for h, x in c['recall'].items()))
print('   FP: ' + ' '.join('%s %s' % (h[:6], r(x)) for h, x in c['false_positives'].items()))
for l in lines: print(l)
shutil.rmtree(tmp)
