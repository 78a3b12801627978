#!/usr/bin/env node
// Converts the MobileNetV2 weights that the npm package nsfwjs 4.4.0 ships into childguard's own
// model file (docs/vision.md, "The model file"). Run by scripts/install-deps.sh's npm set-up or
// by hand:
//
//   node tools/vision/convert-nsfwjs.mjs OUT.cgvm
//
// nsfwjs keeps model.json as a JavaScript object literal inside a browserify bundle
// (dist/models/mobilenet_v2/model.min.js) and each weight shard as one base64 string
// (group1-shardNofM.min.js); both are CommonJS modules, so require() reads them without
// evaluating anything but the package's own files. The shards are joined in manifest order and
// every tensor is kept exactly as shipped: uint8 values with the tensor's (min, scale), so the
// C loader reproduces tfjs's dequantisation, float32(q * scale + min) computed in double.
//
// Before writing anything the topology is checked against the architecture the C code
// implements (src/vision/net.c); any difference is an error, never a silently different model.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);

function die(msg) {
    process.stderr.write(`convert-nsfwjs: ${msg}\n`);
    process.exit(1);
}

const out = process.argv[2];
if (!out || process.argv.length !== 3)
    die('usage: node tools/vision/convert-nsfwjs.mjs OUT.cgvm');

