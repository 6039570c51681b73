"use strict";
/*
 * The strict PJSR shim for Node: createPjsr() gives a vm context holding the PixInsight core
 * classes (pjsr-api.json, V8 profile), the V8 constant objects, console, format() and a
 * `world` object the test inspects and drives; load() runs script files in it the way the
 * PJSR preprocessor would (lines starting with '#' removed, line numbers kept).
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const vm = require("node:vm");
const { buildClasses, constantFamily } = require("./strict");
const { behaviours } = require("./behaviours");

const API = JSON.parse(fs.readFileSync(path.join(__dirname, "pjsr-api.json"), "utf8"));
const SCRIPT_DIR = path.resolve(__dirname, "../../../pjsr/BackgroundOptimizer");

/* The script's source with its '#' directives (and their '\\' continuation lines) blanked. */
function stripDirectives(source) {
   let continued = false;
   return source.split("\n").map((line) => {
      const directive = continued || /^\s*#/.test(line);
      continued = directive && /\\\s*$/.test(line);
      return directive ? "" : line;
   }).join("\n");
}

/* The files an entry file #includes, in order, as paths relative to the script folder. */
function includesOf(entryPath) {
   const out = [];
   for (const line of fs.readFileSync(entryPath, "utf8").split("\n")) {
      const m = /^\s*#include\s+"([^"]+)"/.exec(line);
      if (m) {
         out.push(m[1]);
      }
   }
   return out;
}

/* A tiny printf for format(): %d %i %s %f %.Nf %e %g %%. */
function format(fmt, ...args) {
   let i = 0;
   return String(fmt).replace(/%(-?\d*)(?:\.(\d+))?([disfeg%])/g, (all, width, prec, conv) => {
      if (conv === "%") {
         return "%";
      }
      const v = args[i++];
      let s;
      if (conv === "d" || conv === "i") {
         s = String(Math.trunc(v));
      } else if (conv === "s") {
         s = String(v);
      } else if (conv === "f") {
         s = Number(v).toFixed(prec === undefined ? 6 : Number(prec));
      } else if (conv === "e") {
         s = Number(v).toExponential(prec === undefined ? 6 : Number(prec));
      } else {
         s = String(Number(v));
      }
      const w = Math.abs(Number(width || 0));
      return width && width.startsWith("-") ? s.padEnd(w) : s.padStart(w);
   });
}

function makeConsole(world) {
   const lines = world.console;
   const members = {};
   const log = (kind) => (...a) => { lines.push({ kind, text: a.join("") }); };
   for (const m of Object.keys(API.classes.Console.staticMethods)) {
      members[m] = log(m);
   }
   let abortEnabled = false;
   const target = Object.assign(members, {});
   Object.defineProperty(target, "abortEnabled", { get: () => abortEnabled, set: (v) => { abortEnabled = Boolean(v); } });
   Object.defineProperty(target, "abortRequested", { get: () => world.abortRequested, set: (v) => { world.abortRequested = v; } });
   return new Proxy(target, {
      get(t, p) {
         if (typeof p === "symbol" || p in t) {
            return t[p];
         }
         throw new Error(`PJSR: console has no member '${p}'`);
      },
      set(t, p, v) {
         if (p === "abortEnabled" || p === "abortRequested") {
            t[p] = v;
            return true;
         }
         throw new Error(`PJSR: cannot assign console.${String(p)}`);
      }
   });
}

/* Temp folders this process created; removed when it exits. */
const createdDirs = [];
process.on("exit", () => createdDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/*
 * A fresh PJSR world: {context, world, load(relPaths), C}. Options: tempDir and homeDir
 * (File.systemTempDirectory, File.homeDirectory; default: new directories under the OS temp
 * dir, removed at exit). world.answers: the buttons the next MessageBoxes return (else Ok).
 */
function createPjsr(options = {}) {
   let tempDir = options.tempDir;
   if (!tempDir) {
      tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgx-pjsr-"));
      createdDirs.push(tempDir);
   }
   const homeDir = options.homeDir || fs.mkdtempSync(path.join(os.tmpdir(), "bgx-home-"));
   if (!options.homeDir) {
      createdDirs.push(homeDir);
   }
   const families = {};
   for (const [name, members] of Object.entries(API.families)) {
      families[name] = constantFamily(name, members);
   }
   const world = {
      tempDir, homeDir, families, console: [], settings: new Map(), answers: [], processes: [], lastReadOK: false, messages: [], windows: [],
      timers: [], controls: [], bitmaps: [], http: [], xisfWrites: [], paintOps: [], drawn: [], executing: [],
      graphicsOpen: 0, processEvents: 0, abortRequested: false, onExecute: null, minimumVersion: null,
      stringLimit: Infinity, decodedBytes: 0, freed: [], scaled: 0, shown: [], fronted: [], statistics: 0,
      uploadAnswerBody: true, onEvents: null,
      parameters: new Map(), newInstances: [], instanceTarget: null, targetView: null, documentation: [],
      documentationInstalled: true, fileAnswers: [], saved: [],
      /* ICC profiles PixInsight has installed (by description) and the assignments made */
      installedProfiles: ["sRGB IEC61966-2.1"], iccAssigned: [], formatReads: [],
      freeId(base) {
         let id = base;
         for (let n = 1; world.windows.some((w) => w.mainView && w.mainView.id === id); ++n) {
            id = base + n;
         }
         return id;
      },
      /* Fire every running timer once (what PixInsight's event loop would do). */
      tick() {
         world.timers.filter((t) => t.isRunning).forEach((t) => {
            if (!t.periodic) {
               t.stop();
            }
            if (t.onTimeout) {
               t.onTimeout();
            }
         });
      }
   };
   const C = {};
   Object.assign(C, buildClasses(API, behaviours(world, C)));
   const context = vm.createContext({ ...C, ...families, console: makeConsole(world), format });
   const load = (relPaths) => {
      for (const rel of relPaths) {
         const file = path.join(SCRIPT_DIR, rel);
         new vm.Script(stripDirectives(fs.readFileSync(file, "utf8")), { filename: file }).runInContext(context);
      }
   };
   return { context, world, load, C, tempDir };
}

module.exports = { createPjsr, stripDirectives, includesOf, format, SCRIPT_DIR, API };
