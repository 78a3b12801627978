// Language of the web pages: Vietnamese or English. The server already set <html lang> from
// ?lang= or Accept-Language (programs/serve/static.c); the switch changes it in place and keeps
// the choice in the address (?lang=), never in storage.
export function currentLang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'vi' || q === 'en') return q;
  return document.documentElement.lang === 'vi' ? 'vi' : 'en';
}

// Fills every [data-i18n] element's text (and [data-i18n-attr="attr:key"] attributes) from
// strings[lang].
export function applyStrings(strings, lang) {
  const s = strings[lang];
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const v = s[el.dataset.i18n];
    if (v !== undefined) el.textContent = v;
  }
  for (const el of document.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (s[key] !== undefined) el.setAttribute(attr, s[key]);
    }
  }
  if (s.title) document.title = s.title;
  for (const a of document.querySelectorAll('a[data-keep-lang]')) {
    const u = new URL(a.getAttribute('href'), location.href);
    u.searchParams.set('lang', lang);
    a.setAttribute('href', u.pathname + u.search + u.hash);
  }
}

// Wires the language switch button (#lang-switch): it shows the other language's name and,
// when pressed, switches, records ?lang= in the address and calls onChange(lang).
export function setupLangSwitch(strings, onChange) {
  const btn = document.getElementById('lang-switch');
  let lang = currentLang();
  const render = () => {
    const other = lang === 'vi' ? 'en' : 'vi';
    btn.textContent = other === 'vi' ? 'Tiếng Việt' : 'English';
    btn.setAttribute('lang', other);
    btn.setAttribute('aria-label', other === 'vi' ? 'Chuyển sang tiếng Việt' : 'Switch to English');
    applyStrings(strings, lang);
  };
  btn.addEventListener('click', () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    const u = new URL(location.href);
    u.searchParams.set('lang', lang);
    history.replaceState(null, '', u.pathname + u.search + u.hash);
    render();
    onChange(lang);
  });
  render();
  onChange(lang);
  return () => lang;
}
