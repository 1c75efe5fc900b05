// Certificates screen: issue an EU DCC vaccination certificate for a person
// (by person id, or by IIN looked up with POST people/lookup), show its QR
// code and a printable page; verify a certificate from its HC1 text or a QR
// PNG (POST certificates/verify, public: no token is sent).

import { t, num, date } from './i18n.js';
import { post, postRaw, getText } from './api.js';
import { checkIIN } from './iin.js';
import { h, app, field, clearErrors, showError, ok, signedIn } from './app.js';

const STEPS = ['input', 'prefix', 'base45', 'zlib', 'cose', 'kid', 'signature', 'cwt', 'schema', 'expiry', 'key_usage', 'revocation'];
const stepLabel = (s) => (STEPS.includes(s) ? t('step_' + s) : s);
const CODES = ['input_too_large', 'empty_input', 'qr_decode', 'prefix', 'base45', 'zlib', 'cose', 'unknown_kid', 'bad_signature', 'cwt', 'schema', 'not_yet_valid', 'expired', 'dsc_validity', 'key_usage', 'revoked'];
/** codeReason says in the chosen language why verification failed (the verifier's precise English reason follows). */
const codeReason = (c) => (CODES.includes(c) ? t('vcode_' + c) : c || '');

let printURL = null; // the blob URL of the last printable page (revoked when replaced)

export async function certificatesScreen(r) {
  const verify = verifyForm(r.q.get('hc1') || '');
  const canIssue = signedIn() && app.me && app.me.role !== 'public';
  return h('div', { class: 'screen certificates' },
    h('h1', {}, t('cert_title')),
    canIssue ? issueForm(verify) : h('p', { class: 'note' }, t('cert_issue_signin')),
    verify.node);
}

// ---------- issue ----------
function issueForm(verify) {
  const pid = h('input', { type: 'text', id: 'c-person', autocomplete: 'off', spellcheck: 'false', maxlength: 32, pattern: '[0-9a-f]{32}' });
  const iin = h('input', { type: 'text', id: 'c-iin', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, spellcheck: 'false' });
  const live = h('p', { class: 'iin-live', id: 'c-iin-live', 'aria-live': 'polite' });
  iin.addEventListener('input', () => {
    const c = checkIIN(iin.value);
    live.textContent = !iin.value ? '' : c.ok ? t('iin_ok') : c.code === 'length' ? t('iin_len', { n: c.n }) : t('iin_' + (c.code === 'check' ? 'bad' : c.code));
    live.className = 'iin-live ' + (c.ok ? 'valid' : iin.value.length >= 12 ? 'invalid' : '');
  });
  const result = h('div', { id: 'cert-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', id: 'issue-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    result.replaceChildren();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      let person = pid.value.trim().toLowerCase();
      if (!person) {
        if (!iin.value.trim()) { showError(form, { field: 'person', message: t('cert_need_person') }); return; }
        const c = checkIIN(iin.value.trim());
        if (!c.ok) { showError(form, { field: 'iin', message: live.textContent || t('iin_bad') }); return; }
        try {
          const p = await post('people/lookup', { iin: iin.value.trim() });
          person = p.id;
          pid.value = person;
        } catch (err) { showError(form, err, { '': 'iin', body: 'iin' }); return; }
      }
      const is = await post('certificates', { person });
      ok(form, t('cert_issued'));
      result.replaceChildren(await issuedCard(is, verify));
    } catch (err) {
      showError(form, err, { dose: 'person' });
    } finally { btn.disabled = false; }
  } },
  h('h2', {}, t('cert_issue_title')),
  h('p', { class: 'muted small' }, t('cert_issue_help')),
  h('div', { class: 'two-col' },
    field('iin', t('iin'), iin, t('cert_iin_help')),
    field('person', t('cert_person'), pid, t('cert_person_help'))),
  live,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'issue-btn' }, t('cert_issue_btn'))),
  h('p', { class: 'form-status', role: 'status' }),
  result);
  return form;
}

async function issuedCard(is, verify) {
  const c = is.certificate || {};
  const v = (c.v || [])[0] || {};
  const name = [c.nam?.fn, c.nam?.gn].filter(Boolean).join(', ');
  const img = h('img', { class: 'qr', id: 'cert-qr', alt: t('cert_qr_alt', { uvci: is.uvci }), width: 220, height: 220, src: 'data:image/png;base64,' + is.png });
  const link = h('a', { id: 'cert-print', class: 'button', target: '_blank', rel: 'noopener' }, t('cert_print'));
  const linkNote = h('span', { class: 'muted small' });
  try {
    // the printable page needs the token, which a plain link does not send:
    // fetch it and open the copy
    const pg = await getText(is.print_url);
    if (printURL) URL.revokeObjectURL(printURL);
    printURL = URL.createObjectURL(new Blob([pg.text], { type: 'text/html' }));
    link.href = printURL;
    link.dataset.ready = 'true';
  } catch (err) {
    link.removeAttribute('href');
    linkNote.textContent = ' ' + (err.message || String(err));
  }
  const hc1 = h('textarea', { id: 'cert-hc1', readonly: true, rows: 4, spellcheck: 'false', 'aria-label': 'HC1' }, is.hc1);
  return h('div', { class: 'cert-issued', 'data-uvci': is.uvci },
    h('div', { class: 'cert-qr-wrap' }, img),
    h('div', { class: 'cert-info' },
      h('dl', { class: 'kv' },
        h('dt', {}, t('cert_name')), h('dd', {}, name, c.nam?.fnt ? h('span', { class: 'muted' }, ` (${[c.nam.fnt, c.nam.gnt].filter(Boolean).join(' ')})`) : null),
        h('dt', {}, t('birth_date')), h('dd', {}, c.dob || '–'),
        h('dt', {}, t('cert_vaccine')), h('dd', {}, is.product_name || v.mp || '–'),
        h('dt', {}, t('cert_dose')), h('dd', {}, v.dn ? `${v.dn} / ${v.sd}` : '–', v.dt ? ` · ${date(v.dt)}` : ''),
        h('dt', {}, 'UVCI'), h('dd', { class: 'mono', id: 'cert-uvci' }, is.uvci),
        h('dt', {}, t('cert_expires')), h('dd', {}, date(is.expires_at))),
      h('label', { for: 'cert-hc1' }, 'HC1'), hc1,
      h('div', { class: 'actions' }, link, linkNote, ' ',
        h('button', { type: 'button', id: 'cert-verify-this', onclick: () => verify.check(is.hc1) }, t('cert_verify_this')))));
}

