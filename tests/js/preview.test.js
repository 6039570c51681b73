"use strict";
/*
 * The preview in the dialog built by the real entry file (strict shim, no worker): zoom with
 * the wheel and the buttons, drag panning, 1:1 from the full-resolution pixels, the bitmaps
 * freed, the layer toggle and a run's results, the samples on request, the window's mask
 * and the re-stretch that sorts and measures nothing on a threshold change.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { runScript } = require("./script-env");
const fs = require("node:fs");
const { stateOf } = require("./shim/strict");
const { makePng } = require("./shim/files");
const { plain } = require("./helpers");

/* A 2400 x 1600 target: the preview's copy is 1024 x 683 (factor 1024 / 2400). */
const bigTarget = (run) => run('makeGradientWindow("Big", 2400, 1600, 1)');

/* Bitmaps made and not cleared (what the script still holds). */
const alive = (world) => world.bitmaps.filter((b) => !stateOf(b).cleared).length;

function paint(d) {
   d.previewControl.viewport.onPaint(0, 0, 480, 360);
}

test("zoom: fit, the wheel at the cursor, 1:1 and 2:1 of the real image, never below the fit", () => {
   runScript((d, w, run) => {
      const c = d.previewControl;
      const vp = c.viewport;
      assert.equal(c.fit, true);
      assert.equal(d.previewBar.zoomLabel.text, "Fit 1:5", "2400 px in 480 px");
      vp.onMouseWheel(100, 100, -120, 0, 0);
      assert.equal(c.fit, false);
      assert.equal(c.layout().scale, 1 / 4, "one step in from the fit");
      assert.equal(d.previewBar.zoomLabel.text, "1:4");
      const at = (x, y) => plain(run("BGX.zoom.toImage")(c.layout(), x, y));
      const before = at(300, 200);
      vp.onMouseWheel(300, 200, -120, 0, 0);
      vp.onMouseWheel(300, 200, -120, 0, 0);
      assert.equal(c.layout().scale, 1 / 2);
      const after = at(300, 200);
      assert.ok(Math.abs(before.x - after.x) <= 2 && Math.abs(before.y - after.y) <= 2, "the pixel under the cursor stays there");
      assert.equal(c.horizontalScrollPosition, c.layout().scrollX, "the scroll bars hold the position");
      d.previewBar.oneToOneButton.onClick();
      assert.equal(c.layout().scale, 1);
      assert.equal(d.values.zoomToFit, false);
      d.previewBar.zoomInButton.onClick();
      d.previewBar.zoomInButton.onClick();
      assert.equal(c.layout().scale, 2, "2:1 is the top");
      assert.equal(d.previewBar.zoomLabel.text, "2:1");
      for (let i = 0; i < 20; ++i) {
         vp.onMouseWheel(10, 10, 120, 0, 0);
      }
      assert.equal(c.fit, true, "zooming out ends at the fit");
      assert.equal(c.horizontalScrollPosition, 0);
      d.closeButton.onClick();
      assert.equal(w.graphicsOpen, 0);
   }, bigTarget);
});

test("1:1 shows the real pixels of the visible rectangle; dragging pans and shows the enlarged copy meanwhile", () => {
   runScript((d, w) => {
      const c = d.previewControl;
      const vp = c.viewport;
      d.previewBar.oneToOneButton.onClick();
      c.horizontalScrollPosition = 0;
      c.verticalScrollPosition = 0;
      w.drawn.length = 0;
      const detail = d.preview.detailBitmap({ x0: 1000, y0: 600, x1: 1480, y1: 960 }, 1);
      assert.equal(detail.width, 480, "one real pixel per bitmap pixel");
      assert.equal(detail.height, 360);
      detail.clear();
      paint(d);
      assert.deepEqual(w.drawn[0], { x: 0, y: 0, width: 480, height: 360 }, "the visible 480 x 360 real pixels, unscaled");
      vp.onMousePress(200, 200, 1, 1, 0);
      vp.onMouseMove(150, 180, 1, 0);
      assert.equal(c.horizontalScrollPosition, 50, "dragged 50 px to the left: 50 px further right in the image");
      assert.equal(c.verticalScrollPosition, 20);
      w.drawn.length = 0;
      w.scaled = 0;
      paint(d);
      assert.equal(w.scaled, 1, "while dragging: the preview's copy enlarged (one scaledTo), no full-resolution read");
      vp.onMouseMove(-5000, -5000, 1, 0);
      assert.equal(c.horizontalScrollPosition, 2400 - 480, "the scroll stays within the image");
      assert.equal(c.verticalScrollPosition, 1600 - 360);
      vp.onMouseRelease(0, 0, 1, 0, 0);
      w.scaled = 0;
      w.drawn.length = 0;
      paint(d);
      assert.equal(w.scaled, 0, "released: the real pixels again, 1:1 needs no scaling");
      assert.deepEqual(w.drawn[0], { x: 0, y: 0, width: 480, height: 360 });
      d.closeButton.onClick();
   }, bigTarget);
});

