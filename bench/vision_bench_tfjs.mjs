// The TensorFlow.js side of bench/vision_bench: nsfwjs 4.4.0's MobileNetV2 on tfjs's WebAssembly
// backend (SIMD; one thread) over the same decoded pixels the C side scored, timed per image
// including nsfwjs's preprocessing (/255, resize), as the C figure includes its own.
//
//   node bench/vision_bench_tfjs.mjs LIST [--backend wasm|cpu] [--min-seconds S]
//
// LIST: one binary PPM path a line. Prints one JSON line: backend, simd, threads, images,
// passes, ms_per_image (the mean over whole passes after one warm-up inference).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import * as nsfwjs from 'nsfwjs';

const args = process.argv.slice(2);
let backend = 'wasm';
let minSeconds = 2;
let list = null;
for (let i = 0; i < args.length; i++) {
    if (args[i] === '--backend')
        backend = args[++i];
    else if (args[i] === '--min-seconds')
        minSeconds = Number(args[++i]);
    else
        list = args[i];
}
if (list === null || !['wasm', 'cpu'].includes(backend)) {
    console.error('usage: node vision_bench_tfjs.mjs LIST [--backend wasm|cpu] [--min-seconds S]');
    process.exit(2);
}

function readPPM(p) {
    const b = fs.readFileSync(p);
    const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(b.subarray(0, 64).toString('latin1'));
    if (!m)
        throw new Error(`${p}: not a binary PPM`);
    return { w: Number(m[1]), h: Number(m[2]), px: new Int32Array(b.subarray(m[0].length)) };
}

const require = createRequire(import.meta.url);
if (backend === 'wasm') {
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    wasm.setThreadsCount(1);
}
await tf.setBackend(backend);
await tf.ready();
const info = console.info;
console.info = () => {};
const model = await nsfwjs.load('MobileNetV2');
console.info = info;
const images = fs.readFileSync(list, 'utf8').split('\n').filter((l) => l !== '').map(readPPM);

async function one(im) {
    const t = tf.tensor3d(im.px, [im.h, im.w, 3], 'int32');
    const out = model.infer(t);
    await out.data();
    out.dispose();
    t.dispose();
}
await one(images[0]); // warm-up: kernels compiled, buffers allocated
let passes = 0;
const t0 = process.hrtime.bigint();
let secs = 0;
do {
    for (const im of images)
        await one(im);
    passes++;
    secs = Number(process.hrtime.bigint() - t0) / 1e9;
} while (secs < minSeconds);
const simd = backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : false;
const threads = backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'))
    ? wasm.getThreadsCount() : 1;
console.log(JSON.stringify({ backend: tf.getBackend(), simd, threads, images: images.length,
    passes, ms_per_image: (secs * 1000) / (passes * images.length) }));
