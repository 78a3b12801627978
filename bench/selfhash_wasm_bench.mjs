// The self-hashing page's WebAssembly cores in Chromium against the native build of the same C
// (docs/web.md, bench/RESULTS.md): size of cghash-simd.wasm (SIMD) and cghash.wasm (no SIMD),
// and ms to PDQ-hash one 1-megapixel (1000x1000) RGBA image with each, the per-image work the
// page does after decoding (copy into the module's memory, the 512 resize and luma, PDQ); runs
// alternate between the two cores. Native: pdq_rgba --bench (one thread, the library's AVX2 path
// where the CPU has it; then the PDQ core alone on the AVX2 and the portable C paths).
//   node bench/selfhash_wasm_bench.mjs --cg build/programs/childguard --pdq-rgba build/tests/pdq_rgba [--runs 200] [--side 1000] [--out DIR]
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
  const side = process.argv.includes('--side') ? Number(process.argv[process.argv.indexOf('--side') + 1]) : 1000;
  const res = await page.evaluate(async ([runs, side]) => {
    const core = await import('/ui/selfhash/core.js');
    const w = side, h = side;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = Number((BigInt(i) * 2654435761n) >> 13n & 255n);
    // Instantiates the modules, grows their memory.
    const first = await core.pdqOfRgba(rgba, w, h, 'simd');
    const firstBase = await core.pdqOfRgba(rgba, w, h, 'baseline');
    // performance.now() here is coarsened to 0.1 ms (the page is not cross-origin isolated), so
    // each timed run is a batch of 10 hashes, and its time / 10 is the run's figure.
    const batch = 10;
    const times = [], timesBase = [];
    for (let k = 0; k < runs; k++) {
      let t0 = performance.now();
      for (let b = 0; b < batch; b++) await core.pdqOfRgba(rgba, w, h, 'simd');
      times.push((performance.now() - t0) / batch);
      t0 = performance.now();
      for (let b = 0; b < batch; b++) await core.pdqOfRgba(rgba, w, h, 'baseline');
      timesBase.push((performance.now() - t0) / batch);
    }
    times.sort((a, b) => a - b);
    timesBase.sort((a, b) => a - b);
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
    // The copy into the module's memory alone (part of every hash above).
    const m = await core.core('simd');
    const p = m._malloc(rgba.length);
    const ct = [];
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      m.HEAPU8.set(rgba, p);
      ct.push(performance.now() - t0);
    }
    ct.sort((a, b) => a - b);
    m._free(p);
    return { pdq: first.pdq, median: times[times.length >> 1], min: times[0], variant: core.coreVariant(),
      pdqBase: firstBase.pdq, medianBase: timesBase[timesBase.length >> 1], minBase: timesBase[0],
      decodeMedian: dt[5], copyMedian: ct[ct.length >> 1] };
  }, [runs, side]);
  const size = (f) => statSync(join(opts.cg, '..', '..', 'web', 'selfhash', f)).size;
  const native = execFileSync(pdqRgba, ['--bench', String(side), String(side), String(runs)], { encoding: 'utf8' }).trim();
  console.log(`cghash-simd.wasm: ${size('cghash-simd.wasm')} bytes, cghash.wasm: ${size('cghash.wasm')} bytes; this browser's core: ${res.variant}`);
  console.log(`chromium wasm SIMD:    median ${res.median.toFixed(3)} ms, min ${res.min.toFixed(3)} ms per ${side}x${side} image (${runs} runs of 10) ${res.pdq}`);
  console.log(`chromium wasm no SIMD: median ${res.medianBase.toFixed(3)} ms, min ${res.minBase.toFixed(3)} ms per ${side}x${side} image (${runs} runs of 10) ${res.pdqBase}`);
  console.log(`  of which the copy of the RGBA into the module's memory: median ${res.copyMedian.toFixed(3)} ms`);
  console.log(`chromium decode of a ${side}x${side} PNG (createImageBitmap + canvas): median ${res.decodeMedian.toFixed(2)} ms`);
  console.log(`native (one thread): ${native.replace('\n', '\n  ')}`);
  console.log(`load average: ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await browser.close();
  await srv.stop();
}
