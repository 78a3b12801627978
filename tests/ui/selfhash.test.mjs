// The self-hashing page (/ui/selfhash/) in a real browser against a real server.
//
// Proof 1, same pixels, same PDQ: every PDQ vector image (tests/vectors/pdq, and
// ../shared/testdata/pdq when present) is decoded by the browser (createImageBitmap + canvas, as
// the page does), hashed by both WebAssembly cores in the browser (cghash-simd, which this
// Chromium loads, and the no-SIMD cghash that browsers without SIMD load), and the very same
// RGBA bytes are written out and hashed by the native build of the same C (pdq_rgba, which also
// checks each against the library's cg_pdq_hash_image); hash and quality must be equal for
// every image; so must synthetic images of awkward sizes (pdq_rgba --sizes). The page's choice
// of core is checked too: SIMD here, the fallback when the browser rejects the SIMD probe module.
// Proof 2, no image bytes leave the page: every request the page makes is intercepted; none
// goes elsewhere than the server, and none carries any slice of a picked file or of its pixels.
// Then the intake end to end: three images hashed and submitted (a pending review item, no bank
// changed), the case checked, confirmed by a reviewer into the intake bank (now matched),
// withdrawn from the page (no longer matched), a pending case withdrawn, the per-address limit.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { readdirSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { run, check, startServer, launchBrowser, screenshotPath, axeSerious, existsSync, readFileSync, join } from './harness.mjs';

function imagesUnder(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...imagesUnder(p));
    else if (/\.(png|jpe?g|webp|gif)$/i.test(e)) out.push(p);
  }
  return out.sort();
}

function pdqPdqRgba(opts) {
  const i = process.argv.indexOf('--pdq-rgba');
  return i >= 0 ? process.argv[i + 1] : join(opts.src, 'build', 'tests', 'pdq_rgba');
}

