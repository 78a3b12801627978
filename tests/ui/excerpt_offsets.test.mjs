// The review console's excerpt splitting (web/review/excerpt.js) without a browser: the engine's
// span offsets are UTF-8 bytes, JavaScript strings count UTF-16 code units; the pieces must be
// exactly the evidence words on synthetic Vietnamese text with diacritics and emoji (a letter
// with two diacritics is 3 bytes and 1 code unit, an emoji 4 bytes and 2 code units).
import { readFileSync } from 'node:fs';
import { run, check } from './harness.mjs';

// The page's module as the browser loads it (web/ has no package.json saying "module", so Node
// would read a .js file as CommonJS: load its text as an ES module instead).
const src = readFileSync(new URL('../../web/review/excerpt.js', import.meta.url), 'utf8');
const { segments } = await import('data:text/javascript,' + encodeURIComponent(src));

const bytesOf = (s) => Buffer.byteLength(s, 'utf8');
// A span over `word` in `text` (its first occurrence), in UTF-8 bytes.
const span = (text, word, harm = 'grooming') => {
  const start = bytesOf(text.slice(0, text.indexOf(word)));
  return { start, end: start + bytesOf(word), harm, cue: 'test.cue' };
};
const marked = (segs) => segs.filter((s) => s.spans.length > 0).map((s) => s.text);

run(async () => {
  const t1 = 'Bạn ơi 😊 mình gặp nhau nhé? 🙈 đừng nói với bố mẹ';
  let segs = segments(t1, [span(t1, 'gặp nhau'), span(t1, 'đừng nói với bố mẹ')]);
  check('diacritics and emoji before a span: the marked words are exact', JSON.stringify(marked(segs)) === JSON.stringify(['gặp nhau', 'đừng nói với bố mẹ']), JSON.stringify(marked(segs)));
  check('the pieces put back together are the text', segs.map((s) => s.text).join('') === t1);
  check('the byte and UTF-16 offsets differ here (the test can fail)', bytesOf(t1.slice(0, t1.indexOf('gặp'))) !== t1.indexOf('gặp'));

  const t2 = '👨‍👩‍👧 ấy ơi';
  segs = segments(t2, [span(t2, '👨‍👩‍👧', 'bullying'), span(t2, 'ấy')]);
  check('a span over a joined emoji sequence, then one after it', JSON.stringify(marked(segs)) === JSON.stringify(['👨‍👩‍👧', 'ấy']), JSON.stringify(marked(segs)));

  // Overlapping spans: the overlap carries both harms.
  const t3 = 'đừng nói với ai nhé';
  const a = span(t3, 'đừng nói với', 'grooming');
  const b = span(t3, 'với ai', 'sextortion');
  segs = segments(t3, [a, b]);
  const both = segs.find((s) => s.spans.length === 2);
  check('overlapping spans: the shared words carry both harms', both && both.text === 'với' && both.spans.map((s) => s.harm).sort().join() === 'grooming,sextortion', JSON.stringify(segs));

  // Hostile offsets from a server that lies: clipped and snapped, never broken characters.
  segs = segments('ấy', [{ start: 1, end: 99, harm: 'grooming' }, { start: -5, end: 0, harm: 'x' }, { start: 'x', end: null, harm: 'y' }]);
  check('offsets inside a character or past the end never split it', segs.every((s) => !s.text.includes('\uFFFD')) && segs.map((s) => s.text).join('') === 'ấy', JSON.stringify(segs));
  check('no spans: one plain piece', JSON.stringify(segments('xin chào', [])) === JSON.stringify([{ text: 'xin chào', spans: [] }]));
});
