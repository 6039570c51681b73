"use strict";
/*
 * The dialog's batch mode and the process icon dropped onto a view, against the real
 * `bgoptimizer serve` on a loopback port: files (XISF and FITS, one broken, one not an image,
 * one listed twice) to XISF outputs, the rerun that skips what is up to date, the open views to
 * FITS outputs, and Cancel in the middle of a batch. Outputs must be complete files only,
 * temp files and jobs gone after each.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { runScript, pumpUntil, leftovers } = require("./script-env");
const { startWorker, REAL_XISF, loadEngine, plain } = require("./helpers");
const { readXisf, readFits } = require("./shim/files");

const MONO = path.join(REAL_XISF, "xisfsharp_400x300-f32.xisf");
const RGB = path.join(REAL_XISF, "xisfits_xisf-image-rgb-256x256-16bits.xisf");
const M51 = path.resolve(REAL_XISF, "../../fits/nebulosa_M51.F32.Mono.fits");
const FAST = { samples: 8, epochs: 30, downscale: 8, preview_every: 0 };

let worker;
let scratch;
test.before(async () => {
   worker = await startWorker();
   scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bgx-batch-"));
});
test.after(async () => {
   if (worker) {
      await worker.stop();
   }
   fs.rmSync(scratch, { recursive: true, force: true });
});

/* The jobs the script made (seen in its requests) that the worker still holds. */
async function jobsLeft(env) {
   const ids = new Set();
   env.world.http.forEach((h) => {
      const m = /\/v1\/jobs\/(j_[^/]+)/.exec(h.url);
      if (m) {
         ids.add(m[1]);
      }
   });
   const left = [];
   for (const id of ids) {
      const get = () => fetch(`${worker.url}/v1/jobs/${id}`);
      const r = await get().catch(get);
      if (r.status !== 404) {
         left.push(id);
      }
   }
   return { made: ids.size, left };
}

/* Run the dialog's batch to its end: prepare(d, world) sets it up; returns {env, dialog}. */
function runBatch(prepare, setup, during) {
   let dialog = null;
   const env = runScript((d, world) => {
      dialog = d;
      d.urlEdit.text = worker.url;
      Object.assign(d.values, FAST);
      prepare(d, world);
      d.batchRunButton.onClick();
      assert.equal(d.cancelButton.enabled, true);
      assert.equal(d.batchRunButton.enabled, false);
      pumpUntil(world, () => {
         if (during) {
            during(d, world);
         }
         return !d.batch.live;
      }, 240);
      assert.equal(d.batchRunButton.enabled, true, "controls enabled again");
      assert.equal(d.pollTimer.isRunning, false);
      d.closeButton.onClick();
   }, setup);
   return { env, dialog };
}

