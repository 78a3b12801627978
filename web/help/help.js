// The help page: its frame in strings.js, its advice and help lines from the engine's guidance
// catalogue (GET /ui/guidance.json, programs/serve/routes_ui.c), so that the page and the
// verdicts never disagree.
import { setupLangSwitch } from '../common/i18n.js';
import { strings, topicInfo } from './strings.js';

let guidance = null;
let lang = 'en';

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function render() {
  const s = strings[lang];
  const now = document.getElementById('now-list');
  now.replaceChildren(...s.now.map((t) => el('li', {}, t)));
  if (guidance === null) return;
  const topics = document.getElementById('topics');
  const toc = document.getElementById('toc');
  topics.replaceChildren();
  toc.replaceChildren();
  const allLines = [];
  for (const [name, info] of Object.entries(topicInfo)) {
    const g = guidance.topics[name];
    if (!g) continue;
    const id = 'topic-' + name;
    const li = el('li');
    li.append(el('a', { href: '#' + id }, info[lang].title));
    toc.append(li);
    const sec = el('section', { 'aria-labelledby': id, class: 'card' });
    sec.append(el('h3', { id }, info[lang].title));
    sec.append(el('p', {}, info[lang].looks));
    for (const [aud, label] of [['recipient', s.aud_recipient], ['sender', s.aud_sender], ['guardian', s.aud_guardian]]) {
      const t = g[aud] && g[aud][lang];
      if (!t || !t.text) continue;
      sec.append(el('h4', {}, label));
      sec.append(el('p', { 'data-audience': aud }, t.text));
      if (aud === 'sender') sec.append(el('p', {}, s.not_too_late));
      for (const line of t.help) if (!allLines.includes(line)) allLines.push(line);
    }
    const lines = (g.recipient && g.recipient[lang] && g.recipient[lang].help) || [];
    if (lines.length) {
      sec.append(el('h4', {}, s.who_helps));
      const ul = el('ul', { class: 'help-lines' });
      for (const line of lines) ul.append(el('li', {}, line));
      sec.append(ul);
    }
    topics.append(sec);
  }
  const lines = document.getElementById('lines');
  lines.replaceChildren(...allLines.map((t) => el('li', {}, t)));
  document.getElementById('lines-country').textContent = s.lines_for(guidance.country);
}

async function load() {
  try {
    const r = await fetch('/ui/guidance.json');
    if (!r.ok) throw new Error(String(r.status));
    guidance = await r.json();
  } catch (e) {
    document.getElementById('topics').replaceChildren(el('p', { class: 'error', role: 'alert' }, strings[lang].load_failed));
    return;
  }
  render();
}

setupLangSwitch(strings, (l) => { lang = l; render(); });
load();
