"use strict";
/*
 * The dialog built by the real entry file in the strict shim: every control and handler,
 * live re-stretch, zoom, settings, Reset, and the error paths that need no worker.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { runScript, leftovers } = require("./script-env");
const { freePort } = require("./helpers");

const HANDLERS = { PushButton: "onClick", NumericControl: "onValueUpdated", ComboBox: "onItemSelected", CheckBox: "onCheck", ViewList: "onViewSelected" };

function className(obj) {
   for (let p = Object.getPrototypeOf(obj); p; p = Object.getPrototypeOf(p)) {
      if (Object.prototype.hasOwnProperty.call(HANDLERS, p.constructor.name)) {
         return p.constructor.name;
      }
   }
   return null;
}

const withTarget = (run) => run('makeGradientWindow("M51", 240, 160, 1)');

test("main() checks the version, builds every control and wires every handler", () => {
   const { world, dialog } = runScript((d, w) => {
      let checked = 0;
      for (const c of w.controls) {
         const kind = className(c);
         if (kind) {
            assert.equal(typeof c[HANDLERS[kind]], "function", `${kind} without ${HANDLERS[kind]}`);
            checked += 1;
         }
      }
      assert.ok(checked >= 20, `${checked} controls checked`);
      for (const name of ["samples", "order", "initializer", "epochs", "alpha", "learning_rate", "downscale", "seed",
         "quantile", "target", "threshold_min", "threshold_max", "correction", "downscale_function"]) {
         assert.ok(d.controlsByName[name], name);
      }
      for (const b of ["runButton", "cancelButton", "resetButton", "closeButton", "testButton"]) {
         assert.equal(typeof d[b].onClick, "function", b);
      }
      for (const b of ["fitButton", "oneToOneButton", "zoomInButton", "zoomOutButton"]) {
         assert.equal(typeof d.previewBar[b].onClick, "function", b);
      }
      for (const h of ["onPaint", "onMouseWheel", "onMousePress", "onMouseMove", "onMouseRelease", "onResize"]) {
         assert.equal(typeof d.previewControl.viewport[h], "function", h);
      }
      assert.equal(typeof d.progressBar.onPaint, "function");
      assert.equal(typeof d.urlEdit.onEditCompleted, "function");
      assert.equal(d.tokenEdit.passwordMode, true);
      assert.equal(d.cancelButton.enabled, false);
      assert.equal(d.replaceCheck.checked, false, "replace target is off by default");
      assert.equal(d.target.id, "M51");
      assert.notEqual(d.preview.bitmap, null, "the preview is stretched at once");
      d.closeButton.onClick();
   }, withTarget);
   assert.deepEqual(world.minimumVersion, [1, 9, 4]);
   assert.ok(dialog.windowTitle.startsWith("BackgroundOptimizer "));
   assert.equal(world.timers.filter((t) => t.isRunning).length, 0, "no timer left running");
});

test("slider changes re-stretch the preview (debounced); zoom buttons switch fit and 1:1", () => {
   runScript((d, w) => {
      const before = d.preview.stretch.midtones[0];
      const bitmap = d.preview.bitmap;
      const updates = w.controls.indexOf(d.previewControl);
      assert.ok(updates >= 0);
      d.controlsByName.target.control.onValueUpdated(0.5);
      d.controlsByName.quantile.control.onValueUpdated(0.99);
      assert.equal(d.preview.bitmap, bitmap, "nothing until the debounce timer fires");
      assert.equal(d.restretchTimer.isRunning, true);
      w.tick();
      assert.notEqual(d.preview.bitmap, bitmap);
      assert.notEqual(d.preview.stretch.midtones[0], before);
      assert.equal(d.values.target, 0.5);
      d.controlsByName.threshold_max.control.onValueUpdated(0.8);
      w.tick();
      d.previewBar.oneToOneButton.onClick();
      assert.equal(d.previewControl.fit, false);
      d.previewBar.fitButton.onClick();
      assert.equal(d.previewControl.fit, true);
      w.paintOps.length = 0;
      d.previewControl.viewport.onPaint(0, 0, 480, 360);
      d.progressBar.onPaint(0, 0, 10, 10);
      assert.ok(w.paintOps.includes("drawBitmap"));
      assert.equal(w.graphicsOpen, 0, "every Graphics ended");
      d.controlsByName.samples.control.onValueUpdated(17.2);
      assert.equal(d.values.samples, 17);
      d.controlsByName.correction.control.onItemSelected(1);
      assert.equal(d.values.correction, "divide");
      d.closeButton.onClick();
   }, withTarget);
});

test("settings persist between runs of the script; Reset restores the defaults, the preview options too", () => {
   const first = runScript((d) => {
      d.controlsByName.samples.control.onValueUpdated(48);
      d.urlEdit.text = "http://127.0.0.1:9999";
      d.urlEdit.onEditCompleted();
      d.backgroundCheck.onCheck(false);
      d.previewBar.oneToOneButton.onClick();
      d.previewBar.samplesCheck.onCheck(true);
      d.windowMaskCheck.onCheck(true);
      d.closeButton.onClick();
   }, withTarget);
   assert.equal(first.world.settings.get("BackgroundOptimizer/samples").value, 48);
   const settings = first.world.settings;
   runScript((d) => {
      assert.equal(d.values.samples, 48);
      assert.equal(d.values.workerUrl, "http://127.0.0.1:9999");
      assert.equal(d.urlEdit.text, "http://127.0.0.1:9999");
      assert.equal(d.backgroundCheck.checked, false);
      assert.equal(d.previewControl.fit, false);
      assert.equal(d.previewBar.samplesCheck.checked, true);
      assert.equal(d.windowMaskCheck.checked, true);
      d.resetButton.onClick();
      assert.equal(d.values.samples, 32);
      assert.equal(d.controlsByName.samples.control.value, 32);
      assert.equal(d.urlEdit.text, "http://127.0.0.1:8765");
      assert.equal(d.backgroundCheck.checked, true);
      assert.equal(d.previewControl.fit, true, "Reset: the preview back to Fit");
      assert.equal(d.previewBar.samplesCheck.checked, false);
      assert.equal(d.preview.showSamples, false);
      assert.equal(d.windowMaskCheck.checked, false);
      assert.equal(d.values.useWindowMask, false);
   }, (run, w) => {
      settings.forEach((v, k) => w.settings.set(k, v));
      withTarget(run);
   });
});

test("Run with the worker down: a MessageBox says how to start it; nothing left behind", async () => {
   const port = await freePort();
   const env = runScript((d, w) => {
      fs.writeFileSync(path.join(w.tempDir, "bgx_old1_corrected.xisf"), "left by a crash");
      fs.writeFileSync(path.join(w.tempDir, "bgx_notes.txt"), "not ours");
      d.urlEdit.text = `127.0.0.1:${port}`;
      d.runButton.onClick();
      assert.equal(d.runButton.enabled, true, "controls enabled again");
      assert.equal(d.cancelButton.enabled, false);
      assert.equal(d.stageLabel.text, "Failed");
      d.testButton.onClick();
      assert.equal(d.workerLabel.text, "No connection");
      d.closeButton.onClick();
   }, withTarget);
   assert.equal(env.world.messages.length, 2);
   for (const m of env.world.messages) {
      assert.match(m.text, /Cannot reach the worker at http:\/\/127\.0\.0\.1:\d+/);
      assert.match(m.text, /bgoptimizer serve/);
      assert.equal(m.icon, 4);
   }
   assert.deepEqual(leftovers(env.tempDir), ["bgx_notes.txt"], "stale temp files removed, others kept");
   assert.equal(env.world.windows.length, 1, "the target only; nothing opened");
   assert.ok(env.world.processEvents >= 1, "the UI was refreshed before the blocking upload");
});

test("Run refuses a mask of another size, and an invalid parameter, before touching anything", () => {
   const env = runScript((d, w, run) => {
      const mask = run("ImageWindow.windowById('Small').mainView");
      d.maskList.currentView = mask;
      d.maskList.onViewSelected(mask);
      d.runButton.onClick();
      d.maskList.currentView = run("new View");
      d.maskList.onViewSelected(d.maskList.currentView);
      assert.equal(d.mask, null, "the list's No View Selected item: no mask");
      d.values.samples = 1;
      d.runButton.onClick();
      d.closeButton.onClick();
   }, (run) => {
      run('makeGradientWindow("Small", 20, 10, 1)');
      withTarget(run);
   });
   assert.equal(env.world.messages.length, 2);
   assert.match(env.world.messages[0].text, /same width and height/);
   assert.match(env.world.messages[1].text, /samples must be >= 3/);
   assert.equal(env.world.http.length, 0, "no request sent");
   assert.equal(env.world.xisfWrites.length, 0, "no file written");
});

test("objects.xisf tints the preview like the excluded areas; the scaled bitmap is made once per size and freed", () => {
   const { writeXisf } = require("./shim/files");
   runScript((d, w, run) => {
      const objects = path.join(w.tempDir, "objects_in.xisf");
      const plane = Float32Array.from({ length: 240 * 160 }, (v, i) => (i % 240 < 60 ? 1 : 0));
      writeXisf(objects, 240, 160, [plane], []);
      const p = d.preview;
      const excluded = (objectsPlane) => run("BGX.display.excluded")(p.planes, p.width * p.height, p.stretch, { min: 0, max: 10 }, null, objectsPlane);
      const before = excluded(null);
      d.preview.setObjects(objects);
      const after = excluded(p.objectsPlane);
      assert.ok(before.some((v, i) => i % 240 < 60 && v === 0), "the objects area was partly fitted before");
      assert.ok(after.every((v, i) => v === (i % 240 < 60 ? 1 : before[i])), "objects tinted, the rest as before");
      assert.ok(w.freed.includes("Image"), "the objects image was freed");
      w.scaled = 0;
      d.previewControl.viewport.onPaint(0, 0, 480, 360);
      d.previewControl.viewport.onPaint(0, 0, 480, 360);
      assert.equal(w.scaled, 1, "one scaledTo for two paints of the same size");
      d.preview.restretch(d.values);
      d.previewControl.viewport.onPaint(0, 0, 480, 360);
      assert.equal(w.scaled, 2);
      assert.ok(w.freed.filter((f) => f === "Bitmap").length >= 2, "the replaced bitmap and its scaled copy were cleared");
      d.closeButton.onClick();
   }, withTarget);
});
