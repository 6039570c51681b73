"use strict";
/*
 * BGX.zoom (the zoomable preview's geometry) and the preview's pure helpers in BGX.display
 * and BGX.stretch: zoom levels, viewport <-> image coordinates, clamped scrolling, the source
 * rectangle drawn, which source draws it; layers, the exclusion map, block reduction, the
 * window's mask; and the sort made once per image.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const vm = require("node:vm");
const fs = require("node:fs");
const path = require("node:path");
const { loadEngine, plain, ENGINE_FILES } = require("./helpers");
const { SCRIPT_DIR } = require("./shim");

const BGX = loadEngine();
const Z = BGX.zoom;

test("zoom levels: 2:1 down to 1:64, stepping in and out, never below the fit", () => {
   assert.deepEqual(plain(Z.LEVELS.slice(0, 5)), [2, 1, 1 / 2, 1 / 3, 1 / 4]);
   assert.equal(Z.label(1), "1:1");
   assert.equal(Z.label(2), "2:1");
   assert.equal(Z.label(0.25), "1:4");
   assert.equal(Z.label(1 / 3), "1:3");
   assert.equal(Z.label(0.17), "1:5.9");
   const fit = Z.fitScale(6000, 4000, 800, 600);
   assert.equal(fit, 800 / 6000);
   assert.equal(Z.zoomIn(fit), 1 / 6, "from the fit to the next level above it");
   assert.equal(Z.zoomIn(1), 2);
   assert.equal(Z.zoomIn(2), 2, "2:1 is the top");
   assert.equal(Z.zoomOut(2, fit), 1);
   assert.equal(Z.zoomOut(1 / 6, fit), null, "1:8 would be smaller than the fit: back to fit");
   assert.equal(Z.zoomOut(fit, fit), null);
   assert.equal(Z.fitScale(0, 0, 100, 100), 1, "an empty image does not make an infinite scale");
   assert.equal(Z.zoomOut(1, 2), null, "a small image that fits at 2:1 never zooms out below it");
});

test("layout: scroll clamped to the range, small images centred, coordinates round-trip", () => {
   const L = Z.layout(1000, 500, 400, 300, 1, 900, -5);
   assert.deepEqual(plain(L), { scale: 1, contentWidth: 1000, contentHeight: 500, maxScrollX: 600, maxScrollY: 200, scrollX: 600, scrollY: 0, offsetX: 0, offsetY: 0 });
   const small = Z.layout(100, 50, 400, 300, 2, 30, 30);
   assert.equal(small.scrollX, 0);
   assert.equal(small.offsetX, 100);
   assert.equal(small.offsetY, 100);
   const p = Z.toImage(L, 10, 20);
   assert.deepEqual(plain(p), { x: 610, y: 20 });
   assert.deepEqual(plain(Z.toViewport(L, p.x, p.y)), { x: 10, y: 20 });
   const quarter = Z.layout(1000, 500, 400, 300, 0.25, 0, 0);
   assert.deepEqual([quarter.offsetX, quarter.offsetY], [75, 87], "1:4: 250 x 125, centred");
   assert.deepEqual(plain(Z.toImage(quarter, 75 + 40, 87 + 10)), { x: 160, y: 40 });
});

test("zooming at a point keeps the image pixel under it; panning moves with the mouse", () => {
   const iw = 6000;
   const ih = 4000;
   const L = Z.layout(iw, ih, 800, 600, 1 / 4, 300, 200);
   const before = Z.toImage(L, 123, 456);
   const L2 = Z.zoomAt(L, iw, ih, 800, 600, 1, 123, 456);
   const after = Z.toImage(L2, 123, 456);
   assert.ok(Math.abs(before.x - after.x) <= 1 && Math.abs(before.y - after.y) <= 1, `${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
   const edge = Z.zoomAt(Z.layout(iw, ih, 800, 600, 1 / 4, 0, 0), iw, ih, 800, 600, 2, 0, 0);
   assert.equal(edge.scrollX, 0, "zooming at the top-left corner stays there");
   const panned = Z.panBy(L2, iw, ih, 800, 600, 50, -20);
   assert.equal(panned.scrollX, L2.scrollX - 50, "a drag to the right shows what is left of it");
   assert.equal(panned.scrollY, L2.scrollY + 20);
   const far = Z.panBy(L2, iw, ih, 800, 600, -1e6, -1e6);
   assert.equal(far.scrollX, far.maxScrollX);
   assert.equal(far.scrollY, far.maxScrollY);
});

test("the visible rectangle of the real image and where it is drawn", () => {
   const L = Z.layout(6000, 4000, 800, 600, 1, 1000, 500);
   assert.deepEqual(plain(Z.visibleRect(L, 6000, 4000, 800, 600)), { x0: 1000, y0: 500, x1: 1800, y1: 1100, dx: 0, dy: 0, dw: 800, dh: 600 });
   const two = Z.layout(6000, 4000, 800, 600, 2, 1001, 0);
   const r2 = Z.visibleRect(two, 6000, 4000, 800, 600);
   assert.deepEqual([r2.x0, r2.x1, r2.dx, r2.dw], [500, 901, -1, 802], "half a pixel scrolled out on the left");
   const fit = Z.layout(300, 200, 800, 600, 2, 0, 0);
   assert.deepEqual(plain(Z.visibleRect(fit, 300, 200, 800, 600)), { x0: 0, y0: 0, x1: 300, y1: 200, dx: 100, dy: 100, dw: 600, dh: 400 });
   const c = Z.copyRect(L, { x0: 1000, y0: 500, x1: 1800, y1: 1100 }, 0.1, 600, 400);
   assert.deepEqual(plain(c), { x0: 100, y0: 50, x1: 180, y1: 110, dx: 0, dy: 0, dw: 800, dh: 600 });
});

test("which source draws: the preview's bitmap, the real pixels, or the preview enlarged", () => {
   const rect = { x0: 0, y0: 0, x1: 800, y1: 600 };
   assert.equal(Z.sourceFor(0.1, 0.17, rect, true), "preview", "below the preview's resolution");
   assert.equal(Z.sourceFor(1, 0.17, rect, true), "detail", "1:1 of the real image");
   assert.equal(Z.sourceFor(1, 0.17, rect, false), "enlarged", "no real pixels (the target was replaced, the live preview)");
   assert.equal(Z.sourceFor(0.25, 0.1, { x0: 0, y0: 0, x1: 3200, y1: 2400 }, true), "enlarged", "too many real pixels to read");
   assert.equal(Z.reduction(1), 1);
   assert.equal(Z.reduction(2), 1);
   assert.equal(Z.reduction(1 / 3), 3);
   assert.equal(Z.reduction(0.3), 3);
});

test("layers offered: original and map always, results once a run made them", () => {
   const ids = (have) => plain(BGX.display.availableLayers(have)).map((l) => l.id);
   assert.deepEqual(ids({}), ["original", "map"]);
   assert.deepEqual(ids({ live: true }), ["original", "live", "map"]);
   assert.deepEqual(ids({ corrected: true, background: true }), ["original", "corrected", "background", "map"]);
   assert.deepEqual(ids({ corrected: true, background: false }), ["original", "corrected", "map"]);
});

test("exclusion codes and the map: excluded red, objects amber, sky dimmed", () => {
   const D = BGX.display;
   const plane = Float32Array.from([0.1, 0.2, 0, 0.9, 0.3]);
   const eff = { pedestal: [0.1], scale: [0.4], midtones: [0.5] };
   const objects = Float32Array.from([0, 0, 1, 0, 1]);
   const mask = Float32Array.from([1, 1, 1, 1, 1]);
   const codes = D.exclusionCodes([plane], 5, eff, { min: 0, max: 1 }, mask, objects);
   assert.deepEqual(Array.from(codes), [D.KEPT, D.KEPT, D.EXCLUDED, D.EXCLUDED, D.OBJECT], "missing and above max excluded; an object only where kept");
   assert.deepEqual(Array.from(D.excluded([plane], 5, eff, { min: 0, max: 1 }, mask, objects)), [0, 0, 1, 1, 1]);
   const rgb = D.stretchRgb([plane], 5, eff);
   const map = D.exclusionMap(rgb, codes);
   assert.ok(map[0][2] > 0.8 && map[1][2] < 0.2, "red");
   assert.ok(map[0][4] > 0.9 && map[1][4] > 0.6 && map[2][4] < 0.1, "amber");
   assert.ok(Math.abs(map[0][1] - 0.35 * rgb[0][1]) < 1e-6 && map[0][1] === map[2][1], "grey, dimmed");
   const tint = D.tinted(rgb, codes);
   assert.equal(tint[0][1], rgb[0][1], "kept pixels untouched");
   assert.ok(tint[0][4] > tint[1][4], "objects tinted like the excluded areas");
});

test("the kept unclipped stretch gives the clipped display planes exactly and the codes with no stretch", () => {
   const D = BGX.display;
   const planes = [0, 1, 2].map((c) => Float32Array.from({ length: 500 }, (v, i) => (i === 7 ? 0 : -0.05 + ((i * (3 + c)) % 101) / 60)));
   assert.ok(planes.some((p) => p.some((v) => v < 0)) && planes.some((p) => p.some((v) => v > 1)), "values below 0 and above 1 after the stretch");
   const eff = { pedestal: [0.01, 0.02, 0.03], scale: [0.6, 0.7, 0.8], midtones: [0.2, 0.3, 0.4] };
   const st = D.stretched(planes, 500, eff);
   const rgb = D.rgbOf(st);
   planes.forEach((p, c) => {
      const clipped = BGX.stretch.stretchPlane(p, new Float32Array(500), eff.pedestal[c], eff.scale[c], eff.midtones[c]);
      assert.deepEqual(Array.from(rgb[c]), Array.from(clipped), `channel ${c}`);
   });
   for (const t of [{ min: 0, max: 10 }, { min: 0.1, max: 0.8 }, { min: -1, max: 0.5 }]) {
      const codes = D.codesOf(st, t, null, null);
      const missing = BGX.stretch.missingMask(planes, 500);
      const direct = Array.from({ length: 500 }, (v, i) => (missing[i] || planes.some((p, c) => {
         const y = BGX.stretch.forward(p[i], eff.pedestal[c], eff.scale[c], eff.midtones[c], false);
         return y < t.min || y > t.max;
      }) ? D.EXCLUDED : D.KEPT));
      assert.deepEqual(Array.from(codes), direct, JSON.stringify(t));
   }
});

test("block reduction, nearest sampling on a detail grid, inverted masks, the window's mask", () => {
   const D = BGX.display;
   const plane = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
   const r = D.blockReduce(plane, 4, 3, 2);
   assert.deepEqual([r.width, r.height], [2, 2]);
   assert.deepEqual(Array.from(r.plane), [3.5, 5.5, 9.5, 11.5], "edge blocks averaged over the pixels they have");
   assert.equal(D.blockReduce(plane, 4, 3, 1).plane, plane);
   const coarse = Float32Array.from([0, 1, 2, 3]);
   const grid = D.nearestOnGrid(coarse, 2, 2, 0.5, { x0: 2, y0: 0, x1: 4, y1: 4 }, 2, 4);
   assert.deepEqual(Array.from(grid), [1, 1, 1, 1, 3, 3, 3, 3]);
   assert.deepEqual(Array.from(D.maskValues(Float32Array.from([0, 0.25, 1]), true)), [1, 0.75, 0]);
   const same = Float32Array.from([0.5]);
   assert.equal(D.maskValues(same, false), same);
   assert.deepEqual(plain(D.chooseMask(false, { hasMask: true, enabled: true }, true)), { source: "list", inverted: false, note: "" });
   assert.equal(D.chooseMask(false, { hasMask: false }, false).source, "none");
   assert.deepEqual(plain(D.chooseMask(true, { hasMask: true, enabled: true, inverted: true }, true)), { source: "window", inverted: true, note: "The window's mask, inverted." });
   assert.match(D.chooseMask(true, { hasMask: true, enabled: false }, true).note, /disabled/);
   assert.equal(D.chooseMask(true, { hasMask: false }, true).source, "none", "the list's view is not used instead");
});

test("sample markers follow the zoom layout", () => {
   const L = Z.layout(1000, 800, 400, 300, 0.5, 20, 10);
   assert.deepEqual(plain(BGX.display.sampleMarkers([{ x: 100, y: 50 }], L)), [{ x: 30, y: 15 }]);
   assert.deepEqual(plain(BGX.display.sampleMarkers(undefined, L)), []);
});

/* The engine in a context whose Float64Array.prototype.sort counts its calls. */
function countingEngine() {
   const context = vm.createContext({});
   vm.runInContext("var sorts = 0; var plainSort = Float64Array.prototype.sort; Float64Array.prototype.sort = function () { sorts += 1; return plainSort.apply(this, arguments); };", context);
   for (const rel of ENGINE_FILES) {
      const file = path.join(SCRIPT_DIR, rel);
      new vm.Script(fs.readFileSync(file, "utf8"), { filename: file }).runInContext(context);
   }
   return { E: vm.runInContext("BGX", context), sorts: () => vm.runInContext("sorts", context) };
}

