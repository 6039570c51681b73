"use strict";
/*
 * The script's files parse as V8 scripts, the engine needs no PJSR global, and the shim is
 * strict (unknown members, wrong arity, bad constants throw) and in sync with ../shared.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { createPjsr, stripDirectives, includesOf, SCRIPT_DIR } = require("./shim");
const makeApi = require("./shim/make-api");
const { ENTRY, ENGINE_FILES } = require("./helpers");

function scriptFiles(dir) {
   return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? scriptFiles(path.join(dir, e.name)) : e.name.endsWith(".js") ? [path.join(dir, e.name)] : []);
}

test("every .js file of the script parses as a V8 script once '#' directives are stripped", () => {
   const files = scriptFiles(SCRIPT_DIR);
   assert.ok(files.length >= 12);
   for (const f of files) {
      assert.doesNotThrow(() => new vm.Script(stripDirectives(fs.readFileSync(f, "utf8")), { filename: f }), f);
   }
});

test("the entry file: #engine v8 first, feature id, every lib file included once, version guard", () => {
   const src = fs.readFileSync(ENTRY, "utf8");
   assert.equal(src.split("\n")[0], "#engine v8");
   assert.match(src, /^#feature-id\s+BackgroundOptimizer : Utilities > BackgroundOptimizer$/m);
   assert.match(src, /^#feature-info\s/m);
   assert.match(src, /CoreApplication\.ensureMinimumVersion\(1, 9, 4\)/);
   const included = includesOf(ENTRY).sort();
   const onDisk = scriptFiles(path.join(SCRIPT_DIR, "lib")).map((f) => path.relative(SCRIPT_DIR, f)).sort();
   assert.deepEqual(included, onDisk);
   for (const f of ENGINE_FILES) {
      assert.doesNotMatch(fs.readFileSync(path.join(SCRIPT_DIR, f), "utf8"), /^\s*#/m, `${f} has a '#' line`);
   }
});

test("stripDirectives blanks directives and their continuation lines, keeping line numbers", () => {
   const out = stripDirectives("#define A \\\n  more \\\n  end\nlet x = 1; // #not\n  #include \"y\"\nz();");
   assert.deepEqual(out.split("\n"), ["", "", "", "let x = 1; // #not", "", "z();"]);
});

test("the shim refuses members, constants and call shapes PixInsight does not have", () => {
   const { context } = createPjsr();
   const run = (code) => vm.runInContext(code, context);
   assert.throws(() => run("new Label(new Dialog).txt"), /Label has no member 'txt'/);
   assert.throws(() => run("new Label(new Dialog).txt = 1"), /Label has no member 'txt' \(write\)/);
   assert.throws(() => run("new PushButton(new Dialog).onClick = 5"), /onClick must be a function/);
   assert.throws(() => run("new Dialog().execute = null"), /is a method; it cannot be assigned/);
   assert.throws(() => run("StdButton.Okay"), /StdButton has no constant 'Okay'/);
   assert.throws(() => run("StdIcon.Error = 3"), /read-only/);
   assert.throws(() => run("File.exist('/x')"), /File has no static member 'exist'/);
   assert.throws(() => run("new Dialog().adjustToContents(1)"), /takes 0\.\.0 arguments, got 1/);
   assert.throws(() => run("new NetworkTransfer().setURL()"), /takes 1\.\.3 arguments, got 0/);
   assert.throws(() => run("new VectorGraphics()"), /VectorGraphics is not defined/);
   assert.throws(() => run("new Image(1,1).forEachPixel(function(){})"), /Image has no member 'forEachPixel'/);
   assert.throws(() => run("new Label(5)"), /parent must be a Control/);
   assert.throws(() => run("console.log('x')"), /console has no member 'log'/);
   assert.throws(() => run("new NetworkTransfer().post({})"), /post takes a String/);
   assert.throws(() => run("new VerticalSizer().add(5)"), /takes a Control or a Sizer/);
   assert.equal(run("StdButton.Ok"), 1);
   assert.equal(run("typeof CoreApplication.processEvents"), "function");
});

test("processes: only those the script runs exist, with their parameters, constants and checked calls", () => {
   const { context, world } = createPjsr();
   const run = (code) => vm.runInContext(code, context);
   assert.throws(() => run("new HistogramTransformation()"), /HistogramTransformation is not defined/);
   assert.throws(() => run("AssignICCProfile.AssignNew"), /AssignICCProfile has no static member 'AssignNew'/);
   assert.throws(() => run("new AssignICCProfile().profile = 'x'"), /AssignICCProfile has no member 'profile' \(write\)/);
   assert.throws(() => run("new AssignICCProfile().executeOn()"), /executeOn\(\) takes 1\.\.2 arguments, got 0/);
   assert.notEqual(run("AssignICCProfile.AssignNewProfile"), run("AssignICCProfile.LeaveUntagged"));
   run(`var w = new ImageWindow(2, 2, 1, 32, true, false, "W"); var p = new AssignICCProfile;
      p.mode = AssignICCProfile.AssignNewProfile; p.targetProfile = "sRGB IEC61966-2.1";`);
   assert.equal(run("p.executeOn(w.mainView)"), true);
   assert.deepEqual(world.iccAssigned, [{ view: "W", profile: "sRGB IEC61966-2.1" }]);
   assert.throws(() => run("p.targetProfile = 'Not Installed'; p.executeOn(w.mainView)"), /no installed ICC profile 'Not Installed'/);
});

test("a script's subclass keeps its own members while the PixInsight ones stay checked", () => {
   const { context } = createPjsr();
   const out = vm.runInContext(`
      class D extends Dialog {
         constructor() { super(); this.mine = 2; this.windowTitle = "t"; }
         twice() { return this.mine * 2; }
      }
      const d = new D();
      let err = "";
      try { d.exeecute(); } catch (e) { err = e.message; }
      [d.twice(), d.windowTitle, d instanceof Dialog, d instanceof Control, err];`, context);
   assert.deepEqual(JSON.parse(JSON.stringify(out.slice(0, 4))), [4, "t", true, true]);
   assert.match(out[4], /Dialog has no member .exeecute. \(read\)/);
});

test("pjsr-api.json matches ../shared/pjsr-api when that is present", (t) => {
   if (!fs.existsSync(path.join(makeApi.SOURCE_DIR, "api.json"))) {
      t.skip("../shared/pjsr-api is not here");
      return;
   }
   const fresh = JSON.parse(JSON.stringify(makeApi.build(makeApi.SOURCE_DIR)));
   assert.deepEqual(JSON.parse(fs.readFileSync(makeApi.OUT, "utf8")), fresh);
});

test("the shim's large-image members: string limit, File writing, native statistics, the no-view entry", () => {
   const { context, world, tempDir } = createPjsr();
   const run = (code) => vm.runInContext(code, context);
   world.stringLimit = 4;
   assert.equal(run('ByteArray.stringToUTF8("abcd").utf8ToString()'), "abcd");
   assert.throws(() => run('ByteArray.stringToUTF8("abcde").utf8ToString()'), /over the string limit \(4\)/);
   const file = path.join(tempDir, "out.bin");
   run(`var f = new File; f.createForWriting(${JSON.stringify(file)}); f.write(new ByteArray("xy")); f.write(new ByteArray("z")); f.close();`);
   assert.equal(fs.readFileSync(file, "latin1"), "xyz");
   assert.throws(() => run(`var g = new File; g.createForWriting(${JSON.stringify(file)}); g.write("text")`), /ByteArray only/);
   run(`var img = new Image(5, 1, 1); img.setSamples(Float32Array.from([0, 0.4, 0.1, 0.2, 0.3]), new Rect(5, 1), 0);`);
   assert.equal(run("img.minimum(img.bounds, 0, 0)"), 0, "without range clipping the border zero counts");
   run("img.rangeClippingEnabled = true; img.rangeClipLow = 0; img.rangeClipHigh = 1;");
   assert.ok(Math.abs(run("img.minimum(img.bounds, 0, 0)") - 0.1) < 1e-7);
   assert.ok(Math.abs(run("img.median(img.bounds, 0, 0)") - 0.25) < 1e-7);
   assert.ok(Math.abs(run("img.orderStatistic(1, img.bounds, 0, 0)") - 0.4) < 1e-7);
   assert.equal(run("var list = new ViewList; list.getMainViews(); list.currentView = new View; list.currentView.isNull"), true);
});
