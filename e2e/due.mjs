// Browser scenario for the due lists, run by dashboard_signin_test.go
// (TestDueScreens) with Debian's chromium through playwright-core: the
// dashboard's Due screen signed in with a password, and the point app's Due
// screen online and then offline from the device's cache, at phone width
// in en, ru and kk. Prints "STEP ..." lines; exits non-zero on the first
// failed check.
import { chromium } from 'playwright-core';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
const BASE = env('BASE_URL'), ART = env('ARTIFACTS');
const ADMIN_USER = env('ADMIN_USER'), ADMIN_PW = env('ADMIN_PASSWORD');
const POINT_USER = env('POINT_USER'), POINT_PW = env('POINT_PASSWORD');
const DAY = '2021-03-20';
const step = (s) => console.log('STEP ' + s);
const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
let failed = false;
try {
  // ---------- the dashboard ----------
  let ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  let page = await ctx.newPage();
  const errors = [];
  const watch = (p) => {
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(m.text())) errors.push(m.text()); });
  };
  watch(page);
  let ready = (name) => page.waitForSelector(`body[data-ready="${name}"] #main[aria-busy="false"]`, { timeout: 30000 });
  await page.goto(BASE + '/#/signin');
  await ready('signin');
  await page.evaluate(() => localStorage.setItem('vaxtrace.lang', 'en'));
  await page.fill('#name', ADMIN_USER);
  await page.fill('#password', ADMIN_PW);
  await page.click('#signin-btn');
  await ready('overview');
  await page.evaluate((d) => { location.hash = '#/due?as_of=' + d; }, DAY);
  await ready('due');
  const all = Number(await page.getAttribute('.screen.due', 'data-total'));
  const rows = await page.locator('#due-people tbody tr').count();
  check(all > 0 && rows === Math.min(all, 100), `national list: ${all} people, ${rows} rows`);
  const counts = await page.locator('#due-counts tbody tr').count();
  check(counts >= 1, 'counts by product and dose');
  const statuses = await page.$$eval('#due-people [data-status]', (els) => [...new Set(els.map((e) => e.dataset.status))]);
  check(statuses.includes('overdue') || statuses.includes('due'), 'people due or overdue on ' + DAY + ': ' + statuses);
  await page.screenshot({ path: path.join(ART, 'due-dashboard.png') });
  await page.selectOption('#due-region', 'KZ-AKM');
  await page.click('#due-filters button[type=submit]');
  await page.waitForFunction(() => location.hash.includes('region=KZ-AKM'));
  await ready('due');
  const akm = Number(await page.getAttribute('.screen.due', 'data-total'));
  check(akm > 0 && akm < all, `Akmola ${akm} of ${all}`);
  step(`dashboard due list: ${all} people nationally, ${akm} in Akmola; statuses ${statuses}`);
  if (all > 100) {
    await page.evaluate((d) => { location.hash = '#/due?as_of=' + d; }, DAY);
    await ready('due');
    await page.click('#due-next');
    await ready('due');
    check((await page.innerText('#due-pager')).startsWith('101'), 'second page: ' + await page.innerText('#due-pager'));
    step('paging: ' + await page.innerText('#due-pager'));
  }
  await ctx.close();

  // ---------- the point app, at phone width ----------
  ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', serviceWorkers: 'allow' });
  page = await ctx.newPage();
  watch(page);
  ready = (name) => page.waitForSelector(`body[data-ready="${name}"] #main[aria-busy="false"]`, { timeout: 30000 });
  await page.goto(BASE + '/point/#/signin');
  await ready('signin');
  await page.fill('#name', POINT_USER);
  await page.fill('#password', POINT_PW);
  await page.click('#signin-btn');
  await ready('dose');
  await page.evaluate(() => { document.querySelector('#session-bar').open = true; });
  await page.fill('#s-date', DAY);
  await page.dispatchEvent('#s-date', 'change');
  await page.waitForFunction((d) => document.querySelector('#s-date').value === d, DAY);
  await page.click('nav a[data-route="due"]');
  await ready('due');
  const n = await page.locator('#due-list tbody tr[data-person]').count();
  check(n > 0, 'the point lists people due: ' + n);
  check((await page.innerText('#due-asof')).includes('PT-AKM-1'), 'the point sees its own list');
  await page.screenshot({ path: path.join(ART, 'due-point-en.png'), fullPage: true });
  step(`point app due list: ${n} people`);
  // offline: the list opens from the device
  await page.waitForFunction(() => navigator.serviceWorker?.controller || true);
  await ctx.setOffline(true);
  await page.evaluate(() => { location.hash = '#/dose'; });
  await ready('dose');
  await page.evaluate(() => { location.hash = '#/due'; });
  await ready('due');
  const off = await page.locator('#due-list tbody tr[data-person]').count();
  check(off === n, `offline: ${off} rows from the cache (online ${n})`);
  check((await page.innerText('#due-asof')).length > 0, 'offline list says when it was saved');
  step('offline: the due list opens from the cache: ' + await page.innerText('#due-asof'));
  for (const lang of ['ru', 'kk']) {
    await page.selectOption('#lang', lang);
    await ready('due');
    await page.screenshot({ path: path.join(ART, `due-point-${lang}.png`), fullPage: true });
  }
  check(errors.length === 0, 'no console errors: ' + errors.join(' | '));
  step('screenshots in en, ru, kk');
} catch (e) {
  console.log('FAIL ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
