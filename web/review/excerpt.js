// The conversation excerpt of a text review item (docs/review.md "Text excerpts"): the messages
// that hold the evidence, with the evidence spans marked. The server gives span offsets in UTF-8
// bytes of each message's text; JavaScript strings count UTF-16 code units, so the text is cut
// by bytes (TextEncoder) and each piece decoded back: a Vietnamese letter with two diacritics is
// 2-3 bytes but one code unit, an emoji 4 bytes but two code units.

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');

// Splits text at the span offsets (UTF-8 bytes). Returns pieces in order:
// {text, spans} where spans lists the spans covering the piece (empty: not evidence).
// Offsets outside the text are clipped; an offset inside a character moves to its end.
export function segments(text, spans) {
  const bytes = enc.encode(text);
  const n = bytes.length;
  const snap = (b) => {
    let x = Math.max(0, Math.min(n, Math.floor(Number(b) || 0)));
    while (x < n && (bytes[x] & 0xc0) === 0x80) x++;
    return x;
  };
  const ok = (spans || []).map((s) => ({ ...s, start: snap(s.start), end: snap(s.end) })).filter((s) => s.end > s.start);
  const cuts = new Set([0, n]);
  for (const s of ok) { cuts.add(s.start); cuts.add(s.end); }
  const at = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < at.length; i++) {
    const a = at[i];
    const b = at[i + 1];
    out.push({ text: dec.decode(bytes.subarray(a, b)), spans: ok.filter((s) => s.start <= a && s.end >= b) });
  }
  return out;
}

// Renders the excerpt into box (a DOM element) with the words in S (the console's strings).
export function renderExcerpt(box, excerpt, S) {
  box.replaceChildren();
  const list = document.createElement('ol');
  list.className = 'excerpt';
  for (const m of excerpt.messages || []) {
    const li = document.createElement('li');
    li.dataset.message = m.id;
    const who = document.createElement('p');
    who.className = 'excerpt-who';
    const when = m.ts_ms ? new Date(m.ts_ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '';
    who.textContent = S.excerpt_from(m.sender || '?', when, m.id);
    const body = document.createElement('p');
    body.className = 'excerpt-text';
    for (const seg of segments(m.text || '', m.spans)) {
      if (seg.spans.length === 0) {
        body.append(document.createTextNode(seg.text));
        continue;
      }
      const harms = [...new Set(seg.spans.map((s) => s.harm))];
      const mark = document.createElement('mark');
      mark.className = 'evidence';
      mark.dataset.harm = harms.join(' ');
      mark.title = seg.spans.map((s) => `${s.harm}${s.cue ? ': ' + s.cue : ''}`).join('; ');
      // Not colour alone: the harm is written in the text, before the words, and read out.
      const tag = document.createElement('span');
      tag.className = 'harm-tag';
      tag.textContent = `[${harms.join(', ')}] `;
      tag.setAttribute('aria-hidden', 'true');
      const hidden = document.createElement('span');
      hidden.className = 'visually-hidden';
      hidden.textContent = S.evidence_start(harms.join(', '));
      const words = document.createElement('span');
      words.className = 'evidence-words';
      words.textContent = seg.text;
      const endHidden = document.createElement('span');
      endHidden.className = 'visually-hidden';
      endHidden.textContent = S.evidence_end;
      mark.append(hidden, tag, words, endHidden);
      body.append(mark);
    }
    if (m.truncated) {
      const t = document.createElement('small');
      t.textContent = ' ' + S.excerpt_truncated;
      body.append(t);
    }
    li.append(who, body);
    list.append(li);
  }
  box.append(list);
}
