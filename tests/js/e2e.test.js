"use strict";
/*
 * End to end: the script (engine + lib/pi over the shim's real synchronous HTTP) against the
 * real `bgoptimizer serve` on a loopback port, with a token: a full run on PixInsight-written
 * XISF files (mono through BGX.Job, RGB through the dialog), the wrong token, the worker
 * stopped, and a cancel in the middle of a fit. Temp files must be gone after every one.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { runScript, pumpUntil, leftovers } = require("./script-env");
const { startWorker, REAL_XISF, plain } = require("./helpers");
const { stateOf } = require("./shim/strict");
const { readFits } = require("./shim/files");

const TOKEN = "s3cret-token";
const MONO = path.join(REAL_XISF, "xisfsharp_400x300-f32.xisf");
const RGB = path.join(REAL_XISF, "xisfits_xisf-image-rgb-256x256-16bits.xisf");
const FAST = { samples: 8, epochs: 30, downscale: 8, preview_every: 5 };
const M51 = path.resolve(REAL_XISF, "../../fits/nebulosa_M51.F32.Mono.fits");

/* Code for runScript's setup: the real M51 frame as an open window, `target`. */
function openM51(run, world) {
   const fits = readFits(M51);
   const m51 = { width: fits.width, height: fits.height, plane: fits.planes[0] };
   run("var m51 = {}");
   Object.assign(run("m51"), m51);
   run(`var target = new ImageWindow(m51.width, m51.height, 1, 32, true, false, "M51");
      target.mainView.image.setSamples(m51.plane, new Rect(m51.width, m51.height), 0);`);
   if (world) {
      world.stringLimit = 1 << 16;
   }
}

let worker;
test.before(async () => {
   worker = await startWorker({ token: TOKEN });
});
test.after(async () => {
   if (worker) {
      await worker.stop();
   }
});

/*
 * Open file in PixInsight (the shim) and run BGX.Job on it to its end.
 * Returns {env, events, job} (env: runScript's world etc.).
 */
function runJob(file, values, open) {
   const events = [];
   let job = null;
   const env = runScript((d) => {
      d.closeButton.onClick();
   }, open || ((run) => {
      run(`var target = ImageWindow.open(${JSON.stringify(file)})[0];
         target.keywords = [new FITSKeyword("OBJECT", "'M51'", "target name")];`);
   }));
   env.run(`var v = BGX.params.defaults();`);
   Object.assign(env.run("v"), values);
   const ui = {
      progress: (s) => events.push(["progress", s.state, s.stage, s.epoch]),
      transfer: (name, done, total) => events.push(["transfer", name, done, total]),
      preview: (p) => events.push(["preview", p]),
      objects: (p) => events.push(["objects", p]),
      finish: (state, failure) => events.push(["finish", state, failure])
   };
   env.context.ui = ui;
   job = env.run("var job = new BGX.Job(target.mainView, null, v, ui); job.start(); job");
   pumpUntil(env.world, () => {
      if (!job.live) {
         return true;
      }
      job.poll();
      return false;
   }, 150);
   return { env, events, job };
}

const finishOf = (events) => events.find((e) => e[0] === "finish");

/* The job's HTTP status on the worker; a second try when the keep-alive socket fetch reuses
   was closed by the server meanwhile (uvicorn drops idle connections after 5 s). */
