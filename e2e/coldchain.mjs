// Browser scenario of the cold-chain, requisition and EVM screens, run by
// coldchain_test.go against the March 2021 demo with Debian's chromium
// through playwright-core. Env: BASE_URL, ADMIN_TOKEN, REGION_TOKEN,
// REGION_CODE, ARTIFACTS, CHROMIUM, USER_DATA_DIR. Prints "STEP ..." lines
// and "TIMING name=ms"; exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
const BASE = env('BASE_URL'), ADMIN = env('ADMIN_TOKEN'), REGION_TOKEN = env('REGION_TOKEN'), REGION = env('REGION_CODE');
const ART = env('ARTIFACTS');
const shot = (page, name) => page.screenshot({ path: path.join(ART, name + '.png'), fullPage: true });
const step = (s) => console.log('STEP ' + s);
const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };

const ctx = await chromium.launchPersistentContext(env('USER_DATA_DIR'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
  locale: 'en-GB',
});
let page;
const consoleErrors = [];
try {
  page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text()); });
  const ready = (name) => page.waitForSelector(`body[data-ready="${name}"] #main[aria-busy="false"]`, { timeout: 30000 });
  const open = async (hash, name) => {
    const t0 = Date.now();
    await page.goto(BASE + '/#/' + hash);
    await ready(name);
    return Date.now() - t0;
  };
  const signIn = async (token) => {
    await page.goto(BASE + '/#/signin');
    await ready('signin');
    await page.click('#token-signin summary'); // token sign-in is the folded second option
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
    await ready('overview');
  };

  await signIn(ADMIN);
  check(await page.locator('nav a[data-route="coldchain"]').count() === 1, 'the menu has the cold chain');

  // --- one "Cold chain" tab in the header; its views carry the day and the region ---
  const current = () => page.locator('nav#nav a[aria-current="page"]').getAttribute('data-route');
  await open('coldchain?as_of=2021-03-20&region=KZ-KAR', 'coldchain');
  check(await current() === 'coldchain', 'the header marks the cold chain tab');
  check(await page.locator('.section-tabs a').count() === 3, 'three cold-chain views');
  for (const view of ['requisitions', 'evm', 'coldchain']) {
    await page.click(`.section-tabs a[data-view="${view}"]`);
    await page.waitForURL(new RegExp(`#/${view}\\?.*as_of=2021-03-20`));
    await ready(view);
    check(page.url().includes('region=KZ-KAR'), `${view} keeps the region: ${page.url()}`);
    check(await page.inputValue('#as-of') === '2021-03-20', `${view} keeps the header's day`);
    check(await current() === 'coldchain', `the header marks the cold chain tab on ${view}`);
    check(await page.getAttribute(`.section-tabs a[data-view="${view}"]`, 'aria-current') === 'page', `the ${view} view is marked`);
  }
  await page.click('.section-tabs a[data-view="requisitions"]');
  await ready('requisitions');
  check((await page.innerText('#levels h2')).includes('20 Mar 2021'), 'levels are for the header\'s day: ' + await page.innerText('#levels h2'));
  await page.fill('#as-of', '2021-03-21');
  await page.dispatchEvent('#as-of', 'change');
  await page.waitForURL(/as_of=2021-03-21/);
  await ready('requisitions');
  check((await page.innerText('#levels h2')).includes('21 Mar 2021') && page.url().includes('region=KZ-KAR'), 'the header\'s day picker moves the levels and keeps the region');
  await open('coldchain?as_of=2021-03-20&region=KZ-KAR', 'coldchain');
  await page.click('a.eq-link:text-is("VP-KAR-02-FZ")');
  await ready('equipment');
  check(/as_of=2021-03-20/.test(page.url()) && await current() === 'coldchain', 'an equipment page keeps the day under the cold chain tab');
  step('one cold chain tab; its views carry the day and the region, and follow the header\'s day picker');

  // --- equipment of Karaganda, with the power-cut alarm ---
  let ms = await open('coldchain?region=KZ-KAR', 'coldchain');
  console.log(`TIMING coldchain=${ms}`);
  const rows = await page.locator('#equipment tbody tr').count();
  check(rows > 40, `Karaganda's equipment listed (${rows} rows)`);
  const alarm = page.locator('#alarms li[data-alarm*="VP-KAR-02"]');
  check(await alarm.count() === 1, 'the power-cut alarm of VP-KAR-02 is listed');
  check((await alarm.innerText()).includes('X-RTM-VP-KAR-02-FZ'), 'the alarm names its excursion');
  check((await alarm.innerText()).toLowerCase().includes('generator'), 'the acknowledgement comment is shown');
  await shot(page, 'cc-01-equipment-karaganda');
  step(`equipment of Karaganda: ${rows} pieces, the power-cut alarm with its excursion and comment`);

  // --- the freezer's temperature history ---
  await page.click('a.eq-link:text-is("VP-KAR-02-FZ")');
  await ready('equipment');
  const pts = Number(await page.getAttribute('#history', 'data-points'));
  check(pts > 500, `five days of readings drawn (${pts})`);
  check(await page.locator('svg.temp-chart path.temp-line').count() === 1, 'the temperature line is drawn');
  check(await page.locator('svg.temp-chart rect.range-band').count() === 1, 'the storage range is shaded');
  check(await page.locator('svg.temp-chart rect.alarm-span.heat').count() === 1, 'the heat alarm is marked on the chart');
  const held = await page.locator('#held tbody tr').count();
  check(held >= 1 && (await page.innerText('#held')).includes('X-RTM-VP-KAR-02-FZ'), `the freezer's lots are held by the excursion (${held})`);
  const inRange = await page.innerText('.figure[data-k="in-range"] .fig-value');
  check(/\d/.test(inRange) && !inRange.startsWith('100'), `time in range below 100 % (${inRange})`);
  await shot(page, 'cc-02-freezer-history');
  step(`VP-KAR-02's freezer: ${pts} readings, the heat alarm marked, ${held} lots quarantined, ${inRange} in range`);

  // a 30-day window moves the chart
  await page.fill('#h-from', '2021-03-20');
  await page.fill('#h-to', '2021-03-23');
  await page.click('#history button[type=submit]');
  await ready('equipment');
  const fewer = Number(await page.getAttribute('#history', 'data-points'));
  check(fewer > 100 && fewer < pts, `a narrower window shows fewer readings (${fewer} < ${pts})`);
  step(`the history window can be narrowed (${fewer} readings)`);

  // --- a recorder file through the import form ---
  await open('coldchain?place=VP-AKM-01', 'coldchain');
  const csv = 'device,time,temperature_c\n' +
    ['00:00', '00:10', '00:20', '00:30'].map((t, i) => `RTM-VP-AKM-01-FZ,2021-03-23 ${t},-2${i}.5`).join('\n') +
    '\nRTM-VP-AKM-01-FZ,2021-03-23 00:40,-95\nRTM-NO-SUCH,2021-03-23 00:40,-20\n';
  await page.setInputFiles('#import-form input[type=file]', { name: 'vp-akm-01.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.fill('#f-utc_offset', '+00:00');
  await page.click('#import-form button[type=submit]');
  await page.waitForSelector('#import-form .form-status.ok, #import-form .form-status:not(:empty)', { timeout: 15000 });
  const report = await page.innerText('#import-form');
  check(report.includes('4 readings stored') || report.includes('4'), 'the import stored the good rows: ' + report.slice(0, 200));
  check(report.includes('out_of_range') && report.includes('unknown_device'), 'the refused rows are reported with their reasons');
  await shot(page, 'cc-03-import-report');
  step('a CSV recorder file imported through the form, refused rows reported by line');

  // --- replenishment and requisitions in Akmola ---
  ms = await open('requisitions?region=KZ-AKM&as_of=2021-03-22&warning=all', 'requisitions');
  console.log(`TIMING requisitions=${ms}`);
  const levels = await page.locator('#levels tbody tr').count();
  check(levels > 10, `min/max levels listed (${levels})`);
  check(await page.locator('#requisition-list details[data-requisition="RQ-VP-AKM-01-0322"]').count() === 1, 'the received requisition is listed');
  const pending = page.locator('details[data-requisition="RQ-VP-AKM-02-0322"]');
  check((await page.locator('tr', { has: pending }).innerText()).includes('submitted'), 'VP-AKM-02 waits for approval');
  await pending.locator('summary').click();
  await page.waitForSelector('details[data-requisition="RQ-VP-AKM-02-0322"] button[data-action="approve"]');
  await shot(page, 'cc-04-requisition-review');
  await page.click('details[data-requisition="RQ-VP-AKM-02-0322"] button[data-action="approve"]');
  await page.waitForFunction(() => document.querySelector('details[data-requisition="RQ-VP-AKM-02-0322"]')?.closest('tr')?.innerText.includes('approved'), null, { timeout: 15000 });
  await page.locator('details[data-requisition="RQ-VP-AKM-02-0322"] summary').click();
  await page.waitForSelector('details[data-requisition="RQ-VP-AKM-02-0322"] button[data-action="fulfil"]');
  check(await page.locator('details[data-requisition="RQ-VP-AKM-02-0322"] .rq-detail table').count() >= 1, 'the FEFO lots to ship are proposed');
  await page.click('details[data-requisition="RQ-VP-AKM-02-0322"] button[data-action="fulfil"]');
  await page.waitForFunction(() => document.querySelector('details[data-requisition="RQ-VP-AKM-02-0322"]')?.closest('tr')?.innerText.includes('fulfilled'), null, { timeout: 15000 });
  await shot(page, 'cc-05-requisition-fulfilled');
  step(`requisitions: ${levels} levels; VP-AKM-02's requisition approved and shipped first-expiry-first-out`);

  // --- EVM reports, on screen and in print ---
  ms = await open('evm?tab=temperature&region=KZ-KAR', 'evm');
  console.log(`TIMING evm-temperature=${ms}`);
  const kar = page.locator('#report-temperature tr', { hasText: 'VP-KAR-02-FZ' });
  check(await kar.count() === 1, 'the freezer is in the temperature compliance report');
  check((await kar.innerText()).includes('1 / 0 / 0'), 'with its one heat alarm: ' + (await kar.innerText()));
  await shot(page, 'cc-06-evm-temperature');
  await page.emulateMedia({ media: 'print' });
  check(await page.locator('header.top').isHidden(), 'print hides the navigation');
  check(await page.locator('#report-temperature .print-only').isVisible(), 'print shows when the report was generated');
  await page.pdf({ path: path.join(ART, 'cc-07-evm-temperature.pdf'), format: 'A4', landscape: true });
  await page.emulateMedia({ media: 'screen' });
  for (const tab of ['arrivals', 'stock', 'equipment']) {
    await open(`evm?tab=${tab}&region=KZ-KAR&from=2021-03-20&to=2021-03-22`, 'evm');
    check(await page.locator(`#report-${tab} tbody tr`).count() > 0, `the ${tab} report has rows`);
    await shot(page, `cc-08-evm-${tab}`);
  }
  step('EVM reports: temperature compliance, arrivals, stock and wastage, equipment status; printable');

  // --- languages ---
  for (const [lang, word] of [['ru', 'Холодовая цепь'], ['kk', 'Суық тізбек']]) {
    await open('coldchain?region=KZ-KAR', 'coldchain');
    await page.selectOption('#lang', lang);
    await ready('coldchain');
    check((await page.innerText('nav')).includes(word), `menu in ${lang}`);
    await shot(page, `cc-09-coldchain-${lang}`);
  }
  await page.selectOption('#lang', 'en');
  step('cold-chain screen in Russian and Kazakh');

  // --- a regional token sees its region only ---
  await signIn(REGION_TOKEN);
  await open('coldchain?region=KZ-KAR', 'coldchain');
  check(await page.locator('#equipment tbody tr td[colspan]').count() === 1, `a ${REGION} token sees no Karaganda equipment`);
  await open(`coldchain?region=${REGION}`, 'coldchain');
  check(await page.locator('#equipment tbody tr a.eq-link').count() > 10, `a ${REGION} token sees its own equipment`);
  step(`a ${REGION} token sees only its region's equipment`);

  // --- phone width ---
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [hash, name] of [['equipment/RW-AKM-FR1', 'equipment'], [`requisitions?region=${REGION}`, 'requisitions'], [`evm?tab=temperature&region=${REGION}`, 'evm'], [`coldchain?region=${REGION}`, 'coldchain']]) {
    await open(hash, name);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(wide <= 1, `${name} fits a phone without scrolling sideways (${wide}px too wide)`);
    await shot(page, `cc-11-phone-${name}`);
  }
  check(await page.isVisible('#menu-btn') && !(await page.isVisible('nav#nav a[data-route="coldchain"]')), 'a menu button on the phone, navigation folded');
  await page.click('#menu-btn');
  await page.click('nav#nav a[data-route="coldchain"]');
  await ready('coldchain');
  check(!(await page.isVisible('nav#nav a[data-route="coldchain"]')), 'the menu closes on the cold chain screen');

  await open('equipment/RW-AKM-FR1', 'equipment');
  check(await page.locator('svg.temp-chart').count() === 1, 'the chart fits a phone');
  const minText = await page.evaluate(() => {
    let m = Infinity;
    for (const tx of document.querySelectorAll('svg.temp-chart text')) {
      const svg = tx.ownerSVGElement;
      m = Math.min(m, parseFloat(getComputedStyle(tx).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width);
    }
    return m;
  });
  check(minText >= 10.9, `the chart's text is at least 11 px on a phone (${minText.toFixed(1)} px)`);
  const tabRows = await page.evaluate(() => new Set([...document.querySelectorAll('.section-tabs a')].map((a) => Math.round(a.getBoundingClientRect().top))).size);
  check(tabRows === 1, `the three cold-chain views sit on one row on a phone (${tabRows} rows)`);
  await shot(page, 'cc-10-phone-equipment');
  step('the screens fit a phone');

  check(consoleErrors.length === 0, 'no script errors: ' + consoleErrors.join(' | '));
  step('done');
} catch (e) {
  console.log('FAIL ' + e.message);
  if (page) await shot(page, 'cc-failure').catch(() => {});
  await ctx.close();
  process.exit(1);
}
await ctx.close();
