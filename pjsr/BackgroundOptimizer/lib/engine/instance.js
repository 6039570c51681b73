/*
 * BGX.instance: the script's process-instance format. A process icon stores the parameters a
 * script exported with Parameters.set(id, value) and gives them back as text through
 * Parameters.get(id) (pjsr-api: `get(id): string`), so every value is written as text here and
 * parsed back with the table's type and range. The ids are the names of the one parameter
 * table (BGX.params: fit parameters and script options, less those marked instance: false), so
 * a parameter added to the table is saved in icons without a second list.
 *
 * Old icons lack the keys of newer parameters: those keep their defaults. Keys an icon has
 * that this version does not know (written by a newer one) are never read. A value of the
 * wrong type or out of range is a problem with a message naming the parameter, the value and
 * what it must be; the caller decides whether that stops the run.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.instance = (function () {
   "use strict";

   /* The key holding the format version; a newer format is read as far as it is understood. */
   var VERSION_KEY = "bgx_instance_version";
   var VERSION = 1;

   /* The table entries a process icon holds. */
   function entries() {
      return BGX.params.allEntries().filter(function (e) { return e.instance !== false; });
   }

   /* The text Parameters.set stores for value (numbers in full precision: String round-trips). */
   function encode(value) {
      return String(value);
   }

   /* {value} parsed from text for entry e, or {error} saying what the text should be. */
   function decode(e, text) {
      if (typeof text !== "string") {
         return { error: "has no text value" };
      }
      var t = text.trim();
      if (e.type === "str") {
         return { value: text };
      }
      if (e.type === "bool") {
         if (t === "true" || t === "1") {
            return { value: true };
         }
         if (t === "false" || t === "0") {
            return { value: false };
         }
         return { error: "is '" + text + "', not true or false" };
      }
      if (e.type === "int" && !/^[+-]?\d+$/.test(t)) {
         return { error: "is '" + text + "', not a whole number" };
      }
      var n = Number(t);
      if (t === "" || !isFinite(n)) {
         return { error: "is '" + text + "', not a number" };
      }
      return { value: n };
   }

   /* [{id, value}] for Parameters.set, the format version first. */
   function toParameters(values) {
      var out = [{ id: VERSION_KEY, value: encode(VERSION) }];
      entries().forEach(function (e) {
         var v = Object.prototype.hasOwnProperty.call(values, e.name) ? values[e.name] : e.def;
         out.push({ id: e.name, value: encode(v) });
      });
      return out;
   }

   /*
    * Values from an icon: has(id) -> bool and get(id) -> text (Parameters.has / get), over
    * base (the values a missing key keeps: the defaults, or the saved settings). Returns
    * {values, problems, notes}: problems name each rejected value (it keeps base's value),
    * notes say what the reader should know (missing keys of an older icon, a newer format).
    */
   function fromParameters(has, get, base) {
      var values = {};
      Object.keys(base).forEach(function (k) { values[k] = base[k]; });
      var problems = [];
      var notes = [];
      if (has(VERSION_KEY)) {
         var version = decode({ type: "int" }, get(VERSION_KEY));
         if (version.error !== undefined) {
            problems.push("Process icon: " + VERSION_KEY + " " + version.error + ".");
         } else if (version.value > VERSION) {
            notes.push("This process icon was saved by a newer BackgroundOptimizer (format " + version.value +
               "); the parameters this version does not know are ignored.");
         }
      } else {
         notes.push("This process icon was not saved by BackgroundOptimizer's New Instance (no " + VERSION_KEY + "); " +
            "its values are read as far as they are known.");
      }
      var missing = [];
      entries().forEach(function (e) {
         if (!has(e.name)) {
            missing.push(e.name);
            return;
         }
         var text = get(e.name);
         var d = decode(e, text);
         var why = d.error !== undefined ? e.name + " " + d.error : BGX.params.problem(e, d.value);
         if (why !== null && d.error === undefined) {
            why = e.name + " is '" + text + "': " + why;
         }
         if (why !== null) {
            problems.push("Process icon: " + why + "; " + e.name + " stays " + encode(values[e.name]) + ".");
         } else {
            values[e.name] = d.value;
         }
      });
      if (missing.length > 0) {
         notes.push("Not in this process icon (an older version's?), kept as before: " + missing.join(", ") + ".");
      }
      return { values: values, problems: problems, notes: notes };
   }

   return {
      VERSION_KEY: VERSION_KEY,
      VERSION: VERSION,
      entries: entries,
      toParameters: toParameters,
      fromParameters: fromParameters
   };
})();
