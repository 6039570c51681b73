/*
 * BGX.params: the fit parameters (mirror of the worker's FitParams, checked against
 * tests/fixtures/params.json by the tests), their validation, the request body they become,
 * and the one key table through which every dialog setting is persisted.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.params = (function () {
   "use strict";

   /* Every fit parameter the worker knows; ui: false hides it from the dialog (defaults apply). */
   var TABLE = [
      { name: "samples", type: "int", def: 32, min: 3, max: 512, label: "Samples N", ui: true },
      { name: "order", type: "int", def: 2, min: 1, max: 4, label: "Spline order", ui: true },
      { name: "downscale", type: "int", def: 0, min: 0, max: 256, label: "Downscale (0 = auto)", ui: true },
      { name: "downscale_function", type: "str", def: "median", choices: ["median", "mean"], label: "Block reduction", ui: true },
      { name: "quantile", type: "float", def: 0.95, min: 0.5, max: 1.0, label: "Stretch quantile", ui: true, precision: 3 },
      { name: "target", type: "float", def: 0.25, min: 0.01, max: 0.9, label: "Target background", ui: true, precision: 3 },
      { name: "threshold_min", type: "float", def: 0.0, min: 0.0, max: 10.0, label: "Threshold min", ui: true, precision: 3 },
      { name: "threshold_max", type: "float", def: 10.0, min: 0.0, max: 10.0, label: "Threshold max", ui: true, precision: 3 },
      { name: "initializer", type: "str", def: "grid", choices: ["grid", "random"], label: "Initialiser", ui: true },
      { name: "epochs", type: "int", def: 1000, min: 1, max: 100000, label: "Epochs", ui: true },
      { name: "alpha", type: "float", def: 2.0, min: 0.0, max: 1000.0, label: "Alpha", ui: true, precision: 2 },
      { name: "learning_rate", type: "float", def: 0.01, min: 0.0, max: 1.0, exclusiveMin: true, label: "Learning rate", ui: true, precision: 5 },
      { name: "correction", type: "str", def: "subtract", choices: ["subtract", "divide"], label: "Correction", ui: true },
      { name: "seed", type: "int", def: 0, min: 0, max: 2147483647, label: "Seed", ui: true },
      { name: "error_weight", type: "float", def: 1.0, min: 0.0, max: 1000.0, ui: false },
      { name: "colour_weight", type: "float", def: 1.0, min: 0.0, max: 1000.0, ui: false },
      { name: "overshoot_weight", type: "float", def: 1.0, min: 0.0, max: 1000.0, ui: false },
      { name: "negative_weight", type: "float", def: 1.0, min: 0.0, max: 1000.0, ui: false },
      { name: "regularisation", type: "float", def: 0.1, min: 0.0, max: 1000.0, ui: false },
      { name: "rejection_passes", type: "int", def: 2, min: 0, max: 10, ui: false },
      { name: "rejection_sigma", type: "float", def: 3.0, min: 0.5, max: 100.0, ui: false },
      { name: "first_regularisation", type: "float", def: 0.3, min: 0.0, max: 1000.0, ui: false },
      { name: "rejection_grow", type: "int", def: 2, min: 0, max: 32, ui: false },
      { name: "patience", type: "int", def: 50, min: 1, max: 100000, ui: false },
      { name: "min_delta", type: "float", def: 5e-05, min: 0.0, max: 1.0, ui: false },
      { name: "lr_patience", type: "int", def: 20, min: 1, max: 100000, ui: false },
      { name: "lr_factor", type: "float", def: 0.5, min: 0.0, max: 1.0, exclusiveMin: true, ui: false },
      { name: "preview_every", type: "int", def: 25, min: 0, max: 100000, ui: false }
   ];

   /* Script options that are not fit parameters. */
   var OPTIONS = [
      { name: "workerUrl", type: "str", def: "http://127.0.0.1:8765" },
      { name: "token", type: "str", def: "" },
      { name: "workerProgram", type: "str", def: "" },
      { name: "stopWorkerOnClose", type: "bool", def: false },
      { name: "openBackground", type: "bool", def: true },
      { name: "closeWhenDone", type: "bool", def: false },
      { name: "replaceTarget", type: "bool", def: false },
      { name: "zoomToFit", type: "bool", def: true },
      { name: "showSamples", type: "bool", def: false },
      { name: "useWindowMask", type: "bool", def: false }
   ];

   var SETTINGS_PREFIX = "BackgroundOptimizer/";

   function byName(name) {
      for (var i = 0; i < TABLE.length; ++i) {
         if (TABLE[i].name === name) {
            return TABLE[i];
         }
      }
      return null;
   }

   function allEntries() {
      return TABLE.concat(OPTIONS);
   }

   /* A fresh settings object: every parameter and option at its default. */
   function defaults() {
      var values = {};
      allEntries().forEach(function (e) {
         values[e.name] = e.def;
      });
      return values;
   }

   /* Why value is not acceptable for entry e, or null when it is. */
   function problem(e, value) {
      if (e.type === "str") {
         if (typeof value !== "string") {
            return e.name + " must be text";
         }
         if (e.choices && e.choices.indexOf(value) < 0) {
            return e.name + " must be one of " + e.choices.join(", ");
         }
         return null;
      }
      if (e.type === "bool") {
         return typeof value === "boolean" ? null : e.name + " must be true or false";
      }
      if (typeof value !== "number" || !isFinite(value)) {
         return e.name + " must be a number";
      }
      if (e.type === "int" && Math.floor(value) !== value) {
         return e.name + " must be a whole number";
      }
      var low = e.exclusiveMin ? value <= e.min : value < e.min;
      if (low || value > e.max) {
         return e.name + " must be " + (e.exclusiveMin ? "> " : ">= ") + e.min + " and <= " + e.max;
      }
      return null;
   }

   /* List of messages, empty when every known value is valid. */
   function validate(values) {
      var problems = [];
      allEntries().forEach(function (e) {
         if (Object.prototype.hasOwnProperty.call(values, e.name)) {
            var p = problem(e, values[e.name]);
            if (p !== null) {
               problems.push(p);
            }
         }
      });
      return problems;
   }

   /* The "params" object of POST /v1/jobs: fit parameters only, known names only. */
   function toRequest(values) {
      var out = {};
      TABLE.forEach(function (e) {
         if (Object.prototype.hasOwnProperty.call(values, e.name)) {
            out[e.name] = values[e.name];
         }
      });
      return out;
   }

   /* The Settings key table: {key, name, type} with type "string" | "int" | "float" | "bool". */
   function settingsKeys() {
      return allEntries().map(function (e) {
         return { key: SETTINGS_PREFIX + e.name, name: e.name, type: e.type === "str" ? "string" : e.type };
      });
   }

   /*
    * Values from read(key, type) -> value or undefined (nothing stored); anything missing or
    * invalid falls back to its default, so a corrupt setting never blocks the dialog.
    */
   function fromSettings(read) {
      var values = defaults();
      settingsKeys().forEach(function (k) {
         var v = read(k.key, k.type);
         if (v !== undefined && v !== null) {
            var e = byName(k.name) || OPTIONS.filter(function (o) { return o.name === k.name; })[0];
            if (problem(e, v) === null) {
               values[k.name] = v;
            }
         }
      });
      return values;
   }

   /* [{key, type, value}] to write, one per table entry. */
   function toSettings(values) {
      return settingsKeys().map(function (k) {
         return { key: k.key, type: k.type, value: values[k.name] };
      });
   }

   return {
      TABLE: TABLE,
      OPTIONS: OPTIONS,
      byName: byName,
      defaults: defaults,
      validate: validate,
      toRequest: toRequest,
      settingsKeys: settingsKeys,
      fromSettings: fromSettings,
      toSettings: toSettings
   };
})();
