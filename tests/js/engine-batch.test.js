"use strict";
/* BGX.batch: the batch plan (output names, skip rules), its progress and ETA, cancel, summary. */
const test = require("node:test");
const assert = require("node:assert/strict");
const { loadEngine, plain } = require("./helpers");

const BGX = loadEngine();
const OPTIONS = { outputDir: "/out", format: "xisf", overwrite: false };

/* A file system of {path: modified ms}. */
function disk(files) {
   return {
      exists: (p) => Object.prototype.hasOwnProperty.call(files, p),
      modified: (p) => (Object.prototype.hasOwnProperty.call(files, p) ? files[p] : null)
   };
}
const file = (path) => ({ kind: "file", path });

test("outputs are <name>_corrected.<format> in the output folder, unique within the batch", () => {
   const b = BGX.batch.plan([file("/a/M51.xisf"), file("/b/M51.fits"), file("C:\\subs\\L_001.fit"), { kind: "view", id: "M31" }],
      { outputDir: "/out/", format: "fits", overwrite: false }, disk({}));
   assert.deepEqual(plain(b.items.map((i) => i.output)), ["/out/M51_corrected.fits", "/out/M51_corrected_1.fits", "/out/L_001_corrected.fits", "/out/M31_corrected.fits"]);
   assert.deepEqual(plain(b.items.map((i) => i.name)), ["M51.xisf", "M51.fits", "L_001.fit", "M31"]);
   assert.ok(b.items.every((i) => i.state === "pending"));
   assert.equal(BGX.batch.partPath("/out/M51_corrected.fits"), "/out/M51_corrected.part.fits");
});

test("skip rules: listed twice, not an image, output up to date; an older output is redone; overwrite redoes all", () => {
   const files = { "/a/new.xisf": 2000, "/out/new_corrected.xisf": 1000, "/a/old.xisf": 1000, "/out/old_corrected.xisf": 2000, "/out/V_corrected.xisf": 5 };
   const inputs = [file("/a/new.xisf"), file("/a/old.xisf"), file("/a/old.xisf"), file("/a/notes.txt"), { kind: "view", id: "V" }];
   const b = BGX.batch.plan(inputs, OPTIONS, disk(files));
   assert.deepEqual(plain(b.items.map((i) => [i.state, i.reason])), [
      ["pending", null],
      ["skipped", "its output is up to date"],
      ["skipped", "listed twice"],
      ["skipped", "not an XISF or FITS file"],
      ["skipped", "its output exists (tick Overwrite to redo it)"]
   ]);
   const all = BGX.batch.plan(inputs, Object.assign({}, OPTIONS, { overwrite: true }), disk(files));
   assert.deepEqual(plain(all.items.map((i) => i.state)), ["pending", "pending", "skipped", "skipped", "pending"]);
});

test("problems before a start: empty list, no folder, bad format", () => {
   assert.match(BGX.batch.problem([], OPTIONS), /list is empty/);
   assert.match(BGX.batch.problem([], { source: "views" }), /No image is open/);
   assert.match(BGX.batch.problem([file("/a.xisf")], { outputDir: "", format: "xisf" }), /output folder/);
   assert.match(BGX.batch.problem([file("/a.xisf")], { outputDir: "/o", format: "tiff" }), /one of xisf, fits/);
   assert.equal(BGX.batch.problem([file("/a.xisf")], OPTIONS), null);
});

test("progress counts done / failed / skipped / left; the ETA is the mean job time times those left", () => {
   const b = BGX.batch.plan([file("/1.xisf"), file("/2.xisf"), file("/3.xisf"), file("/4.xisf"), file("/x.txt")], OPTIONS, disk({}));
   let p = BGX.batch.progress(b, 0);
   assert.deepEqual(plain(p), { total: 5, done: 0, failed: 0, skipped: 1, cancelled: 0, left: 4, current: null, etaMs: null });
   assert.equal(BGX.batch.next(b), 0);
   BGX.batch.begin(b, 0, 1000);
   assert.equal(BGX.batch.progress(b, 5000).etaMs, null, "no estimate before a job ended");
   BGX.batch.end(b, 11000, true);
   BGX.batch.begin(b, BGX.batch.next(b), 11000);
   BGX.batch.end(b, 41000, false, "The fit failed: boom");
   BGX.batch.begin(b, BGX.batch.next(b), 41000);
   p = BGX.batch.progress(b, 46000);
   assert.deepEqual(plain(p), { total: 5, done: 1, failed: 1, skipped: 1, cancelled: 0, left: 2, current: "3.xisf", etaMs: 20000 * 2 - 5000 });
   assert.equal(BGX.batch.progressText(p), "Batch: 3 of 5 (1 done, 1 failed, 1 skipped) - 3.xisf - about 35 s left");
   BGX.batch.cancelRest(b);
   assert.equal(BGX.batch.next(b), -1);
   p = BGX.batch.progress(b, 50000);
   assert.deepEqual([p.cancelled, p.left, p.current], [2, 0, null]);
   const lines = BGX.batch.summary(b);
   assert.deepEqual(plain(lines), [
      "1.xisf: done in 10.0 s -> /out/1_corrected.xisf",
      "2.xisf: FAILED after 30.0 s: The fit failed: boom",
      "3.xisf: cancelled",
      "4.xisf: cancelled",
      "x.txt: skipped, not an XISF or FITS file",
      "Batch finished: 5 of 5 (1 done, 1 failed, 1 skipped, 2 cancelled)"
   ]);
});

test("durations read like a person would say them; result windows are not batch inputs", () => {
   assert.deepEqual([5e3, 59e3, 95e3, 3600e3, 3900e3].map(BGX.batch.duration), ["5 s", "59 s", "2 min", "1 h 00 min", "1 h 05 min"]);
   assert.ok(BGX.batch.isResultId("M51_corrected") && BGX.batch.isResultId("M51_background_2"));
   assert.ok(!BGX.batch.isResultId("M51") && !BGX.batch.isResultId("corrected_M51"));
});
