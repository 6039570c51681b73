"use strict";
/*
 * The whole script in a fresh strict PJSR world, as PixInsight would run it: the #include'd
 * files, then the entry file (whose main() builds the dialog and calls execute(); the test's
 * `drive(dialog, world)` plays the user inside execute()).
 */
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { createPjsr, includesOf } = require("./shim");
const { ENTRY, sleepSync } = require("./helpers");

/* A window holding a smooth gradient with a few stars and a black border (missing pixels). */
const GRADIENT = `(function (id, w, h, channels) {
   const win = new ImageWindow(w, h, channels, 32, true, channels === 3, id);
   const img = win.mainView.image;
   for (let c = 0; c < channels; ++c) {
      const a = new Float32Array(w * h);
      for (let y = 0; y < h; ++y) {
         for (let x = 0; x < w; ++x) {
            const star = (x * 7 + y * 13) % 211 === 0 ? 0.6 : 0;
            a[y * w + x] = x < 2 ? 0 : 0.02 + 0.03 * x / w + 0.01 * y / h + 0.002 * c + star;
         }
      }
      img.setSamples(a, new Rect(w, h), c);
   }
   win.keywords = [new FITSKeyword("OBJECT", "'M51'", "target")];
   return win;
})`;

/*
 * Run the script; setup(run) may create windows first (run evaluates code in the script's
 * context); options go to createPjsr (homeDir: one home for several runs). Returns {world,
 * context, run, dialog} after execute() returned.
 */
function runScript(drive, setup, options) {
   const pjsr = createPjsr(options);
   const run = (code) => vm.runInContext(code, pjsr.context);
   run(`var makeGradientWindow = ${GRADIENT};`);
   if (setup) {
      setup(run, pjsr.world);
   }
   let dialog = null;
   pjsr.world.onExecute = (d) => {
      dialog = d;
      drive(d, pjsr.world, run);
   };
   pjsr.load([...includesOf(ENTRY), path.basename(ENTRY)]);
   return { world: pjsr.world, context: pjsr.context, run, dialog, tempDir: pjsr.tempDir };
}

/* Let PixInsight's event loop fire the timers until done() or the time runs out. */
function pumpUntil(world, done, seconds) {
   const deadline = Date.now() + seconds * 1000;
   while (!done()) {
      if (Date.now() > deadline) {
         throw new Error(`still waiting after ${seconds} s`);
      }
      world.tick();
      sleepSync(100);
   }
}

/* Files the script left in its temp folder. */
function leftovers(tempDir) {
   return fs.readdirSync(tempDir).filter((n) => n.startsWith("bgx_"));
}

module.exports = { runScript, pumpUntil, leftovers };
