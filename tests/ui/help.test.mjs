// The help page (/ui/help/) in a real browser: the language comes from Accept-Language and
// the switch; the advice shown is the guidance catalogue's own text (data/text/guidance.json,
// the file the engine loads); static serving refuses what it must; axe-core finds no serious
// or critical accessibility violation in either language, on a desktop and a phone viewport.
import { run, check, startServer, launchBrowser, screenshotPath, axeSerious, readFileSync, join } from './harness.mjs';

run(async (opts) => {
  const srv = await startServer(opts);
  const browser = await launchBrowser();
  try {
    const catalogue = JSON.parse(readFileSync(join(opts.src, 'data', 'text', 'guidance.json'), 'utf8'));

    // ---- static serving: what is served and what is refused
    let r = await fetch(srv.base + '/ui/help/');
    check('help page is served without a key', r.status === 200);
    check('pages carry a CSP', (r.headers.get('content-security-policy') || '').includes("script-src 'self'"));
    check('pages say nosniff', r.headers.get('x-content-type-options') === 'nosniff');
    r = await fetch(srv.base + '/ui/help/', { headers: { 'Accept-Language': 'fr-FR, vi;q=0.8, en;q=0.5' } });
    check('Accept-Language preferring vi sets <html lang="vi">', (await r.text()).includes('<html lang="vi"'));
    r = await fetch(srv.base + '/ui/help/?lang=en', { headers: { 'Accept-Language': 'vi' } });
    check('?lang=en wins over Accept-Language', (await r.text()).includes('<html lang="en"'));
    for (const bad of ['/ui/.hidden.html', '/ui/help/..%2f..%2fREADME.md', '/ui/help/index.php', '/ui/%2e%2e/CMakeLists.txt']) {
      r = await fetch(srv.base + bad);
      check(`refused: ${bad}`, r.status === 404, `status ${r.status}`);
    }
    r = await fetch(srv.base + '/ui/help', { redirect: 'manual' });
    check('a directory without its slash redirects', r.status === 308 && r.headers.get('location') === '/ui/help/');

    // ---- the page in Vietnamese (from Accept-Language), then switched to English
    const ctx = await browser.newContext({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(srv.base + '/ui/help/');
    await page.waitForSelector('#topics section');
    check('Vietnamese by Accept-Language', await page.evaluate(() => document.documentElement.lang) === 'vi');
    check('Vietnamese heading', (await page.textContent('h1')).trim() === 'Trợ giúp và hỗ trợ');
    const viRecipient = await page.textContent('#topic-sextortion ~ p[data-audience="recipient"]');
    check('sextortion advice (vi) is the catalogue text',
      viRecipient === catalogue.messages.sextortion.recipient.vi, viRecipient);
    const viLines = await page.$$eval('#lines li', (els) => els.map((e) => e.textContent));
    check('help line 111 (vi) from the catalogue',
      viLines.includes(catalogue.help.VN[0].vi), JSON.stringify(viLines));
    check('"it is not your fault" in the first steps (vi)',
      (await page.textContent('#now-list')).includes('không phải lỗi của em'));
    let serious = await axeSerious(page);
    check('axe: no serious/critical violations (vi)', serious.length === 0, JSON.stringify(serious));
    await page.screenshot({ path: screenshotPath(opts, 'help-vi'), fullPage: true });

    await page.click('#lang-switch');
    check('switch: English', await page.evaluate(() => document.documentElement.lang) === 'en');
    check('switch: English heading', (await page.textContent('h1')).trim() === 'Help and support');
    check('switch: the address keeps ?lang=en', page.url().includes('lang=en'));
    const enSender = await page.textContent('#topic-bullying ~ p[data-audience="sender"]');
    check('bullying advice to the one who did it (en) is the catalogue text',
      enSender === catalogue.messages.bullying.sender.en, enSender);
    check('"not too late to put things right" for the one who did it',
      (await page.textContent('#topic-bullying ~ p[data-audience="sender"] + p')).includes('not too late'));
    const enGuardian = await page.textContent('#topic-grooming ~ p[data-audience="guardian"]');
    check('grooming advice to parents (en) is the catalogue text',
      enGuardian === catalogue.messages.grooming.guardian.en, enGuardian);
    const enLines = await page.$$eval('#lines li', (els) => els.map((e) => e.textContent));
    check('Take It Down and StopNCII lines (en) from the catalogue',
      enLines.some((l) => l.includes('takeitdown.ncmec.org')) && enLines.some((l) => l.includes('stopncii.org')),
      JSON.stringify(enLines));
    serious = await axeSerious(page);
    check('axe: no serious/critical violations (en)', serious.length === 0, JSON.stringify(serious));
    await page.screenshot({ path: screenshotPath(opts, 'help-en'), fullPage: true });

    // Keyboard: on a fresh page the first Tab reaches the skip link, and Enter on it moves to
    // the content.
    const pk = await ctx.newPage();
    await pk.goto(srv.base + '/ui/help/?lang=en');
    await pk.keyboard.press('Tab');
    check('first Tab: the skip link', await pk.evaluate(() => document.activeElement.className) === 'skip');
    await pk.keyboard.press('Enter');
    check('skip link: to the content', pk.url().endsWith('#main'));

    // ---- a phone
    const phone = await browser.newContext({ locale: 'en-GB', viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const p2 = await phone.newPage();
    await p2.goto(srv.base + '/ui/help/');
    await p2.waitForSelector('#topics section');
    const overflow = await p2.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    check('phone: no sideways scrolling', !overflow);
    serious = await axeSerious(p2);
    check('axe: no serious/critical violations (phone)', serious.length === 0, JSON.stringify(serious));
    await p2.screenshot({ path: screenshotPath(opts, 'help-phone'), fullPage: false });

    // ---- the landing page
    const p3 = await ctx.newPage();
    await p3.goto(srv.base + '/ui/');
    serious = await axeSerious(p3);
    check('axe: landing page', serious.length === 0, JSON.stringify(serious));
  } finally {
    await browser.close();
    await srv.stop();
  }
});
