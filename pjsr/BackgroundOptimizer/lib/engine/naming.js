/*
 * BGX.naming: valid PixInsight view identifiers and the script's temp file names (one tag per
 * run, so every file of a run can be found and removed, and stale ones recognised).
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.naming = (function () {
   "use strict";

   var PREFIX = "bgx_";
   var ROLES = {
      image: ".xisf",
      mask: ".xisf",
      background: ".xisf",
      corrected: ".xisf",
      objects: ".xisf",
      report: ".json",
      preview: ".png"
   };
   var STALE = /^bgx_[a-z0-9]+_(image|mask|background|corrected|objects|report|preview)\.(xisf|json|png)$/;

   /* Letters, digits and underscores, not starting with a digit, never empty. */
   function viewId(text) {
      var id = String(text === undefined || text === null ? "" : text).replace(/[^A-Za-z0-9_]/g, "_");
      if (id === "") {
         return "image";
      }
      return /^[0-9]/.test(id) ? "_" + id : id;
   }

   /* First of base, base_1, base_2 ... for which taken(id) is false. */
   function uniqueId(base, taken) {
      var id = viewId(base);
      var n = 0;
      var candidate = id;
      while (taken(candidate)) {
         candidate = id + "_" + (++n);
      }
      return candidate;
   }

   /* Window ids of the results of view viewIdText. */
   function resultIds(viewIdText, taken) {
      return {
         background: uniqueId(viewIdText + "_background", taken),
         corrected: uniqueId(viewIdText + "_corrected", taken)
      };
   }

   /*
    * Whether a view property of the target is copied to the results: not the ones PixInsight
    * computes from the pixels (Image:*, e.g. statistics) nor the astrometric solution's (PCL:*,
    * copied whole by copyAstrometricSolution).
    */
   function copiedProperty(id) {
      return typeof id === "string" && !/^(Image|PCL):/.test(id);
   }

   /* A short run tag from a time (ms) and a random number in [0, 1). */
   function tag(timeMs, random) {
      return (Math.floor(timeMs) % 2176782336).toString(36) + Math.floor(random * 1296).toString(36);
   }

   function join(dir, name) {
      return /[\\/]$/.test(dir) ? dir + name : dir + "/" + name;
   }

   /* {role: path} of every temp file a run may create. */
   function tempPaths(dir, runTag) {
      var paths = {};
      Object.keys(ROLES).forEach(function (role) {
         paths[role] = join(dir, PREFIX + runTag + "_" + role + ROLES[role]);
      });
      return paths;
   }

   /* True for names this script created in an earlier run (left over after a crash). */
   function isStale(fileName) {
      return STALE.test(fileName);
   }

   return {
      viewId: viewId,
      uniqueId: uniqueId,
      resultIds: resultIds,
      tag: tag,
      tempPaths: tempPaths,
      copiedProperty: copiedProperty,
      isStale: isStale
   };
})();
