"use strict";
/* BGX.jobflow (every path ends with cleanup), BGX.naming and BGX.display. */
const test = require("node:test");
const assert = require("node:assert/strict");
const { loadEngine, plain } = require("./helpers");

const BGX = loadEngine();
const paths = BGX.naming.tempPaths("/tmp", "abc");
const types = (actions) => plain(actions.map((a) => a.type));
const status = (state, extra) => plain(BGX.protocol.parseStatus(Object.assign({ id: "j_1", state: state, results: [] }, extra || {})));

function toRunning(hasMask) {
   const flow = BGX.jobflow.create(paths, hasMask);
   assert.deepEqual(types(BGX.jobflow.step(flow, { type: "start" })), hasMask ? ["cleanStale", "write", "write"] : ["cleanStale", "write"]);
   assert.equal(flow.state, "writing");
   assert.deepEqual(types(BGX.jobflow.step(flow, { type: "ok" })), ["createJob"]);
   assert.equal(flow.state, "uploading");
   const up = BGX.jobflow.step(flow, { type: "ok", jobId: "j_1" });
   assert.deepEqual(types(up), hasMask ? ["upload", "upload", "startJob"] : ["upload", "startJob"]);
   assert.deepEqual(types(BGX.jobflow.step(flow, { type: "ok" })), ["removeTemp"]);
   assert.equal(flow.state, "running");
   return flow;
}

function endsWithCleanup(actions, state) {
   const t = types(actions);
   assert.deepEqual(t.slice(-2), ["removeTemp", "finish"]);
   const removed = actions[actions.length - 2].paths;
   assert.deepEqual(plain(removed).sort(), Object.values(paths).sort());
   assert.equal(actions[actions.length - 1].state, state);
}

test("a run goes idle -> writing -> uploading -> running -> downloading -> done", () => {
   const flow = toRunning(true);
   const a1 = BGX.jobflow.step(flow, { type: "status", status: status("running", { preview_version: 2, results: ["preview.png"] }) });
   assert.deepEqual(types(a1), ["progress", "fetchPreview"]);
   assert.deepEqual(types(BGX.jobflow.step(flow, { type: "status", status: status("running", { preview_version: 2, results: ["preview.png"] }) })), ["progress"]);
   const a2 = BGX.jobflow.step(flow, { type: "status", status: status("done", { preview_version: 2, results: ["preview.png"] }) });
   assert.deepEqual(types(a2), ["progress", "download", "download", "download", "download", "openResults"]);
   assert.deepEqual(plain(a2.slice(1, 5).map((a) => a.name)), ["report.json", "corrected.xisf", "background.xisf", "objects.xisf"]);
   assert.equal(a2[4].ifReport, "objects", "objects.xisf only when the report has objects");
   assert.equal(flow.state, "downloading");
   const a3 = BGX.jobflow.step(flow, { type: "ok" });
   assert.equal(flow.state, "done");
   assert.equal(types(a3)[0], "deleteJob");
   endsWithCleanup(a3, "done");
   assert.equal(BGX.jobflow.step(flow, { type: "cancel" }).length, 0);
   assert.equal(BGX.jobflow.step(flow, { type: "error", failure: {} }).length, 0);
});

test("errors end the run as failed from every live state, with cleanup", () => {
   const failure = { code: "x", message: "m", advice: "a" };
   for (const steps of [1, 2, 3, 4]) {
      const flow = BGX.jobflow.create(paths, false);
      const events = [{ type: "start" }, { type: "ok" }, { type: "ok", jobId: "j_1" }, { type: "ok" }];
      events.slice(0, steps).forEach((e) => BGX.jobflow.step(flow, e));
      const actions = BGX.jobflow.step(flow, { type: "error", failure: failure });
      assert.equal(flow.state, "failed");
      endsWithCleanup(actions, "failed");
      assert.equal(actions[actions.length - 1].failure.message, "m");
   }
});

