// One screen for a dose: the IIN, the person (found, new or not known on
// this device — then registered right here), their earlier doses and what
// the next dose needs, the lot (steered to the component the dose needs,
// or picked by scanning the pack), and Save, which puts the record in the
// device's queue. Editing a queued record changes it; editing one the
// server has accepted makes a correction, never a second dose.

import { h, t, field, clearErrors, showFieldError, isoDay, day, dayTime, num, newID, regionName, getLang } from './ui.js';
import { checkIIN, iinKey, maskIIN } from './iin.js';
import * as store from './store.js';
import * as api from './api.js';
import * as rules from './rules.js';
import * as gs1 from './gs1.js';
import { scanner } from './scan.js';
import { newCorrection } from './sync.js';
import { app, go, refreshCounts, syncNow, refreshData } from './main.js';

/** sessionInfo is today's session on this device: date, vaccinator, place. */
export async function sessionInfo() {
  const s = (await store.meta('session')) || {};
  return {
    date: s.date || isoDay(),
    vaccinator: s.vaccinator || app.me?.full_name || '',
    place: app.me?.role === 'point' ? app.me.place : (s.place || ''),
  };
}

const timeNow = () => new Date().toTimeString().slice(0, 5);
const toISO = (date, time) => new Date(`${date}T${time || '12:00'}`).toISOString();
const localTime = (iso) => { const d = new Date(iso); return Number.isNaN(d.getTime()) ? '' : d.toTimeString().slice(0, 5); };

