// Browser tests of the web pages (docs/web.md): a real `childguard serve` on a free loopback
// port chosen now, in a fresh temporary directory, and Debian's chromium driven by the npm
// playwright-core (both installed by scripts/install-deps.sh). Each test file is one CTest test:
//   node tests/ui/NAME.test.mjs --cg BUILD/programs/childguard --out BUILD/tests/ui --src SRC
// Screenshots are saved into --out. Checks are counted and the file ends with the plain line
// "N passed, N failed"; any failure (or an exception) exits 1.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export function args() {
  const a = process.argv.slice(2);
  const get = (name, def) => {
    const i = a.indexOf(name);
    return i >= 0 && i + 1 < a.length ? a[i + 1] : def;
  };
  const src = get('--src', join(here, '..', '..'));
  return {
    cg: get('--cg', join(src, 'build', 'programs', 'childguard')),
    out: get('--out', join(src, 'build', 'tests', 'ui')),
    src,
    testdata: get('--testdata', join(src, '..', 'shared', 'testdata')),
  };
}

let passed = 0;
let failed = 0;
export function check(name, cond, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail ? ': ' + detail : ''}`);
  }
}
export function summary() {
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts a server with a fresh database and audit log. config: extra keys of the JSON config.
// Returns {base, dir, key(name, scopes, holder), cg(...args), stop(), log()}.
export async function startServer(opts, config = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cg-ui-'));
  const db = join(dir, 'cg.db');
  const log = join(dir, 'audit.log');
  const env = { ...process.env, CHILDGUARD_DB: db, CHILDGUARD_AUDIT_LOG: log, USER: 'ui-test' };
  const cg = (...a) => execFileSync(opts.cg, a, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await freePort();
  const cfgPath = join(dir, 'serve.json');
  writeFileSync(cfgPath, JSON.stringify({ listen: `127.0.0.1:${port}`, db, log, threads: 2, ...config }));
  const proc = spawn(opts.cg, ['serve', '--config', cfgPath], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d.toString(); });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`childguard serve exited ${proc.exitCode}: ${stderr}`);
    try {
      const r = await fetch(base + '/status/live');
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (i > 300) throw new Error('childguard serve did not start: ' + stderr);
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    base, dir, db, env, cg,
    key(name, scopes, holder) {
      return cg('keys', 'create', name, '--scope', scopes, '--holder', holder).trim().split('\n')[0];
    },
    log: () => stderr,
    audit: () => readFileSync(log, 'utf8'),
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((res) => proc.once('exit', res));
        proc.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const { chromium } = require('playwright-core');
  // As root (CI and these machines), chromium's sandbox cannot start: --no-sandbox
  // (/work/shared/INFRA.md, docs/web.md). The pages only ever load the local test server.
  return chromium.launch({
    executablePath: process.env.CG_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export function screenshotPath(opts, name) {
  mkdirSync(opts.out, { recursive: true });
  return join(opts.out, `${name}.png`);
}

// Runs axe-core in the page; returns the violations of impact serious or critical.
export async function axeSerious(page) {
  const axePath = require.resolve('axe-core/axe.min.js');
  // Evaluated through the DevTools protocol: the pages' CSP (scripts from 'self' only) stays on.
  await page.evaluate(readFileSync(axePath, 'utf8'));
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Wraps a test body: runs it, prints the summary, exits with its status.
export async function run(body) {
  let code = 1;
  try {
    await body(args());
    code = summary();
  } catch (e) {
    console.log('FAIL - exception: ' + (e && e.stack ? e.stack : e));
    failed++;
    summary();
    code = 1;
  }
  process.exit(code);
}

export { existsSync, readFileSync, join };
