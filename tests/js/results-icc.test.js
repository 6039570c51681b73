"use strict";
/*
 * The result windows BGX.io.openResults opens carry the target's ICC profile: read from the
 * target's file (real PixInsight XISF files) and given by AssignICCProfile. A target without
 * a file, a changed one, a file that holds no profile and a profile PixInsight has not
 * installed give none, with one console line. No worker: the results are files written here.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { runScript } = require("./script-env");
const { REAL_XISF } = require("./helpers");
const { stateOf } = require("./shim/strict");
const { writeXisf } = require("./shim/files");

/* Both hold an sRGB profile whose description LittleCMS reads as SRGB (engine-iccprofile). */
const MONO = path.join(REAL_XISF, "xisfsharp_400x300-f32.xisf");
const RGB = path.join(REAL_XISF, "xisfits_xisf-image-rgb-256x256-16bits.xisf");
const SRGB = "sRGB IEC61966-2.1";
const NO_PROFILE_XISF = path.resolve(REAL_XISF, "../other/graxpert_mono_32bit.xisf");
const M51_FITS = path.resolve(REAL_XISF, "../../fits/nebulosa_M51.F32.Mono.fits");

/*
 * The script started and its dialog closed, `target` made by the code setup (a string run in
 * the script's context), then openResults on two small result files. Returns {world, run,
 * lines (the console lines about ICC profiles), ids (result ids by role)}.
 */
function openResults(setup, values = {}, world = {}) {
   const env = runScript((d) => d.closeButton.onClick(), (run) => run(setup));
   Object.assign(env.world, world);
   const paths = {};
   for (const role of ["background", "corrected"]) {
      paths[role] = path.join(env.tempDir, `result_${role}.xisf`);
      writeXisf(paths[role], 4, 3, [new Float32Array(12).fill(0.25)], []);
   }
   const args = env.run("var args = {}; args");
   Object.assign(args, { paths, values });
   env.world.console.length = 0;
   const ids = env.run("BGX.io.openResults(args.paths, target.mainView, args.values)");
   const lines = env.world.console.filter((l) => /ICC profile/.test(l.text));
   return { world: env.world, run: env.run, lines, ids };
}

const open = (file) => `var target = ImageWindow.open(${JSON.stringify(file)})[0];`;
const windowOf = (world, id) => world.windows.find((w) => w.mainView.id === id);

test("a target opened from a PixInsight XISF: both results get its profile by AssignICCProfile, read once", () => {
   for (const file of [MONO, RGB]) {
      const { world, lines, ids } = openResults(open(file));
      const id = path.basename(file, ".xisf").replace(/-/g, "_");
      assert.deepEqual(world.iccAssigned, [
         { view: `${id}_background`, profile: SRGB },
         { view: `${id}_corrected`, profile: SRGB }
      ], file);
      assert.equal(stateOf(windowOf(world, ids.background)).iccProfile, SRGB);
      assert.equal(stateOf(windowOf(world, ids.corrected)).iccProfile, SRGB);
      assert.equal(stateOf(windowOf(world, id)).iccProfile, null, "the target is left alone");
      assert.deepEqual(world.formatReads, [file], "the file's header is read once for both");
      assert.deepEqual(lines, [], "nothing to say");
   }
});

test("a target with no file, or changed since it was opened, gives none: one console note, its file not read", () => {
   const changed = open(MONO) + "target.mainView.beginProcess(); target.mainView.endProcess();";
   for (const setup of ['var target = makeGradientWindow("M51", 40, 30, 1);', changed]) {
      const { world, lines, ids } = openResults(setup);
      assert.deepEqual(world.iccAssigned, [], setup);
      assert.deepEqual(world.formatReads, []);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0].kind, "noteln");
      assert.match(lines[0].text, /no file or was changed since it was opened, so its ICC profile is unknown and the results get none/);
      assert.ok(windowOf(world, ids.background) && windowOf(world, ids.corrected), "both results are open");
   }
});

test("a file that holds no profile (FITS, an XISF without one): one console note each, nothing assigned", () => {
   for (const [file, reads] of [[M51_FITS, []], [NO_PROFILE_XISF, [NO_PROFILE_XISF]]]) {
      const { world, lines } = openResults(open(file));
      assert.deepEqual(world.iccAssigned, [], file);
      assert.deepEqual(world.formatReads, reads, "FITS stores no profile: not opened for one");
      assert.deepEqual(lines.map((l) => [l.kind, l.text]), [["noteln", "<end><cbr>BackgroundOptimizer: the target's file holds no ICC profile, so the results get none."]]);
   }
});

test("a profile PixInsight has not installed: one warning naming it, both results open without one", () => {
   const { world, lines, ids } = openResults(open(MONO), {}, { installedProfiles: ["Adobe RGB (1998)"] });
   assert.deepEqual(world.iccAssigned, []);
   assert.equal(lines.length, 1, JSON.stringify(lines));
   assert.equal(lines[0].kind, "warningln");
   assert.match(lines[0].text, /the target's ICC profile 'sRGB IEC61966-2\.1' could not be assigned to the results \(AssignICCProfile: no installed ICC profile .*; is it installed here\?\); they have none\./);
   assert.ok(windowOf(world, ids.background) && windowOf(world, ids.corrected), "both results are open");
   assert.equal(stateOf(windowOf(world, ids.corrected)).iccProfile, null);
});

test("Replace target: the target keeps its own profile; only the background model, when opened, gets one", () => {
   const withModel = openResults(open(MONO), { replaceTarget: true });
   assert.deepEqual(withModel.world.iccAssigned, [{ view: "xisfsharp_400x300_f32_background", profile: SRGB }]);
   const alone = openResults(open(MONO), { replaceTarget: true, openBackground: false });
   assert.deepEqual(alone.world.iccAssigned, []);
   assert.deepEqual(alone.world.formatReads, [], "no result window: the file is not read");
   assert.deepEqual(alone.lines, []);
});
