// The review console: the queue, one item at a time, previews revealed step by step (each
// step a request the server audits), decisions with a reason, report drafts, a break reminder.
// The API key lives in memory and sessionStorage (this tab only), never in an address or in
// localStorage.
import { setupLangSwitch } from '../common/i18n.js';
import { strings } from './strings.js';
import { renderExcerpt } from './excerpt.js';

const BREAK_AFTER = Number(new URLSearchParams(location.search).get('break_after')) || 10;
let lang = 'en';
let key = sessionStorage.getItem('cg-review-key') || '';
let holder = '';
let items = [];
let current = null; // {item, verdict}
let level = 0;
let decisions = 0;
let lastExcerpt = null; // the excerpt shown, to redraw it in the other language

const $ = (id) => document.getElementById(id);
const S = () => strings[lang];
const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

async function api(method, path, body) {
  const r = await fetch(path, {
    method,
    headers: { Authorization: 'Bearer ' + key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  return r;
}

async function json(r) {
  try { return await r.json(); } catch { return null; }
}

// ---- sign-in
async function signIn(k) {
  key = k;
  const r = await api('GET', '/v1/review?limit=1');
  if (!r.ok) {
    key = '';
    sessionStorage.removeItem('cg-review-key');
    $('signin-error').textContent = S().signin_failed;
    return;
  }
  sessionStorage.setItem('cg-review-key', key);
  $('key').value = '';
  $('signin').hidden = true;
  $('console').hidden = false;
  // The holder is the reviewer; a claim answers with it. Until then, say the key id only.
  holder = key.split('_')[1] ? 'key ' + key.split('_')[1] : '';
  $('who').textContent = S().signed_in_as(holder);
  loadBanks();
  await loadQueue();
}

function signOut() {
  key = '';
  sessionStorage.removeItem('cg-review-key');
  location.reload();
}

async function loadBanks() {
  const r = await api('GET', '/c/banks');
  if (!r.ok) return;
  const banks = await json(r);
  $('bank-list').replaceChildren(...(banks || []).map((b) => el('option', { value: b.name }, `${b.name} (${b.kind}, ${b.label})`)));
}

// ---- queue
function age(created) {
  const s = Math.max(0, Math.floor(Date.now() / 1000) - created);
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

async function loadQueue() {
  const q = new URLSearchParams();
  if ($('f-state').value) q.set('state', $('f-state').value);
  if ($('f-label').value.trim()) q.set('label', $('f-label').value.trim());
  q.set('limit', '200');
  const r = await api('GET', '/v1/review?' + q);
  const j = await json(r);
  if (!r.ok || !j) return;
  items = j.items;
  $('counts').textContent = S().counts(j.counts);
  const tb = $('queue').querySelector('tbody');
  tb.replaceChildren();
  if (items.length === 0) {
    const tr = el('tr');
    tr.append(el('td', { colspan: '7' }, S().empty));
    tb.append(tr);
  }
  for (const it of items) {
    const tr = el('tr', { 'data-id': String(it.id), 'aria-selected': current && current.item.id === it.id ? 'true' : 'false' });
    const link = el('a', { href: '#item-' + it.id }, String(it.id));
    link.addEventListener('click', (e) => { e.preventDefault(); openItem(it.id); });
    const td = el('td');
    td.append(link);
    tr.append(td, el('td', {}, String(it.priority)), el('td', {}, age(it.created)), el('td', {}, it.label),
      el('td', {}, it.kind), el('td', {}, it.state), el('td', {}, it.reviewer || '—'));
    tr.addEventListener('click', () => openItem(it.id));
    tb.append(tr);
  }
}

// ---- one item
// The conversation excerpt (text items, text quarantine only): hidden until asked for, fetched
// once per showing (each fetch audited by the server), dropped when the item changes.
function clearExcerpt() {
  lastExcerpt = null;
  $('excerpt').replaceChildren();
  $('excerpt').hidden = true;
  $('show-excerpt').setAttribute('aria-expanded', 'false');
  $('show-excerpt').textContent = S().show_excerpt;
  $('excerpt-note').textContent = S().excerpt_hidden;
}

async function toggleExcerpt() {
  if (!current || $('excerpt-section').hidden) return;
  if (!$('excerpt').hidden) {
    clearExcerpt();
    return;
  }
  if (current.item.state !== 'claimed') {
    $('excerpt-note').textContent = S().excerpt_claim;
    return;
  }
  const r = await api('GET', `/v1/review/${current.item.id}/excerpt`);
  const j = await json(r);
  if (!r.ok || !j) {
    $('excerpt-note').textContent = r.status === 404 ? S().excerpt_none : S().failed((j && j.message) || r.status);
    return;
  }
  lastExcerpt = j;
  renderExcerpt($('excerpt'), j, S());
  $('excerpt').hidden = false;
  $('show-excerpt').setAttribute('aria-expanded', 'true');
  $('show-excerpt').textContent = S().hide_excerpt;
  $('excerpt-note').textContent = S().excerpt_shown;
}

function clearPreview() {
  level = 0;
  const c = $('preview');
  c.hidden = true;
  c.width = 1;
  c.height = 1;
  $('reveal-level').textContent = '';
}

function renderEvidence(item, v) {
  const box = $('evidence');
  box.replaceChildren();
  if (v && v.kind === 'selfhash') box.append(el('p', {}, S().selfhash_note(v)));
  const matches = (v && v.matches) || [];
  if (matches.length === 0) box.append(el('p', {}, S().no_matches));
  else {
    const t = el('table');
    const head = el('tr');
    for (const h of [S().m_bank, S().m_label, S().m_type, S().m_distance]) head.append(el('th', { scope: 'col' }, h));
    t.append(el('thead'), el('tbody'));
    t.tHead.append(head);
    for (const m of matches) {
      const tr = el('tr');
      tr.append(el('td', {}, m.bank), el('td', {}, m.label), el('td', {}, m.signal_type), el('td', {}, m.distance === undefined ? '—' : String(m.distance)));
      t.tBodies[0].append(tr);
    }
    box.append(t);
  }
  const text = v && v.text;
  if (text && text.risk) {
    box.append(el('h4', {}, S().risks));
    const ul = el('ul');
    for (const [h, x] of Object.entries(text.risk)) if (x > 0) ul.append(el('li', {}, `${h}: ${x}`));
    box.append(ul);
    if (Array.isArray(text.evidence) && text.evidence.length) {
      box.append(el('p', {}, S().excerpt_note));
      const ev = el('ul');
      for (const e of text.evidence) ev.append(el('li', {}, `#${e.message_id} ${e.harm}/${e.facet} [${e.start}–${e.end}] ${e.cue} (${e.weight})`));
      box.append(ev);
    }
  }
  if (v && v.nudity && v.nudity.scores) {
    box.append(el('p', {}, 'nudity: ' + Object.entries(v.nudity.scores).map(([k, x]) => `${k} ${x}`).join(', ')));
  }
}

async function openItem(id) {
  const r = await api('GET', '/v1/review/' + id);
  const j = await json(r);
  if (!r.ok || !j) return;
  const { verdict, ...item } = j;
  current = { item, verdict };
  clearPreview();
  clearExcerpt();
  $('excerpt-section').hidden = !(item.kind === 'message' || (verdict && verdict.text));
  $('item').hidden = false;
  $('item-h').textContent = S().item_h(item);
  $('item-reason').textContent = item.reason;
  $('preview-note').textContent = item.has_preview ? S().preview_hidden : S().preview_none;
  $('reveal').disabled = !item.has_preview;
  renderEvidence(item, verdict);
  $('decide-result').textContent = '';
  $('decide-result').dataset.state = '';
  $('report-result').textContent = '';
  $('note').value = '';
  $('bank').value = '';
  for (const tr of $('queue').querySelectorAll('tbody tr')) tr.setAttribute('aria-selected', tr.dataset.id === String(id) ? 'true' : 'false');
}

async function claim() {
  if (!current) return;
  const r = await api('POST', `/v1/review/${current.item.id}/claim`, {});
  const j = await json(r);
  if (r.ok && j) {
    holder = j.reviewer;
    $('who').textContent = S().signed_in_as(holder);
    current.item = j;
    $('decide-result').textContent = '';
  } else $('decide-result').textContent = S().failed((j && j.message) || r.status);
  await loadQueue();
}

async function release() {
  if (!current) return;
  clearPreview();
  clearExcerpt();
  const r = await api('POST', `/v1/review/${current.item.id}/release`, {});
  const j = await json(r);
  if (!r.ok) $('decide-result').textContent = S().failed((j && j.message) || r.status);
  else current.item = j;
  await loadQueue();
}

// Shows a PGM (P5) on the canvas: the console never turns it into colour or enlarges it.
function drawPgm(buf) {
  const b = new Uint8Array(buf);
  let p = 2;
  const nums = [];
  while (nums.length < 3) {
    while (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09) p++;
    let n = 0;
    while (b[p] >= 0x30 && b[p] <= 0x39) n = n * 10 + (b[p++] - 0x30);
    nums.push(n);
  }
  p++;
  const [w, h] = nums;
  const c = $('preview');
  c.width = w;
  c.height = h;
  const img = c.getContext('2d').createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const g = b[p + i];
    img.data[4 * i] = g; img.data[4 * i + 1] = g; img.data[4 * i + 2] = g; img.data[4 * i + 3] = 255;
  }
  c.getContext('2d').putImageData(img, 0, 0);
  c.hidden = false;
}

async function reveal() {
  if (!current || !current.item.has_preview || level >= 3) return;
  if (current.item.state !== 'claimed') {
    $('reveal-level').textContent = S().reveal_claim;
    return;
  }
  const r = await api('GET', `/v1/review/${current.item.id}/reveal?level=${level + 1}`);
  if (!r.ok) {
    const j = await json(r);
    $('reveal-level').textContent = S().failed((j && j.message) || r.status);
    return;
  }
  level++;
  drawPgm(await r.arrayBuffer());
  $('preview-note').textContent = '';
  $('reveal-level').textContent = S().level(level);
  $('preview').dataset.level = String(level);
}

async function decide(state) {
  if (!current) return;
  const body = { state, note: $('note').value };
  // A bank is fed only by a confirmation (block bank) or a false positive (allow bank).
  if ($('bank').value.trim() && state !== 'escalated') body.bank = $('bank').value.trim();
  const r = await api('POST', `/v1/review/${current.item.id}/decide`, body);
  const j = await json(r);
  if (!r.ok || !j) {
    $('decide-result').textContent = S().failed((j && j.message) || r.status);
    return;
  }
  current.item = j;
  clearPreview();
  clearExcerpt();
  // A proposal leaves the item pending (or escalated) with "proposal" set; a decision that took
  // effect has its final state (a confirmed proposal still lists who proposed it).
  const isProposal = Boolean(j.proposal) && (j.state === 'pending' || j.state === 'escalated');
  $('decide-result').textContent = isProposal ? S().proposal : S().decided(j.state);
  $('decide-result').dataset.state = isProposal ? 'proposal' : j.state;
  $('note').value = '';
  $('bank').value = '';
  decisions++;
  if (decisions % BREAK_AFTER === 0) showBreak();
  await loadQueue();
}

function showBreak() {
  $('break').hidden = false;
  $('break-ok').focus();
}

async function report(format) {
  if (!current) return;
  const r = await api('GET', `/v1/review/${current.item.id}/report?format=${format}`);
  if (!r.ok) {
    const j = await json(r);
    $('report-result').textContent = S().failed((j && j.message) || r.status);
    return;
  }
  const blob = await r.blob();
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: `childguard-item-${current.item.id}.${format === 'json' ? 'json' : 'xml'}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  $('report-result').textContent = S().report_ready(format);
}

function move(delta) {
  if (items.length === 0) return;
  const i = current ? items.findIndex((it) => it.id === current.item.id) : -1;
  const next = items[Math.min(items.length - 1, Math.max(0, i + delta))];
  if (next) openItem(next.id);
}

function onKey(e) {
  if ($('console').hidden || !$('break').hidden) return;
  const t = e.target;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const actions = { j: () => move(1), k: () => move(-1), c: claim, r: release, v: reveal, x: toggleExcerpt,
    1: () => decide('confirmed'), 2: () => decide('false_positive'), 3: () => decide('escalated') };
  const f = actions[e.key];
  if (f) {
    e.preventDefault();
    f();
  }
}

setupLangSwitch(strings, (l) => {
  lang = l;
  if (holder) $('who').textContent = S().signed_in_as(holder);
  if (current) $('item-h').textContent = S().item_h(current.item);
  if (level > 0) $('reveal-level').textContent = S().level(level);
  $('show-excerpt').textContent = $('excerpt').hidden ? S().show_excerpt : S().hide_excerpt;
  $('excerpt-note').textContent = $('excerpt').hidden ? S().excerpt_hidden : S().excerpt_shown;
  if (lastExcerpt && !$('excerpt').hidden) renderExcerpt($('excerpt'), lastExcerpt, S());
});
$('signin-form').addEventListener('submit', (e) => { e.preventDefault(); signIn($('key').value.trim()); });
$('signout').addEventListener('click', signOut);
$('filters').addEventListener('submit', (e) => { e.preventDefault(); loadQueue(); });
$('claim').addEventListener('click', claim);
$('release').addEventListener('click', release);
$('reveal').addEventListener('click', reveal);
$('show-excerpt').addEventListener('click', toggleExcerpt);
$('d-confirm').addEventListener('click', () => decide('confirmed'));
$('d-fp').addEventListener('click', () => decide('false_positive'));
$('d-escalate').addEventListener('click', () => decide('escalated'));
$('r-json').addEventListener('click', () => report('json'));
$('r-xml').addEventListener('click', () => report('ncmec-xml'));
$('break-ok').addEventListener('click', () => { $('break').hidden = true; $('main').focus(); });
document.addEventListener('keydown', onKey);
if (key) signIn(key);