run(async (opts) => {
  const srv = await startServer(opts, { selfhash: 1, selfhash_per_hour: 30, refresh_ms: 50 });
  const browser = await launchBrowser();
  try {
    const admin = srv.key('ui-admin', 'admin', 'ana');
    const api = async (method, path, body) => {
      const r = await fetch(srv.base + path, {
        method, headers: { Authorization: 'Bearer ' + admin, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let j = null;
      try { j = await r.json(); } catch { j = null; }
      return { status: r.status, body: j };
    };

    // ---------------------------------------------------------------- proof 1: WASM == native
    const dirs = [join(opts.src, 'tests', 'vectors', 'pdq', 'images'),
      join(opts.src, 'tests', 'vectors', 'pdq', 'synthetic', 'images'),
      join(opts.testdata, 'pdq', 'images'), join(opts.testdata, 'pdq', 'synthetic', 'images')];
    // The same file can be in both sets: each distinct file once.
    const seen = new Set();
    const images = dirs.flatMap(imagesUnder).filter((f) => {
      const h = createHash('sha256').update(readFileSync(f)).digest('hex');
      if (seen.has(h)) return false;
      seen.add(h);
      return true;
    });
    const rgbaDir = join(opts.out, 'selfhash-rgba');
    mkdirSync(rgbaDir, { recursive: true });
    // The browser hands the decoded pixels to this sink (a loopback server of the test's own), in
    // binary: the proof context lifts the page's CSP for that, the flow below keeps it on.
    const sink = createServer((req, res) => {
      const get = /^\/img\/(\d+)$/.exec(req.url);
      if (req.method === 'GET' && get) {
        res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/octet-stream' });
        res.end(readFileSync(images[Number(get[1])]));
        return;
      }
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const m = /^\/rgba\/(\d+)\/(\d+)x(\d+)$/.exec(req.url);
        if (m) writeFileSync(join(rgbaDir, `${m[1]}.rgba`), Buffer.concat([Buffer.from(`${m[2]} ${m[3]}\n`), ...chunks]));
        res.end('ok');
      });
    });
    await new Promise((res) => sink.listen(0, '127.0.0.1', res));
    const sinkBase = `http://127.0.0.1:${sink.address().port}`;
    const ctx = await browser.newContext({ locale: 'en-US', bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(srv.base + '/ui/selfhash/');
    const wasm = new Map();
    const undecodable = [];
    let idx = 0;
    for (const [n, file] of images.entries()) {
      const r = await page.evaluate(async ([src, url]) => {
        const t0 = performance.now();
        const core = await import('/ui/selfhash/core.js');
        const blob = await (await fetch(src)).blob();
        let img;
        try {
          img = await core.decode(blob);
        } catch (e) {
          return { error: String(e) };
        }
        const t1 = performance.now();
        const h = await core.pdqOfRgba(img.rgba, img.width, img.height, 'simd');
        const base = await core.pdqOfRgba(img.rgba, img.width, img.height, 'baseline');
        const t2 = performance.now();
        await fetch(`${url}/${img.width}x${img.height}`, { method: 'POST', mode: 'no-cors', body: new Blob([img.rgba]) });
        const t3 = performance.now();
        return { width: img.width, height: img.height, pdq: h.pdq, quality: h.quality, base, t: [t1, t2, t3].map((x) => Math.round(x - t0)) };
      }, [`${sinkBase}/img/${n}`, `${sinkBase}/rgba/${idx}`]);
      if (r.error) {
        undecodable.push(`${file}: ${r.error}`);
        continue;
      }
      wasm.set(join(rgbaDir, `${idx++}.rgba`), { file, pdq: r.pdq, quality: r.quality, base: r.base });
      if (process.env.CG_UI_DEBUG) console.log(`# ${Date.now()} ${r.t} ${r.width}x${r.height} ${file}`);
    }
    sink.close();
    // Awkward sizes (sides under 5, exactly 64, just over 512, widths not a multiple of 4):
    // pdq_rgba --sizes hashes synthetic pixels natively and checks them against
    // cg_pdq_hash_image; both modules must give the same on the same pixels, made here.
    const sized = execFileSync(pdqPdqRgba(opts), ['--sizes'], { encoding: 'utf8' }).trim().split('\n')
      .filter((l) => l.startsWith('ok - ')).map((l) => l.slice(5).split(' '));
    const sizedWasm = await page.evaluate(async (list) => {
      const core = await import('/ui/selfhash/core.js');
      const out = [];
      for (const [d, [dim]] of list.entries()) {
        const [w, h] = dim.split('x').map(Number);
        const rgba = new Uint8Array(w * h * 4);
        // byte i = ((i + d) * 2654435761) >> 13, as pdq_rgba makes it (bits 13..20: mod 2^21).
        for (let i = 0; i < rgba.length; i++) rgba[i] = Math.floor((((i + d) % 2097152) * 1538481) % 2097152 / 8192) & 255;
        const s = await core.pdqOfRgba(rgba, w, h, 'simd');
        const b = await core.pdqOfRgba(rgba, w, h, 'baseline');
        out.push([dim, s.pdq, s.quality, b.pdq, b.quality]);
      }
      return out;
    }, sized);
    const sizedBad = sizedWasm.filter(([dim, sp, sq, bp, bq], i) =>
      !(sized[i][0] === dim && sp === sized[i][1] && bp === sized[i][1] && sq === Number(sized[i][2]) && bq === Number(sized[i][2])));
    check(`awkward sizes: both modules == native == cg_pdq_hash_image (${sizedWasm.length - sizedBad.length}/${sized.length})`,
      sized.length >= 14 && sizedBad.length === 0, JSON.stringify(sizedBad.slice(0, 3)));
    const variant = await page.evaluate(async () => (await import('/ui/selfhash/core.js')).coreVariant());
    await ctx.close();
    check('this Chromium gets the SIMD core', variant === 'simd', variant);
    // A browser without WebAssembly SIMD (simulated: WebAssembly.validate says no to the probe
    // module): the page picks the no-SIMD core and still hashes.
    const old = await browser.newContext({ locale: 'en-US' });
    await old.addInitScript(() => {
      const validate = WebAssembly.validate;
      WebAssembly.validate = (bytes) => {
        const b = new Uint8Array(bytes.buffer || bytes);
        return b.length < 64 && b.includes(123) ? false : validate(bytes); // 123: v128 type
      };
    });
    const oldPage = await old.newPage();
    await oldPage.goto(srv.base + '/ui/selfhash/');
    const fallback = await oldPage.evaluate(async () => {
      const core = await import('/ui/selfhash/core.js');
      const rgba = new Uint8Array(96 * 80 * 4).map((_, i) => (i * 37) & 255);
      const h = await core.pdqOfRgba(rgba, 96, 80);
      const s = await core.pdqOfRgba(rgba, 96, 80, 'simd');
      const loaded = performance.getEntriesByType('resource').map((e) => e.name.split('/').pop());
      return { variant: core.coreVariant(), h, s, loaded };
    });
    await old.close();
    check('without SIMD the page picks the no-SIMD core', fallback.variant === 'baseline', JSON.stringify(fallback.variant));
    check('  and loads cghash.wasm by default', fallback.loaded.includes('cghash.wasm'), fallback.loaded.join(' '));
    check('  which hashes as the SIMD core does', /^[0-9a-f]{64}$/.test(fallback.h.pdq) && fallback.h.pdq === fallback.s.pdq &&
      fallback.h.quality === fallback.s.quality, JSON.stringify(fallback));
    const native = execFileSync(pdqPdqRgba(opts), [...wasm.keys()], { encoding: 'utf8', maxBuffer: 1 << 24 })
      .trim().split('\n').map((l) => l.split(' '));
    rmSync(rgbaDir, { recursive: true, force: true }); // up to hundreds of MB of pixels
    let same = 0, sameBase = 0;
    const differ = [];
    for (const [path, hex, q] of native) {
      const w = wasm.get(path);
      if (w && w.pdq === hex && w.quality === Number(q)) same++;
      else differ.push(`${w ? w.file : path}: wasm-simd ${w && w.pdq}/${w && w.quality} native ${hex}/${q}`);
      if (w && w.base.pdq === hex && w.base.quality === Number(q)) sameBase++;
      else differ.push(`${w ? w.file : path}: wasm ${w && w.base.pdq}/${w && w.base.quality} native ${hex}/${q}`);
    }
    console.log(`# proof: ${images.length} vector images, ${wasm.size} decoded by the browser, ${same} equal (SIMD core), ${sameBase} equal (no-SIMD core)`);
    check('vector images found (compact set at least)', images.length >= 50, String(images.length));
    check('the browser decodes every vector image', undecodable.length === 0, undecodable.join('; '));
    check('native hashed every buffer', native.length === wasm.size);
    check(`WASM PDQ (SIMD core) == native PDQ on the same RGBA (${same}/${wasm.size})`, same === wasm.size && same > 0, differ.slice(0, 5).join('; '));
    check(`WASM PDQ (no-SIMD core) == native PDQ on the same RGBA (${sameBase}/${wasm.size})`, sameBase === wasm.size && sameBase > 0, differ.slice(0, 5).join('; '));

    // Photos with an EXIF orientation: the browser turns them when decoding, the library never
    // does; the page undoes the turn (exif.js), so its PDQ is the library's for the file itself.
    const oriented = [...wasm.values()].filter((w) => /exif/i.test(w.file));
    const orientedSame = oriented.filter((w) => srv.cg('hash', w.file).split(',')[0] === w.pdq);
    check(`EXIF-oriented photos: the page's PDQ == childguard hash of the file (${orientedSame.length}/${oriented.length})`,
      oriented.length > 0 && orientedSame.length === oriented.length,
      oriented.filter((w) => !orientedSame.includes(w)).map((w) => w.file).join(' '));

    // ---------------------------------------------------------------- proof 2 and the intake
    const picked = images.filter((f) => /\.(jpe?g|png)$/i.test(f) && statSync(f).size > 20000).slice(0, 3);
    check('three test images to pick', picked.length === 3);
    const pickedBytes = picked.map((f) => readFileSync(f));
    const flow = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 1000 } });
    const requests = [];
    await flow.route('**/*', async (route) => {
      const req = route.request();
      requests.push({ url: req.url(), method: req.method(), body: req.postDataBuffer() });
      await route.continue();
    });
    const p = await flow.newPage();
    await p.goto(srv.base + '/ui/selfhash/');
    await p.check('input[name="age"][value="adult"]');
    await p.setInputFiles('#files', picked);
    await p.waitForSelector('#pick-status[data-done="3"]');
    const rows = await p.$$eval('#hashes tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    check('three rows of hashes', rows.length === 3);
    const md5s = picked.map((f) => execFileSync('md5sum', [f], { encoding: 'utf8' }).split(' ')[0]);
    const shas = picked.map((f) => execFileSync('sha256sum', [f], { encoding: 'utf8' }).split(' ')[0]);
    check('MD5 in the browser == md5sum', rows.every((r, i) => r[2] === md5s[i]), JSON.stringify(rows.map((r) => r[2])));
    check('SHA-256 in the browser == sha256sum', rows.every((r, i) => r[3] === shas[i]));
    const serverPdq = [];
    for (const f of picked) {
      const r = await fetch(srv.base + '/h/hash', { method: 'POST', headers: { Authorization: 'Bearer ' + admin }, body: readFileSync(f) });
      serverPdq.push((await r.json()).pdq);
    }
    const dist = (a, b) => {
      let d = 0;
      for (let i = 0; i < 64; i += 8) {
        let x = parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16);
        while (x) { d += x & 1; x >>>= 1; }
      }
      return d;
    };
    const dists = rows.map((r, i) => dist(r[1].slice(0, 64), serverPdq[i]));
    console.log(`# browser PDQ vs the server's own decode of the same files: distances ${dists.join(', ')}`);
    check('browser PDQ matches the server\'s (distance <= 31, the match threshold)', dists.every((d) => d <= 31), dists.join(','));
    const sentBefore = requests.filter((r) => r.method !== 'GET').length;
    check('hashing sent nothing', sentBefore === 0, String(sentBefore));
    let serious = await axeSerious(p);
    check('axe: no serious/critical violations (hashes shown)', serious.length === 0, JSON.stringify(serious));

    await p.click('#send');
    await p.waitForSelector('#case-number');
    const caseNo = (await p.textContent('#case-number')).trim();
    check('a case number (25 characters in groups of 5)', /^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/.test(caseNo), caseNo);
    await p.screenshot({ path: screenshotPath(opts, 'selfhash-sent'), fullPage: true });
    serious = await axeSerious(p);
    check('axe: no serious/critical violations (case shown)', serious.length === 0, JSON.stringify(serious));

    let q = await api('GET', '/v1/review?state=pending');
    const item = q.body.items.find((i) => i.kind === 'selfhash');
    check('a pending self-hash review item', item !== undefined && item.label === 'ncii', JSON.stringify(q.body));
    check('it holds the 9 signals (pdq, md5, sha256 of 3 images)', item && item.signals.length === 9);
    check('the case number itself is not stored', !JSON.stringify(q.body).includes(caseNo.replace(/-/g, '')) && !readFileSync(srv.db).includes(Buffer.from(caseNo)));
    const look = async (pdq) => (await api('GET', `/m/raw_lookup?signal_type=pdq&signal=${pdq}`)).body.matches.length;
    check('pending hashes block nothing', (await look(rows[0][1])) === 0);

    await p.click('#case-status');
    await p.waitForSelector('#case-result[data-state="pending"]');
    check('status from the page: pending', true);

    // A reviewer confirms into the intake bank.
    q = await api('POST', '/c/banks', { name: 'selfhash-intake', label: 'ncii', kind: 'block' });
    check('intake bank created', q.status === 201);
    q = await api('POST', `/v1/review/${item.id}/claim`, {});
    q = await api('POST', `/v1/review/${item.id}/decide`, { state: 'confirmed', bank: 'selfhash-intake', note: 'self-hash intake' });
    check('reviewer confirms into the intake bank', q.status === 200 && q.body.state === 'confirmed', JSON.stringify(q.body));
    let m = 0;
    for (let i = 0; i < 200 && m === 0; i++) {
      m = await look(rows[0][1]);
      if (m === 0) await new Promise((res) => setTimeout(res, 50));
    }
    check('confirmed hashes now match', m > 0);
    await p.click('#case-status');
    await p.waitForSelector('#case-result[data-state="confirmed"]');
    check('status from the page: confirmed', true);

    // The person withdraws from the page.
    await p.click('#case-withdraw');
    await p.waitForSelector('#case-result[data-state="withdrawn"]');
    check('withdrawn from the page', true);
    for (let i = 0; i < 200 && m > 0; i++) {
      m = await look(rows[0][1]);
      if (m > 0) await new Promise((res) => setTimeout(res, 50));
    }
    check('withdrawn hashes no longer match', m === 0);
    const exp = await fetch(srv.base + '/v1/banks/selfhash-intake/export?format=lines', { headers: { Authorization: 'Bearer ' + admin } });
    const expText = await exp.text();
    check('the intake bank is empty again', exp.status === 200 && expText.trim() === '', expText);
    await p.click('#case-status');
    await p.waitForSelector('#case-result[data-state="withdrawn"]');
    check('status after withdrawal: withdrawn', true);

    // ---- proof 2: every request the page made
    const origin = new URL(srv.base).origin;
    const foreign = requests.filter((r) => new URL(r.url).origin !== origin);
    check('no request left the server\'s origin', foreign.length === 0, foreign.map((r) => r.url).join(' '));
    const posts = requests.filter((r) => r.method === 'POST');
    check('the page posted (submit, status, withdraw)', posts.length >= 4, String(posts.length));
    const slices = [];
    for (const b of pickedBytes) for (let k = 1; k <= 8; k++) slices.push(b.subarray(Math.floor(b.length * k / 10), Math.floor(b.length * k / 10) + 24));
    const carrying = requests.filter((r) => {
      const body = r.body || Buffer.alloc(0);
      return slices.some((s) => body.includes(s) || r.url.includes(s.toString('latin1'))) || body.length > 4096;
    });
    check('no request carries image bytes (8 slices of each file; bodies under 4 KiB)', carrying.length === 0, carrying.map((r) => r.url).join(' '));
    const submit = posts.find((r) => r.url.endsWith('/v1/selfhash'));
    const sj = JSON.parse(submit.body.toString('utf8'));
    check('the submission holds only hashes', Object.keys(sj).sort().join() === 'age,images' &&
      sj.images.every((i) => Object.keys(i).every((k) => ['pdq', 'pdq_quality', 'md5', 'sha256'].includes(k))));

    // ---- a pending case withdrawn; the route refuses what is not hashes
    let r = await fetch(srv.base + '/v1/selfhash', { method: 'POST', body: JSON.stringify({ images: [{ pdq: rows[1][1] }] }) });
    const c2 = (await r.json()).case;
    r = await fetch(srv.base + '/v1/selfhash/withdraw', { method: 'POST', body: JSON.stringify({ case: c2.toLowerCase() }) });
    check('a pending case withdrawn (case number typed in lower case)', r.status === 200 && (await r.json()).state === 'withdrawn');
    r = await fetch(srv.base + '/v1/selfhash', { method: 'POST', body: JSON.stringify({ images: [{ pdq: rows[1][1], image: 'AAAA' }] }) });
    check('a field other than hashes is refused', r.status === 400);
    r = await fetch(srv.base + '/v1/selfhash', { method: 'POST', body: JSON.stringify({ images: [{ pdq: rows[1][1] }], photo: 'AAAA' }) });
    check('a top-level field other than images and age is refused', r.status === 400);
    // Only the headers are sent: the server must answer from the declared size alone.
    const status413 = await new Promise((resolve, reject) => {
      const u = new URL(srv.base + '/v1/selfhash');
      const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
        headers: { 'Content-Length': '20000' } }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.flushHeaders();
    });
    check('a large body is refused before it is read', status413 === 413, String(status413));
    r = await fetch(srv.base + '/v1/selfhash/status', { method: 'POST', body: JSON.stringify({ case: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA' }) });
    check('an unknown case: 404', r.status === 404);
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      r = await fetch(srv.base + '/v1/selfhash/status', { method: 'POST', body: JSON.stringify({ case: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA' }) });
      limited = r.status === 429;
    }
    check('the per-address limit answers 429', limited && Number(r.headers.get('retry-after')) > 0);
    check('the audit log names the intake', srv.audit().includes('selfhash-intake'));

    // ---- Vietnamese
    const vi = await browser.newContext({ locale: 'vi-VN', viewport: { width: 390, height: 844 }, isMobile: true });
    const pv = await vi.newPage();
    await pv.goto(srv.base + '/ui/selfhash/');
    check('Vietnamese page', (await pv.textContent('h1')).trim() === 'Ngăn ảnh riêng tư bị lan truyền');
    await pv.check('input[name="age"][value="child"]');
    const lines = await pv.$$eval('#lines li', (els) => els.map((e) => e.textContent));
    check('under 18: Take It Down (vi) from the catalogue', lines.some((l) => l.includes('takeitdown.ncmec.org')) && !lines.some((l) => l.includes('stopncii')), JSON.stringify(lines));
    serious = await axeSerious(pv);
    check('axe: no serious/critical violations (vi, phone)', serious.length === 0, JSON.stringify(serious));
    await pv.screenshot({ path: screenshotPath(opts, 'selfhash-vi-phone'), fullPage: true });
  } finally {
    await browser.close();
    await srv.stop();
  }
});
