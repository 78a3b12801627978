// The EXIF orientation of a JPEG (1-8; 1 when there is none or the file is not a JPEG), read
// from its APP1 "Exif" segment: the TIFF header's byte order, IFD0, tag 0x0112. Only this one
// tag is read; everything is bounds-checked, and anything unexpected means "no orientation".
export function jpegOrientation(buf) {
  const b = new DataView(buf);
  const n = b.byteLength;
  if (n < 4 || b.getUint16(0) !== 0xffd8) return 1;
  let p = 2;
  while (p + 4 <= n) {
    const marker = b.getUint16(p);
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return 1; // start of scan: no EXIF
    const len = b.getUint16(p + 2);
    if (len < 2 || p + 2 + len > n) return 1;
    if (marker === 0xffe1 && len >= 16 && b.getUint32(p + 4) === 0x45786966 && b.getUint16(p + 8) === 0) {
      const t = p + 10; // TIFF header
      const end = p + 2 + len;
      const order = b.getUint16(t);
      if (order !== 0x4949 && order !== 0x4d4d) return 1;
      const le = order === 0x4949;
      if (b.getUint16(t + 2, le) !== 42) return 1;
      const ifd = t + b.getUint32(t + 4, le);
      if (ifd + 2 > end) return 1;
      const count = b.getUint16(ifd, le);
      for (let i = 0; i < count; i++) {
        const e = ifd + 2 + 12 * i;
        if (e + 12 > end) return 1;
        if (b.getUint16(e, le) === 0x0112) {
          const v = b.getUint16(e + 8, le);
          return v >= 1 && v <= 8 ? v : 1;
        }
      }
      return 1;
    }
    p += 2 + len;
  }
  return 1;
}

// Draws bmp (as the browser decoded it, EXIF orientation already applied) onto a new canvas
// with that orientation undone, so the pixels are the file's stored pixels, as the library
// (which never applies EXIF orientation) hashes them. Exact: whole-pixel turns and flips only.
export function unorient(bmp, orientation) {
  const W = bmp.width, H = bmp.height; // as displayed
  const swap = orientation >= 5;
  const w = swap ? H : W, h = swap ? W : H; // as stored
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingEnabled = false;
  // The inverse of each orientation's display transform, mapping displayed (x, y) to stored.
  const m = {
    1: [1, 0, 0, 1, 0, 0],
    2: [-1, 0, 0, 1, w, 0],
    3: [-1, 0, 0, -1, w, h],
    4: [1, 0, 0, -1, 0, h],
    5: [0, 1, 1, 0, 0, 0],
    6: [0, -1, 1, 0, 0, h],
    7: [0, -1, -1, 0, w, h],
    8: [0, 1, -1, 0, w, 0],
  }[orientation] || [1, 0, 0, 1, 0, 0];
  ctx.setTransform(...m);
  ctx.drawImage(bmp, 0, 0);
  return { canvas, ctx, width: w, height: h };
}
