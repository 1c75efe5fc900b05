// The signed-in person's account: change the password, sign out.

import { h, t, field, clearErrors, showFieldError } from './ui.js';
import * as store from './store.js';
import * as api from './api.js';
import { app, go, refreshCounts } from './main.js';

export async function render() {
  const cur = h('input', { type: 'password', id: 'pw-current', autocomplete: 'current-password' });
  const next = h('input', { type: 'password', id: 'pw-new', autocomplete: 'new-password', minlength: 10 });
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', { class: 'card narrow', id: 'password-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      const s = await api.post('session/password', { current: cur.value, new: next.value });
      api.setCSRF(s.csrf);
      await store.setMeta('csrf', s.csrf);
      cur.value = ''; next.value = '';
      status.textContent = t('password_changed');
      status.className = 'form-status ok';
    } catch (err) {
      showFieldError(form, err.field === 'new' ? 'new' : err.field === 'current' ? 'current' : '', err.status === 0 ? t('needs_network') : err.message);
    }
  } },
  h('h2', {}, t('change_password')),
  field('current', t('password_current'), cur), field('new', t('password_new'), next, t('password_rule')),
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('change_password'))), status);
  const counts = await refreshCounts();
  const out = h('div', { class: 'card narrow' },
    h('h1', {}, app.me.full_name || app.me.name),
    h('p', { class: 'muted' }, `${app.me.actor} · ${t('role_' + app.me.role)}${app.me.place ? ' · ' + app.me.place : ''}${app.me.region ? ' · ' + app.me.region : ''}`),
    counts.pending + counts.rejected ? h('p', { class: 'note' }, t('signout_keeps', { n: counts.pending + counts.rejected })) : null,
    h('button', { type: 'button', id: 'signout', onclick: async () => {
      try { await api.post('session/logout'); } catch { /* offline: the cookie ends with its session */ }
      await store.wipe(['people']);
      await store.setMeta('me', null);
      await store.setMeta('csrf', '');
      app.me = null;
      go('#/signin');
    } }, t('signout')));
  return h('div', { class: 'screen account' }, out, form);
}
