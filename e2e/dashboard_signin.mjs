// Browser scenario for the dashboard's password sign-in, run by
// dashboard_signin_test.go with Debian's chromium through playwright-core.
// Prints "STEP ..." lines; exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
const BASE = env('BASE_URL'), ADMIN = env('ADMIN_TOKEN'), ART = env('ARTIFACTS');
const ADMIN_USER = env('ADMIN_USER'), ADMIN_PW = env('ADMIN_PASSWORD');
const POINT_USER = env('POINT_USER'), POINT_PW = env('POINT_PASSWORD');
const step = (s) => console.log('STEP ' + s);
const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
let failed = false;
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  const ready = (name) => page.waitForSelector(`body[data-ready="${name}"] #main[aria-busy="false"]`, { timeout: 30000 });
  const shot = (name) => page.screenshot({ path: path.join(ART, name + '.png'), fullPage: false });
  const writes = []; // CSRF headers of the page's cookie writes
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/v1/')) writes.push({ url: r.url(), csrf: r.headers()['x-csrf-token'] || '', auth: r.headers().authorization || '' }); });

  await page.goto(BASE + '/#/signin');
  await ready('signin');
  await page.evaluate(() => localStorage.setItem('vaxtrace.lang', 'en'));
  await page.reload();
  await ready('signin');
  check(await page.locator('#name').isVisible() && await page.locator('#password').isVisible(), 'the password form is the first thing on the sign-in screen');
  check(!(await page.locator('#token').isVisible()), 'the token field is folded away (secondary)');
  await shot('01-signin');
  step('sign-in screen: name and password first, token folded');

  // a wrong password: a clear message, still signed out, no session cookie
  await page.fill('#name', ADMIN_USER);
  await page.fill('#password', 'not the password');
  await page.click('#signin-btn');
  await page.waitForSelector('#signin-msg .error, #signin-msg [role="alert"], #signin-msg *');
  const bad = await page.innerText('#signin-msg');
  check(/wrong name or password/i.test(bad), 'wrong password explained: ' + bad);
  check((await ctx.cookies()).every((c) => c.name !== 'vaxtrace_session'), 'no session cookie after a wrong password');
  step('wrong password refused: ' + bad.trim());

  // the right password: the overview, signed in as the administrator on the cookie
  await page.fill('#password', ADMIN_PW);
  await page.click('#signin-btn');
  await ready('overview');
  await page.waitForSelector('#mode[data-role="admin"]');
  const cookie = (await ctx.cookies()).find((c) => c.name === 'vaxtrace_session');
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'an HttpOnly SameSite=Strict session cookie: ' + JSON.stringify(cookie));
  const stored = await page.evaluate(() => ({ token: localStorage.getItem('vaxtrace.token'), session: localStorage.getItem('vaxtrace.session'), cookie: document.cookie }));
  check(!stored.token && stored.session === '1' && !stored.cookie.includes('vaxtrace_session'), 'no token kept, the cookie unreadable by scripts: ' + JSON.stringify(stored));
  check(await page.locator('nav a[data-route="dose"]').count() === 1, 'the administrator sees data entry');
  check(await page.locator('.figure[data-k="administered"]').count() === 1, 'the overview shows its figures');
  await shot('02-overview');
  step('signed in with a password: ' + (await page.innerText('#mode')));

  // a reload keeps the session (the cookie), and a write carries the CSRF token
  await page.reload();
  await ready('overview');
  await page.waitForSelector('#mode[data-role="admin"]');
  const r = await page.evaluate(async () => {
    const api = await import('/js/api.js');
    try { await api.post('regions', { code: 'KZ-AKM-X', name: '' }); return 'ok'; } catch (e) { return e.status + ' ' + e.message; }
  });
  const w = writes.find((x) => x.url.endsWith('/api/v1/regions'));
  check(w && w.csrf.length > 20 && !w.auth, 'the write went with the session CSRF token and no bearer token: ' + JSON.stringify(w));
  check(!/CSRF/.test(r) && !/^40[13]/.test(r), 'the write was authenticated by the cookie (answer: ' + r + ')');
  step('after a reload the write carries X-CSRF-Token; answer: ' + r);

  // sign out: back to the sign-in screen; the old cookie no longer opens a session
  await page.click('#signout');
  await ready('signin');
  const after = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
  check(after === 401, 'no session after signing out: ' + after);
  check(await page.evaluate(() => localStorage.getItem('vaxtrace.session')) === null, 'the session mark is gone');
  check(await page.locator('#mode[data-role="admin"]').count() === 0, 'the header no longer shows the administrator');
  await shot('03-signed-out');
  step('signed out');

  // a point user signs in too: the header shows their point scope, no national data entry
  await page.fill('#name', POINT_USER);
  await page.fill('#password', POINT_PW);
  await page.click('#signin-btn');
  await ready('overview');
  await page.waitForSelector('#mode[data-role="point"]');
  step('point user signed in: ' + (await page.innerText('#mode')));
  await page.click('#signout');
  await ready('signin');

  // the token stays for administrators and machines
  await page.click('#token-signin summary');
  await page.fill('#token', ADMIN);
  await page.press('#token', 'Enter');
  await ready('overview');
  await page.waitForSelector('#mode[data-role="admin"]');
  step('token sign-in still works');
  check(errors.length === 0, 'no console errors: ' + errors.join(' | '));
} catch (e) {
  console.log('FAIL ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