test("the samples are sorted once per image: new quantiles, targets, thresholds and the MAD reuse the sort", () => {
   const { E, sorts } = countingEngine();
   const n = 5000;
   const planes = [0, 1, 2].map((c) => Float32Array.from({ length: n }, (v, i) => (i % 97 === 0 ? 0 : 0.01 + ((i * (7 + c)) % 1013) / 1013)));
   const stats = E.stretch.sampleStatistics(planes, n);
   assert.equal(sorts(), 3, "one sort per channel");
   const seen = [];
   for (const q of [0.9, 0.95, 0.99]) {
      for (const t of [0.2, 0.25]) {
         const eff = E.stretch.fitStatistics(stats, q, t);
         seen.push(eff.midtones[0]);
         E.display.exclusionCodes(planes, n, eff, { min: 0.05, max: 0.9 }, null, null);
      }
   }
   E.display.autoStretch(stats);
   assert.equal(sorts(), 3, "no sort after the first");
   assert.equal(new Set(seen).size, seen.length, "each value gave its own stretch");
   const direct = E.stretch.fit(planes, n, 0.95, 0.25);
   const reused = E.stretch.fitStatistics(stats, 0.95, 0.25);
   assert.deepEqual(plain(reused), plain(direct), "the same stretch as sorting afresh");
});

