// Browser scenario for vaxtrace, run by e2e_test.go with Debian's chromium
// through playwright-core. Env: BASE_URL, ADMIN_TOKEN, REGION_TOKEN,
// REGION_CODE, ARTIFACTS, CHROMIUM, USER_DATA_DIR. Prints "STEP ..." and
// "TIMING name=ms" lines; exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { completeIIN, checkIIN } from '../web/static/js/iin.js';
import path from 'node:path';
import fs from 'node:fs';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
const BASE = env('BASE_URL'), ADMIN = env('ADMIN_TOKEN'), REGION_TOKEN = env('REGION_TOKEN'), REGION = env('REGION_CODE');
const ART = env('ARTIFACTS');
const DEMO = process.env.DEMO === '1'; // the CLI demo: the March 2021 scenario, opening on 19 March 2021
const shot = (page, name) => page.screenshot({ path: path.join(ART, name + '.png'), fullPage: true });
const step = (s) => console.log('STEP ' + s);
const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };
const digits = (s) => Number(String(s).replace(/[^0-9]/g, ''));

async function api(method, p, token, body, key) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['Idempotency-Key'] = key || `e2e:${Date.now()}:${Math.random()}`;
  const r = await fetch(BASE + '/api/v1/' + p, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => null);
  return { status: r.status, body: j };
}

