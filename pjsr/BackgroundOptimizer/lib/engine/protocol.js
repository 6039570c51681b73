/*
 * BGX.protocol: the worker's HTTP API v1 (docs/API.md) as pure functions: URLs, request bodies
 * and headers, JSON escaping for NetworkTransfer, status/health parsing, and the mapping of
 * HTTP outcomes to messages that tell the user what to do.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.protocol = (function () {
   "use strict";

   var DEFAULT_URL = "http://127.0.0.1:8765";
   var STATES = ["created", "queued", "running", "done", "failed", "cancelled"];
   var TERMINAL = ["done", "failed", "cancelled"];
   var RESULTS = ["background.xisf", "corrected.xisf", "objects.xisf", "report.json", "preview.png"];
   /* Longest body decoded as text (JSON and error answers); results are never decoded. */
   var MAX_TEXT_BODY = 1 << 20;

   /* "host:port", "http://host:port/" ... -> "http://host:port"; throws on anything else. */
   function normaliseBaseUrl(url) {
      var u = String(url === undefined || url === null ? "" : url).trim();
      if (u === "") {
         return DEFAULT_URL;
      }
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(u)) {
         u = "http://" + u;
      }
      u = u.replace(/\/+$/, "");
      if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(u)) {
         throw new Error("Invalid worker URL '" + url + "': use http://host:port, e.g. " + DEFAULT_URL);
      }
      return u;
   }

   function isHttps(url) {
      return /^https:/i.test(url);
   }

   function jobPath(base, id, tail) {
      if (!/^[A-Za-z0-9_-]+$/.test(String(id))) {
         throw new Error("Invalid job id '" + id + "'");
      }
      return base + "/v1/jobs/" + id + (tail ? "/" + tail : "");
   }

   var urls = {
      health: function (base) { return base + "/v1/health"; },
      jobs: function (base) { return base + "/v1/jobs"; },
      status: function (base, id) { return jobPath(base, id, ""); },
      upload: function (base, id, role) { return jobPath(base, id, role === "mask" ? "mask" : "image"); },
      start: function (base, id) { return jobPath(base, id, "start"); },
      cancel: function (base, id) { return jobPath(base, id, "cancel"); },
      remove: function (base, id) { return jobPath(base, id, "delete"); },
      result: function (base, id, name) {
         if (RESULTS.indexOf(name) < 0) {
            throw new Error("Unknown result '" + name + "'");
         }
         return jobPath(base, id, "result/" + name);
      }
   };

   /* Code points above 0x7E as \uXXXX, so the body is pure ASCII whatever NetworkTransfer does. */
   function escapeNonAscii(text) {
      return text.replace(/[\u007f-\uffff]/g, function (ch) {
         return "\\u" + ("0000" + ch.charCodeAt(0).toString(16)).slice(-4);
      });
   }

   function jsonBody(value) {
      return escapeNonAscii(JSON.stringify(value));
   }

   /* POST /v1/jobs: params, the view's name and the stretch the preview showed (may be null). */
   function createJobBody(params, name, stretch) {
      var body = { params: params };
      if (name) {
         body.name = String(name);
      }
      if (stretch) {
         body.stretch = { pedestal: stretch.pedestal, scale: stretch.scale, midtones: stretch.midtones };
      }
      return body;
   }

   /*
    * A download that ended with written bytes, when the server announced expected (Content-Length;
    * 0 or less: not announced): null when complete, else the failure to show.
    */
   function lengthFailure(written, expected, name) {
      if (!(expected > 0) || written === expected) {
         return null;
      }
      return {
         code: "truncated",
         message: "The download of " + name + " stopped after " + written + " of " + expected + " bytes.",
         advice: "Check the free space in the temp folder and the worker's log, then run again."
      };
   }

   /* True when the download action is wanted: actions with ifReport need that report section. */
   function wanted(action, report) {
      return !action.ifReport || (report !== null && typeof report === "object" && report[action.ifReport] !== undefined && report[action.ifReport] !== null);
   }

   function fixedOr(v, digits) {
      return typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "-";
   }

   function total(values) {
      return (Array.isArray(values) ? values : [values]).reduce(function (t, v) { return t + (num(v) === null ? 0 : v); }, 0);
   }

   /*
    * Console lines summarising report.json (docs/API.md): device, epochs, best loss, time (sum of
    * the stage timings), clipped pixels per output, and the share of the frame protected as
    * objects when the report has it.
    */
   function reportSummary(report) {
      var r = report && typeof report === "object" ? report : {};
      var fit = r.fit && typeof r.fit === "object" ? r.fit : {};
      var timings = r.timings && typeof r.timings === "object" ? r.timings : {};
      var seconds = Object.keys(timings).reduce(function (t, k) { return t + total(timings[k]); }, 0);
      var lines = [
         "device " + (typeof r.device === "string" ? r.device : "-") +
            ", epochs " + (num(fit.epochs_run) === null ? "-" : fit.epochs_run) + (fit.stopped_early === true ? " (stopped early)" : "") +
            ", loss " + fixedOr(fit.best_loss, 6) + ", time " + seconds.toFixed(1) + " s"
      ];
      var clipped = r.correction && r.correction.clipped && typeof r.correction.clipped === "object" ? r.correction.clipped : {};
      var names = Object.keys(clipped);
      if (names.length > 0) {
         lines.push("clipped pixels: " + names.map(function (k) { return k + " " + total(clipped[k]); }).join(", "));
      }
      if (r.objects && num(r.objects.share) !== null) {
         lines.push("protected as objects: " + (100 * r.objects.share).toFixed(1) + " % of the frame");
      }
      return lines;
   }

   return {
      DEFAULT_URL: DEFAULT_URL,
      STATES: STATES,
      RESULTS: RESULTS,
      normaliseBaseUrl: normaliseBaseUrl,
      isHttps: isHttps,
      urls: urls,
      escapeNonAscii: escapeNonAscii,
      jsonBody: jsonBody,
      MAX_TEXT_BODY: MAX_TEXT_BODY,
      createJobBody: createJobBody,
      lengthFailure: lengthFailure,
      wanted: wanted,
      reportSummary: reportSummary,
      headers: headers,
      parseJson: parseJson,
      parseStatus: parseStatus,
      parseHealth: parseHealth,
      parseError: parseError,
      isTerminal: isTerminal,
      failure: failure
   };
})();
