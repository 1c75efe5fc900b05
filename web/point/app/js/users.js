// Administration of the people who sign in (national administrators):
// create an account for a region or a vaccination point, disable or enable
// it, reset its password. A password the server makes up is shown once.

import { h, t, field, clearErrors, showFieldError, dayTime, regionName } from './ui.js';
import * as api from './api.js';
import * as store from './store.js';
import { app, go } from './main.js';

export async function render() {
  if (app.me?.role !== 'admin') return h('p', { class: 'note' }, t('admins_only'));
  if (!navigator.onLine) return h('p', { class: 'note' }, t('needs_network'));
  const [us, places, regions] = await Promise.all([api.get('users'), api.get('places?kind=point'), store.cached('regions')]);
  const shown = h('div', { id: 'user-secret', 'aria-live': 'polite' });
  const showSecret = (name, pw) => shown.replaceChildren(h('p', { class: 'success-box', id: 'temp-password', 'data-user': name },
    t('temp_password', { u: name }), ' ', h('code', {}, pw)));

  const act = async (u, what) => {
    try {
      const res = await api.post(`users/${encodeURIComponent(u.name)}/${what}`, what === 'password' ? {} : undefined);
      await redraw();
      if (res.password) showSecret(u.name, res.password);
    } catch (e) { shown.replaceChildren(h('p', { class: 'error-box' }, e.message)); }
  };
  const tbody = h('tbody');
  const redraw = async () => {
    const list = (await api.get('users')).users;
    tbody.replaceChildren(...list.map((u) => h('tr', { 'data-user': u.name, 'data-disabled': String(u.disabled) },
      h('td', {}, h('strong', {}, u.name), h('br'), h('span', { class: 'muted small' }, u.full_name || '')),
      h('td', {}, t('role_' + u.role), ' ', u.place || u.region || ''),
      h('td', {}, u.disabled ? t('disabled') : u.locked_until ? t('locked_until', { t: dayTime(u.locked_until) }) : t('active')),
      h('td', { class: 'actions-cell' },
        u.disabled ? h('button', { type: 'button', class: 'enable', onclick: () => act(u, 'enable') }, t('enable'))
          : h('button', { type: 'button', class: 'disable', disabled: u.actor === app.me.actor, onclick: () => act(u, 'disable') }, t('disable')),
        h('button', { type: 'button', class: 'reset', onclick: () => act(u, 'password') }, t('reset_password'))))));
  };
  await redraw();

  const name = h('input', { type: 'text', id: 'u-name', autocapitalize: 'none', spellcheck: 'false', pattern: '[a-z0-9._-]{2,64}' });
  const full = h('input', { type: 'text', id: 'u-full' });
  const role = h('select', { id: 'u-role' }, ['point', 'region', 'admin', 'auditor'].map((r) => h('option', { value: r }, t('role_' + r))));
  const place = h('select', { id: 'u-place' }, h('option', { value: '' }, t('choose')), places.places.map((p) => h('option', { value: p.id }, `${p.name} (${p.id})`)));
  const region = h('select', { id: 'u-region' }, h('option', { value: '' }, t('choose')), (regions?.data || []).map((r) => h('option', { value: r.code }, regionName(r))));
  const pw = h('input', { type: 'password', id: 'u-password', autocomplete: 'new-password' });
  const placeField = field('place', t('place'), place);
  const regionField = field('region', t('region'), region);
  const scope = () => { placeField.hidden = role.value !== 'point'; regionField.hidden = role.value !== 'region'; };
  role.addEventListener('change', scope);
  scope();
  const form = h('form', { class: 'card', id: 'user-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = { name: name.value.trim(), full_name: full.value.trim(), role: role.value };
    if (role.value === 'point') body.place = place.value;
    if (role.value === 'region') body.region = region.value;
    if (pw.value) body.password = pw.value;
    try {
      const res = await api.post('users', body);
      form.reset();
      scope();
      await redraw();
      if (res.password) showSecret(res.user.name, res.password);
      else shown.replaceChildren(h('p', { class: 'success-box' }, t('user_created', { u: res.user.name })));
    } catch (err) { showFieldError(form, err.field, err.message); }
  } },
  h('h2', {}, t('new_user')),
  h('div', { class: 'grid2' }, field('name', t('user_name'), name, t('user_name_help')), field('full_name', t('full_name'), full), field('role', t('role'), role), placeField, regionField,
    field('password', t('first_password'), pw, t('first_password_help'))),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'user-create' }, t('create'))),
  h('p', { class: 'form-status', role: 'status' }));
  return h('div', { class: 'screen users' },
    h('h1', {}, t('users_title')), shown,
    h('div', { class: 'card table-wrap' }, h('table', { id: 'users-table' }, h('thead', {}, h('tr', {}, h('th', {}, t('user_name')), h('th', {}, t('role')), h('th', {}, t('state')), h('th', {}, ''))), tbody)),
    form);
}