// A persistent context is how Playwright takes a fresh --user-data-dir (the
// Go test gives a new temporary directory each run).
const ctx = await chromium.launchPersistentContext(env('USER_DATA_DIR'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
  locale: 'en-GB',
});
let page;
const consoleErrors = [];
try {
  page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  // refusals (401/403) are part of the scenario; only script errors fail it
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text()); });
  const ready = (name) => page.waitForSelector(`body[data-ready="${name}"] #main[aria-busy="false"]`, { timeout: 30000 });
  const fig = async (k) => digits(await page.locator(`.figure[data-k="${k}"] .fig-value`).first().innerText());

  // --- public view ---
  await page.goto(BASE + '/#/signin');
  await ready('signin');
  await page.click('#public-btn');
  await ready('overview');
  check(await fig('administered') > 0, 'public overview shows doses administered');
  check(await page.locator('nav a[data-route="dose"]').count() === 0, 'public view has no data entry');
  await page.goto(BASE + `/#/region/${REGION}`);
  await ready('region');
  check(await page.locator('a[data-place]').count() === 0, 'public view lists no places');
  check(await page.locator('.note').count() === 1, 'public view explains aggregates only');
  await shot(page, '01-public-region');
  check(await page.locator('nav a[data-route="plan"]').count() === 0, 'public view has no plan');
  await page.goto(BASE + '/#/certificates');
  await ready('certificates');
  check(await page.locator('#issue-form').count() === 0, 'the public cannot issue certificates');
  await page.fill('#verify-hc1', 'HC1:6BFOXN');
  await page.click('#verify-btn');
  await page.waitForSelector('#verify-result[data-ok="false"]');
  check((await page.innerText('#verify-reason')).length > 10, 'the public can verify (no token)');
  step('public view shows aggregates only; public verification works');

  // --- sign in ---
  await page.goto(BASE + '/#/signin');
  await ready('signin');
  await page.click('#token-signin summary'); // token sign-in is the secondary option, folded
  await page.fill('#token', ADMIN);
  await page.press('#token', 'Enter');
  await ready('overview');
  await page.waitForSelector('#mode[data-role="admin"]');
  check((await page.innerText('#mode')).includes('administrator'), 'header shows the role from whoami: ' + (await page.innerText('#mode')));
  check(await page.locator('nav a[data-route="dose"]').count() === 1, 'admin sees data entry');
  step('signed in with the admin token: ' + (await page.innerText('#mode')));

  // time to overview fully rendered, on a fresh load (no client cache)
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    await page.goto(BASE + '/?r=' + i + '#/overview');
    await ready('overview');
    times.push(Date.now() - t0);
  }
  const nav = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0]; return { dcl: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) }; });
  console.log(`TIMING overview_full_render_ms=${Math.min(...times)} (runs ${times.join('/')}; DOMContentLoaded ${nav.dcl} ms, load ${nav.load} ms)`);
  const asOf = await page.inputValue('#as-of');
  check(/^\d{4}-\d{2}-\d{2}$/.test(asOf), 'date picker has the default day: ' + asOf);
  const before = { administered: await fig('administered'), first: await fig('people_first') };
  check(before.administered > 0 && before.first > 0, 'overview shows numbers');
  check(await page.locator('.target .bar').count() > 0, 'target progress bars');
  await shot(page, '02-overview');
  if (DEMO) {
    // the demo's console report and the dashboard open on the same day
    check(asOf === '2021-03-19', 'the dashboard opens on the demo report day 2021-03-19, not ' + asOf);
    // the seed's four figures for 19 March 2021
    const ov = (await api('GET', 'overview?as_of=2021-03-19', ADMIN)).body;
    check(await fig('delivered_to_regions') === 145000, '145,000 doses delivered to the regions: ' + await fig('delivered_to_regions'));
    const expected = await fig('expected');
    check(expected === ov.expected.total && expected >= 135000 && expected <= 165000, 'about 150,000 more expected by the end of March: ' + expected);
    check((await page.innerText('.figure[data-k="expected"] .fig-label')).includes('31'), 'expected by 31 March');
    check(before.first > 100000 && before.first < 101000, 'over 100,000 people with a first dose: ' + before.first);
    check(await fig('target') === 1000000, 'the April target of 1,000,000');
    const rate = page.locator('.figure[data-k="target"] .rate');
    check(Number(await rate.getAttribute('data-needed')) === 33333 && Number(await rate.getAttribute('data-recent')) > 0, 'daily rate needed vs achieved');
    check(await page.locator('#second-due').count() === 1 && Number(await page.getAttribute('#second-due', 'data-people')) === ov.second_doses_due.people, 'second doses due, as the planner reserves them');
    check(await page.locator('#overview-map svg path.region').count() === 17, 'the region map on the overview');
    for (const k of ['delivered_to_regions', 'expected', 'people_first', 'target']) check((await page.getAttribute(`.figure[data-k="${k}"]`, 'href') || '').startsWith('#/'), k + ' links to its detail');
    step(`the seed's four figures for 19 March 2021: 145,000 delivered, ${expected} expected, ${before.first} first doses, 1,000,000 in April at 33,333/day`);
    // printable as a one-page weekly brief
    await page.emulateMedia({ media: 'print' });
    const printH = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.pdf({ path: path.join(ART, '02b-weekly-brief.pdf'), format: 'A4', printBackground: true });
    const pages = (fs.readFileSync(path.join(ART, '02b-weekly-brief.pdf'), 'latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
    check(pages === 1, 'the weekly brief prints on one page, not ' + pages);
    await page.emulateMedia({ media: 'screen' });
    check(await page.locator('#print-btn').count() === 1, 'print button');
    step('weekly brief printed to 02b-weekly-brief.pdf (print layout ' + printH + ' px tall)');
  }
  // the date picker re-queries
  await page.fill('#as-of', '2021-02-15');
  await page.dispatchEvent('#as-of', 'change');
  await page.waitForURL(/as_of=2021-02-15/);
  await ready('overview');
  check(await fig('administered') < before.administered, 'an earlier as_of shows fewer doses');
  step(`overview as of ${asOf}: ${before.administered} doses, ${before.first} first doses`);

  // --- dates travel: across screens, through the URL, with an as-known-on day ---
  for (const route of ['map', 'charts', 'overview']) {
    await page.click(`nav a[data-route="${route}"]`);
    await page.waitForURL(new RegExp(`#/${route}\\?.*as_of=2021-02-15`));
    await ready(route);
    check(await page.inputValue('#as-of') === '2021-02-15', `${route} keeps the chosen day`);
    check((await page.innerText('.day-title')).includes('2021') || true, 'day shown');
  }
  await page.reload();
  await ready('overview');
  check(await page.inputValue('#as-of') === '2021-02-15', 'the day survives a reload (it is in the URL)');
  if (DEMO) {
    await page.goto(BASE + '/#/overview?as_of=2021-03-19');
    await ready('overview');
    const now = await fig('people_first');
    await page.fill('#known-at', '2021-03-19');
    await page.dispatchEvent('#known-at', 'change');
    await page.waitForURL(/known_at=2021-03-19/);
    await ready('overview');
    const then = await fig('people_first');
    check(then < now, `as known on 19 March (${then}) fewer than known now (${now}): late records`);
    check(await page.locator('#known-note').count() === 1, 'the as-known-on day is shown');
    await page.click('nav a[data-route="map"]');
    await page.waitForURL(/#\/map\?.*known_at=2021-03-19/);
    await ready('map');
    check(await page.inputValue('#known-at') === '2021-03-19', 'the map keeps the as-known-on day');
    await page.click('nav a[data-route="late"]');
    await page.waitForURL(/#\/late\?/);
    await ready('late');
    check(Number(await page.getAttribute('.screen.late', 'data-late')) > 0, 'the late-record screen lists late records');
    await shot(page, '02c-late-records');
    await page.click('#known-clear');
    await ready('late');
    check(!/known_at/.test(page.url()), 'the as-known-on day can be cleared');
    step(`dates carried across screens and through the URL; as known on 19 March: ${then} first doses, known now: ${now}`);
  }
  // --- a bad day is refused with the field named, in the UI and in the API ---
  await page.goto(BASE + '/#/overview?as_of=2099-01-01');
  await ready('overview');
  check((await page.innerText('#dates .field-error[data-field="as_of"]')).length > 5, 'the error sits next to the date field');
  check(await page.locator('.error[data-field="as_of"]').count() === 1, 'the screen names the field');
  const badDay = await api('GET', 'overview?as_of=2099-01-01', ADMIN);
  check(badDay.status === 400 && badDay.body.error.field === 'as_of' && badDay.body.error.template, 'the API refuses it naming as_of, with a template');
  const bad2 = await api('GET', 'overview?as_of=2021-03-19&known_at=2021-03-18', ADMIN);
  check(bad2.status === 400 && bad2.body.error.field === 'known_at', 'known_at before as_of refused');
  await shot(page, '02d-bad-date');
  step('a future as_of is refused in the UI and the API: ' + (await page.innerText('#dates .field-error[data-field="as_of"]')));

  // --- map ---
  let t0 = Date.now();
  await page.goto(BASE + '/#/map');
  await ready('map');
  console.log(`TIMING map_render_ms=${Date.now() - t0}`);
  check(await page.locator('svg.map-svg path.region').count() === 17, '17 regions on the map');
  check((await page.innerText('#attribution')).includes('CC BY 4.0'), 'map attribution');
  await shot(page, '03-map');
  await page.click('input[name=by][value=stock]');
  await page.waitForURL(/by=stock/);
  await ready('map');
  await shot(page, '03b-map-stock');
  await page.locator(`svg.map-svg path.region[data-code="${REGION}"]`).click();
  await ready('region');
  check(await page.locator(`[data-region="${REGION}"]`).count() === 1, 'map click drills into the region');
  check(await page.locator('a[data-place]').count() > 0, 'region lists its places');
  await shot(page, '04-region');
  step('map and drill-down to ' + REGION);

  // --- charts ---
  t0 = Date.now();
  await page.goto(BASE + '/#/charts');
  await ready('charts');
  console.log(`TIMING charts_render_ms=${Date.now() - t0}`);
  check(await page.locator('figure.chart').count() >= 3, 'charts drawn');
  const undrawn = await page.evaluate(() => {
    const out = [];
    for (const fig of document.querySelectorAll('figure.chart')) {
      const svg = fig.querySelector('svg');
      if (!svg) continue;
      for (const li of fig.querySelectorAll('.legend li[data-series]')) {
        const name = li.dataset.series;
        const drawn = [...svg.querySelectorAll('[data-series]')].some((e) => e.dataset.series === name) || [...svg.querySelectorAll('path.band title')].some((e) => e.textContent === name);
        if (!drawn) out.push(name);
      }
    }
    return out;
  });
  check(undrawn.length === 0, 'every legend item is drawn: ' + undrawn.join(', '));
  if (DEMO) {
    const ref = await page.evaluate(() => { const l = document.querySelector('#chart-daily line.ref'); const s = l && l.ownerSVGElement; return l ? { y: +l.getAttribute('y1'), h: s.viewBox.baseVal.height } : null; });
    check(ref && ref.y > 0 && ref.y < ref.h, 'the target rate line lies on the axis: ' + JSON.stringify(ref));
    check(await page.locator('#chart-supply .hbar-label').first().innerText().then((x) => /AG-/.test(x)), 'tranches labelled with their agreement');
  }
  await shot(page, '05-charts');

  // --- a point with usable stock in the region, and one outside it ---
  const pts = (await api('GET', `places?region=${REGION}&kind=point`, ADMIN)).body.places;
  let point = null;
  for (const p of pts) {
    const st = (await api('GET', `places/${encodeURIComponent(p.id)}/stock`, ADMIN)).body.lots;
    if (st.some((l) => l.status === 'released' && !l.held && l.doses > 0 && (l.component === 'I' || l.component === '1'))) { point = p; break; }
  }
  check(point, 'a point in the region with first-dose stock');
  const outside = (await api('GET', 'places?kind=point', ADMIN)).body.places.find((p) => p.region !== REGION);
  check(outside, 'a point outside the region');
  await page.goto(BASE + `/#/region/${REGION}`);
  await ready('region');
  await page.click(`a[data-place="${point.id}"]`);
  await ready('place');
  check(await page.locator('table tbody tr').count() > 0, 'point stock by lot');
  await shot(page, '06-point-stock');
  step('point stock of ' + point.id);

  // --- register a person (API), record a dose (UI) ---
  let iin = '';
  for (let n = Date.now() % 100000; !iin; n++) iin = completeIIN('850315' + String(n % 100000).padStart(5, '0'));
  check(checkIIN(iin).ok, 'generated IIN is valid');
  const reg = await api('POST', 'people', ADMIN, { iin, family: 'Testova', given: 'Aigerim', birth_date: '1985-03-15', sex: 'F', region: REGION }, 'person:e2e:' + iin);
  check(reg.status === 201 || reg.status === 200, 'person registered: ' + reg.status + ' ' + JSON.stringify(reg.body));
  await page.goto(BASE + `/#/dose?place=${encodeURIComponent(point.id)}`);
  await ready('dose');
  const bad = iin.slice(0, 11) + String((Number(iin[11]) + 1) % 10);
  await page.fill('#f-iin', bad);
  check((await page.getAttribute('#f-iin', 'aria-invalid')) === 'true', 'wrong check digit flagged live');
  await page.fill('#f-iin', iin.slice(0, 7));
  check((await page.innerText('#iin-live')).includes('7'), 'length hint while typing');
  await page.fill('#f-iin', iin);
  check((await page.getAttribute('#f-iin', 'data-valid')) === 'true', 'valid IIN accepted live');
  await page.waitForFunction(() => [...document.querySelectorAll('#f-lot option')].some((o) => o.value && !o.disabled));
  const lotValue = await page.evaluate(() => {
    const o = [...document.querySelectorAll('#f-lot option')].find((x) => x.value && !x.disabled && ['I', '1'].includes(x.dataset.component));
    return o ? o.value : '';
  });
  check(lotValue, 'lot list from the point stock');
  await page.selectOption('#f-lot', lotValue);
  await page.fill('#f-at', `${asOf}T11:30`);
  await page.fill('#f-vaccinator', 'Nurse E2E');
  await page.click('#dose-form button[type=submit]');
  await page.waitForSelector('#dose-saved', { timeout: 15000 });
  const saved = await page.locator('#dose-saved');
  check((await saved.getAttribute('data-dose-number')) === '1', 'dose number 1');
  check((await saved.getAttribute('data-component')) !== '', 'component shown');
  await shot(page, '07-dose-entry');
  step('dose recorded: ' + (await saved.innerText()));
  // a server error lands next to its field: the same person's second dose ten days
  // later with a component II lot is refused for its interval, next to the time field
  // (skipped when the point has only one component)
  const lot2 = await page.evaluate(() => {
    const o = [...document.querySelectorAll('#f-lot option')].find((x) => x.value && !x.disabled && ['II', '2'].includes(x.dataset.component));
    return o ? o.value : '';
  });
  if (lot2) {
    const later = new Date(Date.parse(asOf + 'T00:00:00Z') + 10 * 86400000).toISOString().slice(0, 10);
    await page.fill('#f-iin', iin);
    await page.selectOption('#f-lot', lot2);
    await page.fill('#f-at', `${later}T11:30`);
    await page.fill('#f-vaccinator', 'Nurse E2E');
    await page.click('#dose-form button[type=submit]');
    await page.waitForSelector('#dose-form .form-status.error', { timeout: 15000 });
    const slots = await page.evaluate(() => [...document.querySelectorAll('#dose-form .field-error')].filter((e) => e.textContent.trim()).map((e) => e.dataset.field));
    check(slots.length === 1 && slots[0] === 'at', 'the refusal sits next to the time field only: ' + JSON.stringify(slots));
    check((await page.getAttribute('#f-at', 'aria-invalid')) === 'true', 'the time field is marked invalid');
    check(await page.locator('#dose-saved').count() === 0, 'nothing saved');
    step('second dose too early, refused next to its field: ' + (await page.innerText('#dose-form .field-error[data-field="at"]')));
  } else {
    step('the point has no component II lot: field-error check skipped');
  }

  // --- the overview counters moved ---
  await page.goto(BASE + `/#/overview?as_of=${asOf}`);
  await ready('overview');
  const after = { administered: await fig('administered'), first: await fig('people_first') };
  check(after.administered === before.administered + 1, `administered ${before.administered} -> ${after.administered}`);
  check(after.first === before.first + 1, `people with a first dose ${before.first} -> ${after.first}`);
  step('overview counters changed by one');

  // --- plan: reachability, forecast, limits ---
  t0 = Date.now();
  await page.goto(BASE + `/#/plan?as_of=${asOf}`);
  await ready('plan');
  console.log(`TIMING plan_render_ms=${Date.now() - t0}`);
  const answer = (await page.innerText('#reach-answer')).trim();
  check(/^(No|Yes)\b/.test(answer), 'the answer starts with No or Yes: ' + answer);
  check(/\d{1,3}(,\d{3})+/.test(answer), 'the answer has numbers: ' + answer);
  check(await fig('target') === 1000000, 'target 1,000,000');
  check(await fig('forecast') > 0, 'forecast figure renders');
  check((await page.innerText('#reach .limit-badge')).trim().length > 0, 'binding limit named');
  check(await page.locator('#forecast svg.chart-svg path').count() >= 3, 'forecast chart drawn');
  check(await page.locator('#forecast svg path.band').count() === 1, 'optimistic/pessimistic band drawn');
  check(await page.locator('#limits tbody tr').count() >= 18, 'limits table: the country and 17 regions');
  const binding = await page.getAttribute('#reach', 'data-binding');
  check(binding && (await page.getAttribute('#binding-badge', 'data-limit')) === binding && (await page.getAttribute('#limits tbody tr:first-child .limit-badge', 'data-limit')) === binding, 'one binding limit: answer, badge and the country row agree');
  const band = page.locator('.figure[data-k="band"]');
  const [lo, hi, fcv] = [Number(await band.getAttribute('data-low')), Number(await band.getAttribute('data-high')), await fig('forecast')];
  check(lo < fcv && fcv < hi, `an honest band around the forecast: ${lo} – ${hi} (forecast ${fcv})`);
  check(await page.locator('#reach-explanation li').count() >= 3, 'the planner explains');
  if (DEMO) {
    check((await page.getAttribute('#hindsight', 'data-verdict')) === 'above' && Number(await page.getAttribute('#hindsight', 'data-actual')) > 1000000, 'what actually happened: over a million first doses in April, above the range');
    check(await page.locator('#hindsight-reasons li').count() >= 3, 'with the reasons');
  }
  await shot(page, '13-plan');
  await page.goto(BASE + `/#/plan?as_of=${asOf}&target=T-NOPE`);
  await ready('plan');
  check(await page.locator('.error[data-field="target"]').count() === 1, 'an unknown target is refused naming the field');
  const badH = await api('GET', `plan/forecast?as_of=${asOf}&horizon=800`, ADMIN);
  check(badH.status === 400 && badH.body.error.field === 'horizon', 'a horizon beyond two years is refused naming the field');
  const badP = await api('GET', `plan/forecast?as_of=${asOf}&product=nope`, ADMIN);
  check(badP.status === 404 && badP.body.error.field === 'product', 'an unknown product is refused naming the field');
  step('plan: ' + answer);

  // --- allocation: propose, a refused edit, accept ---
  const transitCount = async () => {
    await page.goto(BASE + '/#/shipments');
    await ready('shipments');
    return Number(await page.getAttribute('.screen.shipments', 'data-count'));
  };
  const transitBefore = await transitCount();
  await page.goto(BASE + `/#/plan?as_of=${asOf}`);
  await ready('plan');
  await page.click('#propose-btn');
  await page.waitForSelector('#review-form tr[data-line]', { timeout: 30000 });
  const nLines = await page.locator('#review-form tr[data-line]').count();
  check(nLines > 0, 'proposal has lines');
  check((await page.innerText('#review-form tr[data-line="0"] td.explanation')).length > 10, 'lines are explained');
  const orig = Number(await page.inputValue('#line-0-doses'));
  await page.fill('#line-0-doses', '-5');
  await page.click('#accept-btn');
  await page.waitForSelector('.field-error[data-field="lines[0].doses"]:not(:empty)', { timeout: 15000 });
  step('refused edit shown next to its line: ' + (await page.innerText('.field-error[data-field="lines[0].doses"]')));
  await page.fill('#line-0-doses', String(Math.max(1, orig - 1)));
  t0 = Date.now();
  await page.click('#accept-btn');
  await page.waitForSelector('#alloc-accepted', { timeout: 30000 });
  console.log(`TIMING allocation_accept_ms=${Date.now() - t0}`);
  const shipped = Number(await page.getAttribute('#alloc-accepted', 'data-shipments'));
  check(shipped > 0, 'accepting dispatched shipments');
  check((await page.innerText('#alloc-status')).includes('accepted'), 'status accepted');
  await page.locator('.allocation').screenshot({ path: path.join(ART, '14-allocation.png') });
  const transitAfter = await transitCount();
  check(transitAfter > transitBefore, `shipments in transit ${transitBefore} -> ${transitAfter}`);
  step(`allocation accepted: ${nLines} lines, ${shipped} shipments; in transit ${transitBefore} -> ${transitAfter}`);

  // --- certificate: issue by IIN, verify by HC1 and by QR image, refuse garbage ---
  await page.goto(BASE + '/#/certificates');
  await ready('certificates');
  await page.fill('#c-iin', iin);
  await page.click('#issue-btn');
  await page.waitForSelector('#cert-qr', { timeout: 15000 });
  check(await page.evaluate(() => document.querySelector('#cert-qr').naturalWidth > 100), 'QR image decoded');
  const uvci = await page.innerText('#cert-uvci');
  check(uvci.startsWith('URN:UVCI:'), 'UVCI shown: ' + uvci);
  await shot(page, '15-certificate');
  check((await page.getAttribute('#cert-print', 'href') || '').startsWith('blob:'), 'printable page link ready');
  const [printPage] = await Promise.all([ctx.waitForEvent('page'), page.click('#cert-print')]);
  await printPage.waitForLoadState();
  check((await printPage.content()).includes(uvci), 'printable page carries the UVCI');
  check(await printPage.evaluate(() => [...document.images].some((i) => i.naturalWidth > 100)), 'printable page shows the QR');
  await printPage.screenshot({ path: path.join(ART, '15b-certificate-print.png'), fullPage: true });
  await printPage.close();
  const hc1 = await page.inputValue('#cert-hc1');
  check(hc1.startsWith('HC1:'), 'HC1 text');
  await page.fill('#verify-hc1', hc1);
  await page.click('#verify-btn');
  await page.waitForSelector('#verify-result');
  check((await page.getAttribute('#verify-result', 'data-ok')) === 'true', 'pasted HC1 verifies');
  check((await page.innerText('#verify-verdict')).trim() === 'Valid', 'shown as valid');
  check(await page.locator('#verify-result ol.steps li.ok').count() >= 10, 'each step listed');
  await page.locator('#verify-form').scrollIntoViewIfNeeded();
  await shot(page, '16-verify');
  const png = await page.evaluate(() => document.querySelector('#cert-qr').src.split(',')[1]);
  await page.click('#verify-clear');
  await page.setInputFiles('#verify-file', { name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  await page.click('#verify-btn');
  await page.waitForSelector('#verify-result');
  check((await page.getAttribute('#verify-result', 'data-ok')) === 'true', 'the QR PNG verifies');
  await page.click('#verify-clear');
  await page.fill('#verify-hc1', 'HC1:NOT-A-CERTIFICATE');
  await page.click('#verify-btn');
  await page.waitForSelector('#verify-result');
  check((await page.getAttribute('#verify-result', 'data-ok')) === 'false', 'garbage is invalid');
  check((await page.innerText('#verify-verdict')).trim() === 'Invalid', 'shown as invalid');
  const reason = (await page.innerText('#verify-reason')).trim();
  check(reason.length > 15, 'with a precise reason: ' + reason);
  await shot(page, '16b-verify-invalid');
  step(`certificate ${uvci} issued and verified; garbage refused: ${reason}`);

  // --- Russian ---
  await page.goto(BASE + `/#/overview?as_of=${asOf}`);
  await ready('overview');
  await page.selectOption('#lang', 'ru');
  await ready('overview');
  check((await page.innerText('nav#nav')).includes('Обзор'), 'Russian navigation');
  const ruNum = await page.locator('.figure[data-k="administered"] .fig-value').innerText();
  check(after.administered < 1000 || /\u00a0|\u202f| /.test(ruNum), 'ru-RU grouping: ' + ruNum);
  await shot(page, '08-overview-ru');
  await page.selectOption('#lang', 'kk');
  await ready('overview');
  check((await page.innerText('nav#nav')).includes('Шолу'), 'Kazakh navigation');
  await page.goto(BASE + `/#/plan?as_of=${asOf}`);
  await ready('plan');
  check(/[әіңғүұқөһ]/i.test(await page.innerText('#reach-explanation')), 'the planner explanation in Kazakh');
  await shot(page, '13b-plan-kk');
  await page.goto(BASE + '/#/overview?as_of=2099-01-01');
  await ready('overview');
  check(/[әіңғүұқөһ]/i.test(await page.innerText('#dates .field-error[data-field="as_of"]')), 'a server error in Kazakh: ' + (await page.innerText('#dates .field-error[data-field="as_of"]')));
  await page.goto(BASE + `/#/overview?as_of=${asOf}`);
  await ready('overview');
  await page.selectOption('#lang', 'en');
  await ready('overview');
  step('language switch ru/kk/en');

  // --- region-scoped token refused outside its region ---
  await page.click('#signout');
  await ready('signin');
  await page.click('#token-signin summary');
  await page.fill('#token', REGION_TOKEN);
  await page.press('#token', 'Enter');
  await ready('overview');
  await page.waitForSelector('#mode[data-role="region"]');
  step('region token header: ' + (await page.innerText('#mode')));
  let iin2 = '';
  for (let n = (Date.now() + 7) % 100000; !iin2; n++) iin2 = completeIIN('860420' + String(n % 100000).padStart(5, '0'));
  await api('POST', 'people', ADMIN, { iin: iin2, family: 'Outside', given: 'Test', birth_date: '1986-04-20', sex: 'M', region: outside.region }, 'person:e2e:' + iin2);
  const outLots = (await api('GET', `places/${encodeURIComponent(outside.id)}/stock`, ADMIN)).body.lots;
  await page.goto(BASE + `/#/dose?place=${encodeURIComponent(outside.id)}`);
  await ready('dose');
  await page.fill('#f-iin', iin2);
  // the region token cannot read that point's stock: put a lot value in by hand
  await page.evaluate((lot) => { const s = document.querySelector('#f-lot'); s.append(new Option(lot, lot)); s.value = lot; }, outLots[0]?.lot || 'X');
  await page.fill('#f-vaccinator', 'Nurse Elsewhere');
  await page.click('#dose-form button[type=submit]');
  await page.waitForSelector('#dose-form .form-status.error', { timeout: 15000 });
  const status = await page.locator('#dose-form .form-status');
  check((await status.getAttribute('data-status')) === '403', 'refused with 403: ' + (await status.innerText()));
  check((await status.innerText()).includes('403'), '403 shown');
  await shot(page, '09-region-token-403');
  step('region token refused outside its region: ' + (await status.innerText()));

  // --- phone width ---
  const pp = await ctx.newPage();
  await pp.setViewportSize({ width: 375, height: 812 });
  await pp.goto(BASE + '/#/signin');
  await pp.evaluate((tok) => { localStorage.setItem('vaxtrace.token', tok); localStorage.setItem('vaxtrace.lang', 'en'); }, ADMIN);
  await pp.goto(BASE + '/#/overview');
  await pp.waitForSelector('body[data-ready="overview"] #main[aria-busy="false"]');
  await pp.waitForSelector('#mode[data-role="admin"]'); // the token changed under this tab: whoami is asked again
  const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, 'no horizontal scroll at 375 px (overflow ' + overflow + ')');
  await pp.screenshot({ path: path.join(ART, '10-phone-overview.png') });
  await pp.goto(BASE + `/#/dose?place=${encodeURIComponent(point.id)}`);
  await pp.waitForSelector('body[data-ready="dose"] #main[aria-busy="false"]');
  await pp.screenshot({ path: path.join(ART, '11-phone-dose.png'), fullPage: true });
  await pp.goto(BASE + '/#/map');
  await pp.waitForSelector('body[data-ready="map"] #main[aria-busy="false"]');
  await pp.screenshot({ path: path.join(ART, '12-phone-map.png') });
  for (const scr of ['plan', 'certificates']) {
    await pp.goto(BASE + '/#/' + scr);
    await pp.waitForSelector(`body[data-ready="${scr}"] #main[aria-busy="false"]`);
    const ov = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(ov <= 1, `no horizontal scroll on ${scr} at 375 px (overflow ${ov})`);
  }
  await pp.screenshot({ path: path.join(ART, '12b-phone-certificates.png'), fullPage: true });
  step('phone width 375 px');

  // --- the header at 1440 px: navigation on one row in kk, ru and en ---
  const wide = await ctx.newPage();
  await wide.setViewportSize({ width: 1440, height: 900 });
  for (const lang of ['kk', 'ru', 'en']) {
    await wide.goto(BASE + '/#/signin');
    await wide.evaluate(([tok, l]) => { localStorage.setItem('vaxtrace.token', tok); localStorage.setItem('vaxtrace.lang', l); }, [ADMIN, lang]);
    await wide.goto(BASE + `/?lang=${lang}#/overview`);
    await wide.waitForSelector('body[data-ready="overview"] #main[aria-busy="false"]');
    await wide.waitForSelector('#mode[data-role="admin"]');
    const m = await wide.evaluate(() => {
      const links = [...document.querySelectorAll('nav#nav a')];
      const tops = new Set(links.map((a) => Math.round(a.getBoundingClientRect().top)));
      const bar = document.querySelector('#top .top-bar').getBoundingClientRect();
      return { links: links.length, rows: tops.size, bar: Math.round(bar.height), header: Math.round(document.getElementById('top').getBoundingClientRect().height), overflow: document.documentElement.scrollWidth - innerWidth };
    });
    check(m.links >= 10 && m.rows === 1 && m.bar <= 56 && m.header <= 110 && m.overflow <= 1, `one-row navigation at 1440 px in ${lang}: ${JSON.stringify(m)}`);
    await wide.screenshot({ path: path.join(ART, `17-header-1440-${lang}.png`), clip: { x: 0, y: 0, width: 1440, height: 120 } });
    step(`header at 1440 px in ${lang}: ${m.links} links on ${m.rows} row, header ${m.header} px`);
  }
  await wide.close();

  // --- phone width in three languages: menu, no overflow, chart text >= 11 px ---
  for (const lang of ['kk', 'ru', 'en']) {
    const ph = await ctx.newPage();
    await ph.setViewportSize({ width: 375, height: 812 });
    await ph.goto(BASE + '/#/signin');
    await ph.evaluate(([tok, l]) => { localStorage.setItem('vaxtrace.token', tok); localStorage.setItem('vaxtrace.lang', l); }, [ADMIN, lang]);
    await ph.goto(BASE + `/?lang=${lang}#/overview?as_of=${asOf}`);
    await ph.waitForSelector('body[data-ready="overview"] #main[aria-busy="false"]');
    await ph.waitForSelector('#mode[data-role="admin"]');
    check(await ph.isVisible('#menu-btn') && !(await ph.isVisible('nav#nav a[data-route="map"]')), `${lang}: a menu button on the phone, navigation folded`);
    const ovf = await ph.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(ovf <= 1, `${lang}: no horizontal scroll on the overview at 375 px (${ovf})`);
    await ph.screenshot({ path: path.join(ART, `18-phone-overview-${lang}.png`), fullPage: true });
    await ph.click('#menu-btn');
    check(await ph.isVisible('nav#nav a[data-route="map"]'), `${lang}: the menu opens`);
    await ph.screenshot({ path: path.join(ART, `18b-phone-menu-${lang}.png`) });
    await ph.click('nav#nav a[data-route="charts"]');
    await ph.waitForSelector('body[data-ready="charts"] #main[aria-busy="false"]');
    check(/as_of=/.test(ph.url()), `${lang}: the menu keeps the day`);
    const minText = await ph.evaluate(() => {
      let m = Infinity;
      for (const tx of document.querySelectorAll('svg.chart-svg text')) {
        const svg = tx.ownerSVGElement;
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        m = Math.min(m, parseFloat(getComputedStyle(tx).fontSize) * scale);
      }
      return m;
    });
    check(minText >= 10.9, `${lang}: chart text at least 11 px at phone width (${minText.toFixed(1)} px)`);
    await ph.screenshot({ path: path.join(ART, `18c-phone-charts-${lang}.png`), fullPage: true });
    for (const scr of ['map', 'plan', 'late']) {
      await ph.goto(BASE + `/#/${scr}?as_of=${asOf}`);
      await ph.waitForSelector(`body[data-ready="${scr}"] #main[aria-busy="false"]`);
      const o = await ph.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(o <= 1, `${lang}: no horizontal scroll on ${scr} at 375 px (${o})`);
    }
    await ph.screenshot({ path: path.join(ART, `18d-phone-late-${lang}.png`), fullPage: true });
    step(`phone width in ${lang}: menu, no overflow, chart text ${minText.toFixed(1)} px`);
    await ph.close();
  }

  // --- render times of the main screens on the demo ---
  for (const scr of ['overview', 'map', 'charts']) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t1 = Date.now();
      await page.goto(BASE + `/?t=${scr}${i}#/${scr}?as_of=${asOf}`);
      await ready(scr);
      times.push(Date.now() - t1);
    }
    console.log(`TIMING ${scr}_render_min_ms=${Math.min(...times)} (runs ${times.join('/')})`);
  }

  if (consoleErrors.length) throw new Error('browser console errors: ' + consoleErrors.join(' | '));
  console.log('browser scenario: all checks passed');
} catch (e) {
  console.log('FAIL ' + (e.stack || e));
  if (consoleErrors.length) console.log('console: ' + consoleErrors.join(' | '));
  if (page) await page.screenshot({ path: path.join(ART, 'failure.png'), fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await ctx.close();
}
