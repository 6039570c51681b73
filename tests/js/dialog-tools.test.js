"use strict";
/*
 * The dialog's PixInsight furniture in the strict shim: a tooltip on every control, the section
 * bars, the New Instance triangle (a process icon of every table parameter), the script run
 * from an icon (global: the dialog with the icon's values; onto a view: no dialog), the
 * documentation button, and the batch list's controls and checks before a start.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { runScript, leftovers } = require("./script-env");
const { freePort, plain } = require("./helpers");

const withTarget = (run) => run('makeGradientWindow("M51", 240, 160, 1)');
const INPUTS = ["PushButton", "ToolButton", "CheckBox", "ComboBox", "ViewList", "TreeBox", "NumericControl", "Edit"];

function kindOf(obj) {
   for (let p = Object.getPrototypeOf(obj); p; p = Object.getPrototypeOf(p)) {
      if (INPUTS.includes(p.constructor.name)) {
         return p.constructor.name;
      }
   }
   return null;
}

test("every control the user can touch has a tooltip; section bars Target, Stretch, Model, Correction, Worker", () => {
   runScript((d, w, run) => {
      const numericParts = run("NumericEdit");
      let checked = 0;
      for (const c of w.controls) {
         const kind = kindOf(c);
         if (kind === null || c.parent instanceof numericParts) {
            continue;
         }
         assert.ok(typeof c.toolTip === "string" && c.toolTip.length >= 20, `${kind} #${checked} has no tooltip`);
         checked += 1;
      }
      assert.ok(checked >= 35, `${checked} controls`);
      for (const name of Object.keys(d.controlsByName)) {
         assert.equal(d.controlsByName[name].control.toolTip, run("BGX.help.tip")(name), name);
      }
      const bars = w.controls.filter((c) => c instanceof run("SectionBar"));
      assert.deepEqual(bars.map((b) => b.title()), ["Target", "Stretch", "Model", "Correction", "Worker", "Batch"]);
      assert.ok(bars.every((b) => b.section instanceof run("Control")), "each bar folds a section");
      assert.equal(bars[5].isCollapsed(), true, "the batch section starts folded");
      assert.equal(d.runButton.text, "Execute");
      assert.equal(d.cancelButton.text, "Cancel");
      d.closeButton.onClick();
   }, withTarget);
});

test("New Instance exports every table parameter; the icon run globally opens the dialog with them", () => {
   const first = runScript((d, w) => {
      d.controlsByName.samples.control.onValueUpdated(48);
      d.controlsByName.correction.control.onItemSelected(1);
      d.urlEdit.text = "http://127.0.0.1:9100";
      d.tokenEdit.text = "secret";
      d.newInstanceButton.onMousePress(0, 0, 1, 1, 0);
      assert.equal(w.newInstances.length, 1);
      d.closeButton.onClick();
   }, withTarget);
   const icon = first.world.newInstances[0];
   assert.equal(icon.get("samples"), "48");
   assert.equal(icon.get("correction"), "divide");
   assert.equal(icon.get("workerUrl"), "http://127.0.0.1:9100");
   assert.ok(!icon.has("token"), "the token stays out of icons");
   const ids = first.run("BGX.instance.entries()").map((e) => e.name);
   assert.ok(ids.every((id) => icon.has(id)), "every table entry of the instance format");

   icon.set("epochs", "many");
   const second = runScript((d) => {
      assert.equal(d.values.samples, 48);
      assert.equal(d.values.correction, "divide");
      assert.equal(d.controlsByName.samples.control.value, 48);
      assert.equal(d.urlEdit.text, "http://127.0.0.1:9100");
      assert.equal(d.values.epochs, 1000, "a bad value keeps the setting");
      d.closeButton.onClick();
   }, (run, w) => {
      w.instanceTarget = "global";
      icon.forEach((v, k) => w.parameters.set(k, v));
      withTarget(run);
   });
   assert.ok(second.world.console.some((l) => l.kind === "warningln" && /epochs is 'many', not a whole number/.test(l.text)));
});

test("an icon dropped onto an image runs there without a dialog: a worker that is down is a console error", async () => {
   const port = await freePort();
   const env = runScript(() => {
      assert.fail("no dialog for a view target");
   }, (run, w) => {
      withTarget(run);
      w.instanceTarget = "view";
      w.targetView = run("ImageWindow.windowById('M51').mainView");
      w.parameters.set("bgx_instance_version", "1");
      w.parameters.set("workerUrl", `http://127.0.0.1:${port}`);
   });
   const critical = env.world.console.filter((l) => l.kind === "criticalln").map((l) => l.text).join("\n");
   assert.match(critical, /Cannot reach the worker at http:\/\/127\.0\.0\.1:\d+/);
   assert.ok(env.world.console.some((l) => /Running on M51/.test(l.text)));
   assert.equal(env.world.messages.length, 0, "no message box: nobody is there to close it");
   assert.deepEqual(leftovers(env.tempDir), []);
   assert.equal(env.world.windows.length, 1);
});

test("a broken icon dropped onto an image is not run: the console names each bad value", () => {
   const env = runScript(() => assert.fail("no dialog"), (run, w) => {
      withTarget(run);
      w.instanceTarget = "view";
      w.targetView = run("ImageWindow.windowById('M51').mainView");
      w.parameters.set("bgx_instance_version", "1");
      w.parameters.set("samples", "2");
   });
   const lines = env.world.console.map((l) => l.text).join("\n");
   assert.match(lines, /samples is '2': samples must be >= 3 and <= 512/);
   assert.match(lines, /not run: correct the process icon's parameters/);
   assert.equal(env.world.http.length, 0);
});

test("the documentation button opens the script's page; when it is not installed a box says where it is", () => {
   const env = runScript((d, w) => {
      d.documentationButton.onClick();
      assert.deepEqual(w.documentation, ["BackgroundOptimizer"]);
      assert.equal(w.messages.length, 0);
      w.documentationInstalled = false;
      d.documentationButton.onClick();
      d.closeButton.onClick();
   }, withTarget);
   assert.equal(env.world.messages.length, 1);
   assert.match(env.world.messages[0].text, /doc\/BackgroundOptimizer\.html/);
});

test("batch list: add (no duplicates), remove the selected, clear; no output folder or no files is refused", () => {
   const out = fs.mkdtempSync(path.join(os.tmpdir(), "bgx-out-"));
   const env = runScript((d, w) => {
      w.fileAnswers.push(["/data/a.xisf", "/data/b.fits"], ["/data/b.fits", "/data/c.xisf"], null);
      d.batchAddButton.onClick();
      d.batchAddButton.onClick();
      d.batchAddButton.onClick();
      assert.deepEqual(plain(d.batchFiles), ["/data/a.xisf", "/data/b.fits", "/data/c.xisf"]);
      assert.equal(d.batchTree.numberOfChildren, 3);
      assert.equal(d.batchTree.child(1).text(0), "b.fits");
      d.batchTree.child(1).selected = true;
      d.batchRemoveButton.onClick();
      assert.deepEqual(plain(d.batchFiles), ["/data/a.xisf", "/data/c.xisf"]);
      d.batchRunButton.onClick();
      d.batchClearButton.onClick();
      assert.equal(d.batchTree.numberOfChildren, 0);
      w.fileAnswers.push(out);
      d.batchDirButton.onClick();
      assert.equal(d.batchDirEdit.text, out);
      d.batchRunButton.onClick();
      d.batchFormatCombo.onItemSelected(1);
      d.batchSourceCombo.onItemSelected(1);
      assert.equal(d.values.batchFormat, "fits");
      assert.equal(d.values.batchSource, "views");
      d.closeButton.onClick();
   }, withTarget);
   assert.deepEqual(env.world.messages.map((m) => m.text.replace(/<[^>]+>/g, " ").trim().split("  ")[0]), [
      "Choose an output folder for the batch.",
      "The batch list is empty: add files first."
   ]);
   assert.equal(env.world.http.length, 0);
   assert.equal(env.world.settings.get("BackgroundOptimizer/batchOutputDir").value, out);
   fs.rmSync(out, { recursive: true });
});
