// Scanning a pack at a warehouse receipt: the GS1 DataMatrix or GS1-128
// code (typed, pasted, from a keyboard-wedge scanner, or from the camera
// where the browser has BarcodeDetector) is resolved by the server
// (POST /api/v1/gs1/resolve) to product, component and lot, checked
// against the shipment being received; an unknown GTIN or lot, a lot whose
// printed expiry disagrees with the registered one, an expired lot or one
// that is not in the shipment is refused with the server's reason.
// Its few strings are kept here (en, ru, kk) so the module stands alone.

import { post } from './api.js';
import { getLang } from './i18n.js';

const S = {
  en: { label: 'Scan a pack (GS1 barcode)', use: 'Check', camera: 'Camera', ok: 'Lot {l}: {p} component {c}, expires {d} — in this shipment: {n} doses', found: 'Lot {l} ({p} {c}) is in shipment {s}: chosen', none: 'no shipment in transit carries lot {l}' },
  ru: { label: 'Сканировать упаковку (штрихкод GS1)', use: 'Проверить', camera: 'Камера', ok: 'Серия {l}: {p}, компонент {c}, годен до {d} — в этой поставке: {n} доз', found: 'Серия {l} ({p} {c}) есть в поставке {s}: выбрана', none: 'ни одна поставка в пути не везёт серию {l}' },
  kk: { label: 'Қаптаманы сканерлеу (GS1 штрихкоды)', use: 'Тексеру', camera: 'Камера', ok: '{l} сериясы: {p}, {c} компонент, мерзімі {d} — бұл жеткізілімде: {n} доза', found: '{l} сериясы ({p} {c}) {s} жеткізілімінде: таңдалды', none: 'жолдағы бірде-бір жеткізілімде {l} сериясы жоқ' },
};
const tr = (k, v) => ((S[getLang()] || S.en)[k] || S.en[k]).replace(/\{(\w+)\}/g, (m, x) => v?.[x] ?? m);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
}

/**
 * receiptScanner returns the scan box of the receive form. shipment() is the
 * chosen shipment id (''), date() the receipt day (YYYY-MM-DD), shipments
 * the shipments in transit ({shipment, lines}), choose(id) selects one.
 */
export function receiptScanner({ shipment, date, shipments, choose }) {
  const input = el('input', { type: 'text', id: 'receipt-scan', autocomplete: 'off', spellcheck: 'false' });
  const out = el('p', { id: 'receipt-scan-result', class: 'scan-result', role: 'status' });
  const run = async (code) => {
    out.textContent = '';
    out.dataset.ok = '';
    let sid = shipment();
    if (!sid) {
      // no shipment chosen: resolve the pack, then find the shipment that carries its lot
      try {
        const m = await post('gs1/resolve', { code, date: date() || undefined });
        const s = (shipments || []).find((x) => (x.lines || []).some((l) => l.lot === m.lot));
        if (!s) throw new Error(tr('none', { l: m.lot }));
        choose(s.shipment);
        sid = s.shipment;
      } catch (e) { out.dataset.ok = 'false'; out.textContent = e.message; return; }
    }
    try {
      const m = await post('gs1/resolve', { code, date: date() || undefined, shipment: sid });
      out.dataset.ok = 'true';
      out.dataset.lot = m.lot;
      out.textContent = tr('ok', { l: m.lot, p: m.product_name, c: m.component, d: m.lot_expiry, n: m.in_shipment });
    } catch (e) {
      out.dataset.ok = 'false';
      out.textContent = e.message;
    }
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); run(input.value); } });
  const row = el('div', { class: 'scan-row' }, input, el('button', { type: 'button', id: 'receipt-scan-btn', onclick: () => run(input.value) }, tr('use')));
  if ('BarcodeDetector' in window) {
    row.append(el('button', { type: 'button', onclick: () => camera(row, (v) => { input.value = v; run(v); }) }, tr('camera')));
  }
  return el('div', { class: 'field receipt-scan' }, el('label', { for: 'receipt-scan' }, tr('label')), row, out);
}

async function camera(row, onCode) {
  let det, stream;
  try {
    det = new BarcodeDetector({ formats: ['data_matrix', 'code_128', 'qr_code'] });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch { return; }
  const video = el('video', { playsinline: '', muted: '', style: 'width:100%;max-height:40vh' });
  row.after(video);
  video.srcObject = stream;
  await video.play().catch(() => {});
  const stop = () => { stream.getTracks().forEach((x) => x.stop()); video.remove(); };
  for (let i = 0; i < 400; i++) {
    const codes = await det.detect(video).catch(() => []);
    if (codes.length) { stop(); onCode(codes[0].rawValue); return; }
    await new Promise((r) => setTimeout(r, 150));
  }
  stop();
}
