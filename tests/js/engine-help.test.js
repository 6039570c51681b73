"use strict";
/* BGX.help: every parameter the dialog shows and every option has a tooltip that says what it
   does and when to change it; unknown names are refused. */
const test = require("node:test");
const assert = require("node:assert/strict");
const { loadEngine } = require("./helpers");

const BGX = loadEngine();
const WHEN = /\b(raise|lower|keep|leave|use|tick|untick|change|choose|set|try|pick|when)\b/i;

test("every shown parameter and every option has a tip with what it does and when to change it", () => {
   const entries = BGX.params.TABLE.filter((e) => e.ui).concat(BGX.params.OPTIONS);
   for (const e of entries) {
      const tip = BGX.help.tip(e.name);
      assert.ok(tip.length >= 60, `${e.name}: too short to say what and when`);
      assert.match(tip, WHEN, `${e.name}: says when to change it`);
      assert.ok(e.section, `${e.name}: has a dialog section`);
   }
   for (const e of BGX.params.TABLE.filter((x) => x.ui)) {
      assert.ok(["Stretch", "Model", "Correction"].includes(e.section), e.name);
   }
});

test("the controls that are not parameters have theirs; an unknown name throws", () => {
   for (const name of Object.keys(BGX.help.CONTROLS)) {
      assert.ok(BGX.help.tip(name).length >= 40, name);
      assert.equal(BGX.params.entry(name), null, `${name}: a table name would shadow the control's tip`);
   }
   assert.throws(() => BGX.help.tip("no_such_control"), /no tooltip for 'no_such_control'/);
});
