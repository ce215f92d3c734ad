/**
 * The relay benchmark's chart as a self-contained SVG (no dependencies, no scripts, no external
 * fonts): two panels sharing a log-scale x axis of subscriber count N. Left: server CPU
 * microseconds per delivered packet; right: delivered Mbit/s (sum over subscribers). One polyline
 * per cipher backend in each panel, a legend, and a title naming the date and machine.
 */

/** What the chart reads from a bench/results/relay.json row. */
export interface RelayChartRow {
  backend: string;
  subscribers: number;
  serverCpuUsPerPacket: number;
  deliveredMbps: number;
}

export interface RelayChartMeta {
  /** ISO date of the run. */
  date?: string;
  /** One line about the machine (CPU, cores, node). */
  machine?: string;
  /** One line about the workload (bitrate, duration per point). */
  workload?: string;
  /** The published stream's bitrate: draws N x it (no loss) as a dashed reference in the Mbit/s panel. */
  streamMbps?: number;
}

const WIDTH = 960;
const HEIGHT = 460;
const PANEL_TOP = 90;
const PANEL_BOTTOM = HEIGHT - 60;
const PANEL_WIDTH = 370;
const PANELS = [
  { left: 80, key: 'serverCpuUsPerPacket', label: 'server CPU µs per delivered packet' },
  { left: 80 + PANEL_WIDTH + 110, key: 'deliveredMbps', label: 'delivered Mbit/s (all subscribers)' },
] as const;
/** Distinguishable on white, also in greyscale order. */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];

/** Escapes text for element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate or label number: finite, short. */
function num(v: number): string {
  if (!Number.isFinite(v)) return '0';
  return String(Math.round(v * 10) / 10);
}

function label(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 100) return String(Math.round(v));
  if (Math.abs(v) >= 10) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 100) / 100);
}

/** 0 .. a "nice" upper bound (1, 2, 2.5, 5 x 10^k) above `max`, with its tick step. */
export function niceAxis(max: number): { top: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: 0.25 };
  const rough = max / 4;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? 10 * mag;
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

/** Renders the chart. Rows with a non-finite or non-positive N, or a non-finite value, are left out of that panel. */
export function renderRelayChart(rows: readonly RelayChartRow[], meta: RelayChartMeta = {}): string {
  const backends = [...new Set(rows.map((r) => r.backend))];
  const ns = [...new Set(rows.map((r) => r.subscribers).filter((n) => Number.isFinite(n) && n > 0))].sort((a, b) => a - b);
  const lo = Math.log10(ns[0] ?? 1);
  const hi = Math.log10(ns[ns.length - 1] ?? 10);
  const span = hi - lo > 0 ? hi - lo : 1;
  const pad = ns.length > 1 ? 0.05 * PANEL_WIDTH : PANEL_WIDTH / 2;
  const xOf = (left: number, n: number): number =>
    ns.length > 1 ? left + pad + ((Math.log10(n) - lo) / span) * (PANEL_WIDTH - 2 * pad) : left + PANEL_WIDTH / 2;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  const title = 'RTMFP live relay: one publisher, N subscribers, server in its own process';
  out.push(`<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`);
  const sub = [meta.workload, meta.date, meta.machine].filter((s): s is string => typeof s === 'string' && s.length > 0).join(' — ');
  if (sub) out.push(`<text x="${WIDTH / 2}" y="44" text-anchor="middle" fill="#444444">${escapeXml(sub)}</text>`);

  // Legend: one swatch per backend (plus the reference line), centred under the title. Text
  // width is estimated (~6.8 px per character at 12 px): SVG has no layout without a renderer.
  const reference = meta.streamMbps !== undefined && Number.isFinite(meta.streamMbps) && meta.streamMbps > 0 ? meta.streamMbps : undefined;
  const items = backends.map((b, i) => ({ text: `server cipher: ${b}`, color: PALETTE[i % PALETTE.length]!, dash: '' }));
  if (reference !== undefined) items.push({ text: 'N x stream bitrate (no loss)', color: '#999999', dash: ' stroke-dasharray="5 4"' });
  const widths = items.map((it) => 30 + it.text.length * 6.8 + 24);
  let lx = (WIDTH - widths.reduce((a, b) => a + b, 0)) / 2;
  for (const [i, it] of items.entries()) {
    out.push(`<line x1="${num(lx)}" y1="64" x2="${num(lx + 24)}" y2="64" stroke="${it.color}" stroke-width="3"${it.dash}/>`);
    out.push(`<text x="${num(lx + 30)}" y="68">${escapeXml(it.text)}</text>`);
    lx += widths[i]!;
  }

  for (const panel of PANELS) {
    const values = rows.map((r) => r[panel.key]).filter((v) => Number.isFinite(v));
    const withReference = panel.key === 'deliveredMbps' && reference !== undefined;
    if (withReference) values.push(...ns.map((n) => n * reference));
    const { top, step } = niceAxis(Math.max(0, ...values));
    const yOf = (v: number): number => PANEL_BOTTOM - (v / top) * (PANEL_BOTTOM - PANEL_TOP);
    const right = panel.left + PANEL_WIDTH;
    // Grid and y ticks.
    for (let v = 0; v <= top + step / 2; v += step) {
      const y = yOf(v);
      out.push(`<line x1="${panel.left}" y1="${num(y)}" x2="${right}" y2="${num(y)}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${panel.left - 6}" y="${num(y + 4)}" text-anchor="end">${escapeXml(label(v))}</text>`);
    }
    // x ticks at the measured N.
    for (const n of ns) {
      const x = xOf(panel.left, n);
      out.push(`<line x1="${num(x)}" y1="${PANEL_BOTTOM}" x2="${num(x)}" y2="${PANEL_BOTTOM + 5}" stroke="#333333"/>`);
      out.push(`<text x="${num(x)}" y="${PANEL_BOTTOM + 18}" text-anchor="middle">${escapeXml(String(n))}</text>`);
    }
    out.push(`<rect x="${panel.left}" y="${PANEL_TOP}" width="${PANEL_WIDTH}" height="${PANEL_BOTTOM - PANEL_TOP}" fill="none" stroke="#333333"/>`);
    out.push(
      `<text x="${panel.left + PANEL_WIDTH / 2}" y="${PANEL_BOTTOM + 38}" text-anchor="middle">${escapeXml('subscribers N (log scale)')}</text>`,
    );
    const cy = (PANEL_TOP + PANEL_BOTTOM) / 2;
    out.push(
      `<text x="${panel.left - 50}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${panel.left - 50} ${cy})">${escapeXml(panel.label)}</text>`,
    );
    if (withReference) {
      const d = ns.map((n, i) => `${i === 0 ? 'M' : 'L'}${num(xOf(panel.left, n))},${num(yOf(n * reference))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="#999999" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    }
    // One polyline (and its points) per backend.
    for (const [i, b] of backends.entries()) {
      const color = PALETTE[i % PALETTE.length]!;
      const pts = rows
        .filter((r) => r.backend === b && Number.isFinite(r.subscribers) && r.subscribers > 0 && Number.isFinite(r[panel.key]))
        .sort((p, q) => p.subscribers - q.subscribers)
        .map((r) => [xOf(panel.left, r.subscribers), yOf(r[panel.key])] as const);
      out.push(
        `<polyline data-backend="${escapeXml(b)}" fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}"/>`,
      );
      for (const [x, y] of pts) out.push(`<circle cx="${num(x)}" cy="${num(y)}" r="3" fill="${color}"/>`);
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
