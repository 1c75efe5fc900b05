// Sign-in with a name and a password (POST /api/v1/session): the server
// sets the HttpOnly session cookie and answers with the CSRF token that
// every write then carries.

import { h, t, field, clearErrors, showFieldError } from './ui.js';
import * as store from './store.js';
import * as api from './api.js';
import { app, go, refreshData, syncNow } from './main.js';

// explain says a sign-in refusal in the chosen language (the server's
// messages are English).
function explain(err) {
  const m = err.message || '';
  if (err.status === 0) return t('signin_offline');
  if (/locked for (\d+)/.test(m)) return t('signin_locked', { n: m.match(/locked for (\d+)/)[1] });
  if (/wrong name or password/.test(m)) return t('signin_wrong');
  if (/disabled/.test(m)) return t('signin_disabled');
  if (/HTTPS/.test(m)) return t('signin_https');
  return m;
}

export async function render() {
  const name = h('input', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true, id: 'name' });
  const pw = h('input', { type: 'password', autocomplete: 'current-password', required: true, id: 'password' });
  const status = h('p', { class: 'form-status', role: 'status', id: 'signin-status' });
  const form = h('form', { class: 'card narrow', id: 'signin-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!navigator.onLine) { showFieldError(form, '', t('signin_offline')); return; }
    const btn = form.querySelector('button');
    btn.disabled = true;
    try {
      const s = await api.post('session', { name: name.value.trim(), password: pw.value });
      api.setCSRF(s.csrf);
      const before = await store.meta('me');
      if (before && before.name !== s.user.name) await store.wipe(['people']); // another person's look-ups
      await store.setMeta('csrf', s.csrf);
      await store.setMeta('me', s.user);
      await store.setMeta('expires', s.expires);
      app.me = s.user;
      app.signinNeeded = false;
      pw.value = '';
      await refreshData().catch(() => {});
      syncNow();
      go('#/dose');
    } catch (err) {
      showFieldError(form, err.field === 'password' ? 'password' : '', explain(err));
      status.dataset.status = String(err.status);
    } finally { btn.disabled = false; }
  } },
  h('h1', {}, t('signin_title')),
  h('p', { class: 'muted' }, t('signin_help')),
  field('name', t('user_name'), name),
  field('password', t('password'), pw),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'signin-btn' }, t('signin_btn'))),
  status);
  if (app.me) name.value = app.me.name;
  return h('div', { class: 'screen signin' }, form);
}