test("a job the worker reports failed or cancelled ends with cleanup", () => {
   const flow = toRunning(false);
   const a = BGX.jobflow.step(flow, { type: "status", status: status("failed", { error: { code: "bad_mask", message: "no fit" } }) });
   endsWithCleanup(a, "failed");
   assert.match(flow.failure.message, /The fit failed: no fit/);
   const flow2 = toRunning(false);
   const b = BGX.jobflow.step(flow2, { type: "status", status: status("cancelled") });
   assert.ok(types(b).includes("deleteJob"));
   endsWithCleanup(b, "cancelled");
});

test("without the background model, it is not downloaded", () => {
   const flow = BGX.jobflow.create(paths, false, false);
   ["start", "ok"].forEach((t) => BGX.jobflow.step(flow, { type: t }));
   BGX.jobflow.step(flow, { type: "ok", jobId: "j_1" });
   BGX.jobflow.step(flow, { type: "ok" });
   const names = BGX.jobflow.step(flow, { type: "status", status: status("done") }).filter((a) => a.type === "download").map((a) => a.name);
   assert.deepEqual(plain(names), ["report.json", "corrected.xisf", "objects.xisf"]);
});

test("without previews (preview_every 0: icon runs, batches), preview.png is never fetched", () => {
   const flow = BGX.jobflow.create(paths, false, true, false);
   ["start", "ok"].forEach((t) => BGX.jobflow.step(flow, { type: t }));
   BGX.jobflow.step(flow, { type: "ok", jobId: "j_1" });
   BGX.jobflow.step(flow, { type: "ok" });
   const running = BGX.jobflow.step(flow, { type: "status", status: status("running", { preview_version: 1, results: ["preview.png"] }) });
   assert.deepEqual(types(running), ["progress"]);
   const done = BGX.jobflow.step(flow, { type: "status", status: status("done", { preview_version: 2, results: ["preview.png"] }) });
   assert.ok(!types(done).includes("fetchPreview"));
});

test("close (the dialog goes away) deletes the job in every stage, running included", () => {
   const running = toRunning(false);
   BGX.jobflow.step(running, { type: "cancel" });
   const a = BGX.jobflow.step(running, { type: "close" });
   assert.deepEqual(types(a), ["deleteJob", "removeTemp", "finish"]);
   endsWithCleanup(a, "cancelled");
   const downloading = toRunning(false);
   BGX.jobflow.step(downloading, { type: "status", status: status("done") });
   assert.deepEqual(types(BGX.jobflow.step(downloading, { type: "cancel" })), ["deleteJob", "removeTemp", "finish"]);
   const writing = BGX.jobflow.create(paths, false);
   BGX.jobflow.step(writing, { type: "start" });
   assert.deepEqual(types(BGX.jobflow.step(writing, { type: "close" })), ["removeTemp", "finish"]);
   assert.equal(BGX.jobflow.step(writing, { type: "close" }).length, 0, "nothing once ended");
});

test("cancel: before the job exists it ends at once; while running it asks the worker once", () => {
   const early = BGX.jobflow.create(paths, false);
   BGX.jobflow.step(early, { type: "start" });
   endsWithCleanup(BGX.jobflow.step(early, { type: "cancel" }), "cancelled");
   const flow = toRunning(false);
   assert.deepEqual(types(BGX.jobflow.step(flow, { type: "cancel" })), ["cancelJob"]);
   assert.equal(BGX.jobflow.step(flow, { type: "cancel" }).length, 0);
   assert.equal(flow.state, "running");
   assert.throws(() => BGX.jobflow.step(flow, { type: "nap" }), /unknown event 'nap'/);
   const created = BGX.jobflow.create(paths, false);
   BGX.jobflow.step(created, { type: "start" });
   BGX.jobflow.step(created, { type: "ok" });
   assert.throws(() => BGX.jobflow.step(created, { type: "ok" }), /needs the job id/);
});