test("MAD from the sorted samples equals the median of the sorted deviations", () => {
   const S = BGX.stretch;
   for (const values of [[1, 2, 3, 4, 100], [5, 1, 9, 2], [0.3], [2, 2, 2, 7], [1, 4, 4, 4, 9, 12]]) {
      const sorted = Float64Array.from(values).sort();
      const med = S.quantileSorted(sorted, 0.5);
      const dev = Float64Array.from(values, (v) => Math.abs(v - med)).sort();
      assert.equal(S.madSorted(sorted, med), S.quantileSorted(dev, 0.5), JSON.stringify(values));
   }
   assert.ok(Number.isNaN(S.madSorted(new Float64Array(0), 0)));
   const stats = S.sampleStatistics([Float32Array.from([0, 0.2, 0.4, 0.6])], 4);
   assert.equal(stats.minimum(0), Math.fround(0.2), "the missing zero is left out");
   assert.equal(stats.median(0), Math.fround(0.4));
   assert.throws(() => S.sampleStatistics([Float32Array.from([0, NaN])], 2), /no valid pixels/);
});

test("the auto-STF stretch of a result layer shows it as View.stf would (median near 0.25)", () => {
   const plane = Float32Array.from({ length: 1000 }, (v, i) => 0.1 + 0.01 * Math.sin(i));
   const stats = BGX.stretch.sampleStatistics([plane], 1000);
   const eff = BGX.display.autoStretch(stats);
   const row = BGX.display.autoStf([stats.median(0)], [stats.mad(0)])[0];
   const x = stats.median(0);
   const y = BGX.stretch.forward(x, eff.pedestal[0], eff.scale[0], eff.midtones[0], true);
   assert.ok(Math.abs(y - BGX.stretch.mtf(row[2], (x - row[0]) / (row[1] - row[0]))) < 1e-12, "the STF's histogram transform");
   assert.ok(Math.abs(y - 0.25) < 0.02, String(y));
   const rows = [[0.1, 0.9, 0.3, 0, 1], [0, 1, 0.5, 0, 1], [0, 1, 0.5, 0, 1], [0, 1, 0.5, 0, 1]];
   assert.deepEqual(plain(BGX.display.stfStretch(rows, 1)), { pedestal: [0.1], scale: [0.8], midtones: [0.3] });
});