test("the bitmaps drawn are made once per zoom and freed when replaced; closing frees them all", () => {
   const env = runScript((d, w) => {
      const c = d.previewControl;
      const vp = c.viewport;
      const start = alive(w);
      const scaledBefore = w.scaled;
      paint(d);
      paint(d);
      assert.equal(w.scaled, scaledBefore + 1, "two paints at the fit: one scaled copy");
      for (let i = 0; i < 4; ++i) {
         vp.onMouseWheel(240, 180, -120, 0, 0);
         paint(d);
         vp.onMousePress(240, 180, 1, 1, 0);
         vp.onMouseMove(200 - 10 * i, 150, 1, 0);
         paint(d);
         vp.onMouseRelease(200, 150, 1, 0, 0);
         paint(d);
      }
      assert.ok(alive(w) <= start + 1, `${alive(w) - start} bitmaps more than at the start: the replaced ones are freed`);
      d.closeButton.onClick();
   }, bigTarget);
   assert.equal(alive(env.world), 0, "nothing left after the dialog closed");
});

test("layers: original and map before a run; a run's results add corrected (shown) and background", () => {
   runScript((d, w, run) => {
      const names = () => Array.from({ length: d.previewBar.layerCombo.numberOfItems }, (v, i) => d.previewBar.layerCombo.itemText(i));
      assert.deepEqual(names(), ["Original", "Objects / exclusions"]);
      d.previewBar.layerCombo.onItemSelected(1);
      assert.equal(d.preview.layer, "map");
      const map = d.preview.bitmap;
      d.previewBar.layerCombo.onItemSelected(0);
      assert.notEqual(d.preview.bitmap, map);
      run('makeGradientWindow("M51_corrected", 240, 160, 1)');
      run('makeGradientWindow("M51_background", 240, 160, 1)');
      d.preview.setResults({ corrected: "M51_corrected", background: "M51_background" });
      d.restretch();
      assert.equal(d.preview.layer, "corrected", "after a run the corrected image is shown");
      assert.deepEqual(names(), ["Original", "Corrected", "Background model", "Objects / exclusions"]);
      assert.equal(d.previewBar.layerCombo.currentItem, 1);
      assert.equal(d.preview.fullImage(), run("ImageWindow.windowById('M51_corrected').mainView.image"), "1:1 reads the corrected window");
      d.previewBar.layerCombo.onItemSelected(2);
      assert.equal(d.preview.layer, "background");
      d.preview.setResults({ corrected: "M51", background: null });
      assert.equal(d.preview.sourceReplaced, true, "the target was replaced: the original only from its copy");
      assert.deepEqual(names().length, 4, "the toggle is rebuilt on the next refresh");
      d.previewControl.refresh();
      assert.deepEqual(names(), ["Original", "Corrected", "Objects / exclusions"]);
      d.preview.setLayer("original");
      assert.equal(d.preview.fullImage(), null);
      d.closeButton.onClick();
   }, (run) => run('makeGradientWindow("M51", 240, 160, 1)'));
});

test("the fit in progress is a layer while the worker sends previews; a failed run goes back to the original", () => {
   runScript((d, w) => {
      const png = path.join(w.tempDir, "live.png");
      fs.writeFileSync(png, makePng(120, 80));
      d.preview.showFile(png);
      d.previewControl.refresh();
      assert.equal(d.preview.layer, "live");
      assert.equal(d.preview.layerFactor, 0.5, "the worker's preview is half the target's width");
      d.preview.setLayer("map");
      const first = d.preview.live;
      d.preview.showFile(png);
      assert.equal(d.preview.layer, "map", "a later preview leaves the user's choice alone");
      assert.equal(stateOf(first).cleared, true, "the replaced live bitmap was freed");
      d.preview.setLayer("live");
      assert.ok(Array.from({ length: d.previewBar.layerCombo.numberOfItems }, (v, i) => d.previewBar.layerCombo.itemText(i)).includes("Fit in progress"));
      paint(d);
      d.previewBar.oneToOneButton.onClick();
      paint(d);
      const live = d.preview.live;
      d.finished("failed", { message: "x", advice: "y" }, null);
      assert.equal(d.preview.layer, "original");
      assert.equal(stateOf(live).cleared, true, "the live bitmap was freed");
      d.closeButton.onClick();
   }, (run) => run('makeGradientWindow("M51", 240, 160, 1)'));
});

