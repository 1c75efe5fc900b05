// Choropleth of the 17 first-level units of 2021 from kz-regions-2021.geojson.
// Projection: equirectangular with x = lon·cos(48°), y = −lat, fitted to
// the SVG viewBox. Feature id (= properties.iso_2021) is the region code.

import { el } from './charts.js';
import { regionName } from './i18n.js';

let geo = null;
export async function loadGeo() {
  if (!geo) {
    geo = fetch('kz-regions-2021.geojson').then((r) => {
      if (!r.ok) throw new Error('boundaries: HTTP ' + r.status);
      return r.json();
    });
    geo.catch(() => { geo = null; });
  }
  return geo;
}

const K = Math.cos((48 * Math.PI) / 180);

function rings(g) {
  if (g.type === 'Polygon') return g.coordinates;
  if (g.type === 'MultiPolygon') return g.coordinates.flat();
  return [];
}

// Sequential blues (ColorBrewer Blues 6, colour-blind safe); text stays dark
// on the light end and the legend shows the classes.
export const BLUES = ['#eff3ff', '#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
export const GREENS = ['#fee5d9', '#fcbba1', '#c7e9c0', '#a1d99b', '#41ab5d', '#006d2c'];

/** classify returns the index of v among ascending breaks. */
export function classify(v, breaks) {
  if (v == null || Number.isNaN(v)) return -1;
  let i = 0;
  while (i < breaks.length && v >= breaks[i]) i++;
  return i;
}

/**
 * drawMap renders the choropleth.
 * opts: {value(code) -> number|null, breaks: [5 numbers], colors: [6], fmt(v), label(code, feature) -> string, onSelect(code)}
 */
export function drawMap(gj, { value, breaks, colors, onSelect, label }) {
  const W = 800;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const f of gj.features) for (const r of rings(f.geometry)) for (const [lon, lat] of r) {
    const x = lon * K, y = -lat;
    if (x < minX) minX = x; if (x > maxX) maxX = x; if (y < minY) minY = y; if (y > maxY) maxY = y;
  }
  const pad = 6;
  const s = (W - 2 * pad) / (maxX - minX);
  const H = Math.ceil((maxY - minY) * s + 2 * pad);
  const px = (lon) => (pad + (lon * K - minX) * s).toFixed(1);
  const py = (lat) => (pad + (-lat - minY) * s).toFixed(1);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map-svg', role: 'group' });
  // regions first, cities on top (they sit in holes of their regions)
  const feats = [...gj.features].sort((a, b) => (a.properties.type === 'city') - (b.properties.type === 'city'));
  const cities = [];
  for (const f of feats) {
    const code = f.id || f.properties.iso_2021;
    let d = '';
    let cx = 0, cy = 0, cn = 0;
    for (const r of rings(f.geometry)) {
      d += 'M' + r.map(([lon, lat]) => px(lon) + ',' + py(lat)).join('L') + 'Z';
      if (f.properties.type === 'city') for (const [lon, lat] of r) { cx += +px(lon); cy += +py(lat); cn++; }
    }
    const v = value(code);
    const ci = classify(v, breaks);
    const fill = ci < 0 ? '#d9d9d9' : colors[ci];
    const name = label(code, f);
    const p = el('path', { d, fill, 'fill-rule': 'evenodd', class: 'region', tabindex: 0, role: 'link', 'aria-label': name, 'data-code': code });
    p.append(el('title', {}, name));
    const go = () => onSelect && onSelect(code);
    p.addEventListener('click', go);
    p.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
    svg.append(p);
    if (f.properties.type === 'city' && cn) cities.push({ code, x: cx / cn, y: cy / cn, fill, name, go });
  }
  // cities are a few pixels wide at this scale: mark them with a dot too
  for (const c of cities) {
    const dot = el('circle', { cx: c.x.toFixed(1), cy: c.y.toFixed(1), r: 7, fill: c.fill, class: 'city-dot', 'data-code': c.code });
    dot.append(el('title', {}, c.name));
    dot.addEventListener('click', c.go);
    svg.append(dot);
  }
  return svg;
}

export function featureName(f) { return regionName(f.properties); }

/** quantBreaks splits values into six classes of about equal size. */
export function quantBreaks(vals) {
  if (!vals.length) return [1, 2, 3, 4, 5];
  const s = [...vals].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const b = [q(1 / 6), q(2 / 6), q(3 / 6), q(4 / 6), q(5 / 6)];
  for (let i = 1; i < b.length; i++) if (b[i] <= b[i - 1]) b[i] = b[i - 1] + 1e-9;
  return b;
}
