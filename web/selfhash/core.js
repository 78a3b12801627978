// The self-hashing core of the page, all in the browser: decode the picked file
// (createImageBitmap + canvas), PDQ through the project's own C compiled to WebAssembly (built
// by `make`: cmake/web.cmake), SHA-256 through WebCrypto and MD5 through the npm spark-md5
// module (vendor/spark-md5.min.js, loaded by the page). Nothing here makes a network request
// with the file or its pixels.
//
// Two builds of the same C: cghash-simd.mjs / .wasm (WebAssembly SIMD, 128-bit lanes: about
// a third faster) and cghash.mjs / .wasm (no SIMD, for browsers without it: older phones). The
// page loads the SIMD one only when the browser validates a tiny SIMD module; both give
// bit-identical hashes (the proof test hashes every vector image with both).
import { jpegOrientation, unorient } from './exif.js';

// A module of one function returning v128.const 0: valid only where WebAssembly SIMD is.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);

// 'simd' when this browser runs WebAssembly SIMD, else 'baseline'.
export function coreVariant() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE) ? 'simd' : 'baseline';
  } catch {
    return 'baseline';
  }
}

const cores = new Map();
// The module instance of a variant ('simd' or 'baseline'; by default the one this browser runs).
export function core(variant = coreVariant()) {
  if (variant !== 'simd' && variant !== 'baseline') throw new Error('unknown core ' + variant);
  if (!cores.has(variant)) {
    const url = variant === 'simd' ? './cghash-simd.mjs' : './cghash.mjs';
    cores.set(variant, import(url).then((m) => m.default()));
  }
  return cores.get(variant);
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// The pixels of an image file as the library decodes them: {width, height, rgba}. The browser
// applies a JPEG's EXIF orientation when it decodes; the library never does (it hashes the
// stored pixels), so the orientation is undone here (exif.js).
export async function decode(blob) {
  const orientation = jpegOrientation(await blob.slice(0, 256 * 1024).arrayBuffer());
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const { ctx, width, height } = unorient(bmp, orientation);
    const data = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
    return { width, height, rgba: data, orientation };
  } finally {
    bmp.close();
  }
}

// PDQ of RGBA pixels through the WebAssembly core (variant: as core()): {pdq, quality}.
export async function pdqOfRgba(rgba, width, height, variant) {
  const m = await core(variant);
  const n = width * height * 4;
  const px = m._malloc(n);
  const out = m._malloc(72);
  if (px === 0 || out === 0) {
    m._free(px);
    m._free(out);
    throw new Error('out of memory');
  }
  try {
    m.HEAPU8.set(rgba.subarray ? rgba.subarray(0, n) : rgba, px);
    const rc = m._cgw_hash_rgba(px, width, height, out, out + 68);
    if (rc !== 0) throw new Error('PDQ failed (' + rc + ')');
    const heap = m.HEAPU8;
    const pdq = new TextDecoder().decode(heap.subarray(out, out + 64));
    const quality = new Int32Array(heap.buffer, out + 68, 1)[0];
    return { pdq, quality };
  } finally {
    m._free(px);
    m._free(out);
  }
}

// MD5 and SHA-256 of the file's bytes.
export async function digests(buf) {
  const sha = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  // eslint-disable-next-line no-undef
  const md5 = SparkMD5.ArrayBuffer.hash(buf);
  return { md5, sha256: hex(sha) };
}

// Everything the page shows for one file: {name, width, height, pdq, quality, md5, sha256}.
export async function hashFile(file) {
  const buf = await file.arrayBuffer();
  const { md5, sha256 } = await digests(buf);
  const img = await decode(file);
  const { pdq, quality } = await pdqOfRgba(img.rgba, img.width, img.height);
  return { name: file.name, width: img.width, height: img.height, pdq, quality, md5, sha256 };
}