test("sample positions are drawn only on request", () => {
   runScript((d, w) => {
      d.preview.setSamples([{ x: 10, y: 10 }, { x: 100, y: 50 }, { x: 200, y: 150 }]);
      w.paintOps.length = 0;
      paint(d);
      assert.equal(w.paintOps.filter((o) => o === "strokeCircle").length, 0, "off by default");
      d.previewBar.samplesCheck.onCheck(true);
      assert.equal(d.values.showSamples, true);
      paint(d);
      assert.equal(w.paintOps.filter((o) => o === "strokeCircle").length, 3);
      d.closeButton.onClick();
   }, (run) => run('makeGradientWindow("M51", 240, 160, 1)'));
});

test("the window's mask: used as the user mask when ticked, honouring enabled and inverted", () => {
   runScript((d, w, run) => {
      const target = run("ImageWindow.windowById('M51')");
      const maskWin = run("ImageWindow.windowById('Half')");
      assert.equal(d.mask, null, "no list mask, box unticked");
      d.windowMaskCheck.onCheck(true);
      assert.equal(d.mask, null, "ticked, but the window has no mask");
      assert.match(d.windowMaskCheck.toolTip, /has no mask/);
      target.setMask(maskWin, false);
      d.selectMask();
      assert.equal(d.mask, maskWin.mainView);
      assert.equal(d.preview.maskPlane[0], 0, "left half 0: left out");
      target.maskInverted = true;
      d.selectMask();
      assert.equal(d.maskChoice.inverted, true);
      assert.equal(d.preview.maskPlane[0], 1, "inverted as the window shows it");
      assert.equal(d.preview.maskPlane[239], 0);
      assert.match(d.windowMaskCheck.toolTip, /inverted/);
      target.maskEnabled = false;
      d.selectMask();
      assert.equal(d.mask, null, "a disabled mask is not used");
      assert.match(d.windowMaskCheck.toolTip, /disabled/);
      d.windowMaskCheck.onCheck(false);
      assert.equal(d.values.useWindowMask, false);
      d.closeButton.onClick();
   }, (run) => {
      run(`(function () {
         const m = new ImageWindow(240, 160, 1, 32, true, false, "Half");
         m.mainView.image.setSamples(Float32Array.from({ length: 240 * 160 }, (v, i) => (i % 240 < 120 ? 0 : 1)), new Rect(240, 160), 0);
      })()`);
      run('makeGradientWindow("M51", 240, 160, 1)');
   });
});

test("a threshold change re-tints the stretched copy: no statistic measured, nothing sorted", () => {
   runScript((d, w, run) => {
      run("var sorts = 0; var plainSort = Float64Array.prototype.sort; Float64Array.prototype.sort = function () { sorts += 1; return plainSort.apply(this, arguments); };");
      run('makeGradientWindow("M51_corrected", 240, 160, 1)');
      d.preview.setResults({ corrected: "M51_corrected", background: null });
      assert.equal(run("sorts"), 1, "the corrected layer's copy sorted once for its auto-STF");
      const measured = w.statistics;
      const rgb = d.preview.rgb;
      for (const v of [0.1, 0.2, 0.3]) {
         d.controlsByName.threshold_min.control.onValueUpdated(v);
         w.tick();
         d.preview.setLayer(v === 0.2 ? "map" : "corrected");
         paint(d);
      }
      assert.equal(w.statistics, measured, "no native statistic of the full image");
      assert.equal(run("sorts"), 1, "nothing sorted again");
      assert.equal(d.preview.rgb, rgb, "the stretched planes reused");
      d.controlsByName.quantile.control.onValueUpdated(0.9);
      w.tick();
      assert.ok(w.statistics > measured, "a new quantile is measured");
      const again = w.statistics;
      d.controlsByName.quantile.control.onValueUpdated(0.95);
      w.tick();
      assert.equal(w.statistics, again, "a quantile seen before is not measured again");
      d.closeButton.onClick();
   }, (run) => run('makeGradientWindow("M51", 240, 160, 1)'));
});
