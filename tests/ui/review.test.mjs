// The review console (/ui/review/) in a real browser against a real server: sign in with a key
// kept only in the tab (never in the address or localStorage), the queue and its counts, claim
// by keyboard, a quarantine preview revealed step by step (each level a request the server
// audits, each less blurred than the one before, none before the claim), the evidence, a
// decision with a reason feeding a bank, a report draft downloaded, the break reminder, the
// two-reviewer rule across two browsers, the route's refusals, axe-core in both languages; a
// text item's conversation excerpt shown only on request after the claim (audited), its
// evidence spans marked with their harm on synthetic Vietnamese text with diacritics and emoji.
import { readFileSync as rf, writeFileSync } from 'node:fs';
import { run, check, startServer, launchBrowser, screenshotPath, axeSerious, join } from './harness.mjs';

run(async (opts) => {
  const srv = await startServer(opts);
  const browser = await launchBrowser();
  try {
    const ana = srv.key('ana-key', 'review,bank:read,bank:write', 'ana');
    const bob = srv.key('bob-key', 'review,bank:read,bank:write', 'bob');
    const hashOnly = srv.key('hash-key', 'hash', 'svc');
    srv.cg('bank', 'create', 'hotline-list', '--label', 'csam', '--kind', 'block');
    srv.cg('bank', 'create', 'fp-allow', '--label', 'csam', '--kind', 'allow');
    const img = join(opts.src, 'tests', 'vectors', 'pdq', 'synthetic', 'images', 'circles300.png');
    const pdq1 = '0f91f26ef26e0f91f26e0d910f910d910d91f26e0d91f26ef26e0f91f26e0d91';
    const pdq3 = 'f0a10ebd41fc3f421053d48d0fffbc72e34e0e17ada952a9d29684210ea9e5af';
    const add = (...a) => srv.cg('review', 'add', ...a);
    add('--content-id', 'sha256:11aa', '--kind', 'image', '--label', 'csam', '--priority', '3',
      '--signal', `pdq:${pdq1}`, '--reason', 'csam-block: match in a block bank labelled "csam" at distance 4',
      '--verdict', JSON.stringify({ matches: [{ bank: 'hotline-list', label: 'csam', kind: 'block', signal_type: 'pdq', distance: 4 }] }),
      '--preview-from', img);
    // Synthetic messages written for tests; the spans are UTF-8 byte offsets, as the engine
    // gives them (the first ones come after diacritics and an emoji).
    const viText = 'Bạn ơi 😊 mình gặp nhau nhé? 🙈 đừng nói với bố mẹ';
    const enText = "let's meet after school";
    const bspan = (text, word, harm, facet, cue) => {
      const start = Buffer.byteLength(text.slice(0, text.indexOf(word)), 'utf8');
      return { start, end: start + Buffer.byteLength(word, 'utf8'), harm, facet, cue };
    };
    const excerptFile = join(srv.dir, 'excerpt.json');
    writeFileSync(excerptFile, JSON.stringify({ version: 1, conversation: 'c1', offsets: 'utf8_bytes', messages: [
      { id: '6', sender: 'stranger', ts_ms: 1772377200000, text: viText, truncated: false,
        spans: [bspan(viText, 'gặp nhau', 'grooming', 'meeting', 'gr.meet.vi'), bspan(viText, 'đừng nói với bố mẹ', 'grooming', 'secrecy', 'gr.secret.vi')] },
      { id: '7', sender: 'stranger', ts_ms: 1772377260000, text: enText, truncated: false,
        spans: [bspan(enText, "let's meet", 'grooming', 'meeting', 'gr.meet.lets_meet.en')] },
    ] }));
    add('--content-id', 'msg:c1/7', '--kind', 'message', '--label', 'grooming', '--priority', '2', '--excerpt', excerptFile,
      '--reason', 'grooming-meeting: a request to meet',
      '--verdict', JSON.stringify({ matches: [], text: { risk: { grooming: 0.81, sextortion: 0 },
        evidence: [{ message_id: '7', harm: 'grooming', facet: 'meeting', cue: 'gr.meet.lets_meet.en', start: 0, end: 10, weight: 0.4, in_this_message: true }] } }));
    add('--content-id', 'sha256:33cc', '--kind', 'image', '--label', 'csam', '--priority', '1',
      '--signal', `pdq:${pdq3}`, '--reason', 'csam-block: a match the reviewer believes is wrong');

    const ctx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    const requests = [];
    ctx.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
    const page = await ctx.newPage();
    await page.goto(srv.base + '/ui/review/?break_after=2');
    await page.fill('#key', ana);
    await page.press('#key', 'Enter');
    await page.waitForSelector('#queue tbody tr[data-id]');
    check('signed in: the queue shows the three items', (await page.$$('#queue tbody tr[data-id]')).length === 3);
    check('counts per state', (await page.textContent('#counts')).includes('Pending 3'));
    check('the key is in sessionStorage only', await page.evaluate(([k]) => sessionStorage.getItem('cg-review-key') === k && localStorage.length === 0, [ana]));
    check('the key is in no address', !requests.some((r) => r.url.includes(ana.split('_')[2])) && !page.url().includes(ana.split('_')[2]));
    const order = await page.$$eval('#queue tbody tr[data-id]', (trs) => trs.map((t) => t.children[1].textContent));
    check('highest priority first', order.join() === '3,2,1', order.join());
    let serious = await axeSerious(page);
    check('axe: queue (en)', serious.length === 0, JSON.stringify(serious));

    // ---- item 1: the preview stays hidden until claimed, then revealed step by step
    await page.click('#queue tbody tr[data-id="1"]');
    await page.waitForSelector('#item:not([hidden])');
    check('evidence: the match with bank, label and distance', (await page.textContent('#evidence')).includes('hotline-list') && (await page.textContent('#evidence')).includes('4'));
    check('preview hidden at first', await page.isHidden('#preview'));
    const revealsBefore = requests.filter((r) => r.url.includes('/reveal')).length;
    await page.keyboard.press('v');
    check('no reveal before the claim', requests.filter((r) => r.url.includes('/reveal')).length === revealsBefore && await page.isHidden('#preview'));
    await page.keyboard.press('c');
    await page.waitForSelector('#queue tbody tr[data-id="1"] >> text=ana');
    check('claimed by keyboard (c)', true);
    const spread = [];
    for (let lv = 1; lv <= 3; lv++) {
      await page.keyboard.press('v');
      await page.waitForSelector(`#preview[data-level="${lv}"]`);
      spread.push(await page.evaluate(() => {
        const c = document.getElementById('preview');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = 0;
        for (let i = 4; i < d.length; i += 4) s += Math.abs(d[i] - d[i - 4]);
        return s / (d.length / 4);
      }));
    }
    check('each level shows more detail than the one before', spread[0] < spread[1] && spread[1] < spread[2], spread.join(' < '));
    check('greyscale by CSS too', await page.$eval('#preview', (c) => getComputedStyle(c).filter.includes('grayscale')));
    check('the preview stays small', await page.$eval('#preview', (c) => c.getBoundingClientRect().width <= 200));
    const reveals = requests.filter((r) => r.url.includes('/reveal'));
    await page.keyboard.press('v');
    check('one request per level, none past level 3', reveals.length === 3 && requests.filter((r) => r.url.includes('/reveal')).length === 3);
    const audit = srv.audit().split('\n').filter((l) => l.includes('review_preview'));
    check('every level audited (who, which item, which level)', [1, 2, 3].every((lv) => audit.some((l) => l.includes(`pgm-level-${lv}`) && l.includes('review:1') && l.includes('(ana)'))), audit.join('\n'));
    await page.screenshot({ path: screenshotPath(opts, 'review-revealed'), fullPage: true });

    // ---- refusals of the reveal route
    const get = (k, p) => fetch(srv.base + p, { headers: { Authorization: 'Bearer ' + k } });
    check('reveal: a key without review scope is 403', (await get(hashOnly, '/v1/review/1/reveal?level=1')).status === 403);
    check('reveal: another reviewer than the claimant is 409', (await get(bob, '/v1/review/1/reveal?level=1')).status === 409);
    check('reveal: no key is 401', (await fetch(srv.base + '/v1/review/1/reveal?level=1')).status === 401);
    check('reveal: a bad level is 400', (await get(ana, '/v1/review/1/reveal?level=9')).status === 400);

    // ---- decide with a reason, feeding the block bank (keyboard: 1)
    await page.fill('#note', 'known image, confirmed against the hotline list');
    await page.fill('#bank', 'hotline-list');
    await page.focus('#item-h');
    await page.keyboard.press('1');
    await page.waitForSelector('#decide-result[data-state="confirmed"]');
    const exp = await (await get(ana, '/v1/banks/hotline-list/export?format=lines')).text();
    check('confirmed into the block bank', exp.includes(pdq1), exp);
    check('the preview is hidden again after deciding', await page.isHidden('#preview'));

    // ---- report draft download
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#r-json')]);
    const draft = JSON.parse(rf(await dl.path(), 'utf8'));
    check('a JSON report draft downloaded', draft.draft === true, JSON.stringify(draft).slice(0, 200));
    check('the draft is audited', srv.audit().includes('report_draft'));

    // ---- item 2 (text): evidence by position, escalate (3)
    await page.click('#queue tbody tr[data-id="2"]');
    await page.waitForSelector('#item-h >> text=grooming');
    check('text evidence shown by position', (await page.textContent('#evidence')).includes('gr.meet.lets_meet.en') && (await page.textContent('#evidence')).includes('grooming: 0.81'));
    check('no preview for a message', await page.isDisabled('#reveal'));
    // The excerpt: hidden at first, refused before the claim (no request), then shown by the
    // keyboard (x), audited, the evidence marked with its harm, hidden again by x.
    check('excerpt hidden at first', await page.isHidden('#excerpt') && await page.isVisible('#show-excerpt'));
    const excerptReqs = () => requests.filter((r) => /\/v1\/review\/\d+\/excerpt$/.test(r.url)).length;
    await page.keyboard.press('x');
    await page.waitForFunction(() => document.getElementById('excerpt-note').textContent.includes('Claim'));
    check('no excerpt before the claim, and no request', excerptReqs() === 0 && await page.isHidden('#excerpt'));
    await page.keyboard.press('c');
    await page.waitForSelector('#queue tbody tr[data-id="2"] >> text=ana');
    await page.keyboard.press('x');
    await page.waitForSelector('#excerpt:not([hidden]) mark.evidence');
    check('one request for the excerpt', excerptReqs() === 1);
    const marks = await page.$$eval('#excerpt mark.evidence', (ms) => ms.map((m) => ({
      words: m.querySelector('.evidence-words').textContent, harm: m.dataset.harm,
      said: m.textContent, tag: m.querySelector('.harm-tag').textContent })));
    check('the evidence spans are marked on exactly their words (UTF-8 offsets after diacritics and emoji)',
      JSON.stringify(marks.map((m) => m.words)) === JSON.stringify(['gặp nhau', 'đừng nói với bố mẹ', "let's meet"]), JSON.stringify(marks));
    check('each mark names its harm in words, not by colour alone', marks.every((m) => m.harm === 'grooming' && m.tag.includes('grooming') && m.said.includes('Evidence (grooming) begins')), JSON.stringify(marks));
    const shownText = await page.$$eval('#excerpt .excerpt-text', (ps) => ps.map((p) => p.querySelector('small') ? '' : p.textContent));
    check('the messages are shown whole, in order', shownText[0].includes('Bạn ơi 😊 mình') && shownText[1].includes('after school'), JSON.stringify(shownText));
    check('the button says the excerpt is open', await page.getAttribute('#show-excerpt', 'aria-expanded') === 'true');
    const exAudit = srv.audit().split('\n').filter((l) => l.includes('review_excerpt'));
    check('the excerpt hand-out is audited (who, which item)', exAudit.length === 1 && exAudit[0].includes('review:2') && exAudit[0].includes('(ana)'), exAudit.join('\n'));
    serious = await axeSerious(page);
    check('axe: excerpt shown (en)', serious.length === 0, JSON.stringify(serious));
    await page.screenshot({ path: screenshotPath(opts, 'review-excerpt'), fullPage: true });
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.getElementById('show-excerpt').textContent.includes('Ẩn'));
    check('vi: the marks speak Vietnamese too', (await page.textContent('#excerpt mark.evidence')).includes('Bằng chứng (grooming) bắt đầu'));
    serious = await axeSerious(page);
    check('axe: excerpt shown (vi)', serious.length === 0, JSON.stringify(serious));
    await page.click('#lang-switch');
    await page.keyboard.press('x');
    check('x hides the excerpt again, with no new request', await page.isHidden('#excerpt') && excerptReqs() === 1 && (await page.$$('#excerpt mark')).length === 0);
    const ex2 = await get(bob, '/v1/review/2/excerpt');
    check('excerpt: another reviewer than the claimant is 409', ex2.status === 409);
    check('excerpt: a key without review scope is 403', (await get(hashOnly, '/v1/review/2/excerpt')).status === 403);
    await page.keyboard.press('3');
    await page.waitForSelector('#decide-result[data-state="escalated"]');
    check('escalated by keyboard (3)', true);
    await page.waitForSelector('#break:not([hidden])');
    check('break reminder after 2 decisions (break_after=2)', await page.isVisible('#break'));
    check('the reminder has focus', await page.evaluate(() => document.activeElement.id === 'break-ok'));
    serious = await axeSerious(page);
    check('axe: break reminder', serious.length === 0, JSON.stringify(serious));
    await page.screenshot({ path: screenshotPath(opts, 'review-break'), fullPage: false });
    await page.click('#break-ok');

    // ---- item 3: two reviewers for a false positive into an allow bank on a csam item
    await page.click('#queue tbody tr[data-id="3"]');
    await page.waitForSelector('#item-h >> text=Item 3');
    await page.keyboard.press('c');
    await page.waitForSelector('#queue tbody tr[data-id="3"] >> text=ana');
    await page.fill('#bank', 'fp-allow');
    await page.fill('#note', 'not the listed image');
    await page.click('#d-fp');
    await page.waitForSelector('#decide-result[data-state="proposal"]');
    check('first reviewer: a proposal', (await page.textContent('#decide-result')).includes('second reviewer'));
    const ctxB = await browser.newContext({ locale: 'vi-VN', viewport: { width: 390, height: 844 }, isMobile: true });
    const pb = await ctxB.newPage();
    await pb.goto(srv.base + '/ui/review/');
    check('Vietnamese by Accept-Language', (await pb.textContent('h1')).trim() === 'Trang kiểm duyệt');
    await pb.fill('#key', bob);
    await pb.click('#signin-form button[type="submit"]');
    await pb.waitForSelector('#queue tbody tr[data-id="3"]');
    await pb.click('#queue tbody tr[data-id="3"]');
    await pb.waitForSelector('#item-h >> text=Mục 3');
    await pb.click('#claim');
    await pb.waitForSelector('#queue tbody tr[data-id="3"] >> text=bob');
    await pb.fill('#bank', 'fp-allow');
    await pb.click('#d-fp');
    await pb.waitForFunction(() => document.getElementById('decide-result').textContent !== '');
    check('second reviewer: decided false positive', await pb.getAttribute('#decide-result', 'data-state') === 'false_positive', await pb.textContent('#decide-result'));
    const allow = await (await get(bob, '/v1/banks/fp-allow/export?format=lines')).text();
    check('the allow bank got the hash only after the second reviewer', allow.includes(pdq3));
    serious = await axeSerious(pb);
    check('axe: console (vi, phone)', serious.length === 0, JSON.stringify(serious));
    await pb.screenshot({ path: screenshotPath(opts, 'review-vi-phone'), fullPage: true });

    // ---- sign out forgets the key
    await page.click('#signout');
    await page.waitForSelector('#signin:not([hidden])');
    check('sign out: the key is forgotten', await page.evaluate(() => sessionStorage.getItem('cg-review-key') === null));
  } finally {
    await browser.close();
    await srv.stop();
  }
});
