// The self-hashing page: hashes chosen images on the device (core.js) and, only when the
// person presses "Send", posts the hashes (never the image) to POST /v1/selfhash.
import { setupLangSwitch } from '../common/i18n.js';
import { strings } from './strings.js';
import { hashFile } from './core.js';

let lang = 'en';
let results = [];
let guidance = null;
let lastStatus = null; // [key, ...args] of the last message in each live region, to re-render

const $ = (id) => document.getElementById(id);
const S = () => strings[lang];
const say = (id, key, ...a) => {
  const v = S()[key];
  $(id).textContent = typeof v === 'function' ? v(...a) : v;
};

function age() {
  return document.querySelector('input[name="age"]:checked').value;
}

function renderLines() {
  const ul = $('lines');
  ul.replaceChildren();
  if (!guidance) return;
  const a = age();
  const byAge = guidance.help_by_age && guidance.help_by_age.ncii;
  let lines;
  if (a === 'child' || a === 'adult') lines = byAge ? byAge[a][lang] : [];
  else lines = (guidance.topics.ncii && guidance.topics.ncii.recipient[lang].help) || [];
  for (const l of lines) {
    const li = document.createElement('li');
    li.textContent = l;
    ul.append(li);
  }
}

function renderTable() {
  const tb = document.querySelector('#hashes tbody');
  tb.replaceChildren();
  for (const r of results) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = r.name;
    if (r.quality < 50) {
      const w = document.createElement('div');
      w.className = 'error';
      w.textContent = S().low_quality;
      name.append(w);
    }
    tr.append(name);
    for (const v of [r.pdq, r.md5, r.sha256]) {
      const td = document.createElement('td');
      td.className = 'hash';
      td.textContent = v;
      tr.append(td);
    }
    tb.append(tr);
  }
  $('hashes').hidden = results.length === 0;
  $('send').disabled = results.length === 0;
}

async function onFiles() {
  const files = Array.from($('files').files);
  results = [];
  renderTable();
  $('send-result').replaceChildren();
  if (files.length > 5) {
    say('pick-status', 'too_many');
    return;
  }
  say('pick-status', 'hashing', files.length);
  const errors = [];
  for (const f of files) {
    try {
      results.push(await hashFile(f));
    } catch (e) {
      errors.push(S().not_image(f.name));
    }
  }
  renderTable();
  $('pick-status').textContent = [S().hashed(results.length), ...errors].join(' ');
  $('pick-status').dataset.done = String(results.length);
}

async function post(path, body) {
  const r = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  let j = null;
  try { j = await r.json(); } catch { j = null; }
  return { status: r.status, body: j };
}

async function onSend() {
  $('send').disabled = true;
  say('send-result', 'sending');
  const images = results.map((r) => ({ pdq: r.pdq, pdq_quality: r.quality, md5: r.md5, sha256: r.sha256 }));
  let res;
  try {
    res = await post('/v1/selfhash', { images, age: age() });
  } catch {
    res = { status: 0 };
  }
  const out = $('send-result');
  out.replaceChildren();
  if (res.status === 201 && res.body && res.body.case) {
    const p = document.createElement('p');
    p.className = 'ok';
    p.textContent = S().sent;
    const c = document.createElement('p');
    c.textContent = S().case_is + ' ';
    const code = document.createElement('strong');
    code.className = 'hash';
    code.id = 'case-number';
    code.textContent = res.body.case;
    c.append(code);
    out.append(p, c);
    $('case-input').value = res.body.case;
  } else {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = res.status === 429 ? S().rate_limited : S().send_failed;
    out.append(p);
    $('send').disabled = false;
  }
}

async function onCase(withdraw) {
  const c = $('case-input').value.trim();
  const out = $('case-result');
  let res;
  try {
    res = await post(withdraw ? '/v1/selfhash/withdraw' : '/v1/selfhash/status', { case: c });
  } catch {
    res = { status: 0 };
  }
  let key;
  if (res.status === 200 && res.body) key = 'state_' + res.body.state;
  else if (res.status === 404) key = 'case_unknown';
  else if (res.status === 400) key = 'case_bad';
  else if (res.status === 409) key = 'case_busy';
  else if (res.status === 429) key = 'rate_limited';
  else key = 'send_failed';
  lastStatus = key;
  out.textContent = S()[key] || S().send_failed;
  out.dataset.state = res.body && res.body.state ? res.body.state : '';
}

async function loadGuidance() {
  try {
    const r = await fetch('/ui/guidance.json');
    if (r.ok) guidance = await r.json();
  } catch { guidance = null; }
  renderLines();
}

setupLangSwitch(strings, (l) => {
  lang = l;
  renderLines();
  renderTable();
  if (lastStatus) $('case-result').textContent = S()[lastStatus];
});
$('files').addEventListener('change', onFiles);
$('send').addEventListener('click', onSend);
$('case-status').addEventListener('click', () => onCase(false));
$('case-withdraw').addEventListener('click', () => onCase(true));
for (const r of document.querySelectorAll('input[name="age"]')) r.addEventListener('change', renderLines);
loadGuidance();
