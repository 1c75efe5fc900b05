// Closing the day's session: how many vials of each lot were opened. The
// server derives the doses left in opened vials (open-vial wastage) from
// the doses recorded that day, so the close waits in the queue until the
// day's doses are uploaded; it can be made offline like everything else.

import { h, t, day, num, clearErrors, showFieldError } from './ui.js';
import * as store from './store.js';
import { app, go, refreshCounts, syncNow } from './main.js';
import { sessionInfo } from './dose.js';

const sessionID = (place, date, lot) => `S-${place}-${date}-${lot}`;

export async function render(r) {
  const sess = await sessionInfo();
  const date = r.q.get('date') || sess.date;
  const products = (await store.cached('products'))?.data || [];
  const stock = (await store.cached('stock:' + sess.place))?.data || [];
  const rows = await store.queued();
  const given = {};
  for (const q of rows) {
    if (q.kind === 'dose' && q.status !== 'rejected' && q.body.place === sess.place && (q.display?.date || '') === date) given[q.body.lot] = (given[q.body.lot] || 0) + 1;
  }
  const closes = Object.fromEntries(rows.filter((q) => q.kind === 'session' && q.body.date === date && q.body.place === sess.place).map((q) => [q.body.lot, q]));
  const lots = [...new Set([...Object.keys(given), ...stock.filter((l) => l.status === 'released' && +l.doses > 0).map((l) => l.lot)])];
  const perVial = (lot) => {
    const l = stock.find((x) => x.lot === lot);
    const p = products.find((x) => x.code === l?.product);
    return Math.max(1, ...((p?.presentations || []).map((x) => x.doses_per_vial)));
  };
  const inputs = {};
  const table = h('table', { id: 'close-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('lot')), h('th', { class: 'num' }, t('doses_given')), h('th', {}, t('vials_opened')), h('th', {}, t('state')))),
    h('tbody', {}, lots.map((lot) => {
      const c = closes[lot];
      const input = h('input', { type: 'number', min: 0, step: 1, inputmode: 'numeric', name: 'vials:' + lot, 'data-lot': lot, value: c ? c.body.vials_opened : (given[lot] ? Math.ceil(given[lot] / perVial(lot)) : ''), disabled: c?.status === 'accepted', 'aria-label': t('vials_opened') + ' ' + lot });
      inputs[lot] = input;
      return h('tr', { 'data-lot': lot },
        h('td', {}, lot), h('td', { class: 'num' }, num(given[lot] || 0)), h('td', {}, input, h('p', { class: 'field-error', 'data-field': 'vials:' + lot })),
        h('td', {}, c ? t('close_' + c.status) : ''));
    })));
  const status = h('p', { class: 'form-status', role: 'status', id: 'close-status' });
  const form = h('form', { class: 'card', id: 'close-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    const out = [];
    for (const lot of lots) {
      const c = closes[lot];
      if (c?.status === 'accepted') continue;
      const raw = inputs[lot].value.trim();
      if (raw === '') continue;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) return showFieldError(form, 'vials:' + lot, t('whole_number'));
      if (n * perVial(lot) < (given[lot] || 0)) return showFieldError(form, 'vials:' + lot, t('vials_too_few', { n: given[lot], v: n, p: perVial(lot) }));
      const body = { session: sessionID(sess.place, date, lot), place: sess.place, date, lot, vials_opened: n };
      out.push({ ...(c || {}), id: c?.id || 'session:' + body.session, kind: 'session', status: 'pending', created: c?.created || Date.now(), updated: Date.now(), attempts: c?.attempts || 0, by: app.me.name, body, error: null, display: { lot, date } });
    }
    if (!out.length) return showFieldError(form, '', t('close_nothing'));
    await store.putMany(out);
    await refreshCounts();
    status.textContent = t('close_queued', { n: out.length });
    status.className = 'form-status ok';
    status.dataset.queued = String(out.length);
    if (navigator.onLine) syncNow();
  } },
  h('h1', {}, t('close_title')),
  h('p', { class: 'muted' }, t('close_help', { d: day(date), p: sess.place })),
  lots.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'note' }, t('close_no_lots')),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'close-btn', disabled: !lots.length }, t('close_btn'))),
  status);
  return h('div', { class: 'screen close' }, form);
}
