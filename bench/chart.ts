// bench/results/latest.svg: grouped bars (median ms per engine, one group per model and
// thread count) on a log scale, written by hand so it needs no plotting library.
import { ENGINES, type Report } from './report.js';

const COLORS: Record<string, string> = { 'xnor-web': '#2b8a3e', 'onnxruntime-web': '#1c7ed6', 'tfjs-wasm': '#e8590c' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function chart(rep: Report): string {
  const groups = [...new Set(rep.rows.map((r) => `${r.model}|${r.threads}`))];
  const W = 760, H = 420, left = 64, right = 16, top = 56, bottom = 90;
  const plotW = W - left - right, plotH = H - top - bottom;
  const values = rep.rows.map((r) => r.median_ms).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const y = (v: number) => top + plotH * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="16" y="22" font-size="14" font-weight="600">Inference in Chromium, input 1×3×224×224: median ms, log scale (lower is better)</text>`,
  ];
  // Legend.
  ENGINES.forEach((e, i) => {
    const x = left + i * 190;
    out.push(`<rect x="${x}" y="32" width="12" height="12" fill="${COLORS[e]}"/>`, `<text x="${x + 17}" y="42">${e === 'xnor-web' ? 'xnor-web (binary)' : `${e} (float32)`}</text>`);
  });
  // Grid: every decade labelled, 2× and 5× faint.
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(d).toFixed(1)}" y2="${y(d).toFixed(1)}" stroke="#adb5bd"/>`);
    out.push(`<text x="${left - 6}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end">${d >= 1 ? d : d.toFixed(2)}</text>`);
    for (const m of [2, 5])
      if (d * m < hi) out.push(`<line x1="${left}" x2="${W - right}" y1="${y(d * m).toFixed(1)}" y2="${y(d * m).toFixed(1)}" stroke="#e9ecef"/>`);
  }
  out.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">ms</text>`);
  const gw = plotW / Math.max(1, groups.length);
  const bw = Math.min(48, (gw - 24) / ENGINES.length);
  groups.forEach((g, gi) => {
    const [model, threads] = g.split('|');
    const x0 = left + gi * gw + (gw - bw * ENGINES.length) / 2;
    ENGINES.forEach((e, ei) => {
      const r = rep.rows.find((row) => row.model === model && row.threads === Number(threads) && row.engine === e);
      if (!r) return;
      const x = x0 + ei * bw, yt = y(r.median_ms);
      out.push(`<rect x="${(x + 2).toFixed(1)}" y="${yt.toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${(top + plotH - yt).toFixed(1)}" fill="${COLORS[e]}"><title>${esc(`${r.engine} ${r.model} ×${r.threads_used} thread(s): median ${r.median_ms} ms, p90 ${r.p90_ms} ms`)}</title></rect>`);
      out.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(yt - 4).toFixed(1)}" text-anchor="middle" font-size="11">${fmt(r.median_ms)}</text>`);
    });
    const name = model === 'resnet18' ? 'ResNet-18' : 'AlexNet';
    const used = rep.rows.find((row) => row.model === model && row.threads === Number(threads) && row.engine === 'xnor-web')?.threads_used;
    const cx = (left + gi * gw + gw / 2).toFixed(1);
    out.push(`<text x="${cx}" y="${top + plotH + 18}" text-anchor="middle" font-weight="600">${name}, ${threads} thread${threads === '1' ? '' : 's'}</text>`);
    const ratios = rep.ratios
      .filter((q) => q.model === model && q.threads === Number(threads))
      .map((q) => `${q.baseline === 'onnxruntime-web' ? 'ort' : 'tfjs'} ÷ xnor ${q.ratio.toFixed(1)}×`);
    if (used !== undefined && used !== Number(threads)) ratios.push(`(xnor-web ran ${used} thread${used === 1 ? '' : 's'})`);
    ratios.forEach((t, i) => out.push(`<text x="${cx}" y="${top + plotH + 33 + 13 * i}" text-anchor="middle" font-size="11">${esc(t)}</text>`));
  });
  out.push(`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#343a40"/>`);
  const m = rep.machine;
  out.push(`<text x="${left}" y="${H - 12}" font-size="11" fill="#495057">${esc(`${m.cpu}, ${m.cores} cores, Chromium ${m.chromium}, ${rep.date.slice(0, 10)}, load average ${m.loadavg_start[0].toFixed(2)}; bench/results/latest.json`)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
