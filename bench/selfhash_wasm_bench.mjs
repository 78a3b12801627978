// The self-hashing page's WebAssembly core in Chromium against the native build of the same C
// (docs/web.md, bench/RESULTS.md): size of cghash.wasm, and ms to PDQ-hash one 1-megapixel
// (1000x1000) RGBA image, the per-image work the page does after decoding (copy into the
// module's memory, RGBA -> RGB, the 512 resize, PDQ). Native: pdq_rgba --bench (one thread, the
// library's AVX2 path where the CPU has it).
//   node bench/selfhash_wasm_bench.mjs --cg build/programs/childguard --pdq-rgba build/tests/pdq_rgba [--runs 50]
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { args, startServer, launchBrowser } from '../tests/ui/harness.mjs';

const opts = args();
const i = process.argv.indexOf('--pdq-rgba');
const pdqRgba = i >= 0 ? process.argv[i + 1] : join(opts.src, 'build', 'tests', 'pdq_rgba');
const r = process.argv.indexOf('--runs');
const runs = r >= 0 ? Number(process.argv[r + 1]) : 50;
const srv = await startServer(opts);
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(srv.base + '/ui/selfhash/');
  const res = await page.evaluate(async (runs) => {
    const core = await import('/ui/selfhash/core.js');
    const w = 1000, h = 1000;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = Number((BigInt(i) * 2654435761n) >> 13n & 255n);
    const first = await core.pdqOfRgba(rgba, w, h); // instantiates the module, grows its memory
    const times = [];
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      await core.pdqOfRgba(rgba, w, h);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    // Decoding a 1-megapixel PNG of those pixels, as the page decodes a picked file.
    const c = new OffscreenCanvas(w, h);
    c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer), w, h), 0, 0);
    const blob = await c.convertToBlob({ type: 'image/png' });
    const dt = [];
    for (let k = 0; k < 10; k++) {
      const t0 = performance.now();
      await core.decode(blob);
      dt.push(performance.now() - t0);
    }
    dt.sort((a, b) => a - b);
    return { pdq: first.pdq, median: times[times.length >> 1], min: times[0], decodeMedian: dt[5] };
  }, runs);
  const wasmBytes = statSync(join(opts.cg, '..', '..', 'web', 'selfhash', 'cghash.wasm')).size;
  const native = execFileSync(pdqRgba, ['--bench', '1000', '1000', String(runs)], { encoding: 'utf8' }).trim();
  console.log(`cghash.wasm: ${wasmBytes} bytes`);
  console.log(`chromium wasm: median ${res.median.toFixed(3)} ms, min ${res.min.toFixed(3)} ms per 1000x1000 image (${runs} runs) ${res.pdq}`);
  console.log(`chromium decode of a 1000x1000 PNG (createImageBitmap + canvas): median ${res.decodeMedian.toFixed(2)} ms`);
  console.log(`native (one thread): ${native}`);
} finally {
  await browser.close();
  await srv.stop();
}
