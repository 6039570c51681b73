"use strict";
/*
 * BGX.instance: process-icon parameters. The ids come from the parameter table; values go
 * through text both ways (Parameters.get returns text); old, newer and broken icons.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const { loadEngine, plain } = require("./helpers");

const BGX = loadEngine();

/* A process icon as PixInsight keeps it: id -> text. */
function icon(values) {
   return new Map(BGX.instance.toParameters(values).map((p) => [p.id, String(p.value)]));
}
const read = (store, base) => plain(BGX.instance.fromParameters((id) => store.has(id), (id) => store.get(id), base || BGX.params.defaults()));

test("every table entry but the token and the preview's state (zoom, samples shown) is exported, as text", () => {
   const ids = BGX.instance.toParameters(BGX.params.defaults()).map((p) => p.id);
   const table = BGX.params.allEntries().map((e) => e.name);
   assert.deepEqual(ids.slice(1), table.filter((n) => !["token", "zoomToFit", "showSamples"].includes(n)));
   assert.ok(ids.includes("useWindowMask"), "the mask choice is a processing choice");
   assert.equal(ids[0], BGX.instance.VERSION_KEY);
   assert.ok(ids.every((id) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(id)), "valid PixInsight parameter ids");
   assert.ok(BGX.instance.toParameters(BGX.params.defaults()).every((p) => typeof p.value === "string"));
});

test("round trip: every value comes back with its type, floats to the last bit", () => {
   const values = Object.assign(BGX.params.defaults(), {
      samples: 77, learning_rate: 0.1 + 0.2, quantile: 0.987654321012345, correction: "divide",
      openBackground: false, replaceTarget: true, workerUrl: "http://127.0.0.1:9000", min_delta: 1e-7,
      batchFormat: "fits", batchOutputDir: "C:/Users/Zoë/out", useWindowMask: true
   });
   const back = read(icon(values));
   assert.deepEqual(back.problems, []);
   assert.deepEqual(back.notes, []);
   const expected = plain(values);
   expected.token = BGX.params.defaults().token;
   assert.deepEqual(back.values, expected);
   assert.equal(back.values.learning_rate, 0.1 + 0.2);
});

test("the token is never written, and an icon never changes the token, zoom or samples shown of the base", () => {
   const store = icon(Object.assign(BGX.params.defaults(), { token: "s3cret" }));
   assert.ok(![...store.values()].includes("s3cret"));
   store.set("token", "injected");
   store.set("showSamples", "true");
   const back = read(store, Object.assign(BGX.params.defaults(), { token: "mine", zoomToFit: false }));
   assert.equal(back.values.token, "mine");
   assert.equal(back.values.zoomToFit, false);
   assert.equal(back.values.showSamples, false);
});

test("an old icon (keys missing) keeps the base values and says which; unknown keys are ignored", () => {
   const store = icon(Object.assign(BGX.params.defaults(), { samples: 50 }));
   store.delete("batchFormat");
   store.delete("seed");
   store.set("future_parameter", "42");
   const base = Object.assign(BGX.params.defaults(), { seed: 7 });
   const back = read(store, base);
   assert.deepEqual(back.problems, []);
   assert.equal(back.values.samples, 50);
   assert.equal(back.values.seed, 7);
   assert.equal(back.values.batchFormat, "xisf");
   assert.equal(back.notes.length, 1);
   assert.match(back.notes[0], /Not in this process icon.*seed, batchFormat/);
   assert.ok(!("future_parameter" in back.values));
});

test("a newer format is read as far as known; an icon without the version key says so", () => {
   const store = icon(BGX.params.defaults());
   store.set(BGX.instance.VERSION_KEY, "9");
   assert.match(read(store).notes[0], /newer BackgroundOptimizer \(format 9\)/);
   store.delete(BGX.instance.VERSION_KEY);
   assert.match(read(store).notes[0], /not saved by BackgroundOptimizer's New Instance/);
});

test("wrong types and ranges: a clear message per value, which keeps the base value", () => {
   const store = icon(BGX.params.defaults());
   store.set("samples", "12.5");
   store.set("epochs", "lots");
   store.set("alpha", "");
   store.set("openBackground", "yes");
   store.set("correction", "multiply");
   store.set("order", "9");
   store.set("quantile", "NaN");
   store.set(BGX.instance.VERSION_KEY, "one");
   const back = read(store);
   assert.deepEqual(back.problems, [
      "Process icon: bgx_instance_version is 'one', not a whole number.",
      "Process icon: samples is '12.5', not a whole number; samples stays 32.",
      "Process icon: order is '9': order must be >= 1 and <= 4; order stays 2.",
      "Process icon: quantile is 'NaN', not a number; quantile stays 0.95.",
      "Process icon: epochs is 'lots', not a whole number; epochs stays 1000.",
      "Process icon: alpha is '', not a number; alpha stays 2.",
      "Process icon: correction is 'multiply': correction must be one of subtract, divide; correction stays subtract.",
      "Process icon: openBackground is 'yes', not true or false; openBackground stays true."
   ]);
   assert.deepEqual(back.values, plain(BGX.params.defaults()));
});

test("booleans and numbers also parse from the forms PixInsight may give back (1/0, spaces, exponents)", () => {
   const store = icon(BGX.params.defaults());
   store.set("openBackground", "0");
   store.set("closeWhenDone", "1");
   store.set("min_delta", " 2.5e-6 ");
   store.set("samples", "+40");
   const back = read(store);
   assert.deepEqual(back.problems, []);
   assert.equal(back.values.openBackground, false);
   assert.equal(back.values.closeWhenDone, true);
   assert.equal(back.values.min_delta, 2.5e-6);
   assert.equal(back.values.samples, 40);
});
