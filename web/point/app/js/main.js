// The point app's shell: start-up, header, routes and the background work
// (keeping the cache fresh and the queue uploaded whenever the network is
// there). Screens live in their own modules.

import { h, t, loadStrings, setLang, getLang, initialLang, LANGS } from './ui.js';
import * as store from './store.js';
import * as api from './api.js';
import * as sync from './sync.js';

export const app = {
  me: null,          // the signed-in user as the server last said
  signinNeeded: false, // the server refused the session (expired, signed out elsewhere)
  counts: { pending: 0, rejected: 0, accepted: 0 },
  syncState: null,
};

const screens = {
  signin: () => import('./signin.js'),
  dose: () => import('./dose.js'),
  queue: () => import('./queue.js'),
  close: () => import('./close.js'),
  users: () => import('./users.js'),
  account: () => import('./account.js'),
  due: () => import('./due.js'),
};

export function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }

function parseHash() {
  const [path, query] = (location.hash.replace(/^#\/?/, '') || '').split('?');
  return { name: path || '', q: new URLSearchParams(query || '') };
}

let routing = 0;
export async function route() {
  const my = ++routing;
  const r = parseHash();
  let name = r.name;
  if (!app.me && name !== 'signin') name = 'signin';
  if (!screens[name]) name = 'dose';
  const main = document.getElementById('main');
  main.setAttribute('aria-busy', 'true');
  document.body.dataset.ready = '';
  renderHeader(name);
  let el;
  try {
    const mod = await screens[name]();
    performance.mark('screen-code');
    el = await mod.render(r);
  } catch (e) {
    el = h('div', { class: 'card error-box', role: 'alert' }, h('h1', {}, t('error')), h('p', {}, e.message || String(e)));
  }
  if (my !== routing) return;
  main.replaceChildren(el);
  main.setAttribute('aria-busy', 'false');
  document.body.dataset.ready = name;
  document.body.dataset.screen = name;
  if (!performance.getEntriesByName('shell-ready').length) performance.mark('shell-ready');
}

export async function refreshCounts() {
  app.counts = await store.counts();
  const b = document.getElementById('queue-count');
  if (b) {
    b.textContent = app.counts.pending + app.counts.rejected;
    b.dataset.pending = app.counts.pending;
    b.dataset.rejected = app.counts.rejected;
    b.hidden = app.counts.pending + app.counts.rejected === 0;
    b.className = 'count' + (app.counts.rejected ? ' bad' : '');
  }
  return app.counts;
}

function netBadge() {
  const on = navigator.onLine;
  const el = document.getElementById('net');
  if (!el) return;
  el.dataset.online = on ? 'true' : 'false';
  el.textContent = on ? t('online') : t('offline');
  el.className = 'net ' + (on ? 'on' : 'off');
}

function renderHeader(current) {
  const nav = document.getElementById('nav');
  const items = app.me ? [['dose', 'nav_dose'], ['due', 'nav_due'], ['queue', 'nav_queue'], ['close', 'nav_close']] : [];
  if (app.me?.role === 'admin') items.push(['users', 'nav_users']);
  if (app.me) items.push(['account', 'nav_account']);
  nav.replaceChildren(...items.map(([r, k]) => h('a', { href: '#/' + r, 'data-route': r, 'aria-current': current === r ? 'page' : null }, t(k),
    r === 'queue' ? h('span', { id: 'queue-count', class: 'count', hidden: true }) : null)));
  const who = document.getElementById('who');
  who.textContent = app.me ? (app.me.full_name || app.me.name) + (app.me.place ? ' · ' + app.me.place : '') : '';
  const sel = document.getElementById('lang');
  if (!sel.options.length) {
    for (const l of LANGS) sel.append(h('option', { value: l }, { kk: 'Қазақша', ru: 'Русский', en: 'English' }[l]));
    sel.addEventListener('change', () => { setLang(sel.value); route(); });
  }
  sel.value = getLang();
  document.getElementById('lang-label').textContent = t('language');
  const banner = document.getElementById('banner');
  banner.replaceChildren();
  if (app.signinNeeded && current !== 'signin') {
    banner.append(h('p', { class: 'banner warn', id: 'signin-banner' }, t('signin_again', { n: app.counts.pending }), ' ', h('a', { href: '#/signin' }, t('signin_btn'))));
  }
  netBadge();
  refreshCounts();
}

/** refreshData brings the device's cache up to date (when online). */
export async function refreshData() {
  if (!navigator.onLine || !app.me) return;
  const lang = getLang();
  const jobs = [
    api.get('products').then((r) => store.setCached('products', r.products)),
    api.get('regions?lang=' + lang).then((r) => store.setCached('regions', r.regions)),
  ];
  const place = app.me.place || (await store.meta('session'))?.place;
  if (app.me.role !== 'point') jobs.push(api.get('places?kind=point').then((r) => store.setCached('places', r.places)));
  if (place) {
    jobs.push(api.get('places/' + encodeURIComponent(place)).then((r) => store.setCached('place:' + place, r)));
    jobs.push(api.get('places/' + encodeURIComponent(place) + '/stock').then((r) => store.setCached('stock:' + place, r.lots)));
    // today's due list, for the Due screen offline
    jobs.push(import('./due.js').then(async (m) => { const { sessionInfo } = await import('./dose.js'); return m.fetchDue(place, (await sessionInfo()).date); }));
  }
  const res = await Promise.allSettled(jobs);
  const failed = res.find((x) => x.status === 'rejected');
  if (failed && failed.reason?.status === 401) app.signinNeeded = true;
}

/** syncNow uploads the queue and refreshes the counts and the cache. */
export async function syncNow() {
  const st = await sync.sync();
  if (st.signin) app.signinNeeded = true;
  await refreshCounts();
  if (!st.error) refreshData().catch(() => {});
  return st;
}

async function boot() {
  setLang(initialLang());
  // fetch the first screen's code while the strings and the session load
  const first = parseHash().name;
  if (screens[first]) screens[first]().catch(() => {});
  const [, me, csrf] = await Promise.all([loadStrings(), store.meta('me'), store.meta('csrf')]);
  performance.mark('boot-data');
  app.me = me || null;
  api.setCSRF(csrf || '');
  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => { netBadge(); syncNow(); });
  window.addEventListener('offline', netBadge);
  sync.onChange((s) => {
    app.syncState = s;
    const el = document.getElementById('sync-status');
    if (el) el.dispatchEvent(new CustomEvent('sync', { detail: s }));
    refreshCounts();
  });
  await route();
  // the service worker installs (and caches the shell) after the first screen is up
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {});
  if (navigator.onLine && app.me) {
    // the shell is up from the device; now check the session and upload
    api.refreshSession().then(async (s) => {
      if (!s) { app.signinNeeded = true; renderHeader(parseHash().name); return; }
      app.me = s.user;
      await refreshData();
      await syncNow();
    }).catch(() => {});
  }
  setInterval(() => { if (navigator.onLine && app.me && !app.signinNeeded) syncNow(); }, 30000);
}

boot();