// ---------- verify ----------
function verifyForm(initial) {
  const text = h('textarea', { id: 'verify-hc1', name: 'hc1', rows: 4, spellcheck: 'false', placeholder: 'HC1:NCF…' }, initial);
  const file = h('input', { type: 'file', id: 'verify-file', name: 'file', accept: 'image/png' });
  const result = h('div', { id: 'verify-result-slot', 'aria-live': 'polite' });
  const run = async (body, type) => {
    clearErrors(form);
    result.replaceChildren();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const res = await postRaw('certificates/verify', body, type, { withToken: false });
      result.replaceChildren(verdict(res));
    } catch (err) {
      showError(form, err, { body: file.files.length ? 'file' : 'hc1' });
    } finally { btn.disabled = false; }
  };
  const form = h('form', { class: 'card', id: 'verify-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    if (file.files.length) {
      const f = file.files[0];
      run(await f.arrayBuffer(), 'image/png');
    } else if (text.value.trim()) {
      run(text.value.trim(), 'text/plain; charset=utf-8');
    } else {
      clearErrors(form);
      showError(form, { field: 'hc1', message: t('verify_need') });
    }
  } },
  h('h2', {}, t('verify_title')),
  h('p', { class: 'muted small' }, t('verify_help')),
  field('hc1', t('verify_paste'), text),
  field('file', t('verify_file'), file, t('verify_file_help')),
  h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary', id: 'verify-btn' }, t('verify_btn')), ' ',
    h('button', { type: 'button', id: 'verify-clear', onclick: () => { text.value = ''; file.value = ''; clearErrors(form); result.replaceChildren(); } }, t('verify_clear'))),
  h('p', { class: 'form-status', role: 'status' }),
  result);
  return {
    node: form,
    check: (hc1) => { text.value = hc1; file.value = ''; form.scrollIntoView({ block: 'start' }); form.requestSubmit(); },
  };
}

function verdict(res) {
  const okv = !!res.ok;
  const c = res.certificate || {};
  const steps = res.steps || [];
  return h('div', { class: 'verdict ' + (okv ? 'valid' : 'invalid'), id: 'verify-result', 'data-ok': String(okv), 'data-code': res.code || '', role: 'status' },
    h('p', { class: 'verdict-head' }, h('span', { class: 'verdict-mark', 'aria-hidden': 'true' }, okv ? '✔' : '✘'), ' ',
      h('strong', { id: 'verify-verdict' }, okv ? t('verify_valid') : t('verify_invalid')),
      res.code && !okv ? h('span', { class: 'muted' }, ` · ${t('verify_code')}: ${res.code}`) : null),
    !okv && res.reason ? h('p', { class: 'verdict-reason', id: 'verify-reason' }, h('strong', {}, t('verify_reason') + ': '), stepLabel(res.step) ? `[${stepLabel(res.step)}] ` : '',
      codeReason(res.code), h('span', { class: 'muted small reason-detail', lang: 'en' }, ' (' + res.reason + ')')) : null,
    h('ol', { class: 'steps' }, steps.map((s) => h('li', { class: s.ok ? 'ok' : 'bad', 'data-step': s.step },
      h('span', { class: 'step-mark', 'aria-label': s.ok ? t('verify_step_ok') : t('verify_step_bad') }, s.ok ? '✔' : '✘'), ' ',
      h('span', { class: 'step-name' }, stepLabel(s.step)),
      s.detail ? h('span', { class: 'step-detail', lang: 'en' }, ' — ' + s.detail) : null))),
    okv && (c.nam || c.v) ? h('dl', { class: 'kv' },
      h('dt', {}, t('cert_name')), h('dd', {}, [c.nam?.fn, c.nam?.gn].filter(Boolean).join(', ')),
      h('dt', {}, t('birth_date')), h('dd', {}, c.dob || '–'),
      ...(c.v || []).flatMap((v) => [h('dt', {}, t('cert_dose')), h('dd', {}, `${v.mp} · ${v.dn} / ${v.sd} · ${date(v.dt)} · ${v.co}`)]),
      h('dt', {}, 'UVCI'), h('dd', { class: 'mono' }, res.uvci || '–'),
      h('dt', {}, t('verify_issuer')), h('dd', {}, `${res.issuer || '–'} · kid ${res.kid || '–'}`),
      h('dt', {}, t('cert_expires')), h('dd', {}, date(res.expires_at))) : null,
    h('p', { class: 'muted small' }, t('verify_clock', { clock: res.clock ? new Date(res.clock).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '–' }), steps.length ? ` · ${num(steps.filter((s) => s.ok).length)}/${num(steps.length)} ${t('verify_steps_ok')}` : ''));
}
