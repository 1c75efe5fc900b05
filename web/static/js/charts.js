// Small inline-SVG charts: line chart, grouped bar chart and horizontal bars.
// An SVG is drawn at the width it will be shown at (its viewBox matches the
// space the main column gives it), so its 11 px text stays 11 px on a phone.
// Every legend item is something drawn; a chart carries a <title> and an
// aria-label so that screen readers get a summary.

const NS = 'http://www.w3.org/2000/svg';

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

export const PALETTE = ['#1f5fa8', '#d9822b', '#2e8540', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d', '#b7950b'];

/** chartWidth is the width a chart will get inside the main column (a card's padding less). */
export function chartWidth() {
  const m = document.getElementById('main');
  const w = (m && m.clientWidth) || window.innerWidth || 640;
  return Math.max(280, Math.min(1200, Math.round(w - 2 * 16 - 20)));
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function legend(items) {
  const d = document.createElement('ul');
  d.className = 'legend';
  for (const it of items) {
    const li = document.createElement('li');
    li.dataset.series = it.name;
    const sw = document.createElement('span');
    sw.className = 'swatch' + (it.dash ? ' dashed' : '') + (it.band ? ' band' : '');
    sw.style.setProperty('--c', it.color);
    li.append(sw, document.createTextNode(it.name));
    d.append(li);
  }
  return d;
}

function wrap(svg, items, caption) {
  const fig = document.createElement('figure');
  fig.className = 'chart';
  if (caption) {
    const c = document.createElement('figcaption');
    c.textContent = caption;
    fig.append(c);
  }
  fig.append(svg);
  if (items && items.length) fig.append(legend(items));
  return fig;
}

/** margins: the left margin fits the widest y tick label (11 px digits are about 6.5 px wide). */
function leftMargin(labels) { return Math.max(34, 10 + Math.max(...labels.map((s) => String(s).length)) * 6.5); }

/**
 * lineChart draws series over shared x labels.
 * opts: {labels: [string], series: [{name, values, color?, dash?, area?}], fmt(y), xfmt(label), caption, height,
 *        band?: {name, lo: [number|null], hi: [number|null], color?} (a shaded range),
 *        marker?: {i, label} (a vertical rule), refs?: [{name, value, color?}] (horizontal reference lines, e.g. a rate needed)}
 * Series with no value in range are left out of the drawing and the legend.
 */
export function lineChart({ labels, series, fmt = String, xfmt = String, caption, height = 260, band, marker, refs = [] }) {
  const W = chartWidth(), H = height;
  const n = labels.length;
  const drawn = series.filter((s) => s.values.some((v) => v != null));
  const bandVals = band ? [...band.lo, ...band.hi].filter((v) => v != null) : [];
  const max = niceMax(Math.max(0, ...bandVals, ...refs.map((r) => r.value), ...drawn.flatMap((s) => s.values.filter((v) => v != null))));
  const ticks = [0, 1, 2, 3, 4].map((k) => fmt((max * k) / 4));
  const L = leftMargin(ticks), R = 10, T = 12, B = 26;
  const x = (i) => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': caption || '', class: 'chart-svg' });
  if (caption) svg.append(el('title', {}, caption));
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: L - 5, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, ticks[k]));
  }
  const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((W - L) / 70))));
  for (let i = 0; i < n; i += every) {
    const anchor = i === 0 ? 'start' : x(i) > W - R - 30 ? 'end' : 'middle';
    svg.append(el('text', { x: x(i), y: H - 8, 'text-anchor': anchor, class: 'tick' }, xfmt(labels[i])));
  }
  const items = [];
  if (band) {
    band.color = band.color || '#1f5fa8';
    const idx = [];
    for (let i = 0; i < n; i++) if (band.lo[i] != null && band.hi[i] != null) idx.push(i);
    if (idx.length) {
      const d = idx.map((i, k) => (k ? 'L' : 'M') + x(i).toFixed(1) + ',' + y(band.hi[i]).toFixed(1)).join('') +
        idx.slice().reverse().map((i) => 'L' + x(i).toFixed(1) + ',' + y(band.lo[i]).toFixed(1)).join('') + 'Z';
      const p = el('path', { d, fill: band.color, 'fill-opacity': 0.22, stroke: band.color, 'stroke-opacity': 0.4, 'stroke-width': 0.8, class: 'band' });
      p.append(el('title', {}, band.name));
      svg.append(p);
      items.push({ name: band.name, color: band.color, band: true });
    }
  }
  if (marker && marker.i >= 0 && marker.i < n) {
    svg.append(el('line', { x1: x(marker.i), x2: x(marker.i), y1: T, y2: H - B, stroke: '#4a5561', 'stroke-dasharray': '2 3', class: 'marker' }));
    if (marker.label) svg.append(el('text', { x: x(marker.i) + 4, y: T + 10, class: 'tick' }, marker.label));
  }
  drawn.forEach((s, si) => {
    const color = s.color || PALETTE[si % PALETTE.length];
    s.color = color;
    let d = '';
    s.values.forEach((v, i) => { if (v != null) d += (d ? 'L' : 'M') + x(i).toFixed(1) + ',' + y(v).toFixed(1); });
    if (s.area) {
      const first = s.values.findIndex((v) => v != null);
      let last = s.values.length - 1;
      while (last > 0 && s.values[last] == null) last--;
      svg.append(el('path', { d: d + `L${x(last)},${y(0)}L${x(first)},${y(0)}Z`, fill: color, 'fill-opacity': 0.12, stroke: 'none' }));
    }
    const p = el('path', { d, fill: 'none', stroke: color, 'stroke-width': s.dash ? 1.5 : 2.2, 'stroke-dasharray': s.dash ? '6 4' : null, class: 'series', 'data-series': s.name });
    p.append(el('title', {}, s.name));
    svg.append(p);
    items.push({ name: s.name, color, dash: s.dash });
  });
  for (const r of refs) {
    const color = r.color || '#c0392b';
    const ln = el('line', { x1: L, x2: W - R, y1: y(r.value), y2: y(r.value), stroke: color, 'stroke-width': 1.6, 'stroke-dasharray': '6 4', class: 'ref', 'data-series': r.name });
    ln.append(el('title', {}, r.name));
    svg.append(ln);
    items.push({ name: r.name, color, dash: true });
  }
  return wrap(svg, items, caption);
}

