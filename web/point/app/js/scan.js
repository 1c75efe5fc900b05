// The barcode field: a text box that takes what a keyboard-wedge scanner
// types (ending with Enter) or a pasted or typed code, and, where the
// browser has BarcodeDetector (Chrome on Android, ChromeOS, macOS), a
// camera button that reads the DataMatrix or GS1-128 code on the pack.

import { h, t } from './ui.js';

const FORMATS = ['data_matrix', 'code_128', 'qr_code'];

/** scanner returns the widget; onCode(text) is called with each code. */
export function scanner(onCode, { id = 'scan' } = {}) {
  const input = h('input', { type: 'text', id, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', inputmode: 'text', placeholder: t('scan_placeholder'), 'aria-label': t('scan_label') });
  const use = () => { const v = input.value; if (v.trim()) onCode(v); };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); use(); } });
  const btn = h('button', { type: 'button', id: id + '-btn', onclick: use }, t('scan_use'));
  const wrap = h('div', { class: 'scanner' }, h('div', { class: 'scan-row' }, input, btn));
  if ('BarcodeDetector' in window) {
    const cam = h('button', { type: 'button', id: id + '-camera', class: 'camera', onclick: () => camera(wrap, (v) => { input.value = v.replace(/\x1d/g, '<GS>'); onCode(v); }) }, t('scan_camera'));
    wrap.querySelector('.scan-row').append(cam);
  }
  return wrap;
}

async function camera(wrap, onCode) {
  let det;
  try {
    const supported = await BarcodeDetector.getSupportedFormats();
    det = new BarcodeDetector({ formats: FORMATS.filter((f) => supported.includes(f)) });
  } catch {
    return;
  }
  const video = h('video', { class: 'camera-view', playsinline: true, muted: true });
  const stop = h('button', { type: 'button', class: 'camera-stop' }, t('scan_stop'));
  const box = h('div', { class: 'camera-box' }, video, stop);
  wrap.append(box);
  let stream, done = false;
  const close = () => { done = true; stream?.getTracks().forEach((tr) => tr.stop()); box.remove(); };
  stop.addEventListener('click', close);
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (e) {
    box.replaceChildren(h('p', { class: 'error' }, t('scan_no_camera') + ' (' + e.name + ')'), stop);
    return;
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  const tick = async () => {
    if (done) return;
    try {
      const codes = await det.detect(video);
      if (codes.length) {
        const c = codes[0];
        // BarcodeDetector drops the leading FNC1 but keeps the others as GS
        close();
        onCode(c.rawValue);
        return;
      }
    } catch { /* frame not ready */ }
    setTimeout(tick, 150);
  };
  tick();
}
