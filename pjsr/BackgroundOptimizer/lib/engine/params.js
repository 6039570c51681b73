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
      { name: "samples", type: "int", def: 32, min: 3, max: 512, label: "Samples N", ui: true, section: "Model",
        tip: "Number of spline samples the fit places and moves over the sky. Raise it (48-96) for complex or local gradients; lower it (16-24) for simple gradients or small images, which also fits faster." },
      { name: "order", type: "int", def: 2, min: 1, max: 4, label: "Spline order", ui: true, section: "Model",
        tip: "Order of the polyharmonic spline: 1 linear, 2 thin plate, 3 cubic. Keep 2 for most skies; raise it for a smoother model, lower it only to follow sharp local changes." },
      { name: "downscale", type: "int", def: 0, min: 0, max: 256, label: "Downscale (0 = auto)", ui: true, section: "Model",
        tip: "Block size the image is reduced by before the fit (0: chosen from the image size). Raise it to fit faster on large images; lower it when small-scale parts of the gradient are missed." },
      { name: "downscale_function", type: "str", def: "median", choices: ["median", "mean"], label: "Block reduction", ui: true, section: "Model",
        tip: "How each block is reduced: median ignores stars and hot pixels, mean keeps more faint signal. Keep median unless the image is noisy and has few stars." },
      { name: "quantile", type: "float", def: 0.95, min: 0.5, max: 1.0, label: "Stretch quantile", ui: true, section: "Stretch",
        tip: "Scale of the working stretch: this share of the sky maps below white. Lower it when bright objects fill much of the frame; check the preview after each change.", precision: 3 },
      { name: "target", type: "float", def: 0.25, min: 0.01, max: 0.9, label: "Target background", ui: true, section: "Stretch",
        tip: "Background brightness of the working stretch (0.25 is the usual STF look). Raise it to see and fit faint gradients of dark skies; lower it for bright skies.", precision: 3 },
      { name: "threshold_min", type: "float", def: 0.0, min: 0.0, max: 10.0, label: "Threshold min", ui: true, section: "Stretch",
        tip: "Stretched pixels darker than this are left out of the fit (red tint in the preview). Raise it to exclude dark dust lanes or borders of missing data.", precision: 3 },
      { name: "threshold_max", type: "float", def: 10.0, min: 0.0, max: 10.0, label: "Threshold max", ui: true, section: "Stretch",
        tip: "Stretched pixels brighter than this are left out of the fit (red tint). Lower it (e.g. 0.8) to exclude stars, galaxy cores and bright nebulae from the model.", precision: 3 },
      { name: "initializer", type: "str", def: "grid", choices: ["grid", "random"], label: "Initialiser", ui: true, section: "Model",
        tip: "Where the samples start: a regular grid, or random positions (repeatable with the seed). Keep grid; try random when a fit ends in a poor model." },
      { name: "epochs", type: "int", def: 1000, min: 1, max: 100000, label: "Epochs", ui: true, section: "Model",
        tip: "Largest number of optimisation steps; the fit stops earlier once it no longer improves. Raise it when the report says the limit was reached; lower it for quick trials." },
      { name: "alpha", type: "float", def: 2.0, min: 0.0, max: 1000.0, label: "Alpha", ui: true, section: "Model",
        tip: "Weight of the penalty on a model above the image. Raise it when the model rises into nebulosity or galaxies; lower it when the model stays below the sky.", precision: 2 },
      { name: "learning_rate", type: "float", def: 0.01, min: 0.0, max: 1.0, exclusiveMin: true, label: "Learning rate", ui: true, section: "Model",
        tip: "Step size of the optimiser. Lower it when the loss jumps about or the model oscillates; raise it when the fit creeps and stops at the epoch limit.", precision: 5 },
      { name: "correction", type: "str", def: "subtract", choices: ["subtract", "divide"], label: "Correction", ui: true, section: "Correction",
        tip: "Use subtract for additive gradients (light pollution, airglow, moonlight); choose divide for multiplicative ones (vignetting, flat-field residue)." },
      { name: "seed", type: "int", def: 0, min: 0, max: 2147483647, label: "Seed", ui: true, section: "Model",
        tip: "Seed of every random choice of the fit. Keep it to repeat a result exactly; change it to get another fit with the same settings." },
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

   /*
    * Script options that are not fit parameters; label: the dialog's text for it (none: no control
    * of its own). instance: false keeps an option out of process
    * icons: the token is a secret (icons are saved in projects that get shared), and the zoom and
    * the samples shown are the preview's state, not a processing choice (the window's mask is one).
    */
   var OPTIONS = [
      { name: "workerUrl", type: "str", def: "http://127.0.0.1:8765", label: "Worker", section: "Worker",
        tip: "Address of the bgoptimizer worker, e.g. http://127.0.0.1:8765. Change it only for a worker on another port or machine (the docker image, a GPU box)." },
      { name: "token", type: "str", def: "", instance: false, label: "Token", section: "Worker",
        tip: "The worker's token (--token / BGOPT_TOKEN), shown as dots. Leave it empty for a local worker without one; the docker image needs it." },
      { name: "workerProgram", type: "str", def: "", label: "Start with", section: "Worker",
        tip: "The bgoptimizer program (e.g. ~/bgopt/.venv/bin/bgoptimizer) or its Python environment's folder (~/bgopt/.venv). Set it once: when nothing answers at a local address, the script offers to start a worker with it." },
      { name: "stopWorkerOnClose", type: "bool", def: false, label: "Stop the worker on close", section: "Worker",
        tip: "Stop a worker this script started when the dialog closes. Leave it off to keep the worker running, warm and ready for the next run." },
      { name: "openBackground", type: "bool", def: true, label: "Open background model", section: "Correction",
        tip: "Open the fitted background model as a window too. Untick it to keep only the corrected image (like the discard option of ABE/DBE)." },
      { name: "closeWhenDone", type: "bool", def: false, label: "Close when done", section: "Correction",
        tip: "Close this dialog once the results are open. Tick it when one run is all you need; leave it off to tune and run again." },
      { name: "replaceTarget", type: "bool", def: false, label: "Replace target", section: "Correction",
        tip: "Write the corrected image into the target view (one undoable step) instead of a new window. Leave it off to compare before and after." },
      { name: "zoomToFit", type: "bool", def: true, instance: false, section: "Preview",
        tip: "Whether the preview opens fitted to its area (Fit) or at one real pixel per screen pixel (1:1). Set by the Fit and 1:1 buttons under the preview; the wheel and + / - zoom between." },
      { name: "showSamples", type: "bool", def: false, instance: false, label: "Show samples", section: "Preview",
        tip: "Draw the last run's final sample positions on the preview (green circles). Tick it to check that the samples sit on sky, not on objects." },
      { name: "useWindowMask", type: "bool", def: false, label: "Use the window's mask", section: "Target",
        tip: "Use the target window's own mask (as it is shown: enabled, inverted or not) instead of the Mask list. Tick it when the mask is already on the image." },
      { name: "batchSource", type: "str", def: "files", choices: ["files", "views"], label: "Run on", section: "Batch",
        tip: "What a batch runs on: the files in the list, or every image open in PixInsight. Choose the open images for masters you already have open." },
      { name: "batchOutputDir", type: "str", def: "", label: "Output folder", section: "Batch",
        tip: "Folder the batch writes one <name>_corrected file per input to. Use a folder apart from the inputs to keep originals and results separate." },
      { name: "batchFormat", type: "str", def: "xisf", choices: ["xisf", "fits"], label: "Format", section: "Batch",
        tip: "File format of the batch outputs. Keep XISF to keep every PixInsight property; choose FITS for other software." },
      { name: "batchOverwrite", type: "bool", def: false, label: "Overwrite outputs", section: "Batch",
        tip: "Replace outputs that already exist. Leave it off and an input whose output exists and is newer than the input is skipped, so a stopped batch resumes where it left off." }
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

   /* The entry of a fit parameter or a script option, or null. */
   function entry(name) {
      return byName(name) || OPTIONS.filter(function (o) { return o.name === name; })[0] || null;
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
            if (problem(entry(k.name), v) === null) {
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
      entry: entry,
      allEntries: allEntries,
      problem: problem,
      defaults: defaults,
      validate: validate,
      toRequest: toRequest,
      settingsKeys: settingsKeys,
      fromSettings: fromSettings,
      toSettings: toSettings
   };
})();
