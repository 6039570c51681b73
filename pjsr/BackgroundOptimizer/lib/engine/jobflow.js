/*
 * BGX.jobflow: the run's state machine, idle -> writing -> uploading -> running ->
 * downloading -> done, or failed / cancelled from any live state. step() takes one event and
 * returns the actions the glue must carry out; every exit path lists the cleanup actions, so
 * temp files go away whatever happens. No I/O here: the glue (lib/pi/job.js) does the work.
 *
 * Events: {type: "start"}, {type: "ok", jobId?}, {type: "status", status}, {type: "cancel"},
 * {type: "close"} (the dialog goes away: nobody will poll again, so the job is deleted now),
 * {type: "error", failure: {code, message, advice}}.
 * Actions: {type: "cleanStale" | "write" | "createJob" | "upload" | "startJob" | "progress" |
 * "fetchPreview" | "download" | "openResults" | "cancelJob" | "deleteJob" | "removeTemp" |
 * "finish", ...}. A download with `ifReport` is made only when the report has that section
 * (objects.xisf exists only when the engine reports protected objects).
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.jobflow = (function () {
   "use strict";

   var LIVE = ["writing", "uploading", "running", "downloading"];

   /* A new flow for one run; paths from BGX.naming.tempPaths; openBackground false: no model;
      previews false: the worker's preview.png is never fetched (nobody would see it). */
   function create(paths, hasMask, openBackground, previews) {
      return {
         state: "idle",
         paths: paths,
         hasMask: hasMask === true,
         openBackground: openBackground !== false,
         previews: previews !== false,
         jobId: null,
         previewVersion: 0,
         cancelRequested: false,
         failure: null,
         lastStatus: null
      };
   }

   function isLive(flow) {
      return LIVE.indexOf(flow.state) >= 0;
   }

   function allTemp(flow) {
      return Object.keys(flow.paths).map(function (k) { return flow.paths[k]; });
   }

   /* Enter a terminal state: cleanup first, then tell the UI. */
   function finish(flow, state, extra) {
      flow.state = state;
      var actions = extra || [];
      actions.push({ type: "removeTemp", paths: allTemp(flow) });
      actions.push({ type: "finish", state: state, failure: flow.failure });
      return actions;
   }

   function onStart(flow) {
      flow.state = "writing";
      var actions = [{ type: "cleanStale" }, { type: "write", role: "image", path: flow.paths.image }];
      if (flow.hasMask) {
         actions.push({ type: "write", role: "mask", path: flow.paths.mask });
      }
      return actions;
   }

   function onOk(flow, event) {
      if (flow.state === "writing") {
         flow.state = "uploading";
         return [{ type: "createJob" }];
      }
      if (flow.state === "uploading" && flow.jobId === null) {
         if (typeof event.jobId !== "string") {
            throw new Error("jobflow: 'ok' after createJob needs the job id");
         }
         flow.jobId = event.jobId;
         var actions = [{ type: "upload", role: "image", path: flow.paths.image }];
         if (flow.hasMask) {
            actions.push({ type: "upload", role: "mask", path: flow.paths.mask });
         }
         actions.push({ type: "startJob" });
         return actions;
      }
      if (flow.state === "uploading") {
         flow.state = "running";
         return [{ type: "removeTemp", paths: [flow.paths.image, flow.paths.mask] }];
      }
      if (flow.state === "downloading") {
         return finish(flow, "done", [{ type: "deleteJob" }]);
      }
      return [];
   }

   function onStatus(flow, status) {
      if (flow.state !== "running") {
         return [];
      }
      flow.lastStatus = status;
      var actions = [{ type: "progress", status: status }];
      if (flow.previews && status.previewVersion > flow.previewVersion && status.results.indexOf("preview.png") >= 0) {
         flow.previewVersion = status.previewVersion;
         actions.push({ type: "fetchPreview", path: flow.paths.preview });
      }
      if (status.state === "done") {
         flow.state = "downloading";
         actions.push({ type: "download", name: "report.json", path: flow.paths.report });
         actions.push({ type: "download", name: "corrected.xisf", path: flow.paths.corrected });
         if (flow.openBackground) {
            actions.push({ type: "download", name: "background.xisf", path: flow.paths.background });
         }
         actions.push({ type: "download", name: "objects.xisf", path: flow.paths.objects, ifReport: "objects" });
         actions.push({ type: "openResults", paths: flow.paths });
      } else if (status.state === "failed") {
         flow.failure = {
            code: status.error ? status.error.code : "internal",
            message: "The fit failed: " + (status.error ? status.error.message : status.message),
            advice: "Check the parameters and the worker's log, then run again."
         };
         return finish(flow, "failed", actions);
      } else if (status.state === "cancelled") {
         return finish(flow, "cancelled", actions.concat([{ type: "deleteJob" }]));
      }
      return actions;
   }

   /* Cancel: a running job is asked once (its status then ends the run); in any other stage the
      run ends now and the job, if it exists, is deleted (the worker cancels it first). */
   function onCancel(flow) {
      if (flow.state === "running") {
         var first = !flow.cancelRequested;
         flow.cancelRequested = true;
         return first ? [{ type: "cancelJob" }] : [];
      }
      return onClose(flow);
   }

   /* The dialog closes: nobody will poll again, so the job must not stay on the worker. */
   function onClose(flow) {
      if (!isLive(flow)) {
         return [];
      }
      return finish(flow, "cancelled", flow.jobId === null ? [] : [{ type: "deleteJob" }]);
   }

   function onError(flow, failure) {
      if (!isLive(flow)) {
         return [];
      }
      flow.failure = failure;
      return finish(flow, "failed");
   }

   /* Apply one event; returns the actions to run, in order. */
   function step(flow, event) {
      switch (event.type) {
      case "start":
         return flow.state === "idle" ? onStart(flow) : [];
      case "ok":
         return onOk(flow, event);
      case "status":
         return onStatus(flow, event.status);
      case "cancel":
         return onCancel(flow);
      case "close":
         return onClose(flow);
      case "error":
         return onError(flow, event.failure);
      default:
         throw new Error("jobflow: unknown event '" + event.type + "'");
      }
   }

   return {
      create: create,
      step: step,
      isLive: isLive
   };
})();
