// The equality test of childguard's C classifier against its reference: TensorFlow.js
// (@tensorflow/tfjs, CPU backend: pure JavaScript) running nsfwjs 4.4.0's MobileNetV2 on the
// same decoded pixels. Run by tests/vision/reference.sh, which makes the inputs:
//
//   node tests/vision/reference.mjs LIST C_JSONL [--min-images N] [--tolerance T]
//
// LIST: lines "PPM<TAB>NAME" (the pixels the C side scored, from vision_pixels); C_JSONL: the
// output of `childguard classify --json` on the same files, in the same order. For every image
// the five probabilities are compared; the test fails (exit 1) when any |difference| exceeds T
// (default 1e-4), when fewer than N images (default 30) were compared, or when the C side
// missed a file. Prints one line per image and the maximum difference.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as nsfwjs from 'nsfwjs';

const args = process.argv.slice(2);
let minImages = 30;
let tolerance = 1e-4;
const pos = [];
for (let i = 0; i < args.length; i++) {
    if (args[i] === '--min-images')
        minImages = Number(args[++i]);
    else if (args[i] === '--tolerance')
        tolerance = Number(args[++i]);
    else
        pos.push(args[i]);
}
if (pos.length !== 2 || !(minImages > 0) || !(tolerance > 0)) {
    console.error('usage: node reference.mjs LIST C_JSONL [--min-images N] [--tolerance T]');
    process.exit(2);
}

function readPPM(path) {
    const b = fs.readFileSync(path);
    const head = b.subarray(0, 64).toString('latin1');
    const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(head);
    if (!m)
        throw new Error(`${path}: not a binary PPM`);
    const w = Number(m[1]);
    const h = Number(m[2]);
    const off = m[0].length;
    if (b.length !== off + w * h * 3)
        throw new Error(`${path}: ${b.length - off} bytes of pixels, expected ${w * h * 3}`);
    return tf.tensor3d(new Int32Array(b.subarray(off)), [h, w, 3], 'int32');
}

const list = fs.readFileSync(pos[0], 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => l.split('\t'));
const cLines = fs.readFileSync(pos[1], 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l));
if (cLines.length !== list.length) {
    console.error(`reference: ${list.length} images, but the C side printed ${cLines.length} results`);
    process.exit(1);
}

await tf.setBackend('cpu');
// nsfwjs prints a notice on load; it goes to stderr so stdout stays the report.
const info = console.info;
console.info = (...a) => console.error(...a);
const model = await nsfwjs.load('MobileNetV2');
console.info = info;
const classes = ['drawing', 'hentai', 'neutral', 'porn', 'sexy'];
let worst = 0;
let worstName = '';
let compared = 0;
let failed = 0;
const t0 = Date.now();
for (let i = 0; i < list.length; i++) {
    const [ppm, name] = list[i];
    const c = cLines[i];
    if (c.name !== name || c.error !== undefined || c.scores === undefined) {
        console.log(`FAIL ${name}: the C side gave ${JSON.stringify(c).slice(0, 200)}`);
        failed++;
        continue;
    }
    const img = readPPM(ppm);
    const out = model.infer(img);   // nsfwjs's own preprocessing: /255, resize, then the model
    const p = await out.data();
    out.dispose();
    img.dispose();
    let d = 0;
    for (let k = 0; k < 5; k++)
        d = Math.max(d, Math.abs(p[k] - c.scores[classes[k]]));
    compared++;
    if (d > worst) {
        worst = d;
        worstName = name;
    }
    const ok = d <= tolerance;
    if (!ok)
        failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} max|dp| ${d.toExponential(2)}  tfjs ` +
        `[${Array.from(p).map((v) => v.toFixed(5)).join(' ')}]  ${name}`);
}
const secs = (Date.now() - t0) / 1000;
console.log(`reference: ${compared} images compared with tfjs ${tf.version.tfjs} (backend ` +
    `${tf.getBackend()}, ${(secs / Math.max(compared, 1)).toFixed(2)} s/image), max |dp| ` +
    `${worst.toExponential(3)} (${worstName}), tolerance ${tolerance}`);
if (compared < minImages) {
    console.log(`reference: FAIL: only ${compared} images, at least ${minImages} required`);
    process.exit(1);
}
if (failed > 0) {
    console.log(`reference: FAIL: ${failed} image(s) over the tolerance or missing`);
    process.exit(1);
}