test("naming: valid view ids, unique result ids, temp names recognised as stale", () => {
   assert.equal(BGX.naming.viewId("M 51-b"), "M_51_b");
   assert.equal(BGX.naming.viewId("3C273"), "_3C273");
   assert.equal(BGX.naming.viewId(""), "image");
   const taken = new Set(["M51_background", "M51_background_1"]);
   assert.deepEqual(plain(BGX.naming.resultIds("M51", (id) => taken.has(id))), { background: "M51_background_2", corrected: "M51_corrected" });
   const tag = BGX.naming.tag(1795467275853, 0.5);
   assert.match(tag, /^[a-z0-9]+$/);
   assert.equal(paths.image, "/tmp/bgx_abc_image.xisf");
   assert.equal(BGX.naming.tempPaths("C:\\Temp\\", "t").preview, "C:\\Temp\\bgx_t_preview.png");
   for (const p of Object.values(BGX.naming.tempPaths("/x", tag))) {
      assert.ok(BGX.naming.isStale(p.slice(3)), p);
   }
   assert.equal(BGX.naming.isStale("bgx_abc_image.xisf.bak"), false);
   assert.equal(BGX.naming.isStale("M51.xisf"), false);
});

test("display: progress text, tinted preview", () => {
   assert.equal(BGX.display.progressText(status("running", { stage: "optimising", epoch: 420, epochs: 1000, loss: 0.0123, eta: 4.1 })),
      "optimising - epoch 420/1000 - loss 0.012300 - about 5 s left");
   assert.equal(BGX.display.progressText(status("queued", { queue_position: 2 })), "Queued (position 2)");
   assert.equal(BGX.display.progressText(status("done")), "Done");
   const plane = Float32Array.from([0.1, 0.2, 0, 0.9]);
   const eff = { pedestal: [0.1], scale: [0.4], midtones: [0.5] };
   const compose = (thresholds, mask) => {
      const st = BGX.display.stretched([plane], 4, eff);
      return BGX.display.tinted(BGX.display.rgbOf(st), BGX.display.codesOf(st, thresholds, mask, null));
   };
   const out = compose({ min: 0, max: 1 }, null);
   assert.equal(out.length, 3);
   assert.ok(Math.abs(out[0][1] - 0.25) < 1e-6 && out[1][1] === out[0][1], "grey pixel stretched, not tinted");
   assert.ok(out[0][2] > out[1][2], "missing pixel tinted red");
   assert.ok(out[0][3] > out[1][3], "above the white point: weight 0 in the fit (threshold_max acts before clipping), so tinted");
   const thr = compose({ min: 0.1, max: 0.9 }, Float32Array.from([1, 0, 1, 1]));
   assert.ok(thr[0][0] > thr[1][0], "below min tinted");
   assert.ok(thr[0][1] > thr[1][1], "masked tinted");
   assert.ok(thr[0][3] > thr[1][3], "above max tinted");
});

test("display: transfer text and the auto-STF rows View.stf takes", () => {
   assert.equal(BGX.display.transferText("corrected.xisf", 1048576, 734003200), "Downloading corrected.xisf: 1.0 of 700.0 MB");
   assert.equal(BGX.display.transferText("image", 0, 0), "Uploading image: 0.0 MB");
   assert.equal(BGX.display.transferText("writing mask", 0, 0), "Writing the mask to the temp folder...");
   const rows = plain(BGX.display.autoStf([0.1], [0.01]));
   assert.equal(rows.length, 4);
   const c0 = 0.1 - 2.8 * 1.4826 * 0.01;
   assert.ok(Math.abs(rows[0][0] - c0) < 1e-12);
   assert.ok(Math.abs(BGX.stretch.mtf(rows[0][2], 0.1 - c0) - 0.25) < 1e-9, "the median goes to 0.25");
   assert.deepEqual(rows[1], rows[0]);
   assert.deepEqual(rows[3], [0, 1, 0.5, 0, 1]);
   const inverted = plain(BGX.display.autoStf([0.8, 0.8, 0.8], [0, 0, 0]));
   assert.deepEqual(inverted[0].slice(0, 2), [0, 1], "no MAD: no clipping");
});

test("naming: properties computed from pixels or astrometry are not copied", () => {
   assert.equal(BGX.naming.copiedProperty("Observation:Object:Name"), true);
   assert.equal(BGX.naming.copiedProperty("Image:StatisticsMedian"), false);
   assert.equal(BGX.naming.copiedProperty("PCL:AstrometricSolution:ReferenceCelestialCoordinates"), false);
});