test("a batch of files: each fitted and written, a broken file reported and the batch goes on; a rerun skips them", async () => {
   const inputs = path.join(scratch, "in");
   const out = path.join(scratch, "out");
   fs.mkdirSync(inputs);
   const broken = path.join(inputs, "broken.xisf");
   fs.writeFileSync(broken, "this is not an image");
   const notes = path.join(inputs, "notes.txt");
   fs.writeFileSync(notes, "nor is this");
   const files = [MONO, broken, RGB, notes, M51, MONO];
   const { env, dialog } = runBatch((d, world) => {
      world.fileAnswers.push(files);
      d.batchAddButton.onClick();
      d.batchDirEdit.text = out;
   });
   const items = plain(dialog.batch.plan.items.map((i) => [i.name, i.state]));
   assert.deepEqual(items, [
      ["xisfsharp_400x300-f32.xisf", "done"], ["broken.xisf", "failed"], ["xisfits_xisf-image-rgb-256x256-16bits.xisf", "done"],
      ["notes.txt", "skipped"], ["nebulosa_M51.F32.Mono.fits", "done"], ["xisfsharp_400x300-f32.xisf", "skipped"]
   ], worker.log().slice(-3000));
   assert.deepEqual(fs.readdirSync(out).sort(), [
      "nebulosa_M51.F32.Mono_corrected.xisf", "xisfits_xisf-image-rgb-256x256-16bits_corrected.xisf", "xisfsharp_400x300-f32_corrected.xisf"
   ], "complete outputs only, no .part file");
   const m51 = readXisf(path.join(out, "nebulosa_M51.F32.Mono_corrected.xisf"));
   const source = readFits(M51);
   assert.deepEqual([m51.width, m51.height, m51.channels], [source.width, source.height, 1]);
   assert.ok(m51.planes[0].some((v, i) => v !== source.planes[0][i]), "the pixels were corrected");
   assert.equal(readXisf(path.join(out, "xisfits_xisf-image-rgb-256x256-16bits_corrected.xisf")).channels, 3);
   assert.match(dialog.batchLabel.text, /^Batch: 6 of 6 \(3 done, 1 failed, 2 skipped\)$/);
   assert.equal(dialog.stageLabel.text, "Batch finished");
   const log = env.world.console.map((l) => l.text).join("\n");
   assert.match(log, /broken\.xisf: FAILED after [\d.]+ s: .*not an XISF file/);
   assert.match(log, /Batch finished: 6 of 6 \(3 done, 1 failed, 2 skipped\)/);
   assert.equal(env.world.messages.length, 0, "a failed file does not stop the batch with a box");
   assert.ok(!env.world.http.some((h) => /preview\.png$|background\.xisf$/.test(h.url)), "neither previews nor models fetched");
   assert.equal(env.world.windows.length, 0, "every file opened for the batch was closed");
   assert.deepEqual(leftovers(env.tempDir), []);
   assert.deepEqual(await jobsLeft(env), { made: 3, left: [] }, "every job deleted on the worker");

   const again = runBatch((d, world) => {
      world.fileAnswers.push(files);
      d.batchAddButton.onClick();
      d.batchDirEdit.text = out;
   });
   assert.deepEqual(plain(again.dialog.batch.plan.items.map((i) => i.reason)), [
      "its output is up to date", null, "its output is up to date", "not an XISF or FITS file", "its output is up to date", "listed twice"
   ]);
   assert.equal(again.dialog.batch.plan.items[1].state, "failed", "the broken file is tried again");
   assert.equal(again.env.world.http.filter((h) => h.method === "POST" && /\/v1\/jobs$/.test(h.url)).length, 0, "no job for what is up to date");
});

test("a batch of the open images to FITS, keywords kept; this script's result windows are not inputs", () => {
   const out = path.join(scratch, "fits");
   const { env, dialog } = runBatch((d) => {
      d.batchSourceCombo.onItemSelected(1);
      d.batchFormatCombo.onItemSelected(1);
      d.batchDirEdit.text = out;
   }, (run) => {
      run('makeGradientWindow("M51", 160, 120, 1); makeGradientWindow("M31", 120, 90, 3); makeGradientWindow("M51_corrected", 16, 16, 1)');
   });
   assert.deepEqual(plain(dialog.batch.plan.items.map((i) => [i.name, i.state])), [["M51", "done"], ["M31", "done"]]);
   assert.deepEqual(fs.readdirSync(out).sort(), ["M31_corrected.fits", "M51_corrected.fits"]);
   const m31 = readFits(path.join(out, "M31_corrected.fits"));
   assert.deepEqual([m31.width, m31.height, m31.channels], [120, 90, 3]);
   assert.ok(m31.keywords.some((k) => k.name === "OBJECT" && /M51/.test(k.value)), "the source's keywords are in the output");
   assert.deepEqual(plain(env.world.windows.map((w) => w.mainView.id)), ["M51", "M31", "M51_corrected"], "the open images untouched, nothing new");
   assert.deepEqual(leftovers(env.tempDir), []);
});

