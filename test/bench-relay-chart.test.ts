// The relay benchmark's SVG chart generator (bench/relay/chart.ts): structure, scaling, escaping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeXml, niceAxis, renderRelayChart, type RelayChartRow } from '../bench/relay/chart.js';

const rows: RelayChartRow[] = [];
for (const [backend, base] of [
  ['node-batched', 20],
  ['node-long-lived', 24],
  ['wasm', 30],
] as const) {
  for (const n of [1, 10, 50, 200]) rows.push({ backend, subscribers: n, serverCpuUsPerPacket: base + 100 / n, deliveredMbps: 1.6 * n });
}

const polylines = (svg: string): string[] => [...svg.matchAll(/<polyline\b[^>]*>/g)].map((m) => m[0]);
const pointsOf = (el: string): [number, number][] =>
  /points="([^"]*)"/
    .exec(el)![1]!
    .split(' ')
    .filter((s) => s.length > 0)
    .map((p) => p.split(',').map(Number) as [number, number]);

test('an <svg> document: one polyline per backend in each of the two panels, balanced tags', () => {
  const svg = renderRelayChart(rows, { date: '2026-01-02', machine: 'Test CPU, 2 cores' });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 60));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  const lines = polylines(svg);
  assert.is(lines.length, 6, 'two panels x three backends');
  for (const b of ['node-batched', 'node-long-lived', 'wasm']) {
    assert.is(lines.filter((l) => l.includes(`data-backend="${b}"`)).length, 2, b);
    assert.ok(svg.includes(`server cipher: ${b}`), `legend names ${b}`);
  }
  // Every opened <text> is closed; no stray '<' inside text content.
  assert.is((svg.match(/<text\b/g) ?? []).length, (svg.match(/<\/text>/g) ?? []).length);
  assert.ok(svg.includes('2026-01-02') && svg.includes('Test CPU, 2 cores'), 'title line has date and machine');
  assert.ok(svg.includes('subscribers N (log scale)'));
});

test('every number in the document is finite; points follow log N left to right and value bottom to top', () => {
  const svg = renderRelayChart([...rows, { backend: 'wasm', subscribers: 500, serverCpuUsPerPacket: Number.NaN, deliveredMbps: Infinity }]);
  assert.not.match(svg, /NaN|Infinity/);
  for (const m of svg.matchAll(/="(-?[0-9.]+)"/g)) assert.ok(Number.isFinite(Number(m[1])), m[0]);
  const [cpuBatched, , , mbpsBatched] = polylines(svg);
  const cpu = pointsOf(cpuBatched!);
  assert.is(cpu.length, 4, 'the non-finite wasm point is left out; batched has its four');
  // x: log scale, so 1 -> 10 spans the same width as 10 -> 100 would.
  const xs = cpu.map(([x]) => x);
  assert.ok(xs[0]! < xs[1]! && xs[1]! < xs[2]! && xs[2]! < xs[3]!, `x increasing ${xs}`);
  // The CPU panel's values fall with N (y grows downwards in SVG).
  const ys = cpu.map(([, y]) => y);
  assert.ok(ys[0]! < ys[3]!, `highest CPU per packet at N=1 is drawn highest: ${ys}`);
  const mbps = pointsOf(mbpsBatched!).map(([, y]) => y);
  assert.ok(mbps[0]! > mbps[3]!, `Mbit/s grows with N: ${mbps}`);
});

test('text is escaped: a backend or machine name with markup cannot break the document', () => {
  const svg = renderRelayChart([{ backend: 'a<b>&"c"', subscribers: 1, serverCpuUsPerPacket: 1, deliveredMbps: 1 }], { machine: "<script>x</script> & 'y'" });
  assert.not.ok(svg.includes('<script>'));
  assert.not.ok(svg.includes('a<b>'));
  assert.ok(svg.includes('a&lt;b&gt;&amp;&quot;c&quot;'));
  assert.ok(svg.includes('&lt;script&gt;x&lt;/script&gt; &amp; &#39;y&#39;'));
  assert.is(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
  // One N only: the point still lands inside its panel.
  const [pt] = pointsOf(polylines(svg)[0]!);
  assert.ok(pt![0] > 80 && pt![0] < 450, `x ${pt![0]}`);
});

test('niceAxis: an upper bound at or above the maximum on a 1/2/2.5/5 step', () => {
  assert.equal(niceAxis(0), { top: 1, step: 0.25 });
  assert.equal(niceAxis(Number.NaN), { top: 1, step: 0.25 });
  assert.equal(niceAxis(303), { top: 400, step: 100 });
  assert.equal(niceAxis(100), { top: 100, step: 25 });
  assert.equal(niceAxis(7.3), { top: 8, step: 2 });
  for (const v of [0.013, 1, 9.99, 42, 255.6, 1e6]) {
    const { top, step } = niceAxis(v);
    assert.ok(top >= v && top - step < v, `${v} -> ${top} by ${step}`);
  }
});

test.run();
