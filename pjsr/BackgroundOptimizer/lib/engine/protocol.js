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

   /* Custom HTTP headers (set them after setURL, which resets them). */
   function headers(token, contentType) {
      var list = [];
      if (contentType) {
         list.push("Content-Type: " + contentType);
      }
      if (token) {
         list.push("Authorization: Bearer " + token);
      }
      return list;
   }

   function parseJson(text) {
      try {
         return JSON.parse(text);
      } catch (e) {
         throw new Error("The worker sent an answer that is not JSON: " + String(text).slice(0, 120));
      }
   }

   function num(v) {
      return typeof v === "number" && isFinite(v) ? v : null;
   }

   /* A job status object (docs/API.md) checked and reduced to what the script uses. */
   function parseStatus(obj) {
      if (obj === null || typeof obj !== "object" || typeof obj.id !== "string" || STATES.indexOf(obj.state) < 0) {
         throw new Error("The worker sent a job status this script does not understand.");
      }
      return {
         id: obj.id,
         state: obj.state,
         stage: typeof obj.stage === "string" ? obj.stage : null,
         progress: num(obj.progress) === null ? 0 : Math.min(1, Math.max(0, obj.progress)),
         epoch: num(obj.epoch),
         epochs: num(obj.epochs),
         loss: num(obj.loss),
         eta: num(obj.eta),
         message: typeof obj.message === "string" ? obj.message : "",
         error: obj.error && typeof obj.error === "object" ? { code: String(obj.error.code), message: String(obj.error.message) } : null,
         cancelRequested: obj.cancel_requested === true,
         queuePosition: num(obj.queue_position),
         previewVersion: num(obj.preview_version) === null ? 0 : obj.preview_version,
         results: Array.isArray(obj.results) ? obj.results.slice() : []
      };
   }

   function isTerminal(state) {
      return TERMINAL.indexOf(state) >= 0;
   }

   /* GET /v1/health -> {version, tensorflow, device, gpu, authRequired, busy, queueLength}. */
   function parseHealth(obj) {
      if (obj === null || typeof obj !== "object" || obj.status !== "ok" || typeof obj.version !== "string") {
         throw new Error("This server does not look like a bgoptimizer worker (no /v1/health).");
      }
      var devices = Array.isArray(obj.devices) ? obj.devices : [];
      var gpus = devices.filter(function (d) { return d && d.type === "GPU"; });
      var cpuName = devices.length > 0 && devices[0].name && devices[0].name !== "CPU" ? " (" + devices[0].name + ")" : "";
      var device = gpus.length > 0 ? gpus.map(function (d) { return d.name; }).join(", ") : "CPU" + cpuName;
      if (typeof obj.engine === "string" && obj.engine !== "ready") {
         device += ", engine " + obj.engine;
      }
      return {
         version: obj.version,
         tensorflow: typeof obj.tensorflow === "string" ? obj.tensorflow : "",
         device: device,
         gpu: obj.gpu === true,
         authRequired: obj.auth_required === true,
         busy: obj.busy === true,
         queueLength: num(obj.queue_length) === null ? 0 : obj.queue_length
      };
   }

   /* {code, message} of an error body, or null when the body is not one. */
   function parseError(text) {
      try {
         var obj = JSON.parse(text);
         if (obj && obj.error && typeof obj.error.code === "string") {
            return { code: obj.error.code, message: String(obj.error.message || "") };
         }
      } catch (e) {
         return null;
      }
      return null;
   }

   var ADVICE = {
      unauthorized: "Check the token: it must be the worker's --token / BGOPT_TOKEN value.",
      not_found: "The worker does not know this job or path; it may have been restarted or be another program. Check the URL and run again.",
      bad_parameter: "Correct the parameter named above (or press Reset) and run again.",
      bad_image: "The worker could not read the image; save it as 32-bit float and try again.",
      bad_xisf: "The worker could not read the image; save it as 32-bit float and try again.",
      bad_mask: "Choose a mask with the same width and height as the image.",
      too_large: "The image is over the worker's upload limit; crop or bin it, or raise the worker's limit.",
      queue_full: "The worker is busy with other jobs; wait a little and run again.",
      job_state: "The job is in a state that forbids this; run again.",
      not_ready: "The result is not ready yet; wait for the job to finish.",
      internal: "The worker failed; see its log, and report the problem with the message above.",
      cancelled: "The job was cancelled."
   };

   /*
    * Outcome of one HTTP exchange: null when it succeeded (2xx), else {code, message, advice}
    * for the MessageBox. transportError is NetworkTransfer.errorInformation (empty if none).
    */
   function failure(httpCode, bodyText, transportError, url) {
      var code = Number(httpCode) || 0;
      if (code >= 200 && code < 300) {
         return null;
      }
      if (code === 0) {
         return {
            code: "unreachable",
            message: "Cannot reach the worker at " + url + (transportError ? " (" + transportError + ")" : "") + ".",
            advice: "Start it with 'bgoptimizer serve' (or the docker container) and check the worker URL, then press Test connection."
         };
      }
      var err = parseError(bodyText || "");
      var errCode = err ? err.code : (code === 401 ? "unauthorized" : code >= 500 ? "internal" : "http_" + code);
      return {
         code: errCode,
         message: "The worker answered HTTP " + code + (err && err.message ? ": " + err.message : "") + ".",
         advice: ADVICE[errCode] || "Check that " + url + " is a bgoptimizer worker of the same version as this script."
      };
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