test("Cancel in the middle of a batch: the current job is cancelled and cleaned up, the rest not started", async () => {
   const out = path.join(scratch, "cancelled");
   let cancelledAt = null;
   const { env, dialog } = runBatch((d, world) => {
      world.fileAnswers.push([MONO, RGB]);
      d.batchAddButton.onClick();
      d.batchDirEdit.text = out;
      Object.assign(d.values, { samples: 16, epochs: 100000, patience: 100000, lr_patience: 100000, downscale: 4 });
   }, null, (d) => {
      if (cancelledAt === null && d.batch.job !== null && /^optimising/.test(d.stageLabel.text)) {
         cancelledAt = d.batch.job.flow.jobId;
         d.cancelButton.onClick();
         assert.equal(d.stageLabel.text, "Cancelling the batch...");
      }
   });
   assert.ok(cancelledAt, "the batch was cancelled while fitting");
   assert.deepEqual(plain(dialog.batch.plan.items.map((i) => i.state)), ["cancelled", "cancelled"]);
   assert.equal(dialog.stageLabel.text, "Batch cancelled");
   assert.deepEqual(fs.existsSync(out) ? fs.readdirSync(out) : [], [], "no output, no partial file");
   assert.ok(env.world.http.some((h) => h.url.endsWith(`/v1/jobs/${cancelledAt}/cancel`)));
   assert.equal(env.world.http.filter((h) => h.method === "POST" && /\/v1\/jobs$/.test(h.url)).length, 1, "the second file never started");
   assert.deepEqual(leftovers(env.tempDir), []);
   assert.deepEqual(await jobsLeft(env), { made: 1, left: [] });
});

test("a process icon dropped onto an image: fitted there without the dialog, progress on the console", () => {
   const env = runScript(() => assert.fail("no dialog for a view target"), (run, w) => {
      run('makeGradientWindow("NGC7000", 200, 150, 1)');
      w.instanceTarget = "view";
      w.targetView = run("ImageWindow.windowById('NGC7000').mainView");
      const BGX = loadEngine();
      const values = Object.assign(BGX.params.defaults(), FAST, { workerUrl: worker.url, openBackground: false });
      BGX.instance.toParameters(values).forEach((p) => w.parameters.set(p.id, p.value));
   });
   const lines = env.world.console.map((l) => l.text);
   assert.ok(lines.some((l) => /Running on NGC7000/.test(l)));
   assert.ok(lines.some((l) => /Uploading|Writing/.test(l)), "the transfers on the console");
   assert.ok(lines.some((l) => /^BackgroundOptimizer: (Queued|Running|optimising|reading|fitting|writing)/i.test(l)), lines.join("\n"));
   assert.ok(lines.some((l) => /Done: NGC7000_corrected/.test(l)), lines.join("\n"));
   assert.deepEqual(plain(env.world.windows.map((w) => w.mainView.id)), ["NGC7000", "NGC7000_corrected"]);
   assert.ok(!env.world.http.some((h) => /preview\.png$/.test(h.url)), "no live previews: nobody would see them");
   assert.equal(env.world.messages.length, 0);
   assert.deepEqual(leftovers(env.tempDir), []);
});

test("an icon with useWindowMask dropped onto an image with an inverted mask sends that mask, inverted", () => {
   const env = runScript(() => assert.fail("no dialog for a view target"), (run, w) => {
      run(`(function () {
         const m = new ImageWindow(200, 150, 1, 32, true, false, "StarMask");
         m.mainView.image.setSamples(Float32Array.from({ length: 200 * 150 }, (v, i) => (i % 200 < 50 ? 1 : 0)), new Rect(200, 150), 0);
         makeGradientWindow("NGC7000", 200, 150, 1).setMask(m, true);
      })()`);
      w.instanceTarget = "view";
      w.targetView = run("ImageWindow.windowById('NGC7000').mainView");
      const BGX = loadEngine();
      const values = Object.assign(BGX.params.defaults(), FAST, { workerUrl: worker.url, openBackground: false, useWindowMask: true });
      BGX.instance.toParameters(values).forEach((p) => w.parameters.set(p.id, p.value));
   });
   const lines = env.world.console.map((l) => l.text);
   assert.ok(lines.some((l) => /The window's mask, inverted\./.test(l)), lines.join("\n"));
   assert.ok(lines.some((l) => /Done: NGC7000_corrected/.test(l)), lines.join("\n"));
   assert.equal(env.world.http.filter((h) => /\/v1\/jobs\/j_[^/]+\/mask$/.test(h.url)).length, 1, "the mask uploaded");
   assert.deepEqual(leftovers(env.tempDir), []);
});
