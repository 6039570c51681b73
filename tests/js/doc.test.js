"use strict";
/*
 * The documentation page the help button opens (pjsr/BackgroundOptimizer/doc, installed as
 * doc/scripts/BackgroundOptimizer/BackgroundOptimizer.html): it documents every control of the
 * dialog with the same text as its tooltip, so page and tooltips cannot drift apart.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { loadEngine } = require("./helpers");
const { SCRIPT_DIR } = require("./shim");

const BGX = loadEngine();
const PAGE = fs.readFileSync(path.join(SCRIPT_DIR, "doc", "BackgroundOptimizer.html"), "utf8");
const esc = (t) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/* The parameter block PIDoc writes (PIDocDocument.js's ParameterSection), with our text. */
function block(label, tip) {
   return `<div class="pidoc_parameter">\n   <h4 class="pidoc_parameterTitle">${esc(label)}</h4>\n<p>${esc(tip)}</p>\n</div>`;
}

test("every parameter, option, view and preview control of the dialog is documented with its tooltip's text", () => {
   const documented = [["Target", "targetView"], ["Mask", "mask"], ["Fit", "previewFit"], ["1:1", "previewOneToOne"],
      ["+", "previewZoomIn"], ["-", "previewZoomOut"], ["Layer", "previewLayer"]].map(([label, name]) => [label, BGX.help.tip(name)]);
   for (const e of BGX.params.allEntries()) {
      if (e.label && e.ui !== false) {
         documented.push([e.label, e.tip]);
      }
   }
   assert.ok(documented.length >= 27);
   for (const [label, tip] of documented) {
      assert.ok(PAGE.includes(block(label, tip)), `the page lacks (or differs on) this block:\n${block(label, tip)}`);
   }
});

test("the page is a PIDoc script page: its style sheets, title, sections; named as the help button asks", () => {
   for (const css of ["pidoc-common.css", "pidoc-tool.css"]) {
      assert.ok(PAGE.includes(`href="../../pidoc/css/${css}"`), css);
   }
   assert.match(PAGE, /<title>PixInsight Reference Documentation \| BackgroundOptimizer<\/title>/);
   for (const id of ["__Introduction__", "__Usage__", "__Parameters__"]) {
      assert.ok(PAGE.includes(`<div class="pidoc_section" id="${id}">`), id);
   }
   for (const topic of ["New Instance", "Run batch", "Overwrite outputs", "Process Console"]) {
      assert.ok(PAGE.includes(topic), topic);
   }
   const entry = fs.readFileSync(path.join(SCRIPT_DIR, "BackgroundOptimizer.js"), "utf8");
   assert.match(entry, /BGX\.TITLE = "BackgroundOptimizer";/, "browseScriptDocumentation(BGX.TITLE) names this page");
});