async function jobStatusCode(id) {
   const get = () => fetch(`${worker.url}/v1/jobs/${id}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
   const r = await get().catch(get);
   return r.status;
}

test("a mono PixInsight XISF: uploaded, fitted, results opened as new windows, temp files gone", async () => {
   const { env, events, job } = runJob(MONO, { ...FAST, workerUrl: worker.url, token: TOKEN });
   const [, state, failure] = finishOf(events);
   assert.equal(state, "done", JSON.stringify(failure) + worker.log().slice(-2000));
   assert.ok(events.some((e) => e[0] === "progress" && e[1] === "running"));
   assert.ok(events.some((e) => e[0] === "preview"), "the worker's preview.png was fetched");
   const ids = env.world.windows.map((w) => w.mainView.id);
   assert.deepEqual(ids, ["xisfsharp_400x300_f32", "xisfsharp_400x300_f32_background", "xisfsharp_400x300_f32_corrected"]);
   assert.deepEqual(plain(env.world.iccAssigned), ids.slice(1).map((view) => ({ view, profile: "sRGB IEC61966-2.1" })),
      "both results get the ICC profile of the target's file");
   for (const w of env.world.windows.slice(1)) {
      assert.equal(w.mainView.image.width, 400);
      assert.equal(w.mainView.image.height, 300);
      assert.ok(w.keywords.some((k) => k.name === "OBJECT" && k.value === "'M51'"), "the target's keywords are copied");
   }
   const corrected = env.world.windows[2].mainView.image;
   const plane = new Float32Array(400 * 300);
   corrected.getSamples(plane, corrected.bounds, 0);
   assert.ok(plane.every(Number.isFinite));
   assert.equal(job.report.samples.length, 8);
   assert.equal(job.report.parameters.epochs, 30);
   assert.deepEqual(leftovers(env.tempDir), []);
   assert.equal(await jobStatusCode(job.flow.jobId), 404, "the job was deleted on the worker");
   const auth = env.world.http.filter((h) => !h.url.endsWith("/v1/health"));
   assert.ok(auth.every((h) => h.headers.includes(`Authorization: Bearer ${TOKEN}`)));
   assert.ok(env.world.http.some((h) => h.method === "PUT" && h.url.endsWith("/image")));
});

test("the dialog on an RGB XISF: Test connection, Run, progress, final samples drawn", () => {
   const env = runScript((d, world) => {
      d.urlEdit.text = worker.url;
      d.tokenEdit.text = TOKEN;
      d.testButton.onClick();
      assert.match(d.workerLabel.text, /^bgoptimizer \d+\.\d+\.\d+ on CPU/);
      Object.assign(d.values, FAST);
      d.runButton.onClick();
      assert.equal(d.cancelButton.enabled, true);
      assert.equal(d.runButton.enabled, false);
      assert.equal(d.pollTimer.isRunning, true);
      pumpUntil(world, () => !d.job.live, 150);
      assert.equal(d.job.state, "done", world.messages.map((m) => m.text).join("\n"));
      assert.match(d.stageLabel.text, /^Done: xisfits_xisf_image_rgb_256x256_16bits_background, /);
      assert.equal(d.progressBar.fraction, 1);
      assert.ok(world.bitmaps.some((b) => /_preview\.png$/.test(stateOf(b).file || "")), "preview.png shown as a Bitmap");
      assert.equal(d.preview.markers.length, 8);
      assert.equal(d.preview.layer, "corrected", "the corrected image is shown after the run");
      assert.deepEqual(plain(d.preview.layers().map((l) => l.id)), ["original", "corrected", "background", "map"]);
      assert.equal(d.preview.fullImage(), world.windows[2].mainView.image, "the corrected window's pixels at 1:1");
      world.paintOps.length = 0;
      d.previewControl.viewport.onPaint(0, 0, 480, 360);
      assert.equal(world.paintOps.filter((o) => o === "strokeCircle").length, 0, "samples only on request");
      d.previewBar.samplesCheck.onCheck(true);
      d.previewControl.viewport.onPaint(0, 0, 480, 360);
      assert.equal(world.paintOps.filter((o) => o === "strokeCircle").length, 8);
      assert.equal(d.runButton.enabled, true);
      d.closeButton.onClick();
   }, (run) => run(`ImageWindow.open(${JSON.stringify(RGB)})`));
   assert.equal(env.world.messages.length, 0);
   const rgb = env.world.windows.map((w) => [w.mainView.id, w.mainView.image.numberOfChannels]);
   assert.deepEqual(rgb.slice(1).map((r) => r[1]), [3, 3]);
   assert.deepEqual(leftovers(env.tempDir), []);
});

test("the wrong token: the run fails with what to do, nothing left behind", () => {
   const { env, events } = runJob(MONO, { ...FAST, workerUrl: worker.url, token: "wrong" });
   const [, state, failure] = finishOf(events);
   assert.equal(state, "failed");
   assert.equal(failure.code, "unauthorized");
   assert.match(failure.advice, /token/);
   assert.deepEqual(leftovers(env.tempDir), []);
   assert.equal(env.world.windows.length, 1);
});

/* Runs a fit that would not stop by itself and pumps until it is optimising; its job id. */
function startEndlessFit(d, world) {
   d.urlEdit.text = worker.url;
   d.tokenEdit.text = TOKEN;
   Object.assign(d.values, { samples: 16, epochs: 100000, patience: 100000, lr_patience: 100000, downscale: 4 });
   d.runButton.onClick();
   pumpUntil(world, () => /^optimising/.test(d.stageLabel.text), 120);
   return d.job.flow.jobId;
}

test("Cancel in the dialog in the middle of a fit: the worker stops, the run ends cancelled and clean", async () => {
   let jobId = null;
   const env = runScript((d, world) => {
      jobId = startEndlessFit(d, world);
      d.cancelButton.onClick();
      assert.equal(d.stageLabel.text, "Cancelling...");
      pumpUntil(world, () => !d.job.live, 60);
      assert.equal(d.job.state, "cancelled");
      assert.equal(d.stageLabel.text, "Cancelled");
      assert.equal(d.runButton.enabled, true);
      assert.equal(d.pollTimer.isRunning, false);
      d.closeButton.onClick();
   }, (run) => run(`ImageWindow.open(${JSON.stringify(MONO)})`));
   assert.equal(env.world.messages.length, 0);
   assert.deepEqual(leftovers(env.tempDir), []);
   assert.equal(env.world.windows.length, 1);
   assert.ok(env.world.http.some((h) => h.url.endsWith(`/v1/jobs/${jobId}/cancel`)));
   assert.equal(await jobStatusCode(jobId), 404);
});

/* Drive the dialog on file: Run, then pump until the job ends; events(d, world) runs inside
   every processEvents (the user clicking while a transfer blocks). Returns {env, dialog}. */
function runDialog(file, values, events, open) {
   let dialog = null;
   const env = runScript((d, world) => {
      dialog = d;
      d.urlEdit.text = worker.url;
      d.tokenEdit.text = TOKEN;
      Object.assign(d.values, values);
      world.onEvents = events ? () => events(d, world) : null;
      d.runButton.onClick();
      pumpUntil(world, () => !d.job.live, 150);
      world.onEvents = null;
      d.closeButton.onClick();
   }, open || ((run, world) => {
      run(`ImageWindow.open(${JSON.stringify(file)})`);
      world.stringLimit = 1 << 16;
   }));
   return { env, dialog };
}

test("results far over the string limit: streamed to disk, never decoded; the upload's answer may be empty", () => {
   const { env, dialog } = runDialog(RGB, { ...FAST, closeWhenDone: true }, null);
   assert.equal(dialog.job.state, "done", env.world.messages.map((m) => m.text).join("\n"));
   assert.ok(env.world.decodedBytes < 1 << 16, `only JSON was decoded (${env.world.decodedBytes} bytes)`);
   const [background, corrected] = env.world.windows.slice(1);
   assert.equal(stateOf(corrected).zoomedToFit, true);
   assert.notDeepEqual(stateOf(corrected.mainView).stf[0], [0, 1, 0.5, 0, 1], "an auto-STF, not the identity");
   assert.deepEqual(env.world.fronted.slice(-2), [background.mainView.id, corrected.mainView.id], "brought to the front after the dialog closed");
   assert.ok(env.world.console.some((l) => /BackgroundOptimizer: device CPU, epochs \d+/.test(l.text)), "console summary");
   assert.deepEqual(leftovers(env.tempDir), []);
});

test("an upload whose answer has no body is accepted; no background model when not wanted", () => {
   const env = runScript((d, world) => {
      world.uploadAnswerBody = false;
      d.urlEdit.text = worker.url;
      d.tokenEdit.text = TOKEN;
      Object.assign(d.values, FAST, { openBackground: false });
      d.runButton.onClick();
      pumpUntil(world, () => !d.job.live, 150);
      assert.equal(d.job.state, "done", world.messages.map((m) => m.text).join("\n"));
      assert.equal(d.job.results.background, null);
      d.closeButton.onClick();
   }, (run) => run(`ImageWindow.open(${JSON.stringify(MONO)})`));
   assert.deepEqual(env.world.windows.map((w) => w.mainView.id), ["xisfsharp_400x300_f32", "xisfsharp_400x300_f32_corrected"]);
   assert.ok(!env.world.http.some((h) => h.url.endsWith("/background.xisf")), "the model was not downloaded");
});

for (const stage of ["Writing the image", "Uploading image", "Downloading corrected.xisf"]) {
   test(`Cancel while ${stage}: the transfer aborts, the run ends cancelled, the job is deleted`, async () => {
      let clicked = false;
      const { env, dialog } = runDialog(MONO, FAST, (d) => {
         if (!clicked && d.stageLabel.text.startsWith(stage)) {
            clicked = true;
            d.cancelButton.onClick();
         }
      });
      assert.equal(clicked, true, "the stage was shown while its transfer ran");
      assert.equal(dialog.job.state, "cancelled");
      assert.equal(dialog.stageLabel.text, "Cancelled");
      assert.equal(env.world.messages.length, 0);
      assert.equal(env.world.windows.length, 1, "no result opened");
      assert.deepEqual(leftovers(env.tempDir), []);
      assert.equal(await jobStatusCode(dialog.job.flow.jobId), 404);
   });
}

test("closing the dialog in the middle of a fit deletes the job on the worker", async () => {
   let jobId = null;
   const env = runScript((d, world) => {
      jobId = startEndlessFit(d, world);
      d.closeButton.onClick();
   }, (run) => run(`ImageWindow.open(${JSON.stringify(MONO)})`));
   assert.deepEqual(leftovers(env.tempDir), []);
   assert.ok(env.world.http.some((h) => h.url.endsWith(`/v1/jobs/${jobId}/delete`)));
   assert.equal(await jobStatusCode(jobId), 404);
});

test("on the real M51 frame, the preview's stretch is the worker's and its tint is exactly the worker's weight-0 area", () => {
   const values = { ...FAST, downscale: 1, threshold_min: 0.1, threshold_max: 0.5 };
   const first = runJob(null, { ...values, workerUrl: worker.url, token: TOKEN }, openM51);
   assert.equal(first.job.state, "done", JSON.stringify(first.events.slice(-1)));
   assert.deepEqual(first.env.world.iccAssigned, [], "a window made in memory has no file to take a profile from");
   assert.equal(first.env.world.console.filter((l) => /ICC profile/.test(l.text)).length, 1, "said once");
   const measured = first.job.report;
   const { env, dialog } = runDialog(null, values, null, openM51);
   const p = dialog.preview;
   const own = env.run("BGX.display.excluded")(p.planes, p.width * p.height, p.stretch, { min: values.threshold_min, max: values.threshold_max }, null, null);
   assert.equal(p.factor, 1, "a 973x874 preview is the full image");
   for (const k of ["pedestal", "scale", "midtones"]) {
      assert.ok(Math.abs(p.stretch[k][0] - measured.stretch[k][0]) <= 1e-6 * Math.abs(measured.stretch[k][0]), `${k}: ${p.stretch[k][0]} vs ${measured.stretch[k][0]}`);
   }
   assert.equal(dialog.job.state, "done", env.world.messages.map((m) => m.text).join("\n"));
   const report = dialog.job.report;
   assert.equal(report.stretch.explicit, true, "the preview's stretch was sent");
   const kept = 1 - own.reduce((a, v) => a + v, 0) / own.length;
   assert.ok(kept > 0.05 && kept < 0.95, `the thresholds leave part of the frame out (${kept})`);
   assert.equal(report.working.weighted_fraction, kept);
});

test("the target window's own mask, inverted: the worker leaves out exactly what the preview tints", () => {
   const { env, dialog } = runDialog(null, { ...FAST, downscale: 1, useWindowMask: true }, null, (run) => {
      /* the mask first: the target, opened last, is the active window */
      run(`(function () {
         const w = 400;
         const h = 300;
         const m = new ImageWindow(w, h, 1, 32, true, false, "StarMask");
         m.mainView.image.setSamples(Float32Array.from({ length: w * h }, (v, i) => (i % w < w / 4 ? 1 : 0)), new Rect(w, h), 0);
         ImageWindow.open(${JSON.stringify(MONO)})[0].setMask(m, true);
      })()`);
   });
   assert.equal(dialog.job.state, "done", env.world.messages.map((m) => m.text).join("\n"));
   assert.equal(dialog.mask.id, "StarMask");
   assert.equal(dialog.job.maskInverted, true);
   const p = dialog.preview;
   const own = env.run("BGX.display.excluded")(p.planes, p.width * p.height, p.stretch, { min: 0, max: 10 }, p.maskPlane, null);
   const kept = 1 - own.reduce((a, v) => a + v, 0) / own.length;
   assert.ok(kept > 0.7 && kept < 0.8, `inverted: the left quarter (1 in the mask) is left out (${kept})`);
   assert.equal(p.factor, 1, "a 400 x 300 preview is the full image");
   assert.equal(dialog.job.report.working.weighted_fraction, kept);
   assert.deepEqual(leftovers(env.tempDir), []);
});

test("the worker stopped: the run fails as unreachable and says how to start it", async () => {
   await worker.stop();
   const { env, events } = runJob(MONO, { ...FAST, workerUrl: worker.url, token: TOKEN });
   const [, state, failure] = finishOf(events);
   assert.equal(state, "failed");
   assert.equal(failure.code, "unreachable");
   assert.match(failure.advice, /bgoptimizer serve/);
   assert.deepEqual(leftovers(env.tempDir), []);
});