export async function render(r) {
  const sess = await sessionInfo();
  const editID = r.q.get('edit');
  const [productsRow, regionsRow, placesRow, placeRow, stockRow, editing] = await Promise.all([
    store.cached('products'), store.cached('regions'), store.cached('places'),
    sess.place ? store.cached('place:' + sess.place) : null, sess.place ? store.cached('stock:' + sess.place) : null,
    editID ? store.get('queue', editID) : null]);
  const products = productsRow?.data || [];
  const regions = regionsRow?.data || [];
  const places = placesRow?.data || [];
  const placeInfo = placeRow?.data || null;
  const accepted = editing?.status === 'accepted';

  // --- session bar ---
  const sDate = h('input', { type: 'date', id: 's-date', value: sess.date, required: true });
  const sVacc = h('input', { type: 'text', id: 's-vacc', value: sess.vaccinator, autocomplete: 'name', required: true });
  const saveSession = async () => {
    const s = { date: sDate.value || isoDay(), vaccinator: sVacc.value.trim(), place: sess.place };
    if (sPlace) s.place = sPlace.value;
    await store.setMeta('session', s);
    Object.assign(sess, s);
    const d = document.getElementById('session-day');
    if (d) d.textContent = day(s.date);
    const v = document.getElementById('session-vacc');
    if (v) v.textContent = s.vaccinator || t('vaccinator_missing');
  };
  let sPlace = null;
  if (app.me?.role !== 'point') {
    sPlace = h('select', { id: 's-place' }, h('option', { value: '' }, t('choose')), places.map((p) => h('option', { value: p.id }, `${p.name} (${p.id})`)));
    sPlace.value = sess.place;
    sPlace.addEventListener('change', async () => { await saveSession(); await refreshData().catch(() => {}); go('#/dose'); });
  }
  sDate.addEventListener('change', async () => { await saveSession(); await lookup(); });
  sVacc.addEventListener('change', saveSession);
  const stockAge = stockRow ? t('stock_as_of', { t: dayTime(stockRow.at) }) : t('stock_unknown');
  const sessionBar = h('details', { class: 'card session', id: 'session-bar', open: !sess.vaccinator || !sess.place ? true : null },
    h('summary', {}, h('strong', {}, placeInfo?.name || sess.place || t('no_place')), ' · ', h('span', { id: 'session-day' }, day(sess.date)), ' · ', h('span', { id: 'session-vacc' }, sess.vaccinator || t('vaccinator_missing'))),
    h('div', { class: 'grid2' }, field('date', t('session_date'), sDate), field('vaccinator', t('vaccinator'), sVacc), sPlace ? field('place', t('place'), sPlace) : null),
    h('p', { class: 'muted small' }, stockAge));

  if (!sess.place) {
    return h('div', { class: 'screen dose' }, sessionBar, h('p', { class: 'note' }, t('choose_place')));
  }

  // --- person ---
  const iin = h('input', { type: 'text', inputmode: 'numeric', maxlength: 12, autocomplete: 'off', id: 'iin', required: true, spellcheck: 'false' });
  const iinLive = h('p', { class: 'iin-live', id: 'iin-live', 'aria-live': 'polite' });
  const personBox = h('div', { id: 'person', 'aria-live': 'polite' });
  const fam = h('input', { type: 'text', id: 'family', autocomplete: 'off' });
  const giv = h('input', { type: 'text', id: 'given', autocomplete: 'off' });
  const birth = h('input', { type: 'date', id: 'birth' });
  const sex = h('select', { id: 'sex' }, h('option', { value: '' }, t('choose')), [['F', 'sex_f'], ['M', 'sex_m'], ['U', 'sex_u']].map(([v, k]) => h('option', { value: v }, t(k))));
  // reminders of the next dose: an optional phone (sealed by the server) and their language
  const phone = h('input', { type: 'tel', id: 'phone', inputmode: 'tel', autocomplete: 'off' });
  const plang = h('select', { id: 'plang' }, h('option', { value: 'kk' }, 'Қазақша'), h('option', { value: 'ru' }, 'Русский'));
  plang.value = getLang() === 'ru' ? 'ru' : 'kk';
  const region = h('select', { id: 'region' }, regions.map((x) => h('option', { value: x.code }, regionName(x))));
  region.value = placeInfo?.region || '';
  const register = h('fieldset', { id: 'register', class: 'register', hidden: true },
    h('legend', {}, t('register_title')),
    h('p', { class: 'muted small', id: 'register-note' }),
    h('div', { class: 'grid2' }, field('family', t('family'), fam), field('given', t('given'), giv), field('birth_date', t('birth_date'), birth), field('sex', t('sex'), sex), field('region', t('region'), region),
      field('phone', t('phone'), phone, t('phone_help')), field('lang', t('reminder_lang'), plang)));

  // --- lot, time, override ---
  const lotList = h('div', { id: 'lots', class: 'lots', role: 'radiogroup', 'aria-labelledby': 'lots-label' });
  const nextInfo = h('p', { id: 'next', class: 'next' });
  const scanResult = h('p', { id: 'scan-result', class: 'scan-result', 'aria-live': 'polite' });
  const time = h('input', { type: 'time', id: 'time', value: timeNow() });
  const override = h('input', { type: 'text', id: 'override', autocomplete: 'off' });
  const overrideField = field('override', t('override'), override, t('override_help'));
  overrideField.hidden = true;
  const reason = h('input', { type: 'text', id: 'reason', autocomplete: 'off' });
  const reasonField = field('reason', t('correction_reason'), reason);
  reasonField.hidden = !accepted;
  const status = h('p', { class: 'form-status', role: 'status', id: 'dose-status' });
  const saved = h('div', { id: 'saved-box', 'aria-live': 'polite' });

  // what the screen knows about the person typed in
  const P = { key: '', state: '', person: null, history: [], known: false, masked: '' };

  const lots = () => rules.usableLots(stockRow?.data, sDate.value || sess.date);
  const remaining = async () => {
    // doses of each lot queued since the stock was fetched
    const since = stockRow?.at || 0;
    const used = {};
    for (const q of await store.queuedSince(since)) {
      if (q.kind === 'dose' && q.status !== 'rejected' && q.id !== editing?.id) used[q.body.lot] = (used[q.body.lot] || 0) + 1;
    }
    return used;
  };

  const selectedLot = () => lotList.querySelector('input[name=lot]:checked')?.value || '';

  async function drawLots(prefer) {
    const used = await remaining();
    const date = sDate.value || sess.date;
    const rows = lots().map((l) => ({ l, c: P.key ? rules.check(products, P.history, l, date, P.known) : null }));
    rows.sort((a, b) => (b.c?.ok ? 1 : 0) - (a.c?.ok ? 1 : 0) || String(a.l.expiry).localeCompare(String(b.l.expiry)) || a.l.lot.localeCompare(b.l.lot));
    const keep = prefer || selectedLot();
    lotList.replaceChildren();
    if (rows.length === 0) lotList.append(h('p', { class: 'note', id: 'no-lots' }, stockRow ? t('no_stock') : t('stock_unknown')));
    let firstOK = '';
    for (const { l, c } of rows) {
      const prod = products.find((p) => p.code === l.product);
      const blocked = c && !c.ok && P.known;
      if (c?.ok && !firstOK) firstOK = l.lot;
      const left = Math.max(0, +l.doses - (used[l.lot] || 0));
      const id = 'lot-' + l.lot.replace(/[^A-Za-z0-9_-]/g, '_');
      lotList.append(h('label', { class: 'lot' + (blocked ? ' blocked' : '') + (c?.ok ? ' steer' : ''), for: id },
        h('input', { type: 'radio', name: 'lot', id, value: l.lot, disabled: blocked, 'data-ok': c ? String(!!c.ok) : '', 'data-component': l.component, 'data-product': l.product }),
        h('span', { class: 'lot-main' }, h('strong', {}, l.lot), ' ', (prod?.name || l.product), ' · ', t('component_n', { c: l.component })),
        h('span', { class: 'lot-sub' }, t('lot_left', { n: num(left) }), ' · ', t('expires', { d: day(l.expiry) })),
        c && !c.ok ? h('span', { class: 'lot-why' }, t(c.reason.key, c.reason.vars)) : null));
    }
    const want = keep && lotList.querySelector(`input[value="${CSS.escape(keep)}"]:not([disabled])`) ? keep : (firstOK || '');
    if (want) lotList.querySelector(`input[value="${CSS.escape(want)}"]`).checked = true;
    explain();
  }

  function explain() {
    const lotID = selectedLot();
    const l = lots().find((x) => x.lot === lotID);
    nextInfo.replaceChildren();
    overrideField.hidden = true;
    if (!P.key) return;
    const date = sDate.value || sess.date;
    const c = l ? rules.check(products, P.history, l, date, P.known) : null;
    const any = c || lots().map((x) => rules.check(products, P.history, x, date, P.known)).find((x) => x.ok);
    if (any) {
      const parts = [any.booster ? t('next_booster', { c: any.want }) : t('next_dose', { n: any.number, c: any.want, p: any.series })];
      if (any.earliest) parts.push(t('next_from', { d: day(any.earliest) }));
      nextInfo.append(h('span', { id: 'next-text', 'data-number': any.number, 'data-component': any.want }, parts.join(' · ')));
    }
    if (!P.known) nextInfo.append(h('span', { class: 'unchecked', id: 'unchecked' }, ' ', t('not_checked')));
    if (c && c.short) {
      overrideField.hidden = false;
      nextInfo.append(h('span', { class: 'warn', id: 'short' }, ' ', t('rule_interval', { n: c.short.days, need: c.short.need })));
    }
  }
  lotList.addEventListener('change', explain);

  function showPerson() {
    personBox.replaceChildren();
    register.hidden = true;
    if (!P.key) return;
    const note = register.querySelector('#register-note');
    if (P.state === 'new' || P.state === 'unknown' || P.state === 'queued') {
      register.hidden = P.state === 'queued';
      note.textContent = P.state === 'new' ? t('not_registered') : t('not_on_device');
    }
    const box = h('div', { class: 'person-card', id: 'person-status', 'data-state': P.state });
    const title = P.person ? `${P.person.family} ${P.person.given || ''}`.trim() : '';
    box.append(h('p', { class: 'person-state' }, t('person_' + P.state), title ? h('strong', {}, ' ' + title) : null,
      P.person?.birth_date ? ' · ' + day(P.person.birth_date) : '', ' · ', P.masked));
    if (P.history.length) {
      box.append(h('ul', { class: 'history', id: 'history' }, P.history.slice().sort((a, b) => String(a.at).localeCompare(String(b.at))).map((d) =>
        h('li', { 'data-local': d.local ? 'true' : null }, `${day(isoDay(new Date(d.at)))} · ${productName(d.product)} ${t('component_n', { c: d.component })}`,
          d.dose_number ? ' · ' + t('dose_n', { n: d.dose_number }) : '', d.local ? ' · ' + t('on_device') : ''))));
    } else if (P.known) {
      box.append(h('p', { class: 'muted small' }, t('no_doses')));
    }
    if (P.cachedAt) box.append(h('p', { class: 'muted small' }, t('cached_at', { t: dayTime(P.cachedAt) })));
    personBox.append(box);
  }
  const productName = (code) => products.find((p) => p.code === code)?.name || code;

  async function localDoses(key) {
    return (await store.queuedFor(key)).filter((q) => q.kind === 'dose' && q.status !== 'rejected' && q.id !== editing?.id);
  }

  let lookups = 0;
  async function lookup() {
    const my = ++lookups;
    const v = iin.value.trim();
    const c = checkIIN(v);
    iinLive.textContent = !v ? '' : c.ok ? t('iin_ok') : c.code === 'length' ? t('iin_len', { n: c.n }) : t('iin_' + c.code);
    iinLive.className = 'iin-live ' + (c.ok ? 'valid' : v.length >= 12 || c.code === 'digits' ? 'invalid' : '');
    iin.setAttribute('aria-invalid', v && !c.ok && (v.length >= 12 || c.code === 'digits') ? 'true' : 'false');
    iin.dataset.valid = String(c.ok);
    if (!c.ok) { Object.assign(P, { key: '', state: '', person: null, history: [], known: false }); showPerson(); drawLots(); return; }
    const key = await iinKey(v);
    const local = await localDoses(key);
    const queuedPerson = local.map((q) => q.person).find(Boolean);
    let cachedRow = await store.get('people', key);
    let state = '', person = null, server = [], known = false, cachedAt = 0, masked = maskIIN(v);
    if (navigator.onLine) {
      try {
        const p = await api.post('people/lookup', { iin: v });
        cachedRow = { key, masked: p.iin_masked || masked, person: { family: p.family, given: p.given, birth_date: p.birth_date, sex: p.sex, region: p.region },
          doses: p.doses.map((d) => ({ id: d.id, at: d.at, product: d.product, component: d.component, dose_number: d.dose_number, voided: d.voided })), at: Date.now() };
        await store.put('people', cachedRow);
        state = 'found';
      } catch (e) {
        if (e.status === 404) state = queuedPerson ? 'queued' : 'new';
        else if (e.status === 401) app.signinNeeded = true;
        else if (e.status && e.status !== 0) { iinLive.textContent = e.message; }
      }
    }
    if (my !== lookups) return;
    if (!state) {
      if (cachedRow) { state = 'found'; cachedAt = cachedRow.at; } else if (queuedPerson) state = 'queued'; else state = 'unknown';
    }
    if (state === 'found') {
      person = cachedRow.person; server = cachedRow.doses; known = true; masked = cachedRow.masked || masked;
    } else if (state === 'queued') {
      person = queuedPerson; known = true;
    } else if (state === 'new') {
      known = true;
    }
    const ids = new Set(server.map((d) => d.id));
    const history = [...server, ...local.filter((q) => !ids.has(q.id)).map((q) => ({ id: q.id, at: q.body.at, product: q.display.product, component: q.display.component, local: true }))];
    Object.assign(P, { key, state, person, history, known, cachedAt, masked });
    showPerson();
    await drawLots();
  }
  iin.addEventListener('input', () => { if (iin.value.length === 12 || !iin.value || /\D/.test(iin.value)) lookup(); else { iinLive.textContent = t('iin_len', { n: iin.value.length }); } });

  // --- scanning ---
  const onCode = (text) => {
    scanResult.replaceChildren();
    scanResult.dataset.ok = '';
    const date = sDate.value || sess.date;
    try {
      const code = gs1.parse(text, date);
      const m = gs1.resolve(products, stockRow?.data || [], code, date);
      const input = lotList.querySelector(`input[value="${CSS.escape(m.lot.lot)}"]`);
      if (!input) throw Object.assign(new Error(), { key: 'scan_not_usable', vars: { l: m.lot.lot } });
      if (input.disabled) {
        const why = input.closest('label').querySelector('.lot-why')?.textContent || '';
        throw Object.assign(new Error(), { key: 'scan_steered', vars: { l: m.lot.lot, why } });
      }
      input.checked = true;
      explain();
      scanResult.dataset.ok = 'true';
      scanResult.dataset.lot = m.lot.lot;
      scanResult.textContent = t('scan_ok', { l: m.lot.lot, p: m.product.name, c: m.lot.component, d: day(m.lot.expiry) }) + (m.item.source?.startsWith('illustrative') ? ' ' + t('gtin_illustrative') : '');
    } catch (e) {
      scanResult.dataset.ok = 'false';
      scanResult.textContent = e.key ? t(e.key, e.vars) : t('scan_bad', { m: e.message });
    }
  };

  // --- filling in a record to edit ---
  if (editing) {
    const b = editing.body;
    if (b.iin) iin.value = b.iin;
    time.value = localTime(b.at);
    if (b.at) sDate.value = isoDay(new Date(b.at));
    if (b.override) override.value = b.override;
    if (editing.person) { fam.value = editing.person.family || ''; giv.value = editing.person.given || ''; birth.value = editing.person.birth_date || ''; sex.value = editing.person.sex || ''; if (editing.person.region) region.value = editing.person.region; }
    if (b.vaccinator) sVacc.value = b.vaccinator;
  }

  // --- saving ---
  const form = h('form', { class: 'card', id: 'dose-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    saved.replaceChildren();
    const v = iin.value.trim();
    const date = sDate.value;
    if (accepted && !v && editing) { /* an accepted record no longer holds the IIN: the person stays */ }
    else if (!checkIIN(v).ok) return showFieldError(form, 'iin', iinLive.textContent || t('iin_len', { n: v.length }));
    if (!date) return showFieldError(form, 'date', t('required'));
    if (!sVacc.value.trim()) return showFieldError(form, 'vaccinator', t('required'));
    const lot = selectedLot();
    if (!lot) return showFieldError(form, 'lot', t('choose_lot'));
    if (!overrideField.hidden && !override.value.trim()) return showFieldError(form, 'override', t('override_needed'));
    const l = (stockRow?.data || []).find((x) => x.lot === lot) || {};
    let person = null;
    if (!register.hidden) {
      person = { family: fam.value.trim(), given: giv.value.trim(), birth_date: birth.value, sex: sex.value, region: region.value };
      for (const [f, val] of [['family', person.family], ['birth_date', person.birth_date], ['sex', person.sex], ['region', person.region]]) {
        if (!val) return showFieldError(form, f, t('required'));
      }
      const ph = phone.value.trim();
      if (ph && !/^\+?[0-9 ()\-.]{8,20}$/.test(ph)) return showFieldError(form, 'phone', t('phone_bad'));
      if (ph) Object.assign(person, { phone: ph, lang: plang.value });
    } else if (P.state === 'queued') {
      person = P.person; // the registration travels with every dose until the server has it
    }
    await saveSessionQuietly();
    const at = toISO(date, time.value);
    const display = { name: person ? `${person.family} ${person.given}`.trim() : P.person ? `${P.person.family} ${P.person.given || ''}`.trim() : (editing?.display?.name || ''), lot, product: l.product, component: l.component, date };
    if (accepted) {
      const changes = {};
      if (lot !== editing.body.lot) changes.lot = lot;
      if (Date.parse(at) !== Date.parse(editing.body.at)) changes.at = at;
      if (v && P.key && P.key !== editing.iinKey) changes.iin = v;
      if (override.value.trim() && override.value.trim() !== (editing.body.override || '')) changes.override = override.value.trim();
      if (!Object.keys(changes).length) return showFieldError(form, '', t('nothing_changed'));
      if (!reason.value.trim()) return showFieldError(form, 'reason', t('correction_reason_needed'));
      const corr = newCorrection(editing, changes, reason.value.trim());
      corr.by = app.me.name;
      corr.display = { ...editing.display, ...display };
      await store.put('queue', corr);
      done(t('correction_saved'), corr.id);
      return;
    }
    const body = { id: editing?.id || newID(), iin: v, at, place: sess.place, lot, vaccinator: sVacc.value.trim() };
    if (!overrideField.hidden && override.value.trim()) body.override = override.value.trim();
    if (person) Object.assign(body, { family: person.family, given: person.given, birth_date: person.birth_date, sex: person.sex, region: person.region });
    if (person?.phone) Object.assign(body, { phone: person.phone, lang: person.lang });
    const rec = {
      ...(editing || {}), id: body.id, kind: 'dose', status: 'pending', created: editing?.created || Date.now(), updated: Date.now(),
      attempts: editing?.attempts || 0, by: app.me.name, iinKey: P.key, masked: P.masked, person, body, display, error: null,
      checked: P.known,
    };
    await store.put('queue', rec);
    done(editing ? t('record_updated') : t('dose_queued', { n: (app.counts.pending || 0) + (editing ? 0 : 1) }), rec.id);
  } },
  h('h1', {}, accepted ? t('correct_title') : editing ? t('edit_title') : t('dose_title')),
  editing?.error ? h('p', { class: 'error-box', id: 'edit-reason' }, editing.error.message) : null,
  accepted ? h('p', { class: 'note' }, t('correct_note')) : null,
  field('iin', t('iin'), iin, accepted ? t('iin_correct_help') : t('iin_help')), iinLive,
  personBox, register,
  h('h2', { id: 'lots-label' }, t('lot')),
  h('div', { class: 'field', 'data-name': 'lot' }, scanner(onCode), scanResult, lotList, h('p', { class: 'field-error', 'data-field': 'lot', role: 'alert' })),
  nextInfo, overrideField,
  field('at', t('time'), time),
  reasonField,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'save' }, accepted ? t('save_correction') : t('save'))),
  status, saved);

  async function saveSessionQuietly() {
    const s = { date: sDate.value || isoDay(), vaccinator: sVacc.value.trim(), place: sess.place };
    await store.setMeta('session', s);
  }

  async function done(message, id) {
    await refreshCounts();
    saved.replaceChildren(h('p', { class: 'success-box', id: 'saved', 'data-id': id }, message, ' ', h('a', { href: '#/queue' }, t('see_queue'))));
    if (editing) { setTimeout(() => go('#/queue'), 0); }
    else {
      iin.value = ''; override.value = ''; fam.value = ''; giv.value = ''; birth.value = ''; sex.value = ''; phone.value = '';
      time.value = timeNow();
      scanResult.replaceChildren();
      await lookup();
      iin.focus();
    }
    if (navigator.onLine) syncNow();
  }

  const el = h('div', { class: 'screen dose' }, sessionBar, form);
  if (editing && editing.body.iin) await lookup(); else await drawLots(editing?.body.lot);
  if (editing) await drawLots(editing.body.lot);
  return el;
}
