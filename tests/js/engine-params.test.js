"use strict";
/* BGX.params: the same parameters as the worker (tests/fixtures/params.json), validation, settings. */
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { loadEngine, plain, readJson, FIXTURES } = require("./helpers");

const BGX = loadEngine();
const WORKER = readJson(path.join(FIXTURES, "params.json"));

test("every worker parameter is in the script's table with the same type, default and range", () => {
   const names = BGX.params.TABLE.map((e) => e.name);
   assert.deepEqual([...names].sort(), Object.keys(WORKER).sort());
   for (const e of BGX.params.TABLE) {
      const w = WORKER[e.name];
      assert.equal(e.type, w.type, e.name);
      assert.equal(e.def, w.default, e.name);
      assert.equal(e.min, w.minimum, e.name);
      assert.equal(e.max, w.maximum, e.name);
      assert.equal(Boolean(e.exclusiveMin), Boolean(w.exclusive_minimum), e.name);
      assert.deepEqual(plain(e.choices || null), w.choices || null, e.name);
   }
});

test("the dialog shows every parameter DESIGN section 7 lists", () => {
   const shown = BGX.params.TABLE.filter((e) => e.ui).map((e) => e.name);
   for (const n of ["samples", "order", "initializer", "epochs", "alpha", "learning_rate", "downscale", "seed",
      "quantile", "target", "threshold_min", "threshold_max", "correction"]) {
      assert.ok(shown.includes(n), n);
   }
});

test("validate names the bad value and accepts the defaults", () => {
   assert.deepEqual(plain(BGX.params.validate(BGX.params.defaults())), []);
   const bad = (name, value) => BGX.params.validate({ [name]: value });
   assert.match(bad("samples", 2)[0], /samples must be >= 3 and <= 512/);
   assert.match(bad("samples", 3.5)[0], /samples must be a whole number/);
   assert.match(bad("learning_rate", 0)[0], /learning_rate must be > 0/);
   assert.match(bad("correction", "multiply")[0], /correction must be one of subtract, divide/);
   assert.match(bad("quantile", NaN)[0], /quantile must be a number/);
   assert.match(bad("openBackground", "yes")[0], /openBackground must be true or false/);
   assert.match(bad("token", 5)[0], /token must be text/);
});

test("toRequest sends fit parameters only, never script options or unknown names", () => {
   const values = Object.assign(BGX.params.defaults(), { samples: 40, bogus: 1 });
   const req = BGX.params.toRequest(values);
   assert.equal(req.samples, 40);
   assert.deepEqual(Object.keys(req).sort(), Object.keys(WORKER).sort());
});

test("settings round-trip through the key table; bad or missing keys fall back to defaults", () => {
   const values = Object.assign(BGX.params.defaults(), { samples: 64, correction: "divide", token: "t0k", openBackground: false, closeWhenDone: true });
   const store = new Map(BGX.params.toSettings(values).map((e) => [e.key, e]));
   const keys = BGX.params.settingsKeys();
   assert.equal(new Set(keys.map((k) => k.key)).size, keys.length);
   assert.ok(keys.every((k) => k.key.startsWith("BackgroundOptimizer/")));
   const back = BGX.params.fromSettings((key, type) => {
      const e = store.get(key);
      assert.equal(e.type, type);
      return e.value;
   });
   assert.deepEqual(plain(back), plain(values));
   store.get("BackgroundOptimizer/samples").value = 9999;
   store.delete("BackgroundOptimizer/order");
   const fixed = BGX.params.fromSettings((key) => (store.has(key) ? store.get(key).value : undefined));
   assert.equal(fixed.samples, 32);
   assert.equal(fixed.order, 2);
   assert.equal(fixed.correction, "divide");
});
