/*
 * BGX.batch: the dialog's batch mode without any I/O. plan() turns a list of inputs (files or
 * open views) into items with their output paths and the skip rules applied; begin() / end()
 * record each job, progress() counts done, failed, skipped and left with an ETA, and
 * cancelRest() ends the batch. The glue (lib/pi/batch.js) runs one BGX.Job per item, one at a
 * time (the worker queues one job at a time anyway).
 *
 * Skip rules: an input listed twice runs once; a file that is not XISF or FITS is skipped; an
 * output that exists and is at least as new as its file is skipped unless overwrite is set (a
 * stopped batch resumes where it left off; outputs are written under a .part name first, so
 * one that exists is complete). Output names: <input name>_corrected.<format> in the output
 * folder, made unique within the batch (two inputs named M51 give M51_corrected and
 * M51_corrected_1).
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.batch = (function () {
   "use strict";

   var FORMATS = { xisf: ".xisf", fits: ".fits" };
   var INPUT = /\.(xisf|fits|fit|fts)$/i;
   var SUFFIX = "_corrected";
   /* Windows this script opened as results: not inputs of an "open images" batch. */
   var RESULT_ID = /_(background|corrected)(_\d+)?$/;

   function join(dir, name) {
      return /[\\/]$/.test(dir) ? dir + name : dir + "/" + name;
   }

   /* The file name without folder and extension. */
   function baseName(path) {
      var name = String(path).replace(/^.*[\\/]/, "");
      var dot = name.lastIndexOf(".");
      return dot > 0 ? name.substring(0, dot) : name;
   }

   /* Where a complete output is written first (same extension: PixInsight picks the format by it). */
   function partPath(output) {
      var dot = output.lastIndexOf(".");
      return output.substring(0, dot) + ".part" + output.substring(dot);
   }

   function isResultId(id) {
      return RESULT_ID.test(id);
   }

   /* Why the batch cannot start, or null. */
   function problem(inputs, options) {
      if (!inputs || inputs.length === 0) {
         return options && options.source === "views" ? "No image is open." : "The batch list is empty: add files first.";
      }
      if (!options.outputDir) {
         return "Choose an output folder for the batch.";
      }
      if (!Object.prototype.hasOwnProperty.call(FORMATS, options.format)) {
         return "The batch format must be one of " + Object.keys(FORMATS).join(", ") + ".";
      }
      return null;
   }

   function keyOf(input) {
      return input.kind === "file" ? "file:" + input.path : "view:" + input.id;
   }

   /*
    * The batch for inputs [{kind: "file", path} | {kind: "view", id}] and options {outputDir,
    * format, overwrite}; fs: {exists(path) -> bool, modified(path) -> ms or null}. Items:
    * {input, name, output, state: "pending" | "skipped", reason, started, seconds, message}.
    */
   function plan(inputs, options, fs) {
      var seen = {};
      var names = {};
      var items = inputs.map(function (input) {
         var name = input.kind === "file" ? String(input.path).replace(/^.*[\\/]/, "") : input.id;
         var item = { input: input, name: name, output: null, state: "pending", reason: null, started: null, seconds: null, message: null };
         var key = keyOf(input);
         if (seen[key]) {
            item.state = "skipped";
            item.reason = "listed twice";
            return item;
         }
         seen[key] = true;
         if (input.kind === "file" && !INPUT.test(input.path)) {
            item.state = "skipped";
            item.reason = "not an XISF or FITS file";
            return item;
         }
         var base = (input.kind === "file" ? baseName(input.path) : input.id) + SUFFIX;
         var unique = base;
         for (var n = 1; names[unique.toLowerCase()]; ++n) {
            unique = base + "_" + n;
         }
         names[unique.toLowerCase()] = true;
         item.output = join(options.outputDir, unique + FORMATS[options.format]);
         if (!options.overwrite && fs.exists(item.output)) {
            if (input.kind === "view") {
               item.state = "skipped";
               item.reason = "its output exists (tick Overwrite to redo it)";
            } else {
               var outTime = fs.modified(item.output);
               var inTime = fs.modified(input.path);
               if (outTime !== null && inTime !== null && outTime >= inTime) {
                  item.state = "skipped";
                  item.reason = "its output is up to date";
               }
            }
         }
         return item;
      });
      return { items: items, options: options, current: -1, cancelled: false };
   }

   /* Index of the next item to run, or -1 when none is left. */
   function next(batch) {
      if (batch.cancelled) {
         return -1;
      }
      for (var i = 0; i < batch.items.length; ++i) {
         if (batch.items[i].state === "pending") {
            return i;
         }
      }
      return -1;
   }

   function begin(batch, i, nowMs) {
      batch.current = i;
      batch.items[i].state = "running";
      batch.items[i].started = nowMs;
   }

   /* The current item ended: ok true (done) or false (failed, with message). */
   function end(batch, nowMs, ok, message) {
      var item = batch.items[batch.current];
      item.state = ok ? "done" : "failed";
      item.seconds = (nowMs - item.started) / 1000;
      item.message = message || null;
      batch.current = -1;
   }

   /* Cancel: the current item (if any) and every pending one end as cancelled. */
   function cancelRest(batch) {
      batch.cancelled = true;
      batch.items.forEach(function (item) {
         if (item.state === "pending" || item.state === "running") {
            item.state = "cancelled";
         }
      });
      batch.current = -1;
   }

   /*
    * Counts over the batch and the ETA (ms; null before the first job ended): the mean time of
    * the jobs that ended, times those left, less what the current one has already run.
    */
   function progress(batch, nowMs) {
      var p = { total: batch.items.length, done: 0, failed: 0, skipped: 0, cancelled: 0, left: 0, current: null, etaMs: null };
      var spent = 0;
      batch.items.forEach(function (item) {
         if (item.state === "done" || item.state === "failed") {
            p[item.state] += 1;
            spent += item.seconds * 1000;
         } else if (item.state === "skipped" || item.state === "cancelled") {
            p[item.state] += 1;
         } else {
            p.left += 1;
         }
      });
      var running = batch.current >= 0 ? batch.items[batch.current] : null;
      if (running !== null) {
         p.current = running.name;
      }
      var ended = p.done + p.failed;
      if (ended > 0 && p.left > 0) {
         var mean = spent / ended;
         var inCurrent = running !== null ? Math.min(mean, nowMs - running.started) : 0;
         p.etaMs = Math.max(0, mean * p.left - inCurrent);
      }
      return p;
   }

   /* "12 s", "4 min", "1 h 05 min". */
   function duration(ms) {
      var s = Math.round(ms / 1000);
      if (s < 60) {
         return s + " s";
      }
      var min = Math.round(s / 60);
      if (min < 60) {
         return min + " min";
      }
      var m = min % 60;
      return Math.floor(min / 60) + " h " + (m < 10 ? "0" : "") + m + " min";
   }

   /* One line for the dialog: "Batch: 3 of 10 done, 1 failed, 2 skipped - M51.xisf - about 4 min left". */
   function progressText(p) {
      var finished = p.done + p.failed + p.skipped + p.cancelled;
      var parts = ["Batch: " + finished + " of " + p.total + " (" + p.done + " done"];
      if (p.failed > 0) {
         parts.push(p.failed + " failed");
      }
      if (p.skipped > 0) {
         parts.push(p.skipped + " skipped");
      }
      if (p.cancelled > 0) {
         parts.push(p.cancelled + " cancelled");
      }
      var text = parts.join(", ") + ")";
      if (p.current !== null) {
         text += " - " + p.current;
      }
      if (p.etaMs !== null) {
         text += " - about " + duration(p.etaMs) + " left";
      }
      return text;
   }

   /* The console report: one line per item, then the totals. */
   function summary(batch) {
      var lines = batch.items.map(function (item) {
         switch (item.state) {
         case "done":
            return item.name + ": done in " + item.seconds.toFixed(1) + " s -> " + item.output;
         case "failed":
            return item.name + ": FAILED after " + item.seconds.toFixed(1) + " s: " + item.message;
         case "skipped":
            return item.name + ": skipped, " + item.reason;
         default:
            return item.name + ": " + item.state;
         }
      });
      lines.push(progressText(progress(batch, 0)).replace(/^Batch: /, "Batch finished: "));
      return lines;
   }

   return {
      FORMATS: FORMATS,
      baseName: baseName,
      partPath: partPath,
      isResultId: isResultId,
      problem: problem,
      plan: plan,
      next: next,
      begin: begin,
      end: end,
      cancelRest: cancelRest,
      progress: progress,
      duration: duration,
      progressText: progressText,
      summary: summary
   };
})();
