"use strict";
/* BGX.stretch against the stretch vectors the Python tests share (DESIGN section 5), to 1e-6. */
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { loadEngine, readJson, FIXTURES } = require("./helpers");

const BGX = loadEngine();
const VECTORS = readJson(path.join(FIXTURES, "stretch_vectors.json"));
const TOL = VECTORS.tolerance;

/* [row][col][channel] -> planes (one Array per channel, row-major), NaN for null. */
function planesOf(grid) {
   const channels = grid[0][0].length;
   const planes = Array.from({ length: channels }, () => []);
   for (const row of grid) {
      for (const px of row) {
         px.forEach((v, c) => planes[c].push(v === null ? NaN : v));
      }
   }
   return planes;
}

function close(actual, expected, what) {
   if (expected === null) {
      assert.ok(actual === null || Number.isNaN(actual), `${what}: expected missing, got ${actual}`);
      return;
   }
   assert.ok(Math.abs(actual - expected) <= TOL * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

for (const c of VECTORS.cases) {
   test(`stretch vectors: ${c.name}`, () => {
      const planes = planesOf(c.input);
      const n = planes[0].length;
      const eff = "quantile" in c.params ? BGX.stretch.fit(planes, n, c.params.quantile, c.params.target) : c.params;
      for (const key of ["pedestal", "scale", "midtones"]) {
         eff[key].forEach((v, ch) => close(v, c.effective[key][ch], `${key}[${ch}]`));
      }
      const missing = BGX.stretch.missingMask(planes, n);
      assert.deepEqual(Array.from(missing).map(Boolean), c.missing.flat());
      const want = { stretched: planesOf(c.stretched), stretched_unclipped: planesOf(c.stretched_unclipped), inverse: planesOf(c.inverse) };
      planes.forEach((plane, ch) => {
         const [p, s, m] = [eff.pedestal[ch], eff.scale[ch], eff.midtones[ch]];
         plane.forEach((x, i) => {
            if (missing[i]) {
               return;
            }
            close(BGX.stretch.forward(x, p, s, m, true), want.stretched[ch][i], `stretched[${ch}][${i}]`);
            const y = BGX.stretch.forward(x, p, s, m, false);
            close(y, want.stretched_unclipped[ch][i], `unclipped[${ch}][${i}]`);
            close(BGX.stretch.inverse(y, p, s, m), want.inverse[ch][i], `inverse[${ch}][${i}]`);
         });
         c.inverse_points.y.forEach((y, k) => close(BGX.stretch.inverse(y, p, s, m), c.inverse_points.x[ch][k], `inverse_points[${ch}][${k}]`));
      });
   });
}

test("the vectors cover mono, RGB, explicit parameters and missing pixels", () => {
   const names = VECTORS.cases.map((c) => c.name);
   assert.ok(names.length >= 5, names.join(", "));
   assert.ok(VECTORS.cases.some((c) => c.shape[2] === 3) && VECTORS.cases.some((c) => c.shape[2] === 1));
   assert.ok(VECTORS.cases.some((c) => !("quantile" in c.params)));
   assert.ok(VECTORS.cases.some((c) => c.missing.flat().some(Boolean)));
});

test("mtf maps b to t with the fitted midtones, and its ends are fixed", () => {
   for (const [b, t] of [[0.1, 0.25], [0.02, 0.3], [0.6, 0.1]]) {
      const m = BGX.stretch.midtonesFor(b, t);
      assert.ok(Math.abs(BGX.stretch.mtf(m, b) - t) < 1e-12);
   }
   assert.equal(BGX.stretch.mtf(0.3, 0), 0);
   assert.equal(BGX.stretch.mtf(0.3, 1), 1);
   assert.equal(BGX.stretch.midtonesFor(0, 0.25), 1e-6);
});

test("stretchPlane clips, and fit refuses an image without valid pixels", () => {
   const out = BGX.stretch.stretchPlane(Float32Array.from([0.5, 2, -1]), new Float32Array(3), 0, 1, 0.5);
   assert.deepEqual(Array.from(out), [0.5, 1, 0]);
   assert.throws(() => BGX.stretch.fit([Float32Array.from([0, NaN])], 2, 0.95, 0.25), /no valid pixels/);
});

test("previewScale keeps small images and shrinks the long side of big ones", () => {
   assert.equal(BGX.stretch.previewScale(800, 600, 1024), 1);
   assert.equal(BGX.stretch.previewScale(4096, 2048, 1024), 0.25);
   assert.equal(BGX.stretch.previewScale(1000, 5000, 1000), 0.2);
});

test("fromStatistics gives fit's stretch from the minimum, quantile and median alone", () => {
   const plane = Float64Array.from({ length: 1001 }, (v, i) => 0.01 + 0.0001 * i * i / 1000);
   const sorted = Float64Array.from(plane).sort();
   const direct = BGX.stretch.fit([plane], plane.length, 0.9, 0.25);
   const stats = { minimum: [sorted[0]], quantile: [BGX.stretch.quantileSorted(sorted, 0.9)], median: [BGX.stretch.quantileSorted(sorted, 0.5)] };
   const via = BGX.stretch.fromStatistics(stats, 0.25);
   for (const k of ["pedestal", "scale", "midtones"]) {
      assert.ok(Math.abs(via[k][0] - direct[k][0]) < 1e-12, k);
   }
});