/**
 * hbars draws horizontal bars (HTML, so labels wrap at phone width).
 * rows: [{label, sub?, href?, values: [number]}]; series: [{name, color?}]; max: scale top.
 */
export function hbars({ rows, series, max, fmt = String, caption }) {
  const fig = document.createElement('figure');
  fig.className = 'chart hbars';
  if (caption) {
    const c = document.createElement('figcaption');
    c.textContent = caption;
    fig.append(c);
  }
  const top = max || niceMax(Math.max(0, ...rows.flatMap((r) => r.values)));
  series.forEach((s, i) => { s.color = s.color || PALETTE[i % PALETTE.length]; });
  for (const r of rows) {
    const row = document.createElement('div');
    row.className = 'hbar-row';
    const lab = document.createElement(r.href ? 'a' : 'span');
    lab.className = 'hbar-label';
    if (r.href) lab.href = r.href;
    lab.textContent = r.label;
    if (r.sub) {
      const sub = document.createElement('span');
      sub.className = 'hbar-sub';
      sub.textContent = r.sub;
      lab.append(sub);
    }
    const bars = document.createElement('div');
    bars.className = 'hbar-bars';
    r.values.forEach((v, i) => {
      const b = document.createElement('div');
      b.className = 'hbar';
      const fill = document.createElement('span');
      fill.style.width = Math.max(0, Math.min(100, (100 * (v || 0)) / top)) + '%';
      fill.style.background = series[i].color;
      const val = document.createElement('em');
      val.textContent = fmt(v);
      b.append(fill, val);
      b.title = `${r.label} — ${series[i].name}: ${fmt(v)}`;
      bars.append(b);
    });
    row.append(lab, bars);
    fig.append(row);
  }
  fig.append(legend(series));
  return fig;
}