// The package's exports hide package.json: its main (dist/cjs/index.js) is two levels below.
const pkgDir = path.resolve(path.dirname(require.resolve('nsfwjs')), '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
if (pkg.version !== '4.4.0')
    die(`nsfwjs ${pkg.version} is installed; this converter was checked against 4.4.0`);
const modelDir = path.join(pkgDir, 'dist', 'models', 'mobilenet_v2');
const model = require(path.join(modelDir, 'model.min.js'));
if (!model || !model.modelTopology || !Array.isArray(model.weightsManifest))
    die(`${modelDir}/model.min.js holds no modelTopology/weightsManifest`);

// ---- The architecture the C code implements: Keras MobileNetV2, width 1.0, 224x224x3. ----
const BLOCKS = [ // t, c, n, s
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
    [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

function expectedLayers() {
    const L = [];
    const conv = (name, filters, k, s, padding) =>
        L.push({ cls: 'Conv2D', name, filters, kernel_size: [k, k], strides: [s, s], padding,
            use_bias: false });
    const dw = (name, s, padding) =>
        L.push({ cls: 'DepthwiseConv2D', name, kernel_size: [3, 3], strides: [s, s], padding,
            use_bias: false });
    const bn = (name) => L.push({ cls: 'BatchNormalization', name, epsilon: 0.001 });
    const relu = (name) => L.push({ cls: 'ReLU', name, max_value: 6 });
    const pad = (name) => L.push({ cls: 'ZeroPadding2D', name, padding: [[0, 1], [0, 1]] });
    L.push({ cls: 'InputLayer', name: 'input_1', batch_input_shape: [null, 224, 224, 3] });
    pad('Conv1_pad');
    conv('Conv1', 32, 3, 2, 'valid');
    bn('bn_Conv1');
    relu('Conv1_relu');
    let cin = 32;
    let id = 0;
    for (const [t, c, n, s0] of BLOCKS) {
        for (let i = 0; i < n; i++) {
            const s = i === 0 ? s0 : 1;
            const p = id === 0 ? 'expanded_conv_' : `block_${id}_`;
            if (id !== 0) {
                conv(`${p}expand`, cin * t, 1, 1, 'same');
                bn(`${p}expand_BN`);
                relu(`${p}expand_relu`);
            }
            if (s === 2)
                pad(`${p}pad`);
            dw(`${p}depthwise`, s, s === 2 ? 'valid' : 'same');
            bn(`${p}depthwise_BN`);
            relu(`${p}depthwise_relu`);
            conv(`${p}project`, c, 1, 1, 'same');
            bn(`${p}project_BN`);
            if (cin === c && s === 1)
                L.push({ cls: 'Add', name: `${p}add` });
            cin = c;
            id++;
        }
    }
    conv('Conv_1', 1280, 1, 1, 'valid');
    bn('Conv_1_bn');
    relu('out_relu');
    L.push({ cls: 'AveragePooling2D', name: 'average_pooling2d_1', pool_size: [7, 7],
        strides: [7, 7], padding: 'valid' });
    L.push({ cls: 'Flatten', name: 'flatten_1' });
    L.push({ cls: 'Dense', name: 'dense_1', units: 256, activation: 'relu', use_bias: true });
    L.push({ cls: 'Dropout', name: 'dropout_2' });
    L.push({ cls: 'Dense', name: 'dense_2', units: 128, activation: 'relu', use_bias: true });
    L.push({ cls: 'Dropout', name: 'dropout_3' });
    L.push({ cls: 'Dense', name: 'dense_3', units: 5, activation: 'softmax', use_bias: true });
    return L;
}

const layers = model.modelTopology.model_config?.config?.layers;
if (!Array.isArray(layers))
    die('model.min.js: modelTopology.model_config.config.layers is missing');
const want = expectedLayers();
if (layers.length !== want.length)
    die(`the model has ${layers.length} layers, the C architecture ${want.length}`);
for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = layers[i];
    if (g.class_name !== w.cls || g.name !== w.name)
        die(`layer ${i}: ${g.class_name} ${g.name}, expected ${w.cls} ${w.name}`);
    for (const k of Object.keys(w)) {
        if (k === 'cls' || k === 'name')
            continue;
        if (JSON.stringify(g.config[k]) !== JSON.stringify(w[k]))
            die(`layer ${w.name}: ${k} is ${JSON.stringify(g.config[k])}, expected ` +
                JSON.stringify(w[k]));
    }
    if (g.config.data_format !== undefined && g.config.data_format !== 'channels_last')
        die(`layer ${w.name}: data_format ${g.config.data_format}`);
    if (g.config.dilation_rate !== undefined && JSON.stringify(g.config.dilation_rate) !== '[1,1]')
        die(`layer ${w.name}: dilation ${g.config.dilation_rate}`);
    if (g.config.activation !== undefined && w.cls !== 'Dense' && g.config.activation !== 'linear')
        die(`layer ${w.name}: activation ${g.config.activation}`);
    if (w.cls === 'BatchNormalization' && (g.config.center !== true || g.config.scale !== true))
        die(`layer ${w.name}: center/scale off`);
}

// ---- Weights: the shards joined in manifest order, each tensor sliced by its byte size. ----
const specs = [];
const shards = [];
for (const group of model.weightsManifest) {
    for (const p of group.paths) {
        const b64 = require(path.join(modelDir, `${p}.min.js`));
        if (typeof b64 !== 'string')
            die(`${p}.min.js does not export a base64 string`);
        shards.push(Buffer.from(b64, 'base64'));
    }
    specs.push(...group.weights);
}
const blob = Buffer.concat(shards);
let off = 0;
const tensors = [];
let params = 0;
for (const s of specs) {
    const q = s.quantization;
    if (s.dtype !== 'float32' || !q || q.dtype !== 'uint8' || typeof q.min !== 'number' ||
        typeof q.scale !== 'number')
        die(`tensor ${s.name}: not a uint8-quantised float32 tensor`);
    const count = s.shape.reduce((a, b) => a * b, 1);
    if (off + count > blob.length)
        die(`tensor ${s.name}: the shards end before its data`);
    tensors.push({ name: s.name, shape: s.shape, min: q.min, scale: q.scale,
        data: blob.subarray(off, off + count) });
    off += count;
    params += count;
}
if (off !== blob.length)
    die(`the shards hold ${blob.length - off} bytes after the last tensor`);
tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

// ---- The file: a 64-byte header, then the payload that its SHA-256 covers. ----
const meta = [
    'model=nsfwjs-mobilenet_v2',
    `source=npm nsfwjs@${pkg.version} dist/models/mobilenet_v2 (MIT, see LICENSE.nsfwjs)`,
    'input=224x224x3 rgb/255 bilinear align-corners',
    'classes=Drawing,Hentai,Neutral,Porn,Sexy',
    `tensors=${tensors.length}`,
    `parameters=${params}`,
    '',
].join('\n');
const parts = [];
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
const metaBuf = Buffer.from(meta, 'utf8');
parts.push(u32(metaBuf.length), metaBuf);
for (const t of tensors) {
    const name = Buffer.from(t.name, 'utf8');
    const h = Buffer.alloc(2 + name.length + 2 + 4 * t.shape.length + 16);
    let o = h.writeUInt16LE(name.length, 0);
    o += name.copy(h, o);
    o = h.writeUInt8(1, o);                 // 1: uint8 values, affine (min, scale)
    o = h.writeUInt8(t.shape.length, o);
    for (const d of t.shape)
        o = h.writeUInt32LE(d, o);
    o = h.writeDoubleLE(t.min, o);
    h.writeDoubleLE(t.scale, o);
    parts.push(h, t.data);
}
const payload = Buffer.concat(parts);
const header = Buffer.alloc(64);
header.write('CGVMODEL', 0, 'latin1');
header.writeUInt32LE(1, 8);                 // format version
header.writeUInt32LE(64, 12);               // header size
header.writeBigUInt64LE(BigInt(payload.length), 16);
createHash('sha256').update(payload).digest().copy(header, 24);
header.writeUInt32LE(tensors.length, 56);
fs.writeFileSync(out + '.tmp', Buffer.concat([header, payload]));
fs.renameSync(out + '.tmp', out);
process.stdout.write(`convert-nsfwjs: ${out}: ${tensors.length} tensors, ${params} parameters, ` +
    `sha256 ${createHash('sha256').update(payload).digest('hex')}\n`);
