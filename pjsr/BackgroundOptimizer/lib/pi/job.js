/*
 * BGX.Job: carries out the engine's job flow (BGX.jobflow) with the PixInsight side (BGX.io)
 * and the worker (BGX.Http). start() writes, uploads and starts the job (blocking, like every
 * NetworkTransfer call); poll() is called by the dialog's timer until the flow ends; cancel()
 * and close() may come at any time, also from inside a blocking transfer (the dialog's Cancel
 * runs in the transfer's processEvents): then they only abort the transfer, and the flow takes
 * the event once it returned. The UI hears about it through the `ui` callbacks:
 * progress(status), transfer(name, done, total), preview(path), objects(path),
 * finish(state, failure, job). What becomes of the downloaded results is `open(paths, target,
 * values)`: by default BGX.io.openResults (new windows); a batch writes them to files instead.
 */

BGX.CLEANUP_ACTIONS = ["removeTemp", "deleteJob", "cancelJob", "fetchPreview", "finish"];

BGX.Job = class {
   /* target/mask: Views (mask may be null); values: dialog values; ui: callbacks; stretch: the
      preview's effective stretch (BGX.stretch.fromStatistics), sent so the worker fits on it. */
   constructor(target, mask, values, ui, stretch, open) {
      this.target = target;
      this.mask = mask;
      this.values = values;
      this.ui = ui;
      this.stretch = stretch || null;
      this.open = open || BGX.io.openResults;
      this.http = new BGX.Http(values.workerUrl, values.token, 30);
      /* Transfers show their bytes, but not the preview.png fetched while the fit's own progress shows. */
      this.http.onProgress = (name, done, total) => {
         if (this.flow.state !== "running") {
            this.ui.transfer(name, done, total);
         }
      };
      this.busy = false;
      this.closing = false;
      this.tempDir = File.systemTempDirectory;
      const tag = BGX.naming.tag(Date.now(), Math.random());
      this.flow = BGX.jobflow.create(BGX.naming.tempPaths(this.tempDir, tag), mask !== null, values.openBackground !== false,
         values.preview_every !== 0);
      this.results = null;
      this.report = null;
      /* The mask is the window's own, shown inverted: the worker gets it inverted (set before start()). */
      this.maskInverted = false;
   }

   get state() {
      return this.flow.state;
   }

   get live() {
      return BGX.jobflow.isLive(this.flow);
   }

   start() {
      this.dispatch({ type: "start" });
   }

   poll() {
      if (this.flow.state !== "running" || this.busy) {
         return;
      }
      let status;
      try {
         status = BGX.protocol.parseStatus(this.http.getJson(BGX.protocol.urls.status(this.http.base, this.flow.jobId)));
      } catch (e) {
         this.dispatch({ type: "error", failure: BGX.Job.failureOf(e) });
         return;
      }
      this.dispatch({ type: "status", status: status });
   }

   cancel() {
      this.interrupt({ type: "cancel" });
   }

   /* The dialog goes away: the job is deleted on the worker whatever its stage. */
   close() {
      this.closing = true;
      this.interrupt({ type: "close" });
   }

   interrupt(event) {
      if (this.busy) {
         this.http.abortRequested = true;
      } else {
         this.dispatch(event);
      }
   }

   static failureOf(e) {
      if (e && e.failure) {
         return e.failure;
      }
      return {
         code: "script",
         message: "Unexpected error: " + (e && e.message ? e.message : String(e)),
         advice: "Please report it with the console output."
      };
   }

   dispatch(event) {
      const actions = BGX.jobflow.step(this.flow, event);
      const out = { jobId: null };
      for (const action of actions) {
         try {
            this.busy = true;
            this.perform(action, out);
            if (this.http.abortRequested) {
               throw BGX.cancelledError();
            }
         } catch (e) {
            if (e && e.cancelled) {
               this.busy = false;
               this.http.abortRequested = false;
               this.dispatch({ type: this.closing ? "close" : "cancel" });
               return;
            }
            if (BGX.CLEANUP_ACTIONS.indexOf(action.type) >= 0) {
               console.warningln("<end><cbr>BackgroundOptimizer: " + action.type + ": " + BGX.Job.failureOf(e).message);
               continue;
            }
            this.busy = false;
            this.dispatch({ type: "error", failure: BGX.Job.failureOf(e) });
            return;
         } finally {
            this.busy = false;
         }
      }
      const auto = ["writing", "uploading", "downloading"];
      if (actions.length > 0 && auto.indexOf(this.flow.state) >= 0) {
         this.dispatch({ type: "ok", jobId: out.jobId });
      }
   }

   perform(action, out) {
      const urls = BGX.protocol.urls;
      const base = this.http.base;
      const id = this.flow.jobId;
      switch (action.type) {
      case "cleanStale":
         BGX.io.removeStale(this.tempDir);
         break;
      case "write":
         this.ui.transfer("writing " + action.role, 0, 0);
         CoreApplication.processEvents();
         BGX.io.writeTemp(action.role === "mask" ? this.mask : this.target, action.path, action.role === "mask" && this.maskInverted);
         CoreApplication.processEvents();
         break;
      case "createJob": {
         const body = BGX.protocol.createJobBody(BGX.params.toRequest(this.values), this.target.id, this.stretch);
         out.jobId = BGX.protocol.parseStatus(this.http.postJson(urls.jobs(base), body)).id;
         break;
      }
      case "upload":
         this.http.uploadFile(urls.upload(base, id, action.role), action.path);
         break;
      case "startJob":
         this.http.postJson(urls.start(base, id));
         break;
      case "progress":
         this.ui.progress(action.status);
         break;
      case "fetchPreview":
         this.http.downloadFile(urls.result(base, id, "preview.png"), action.path);
         this.ui.preview(action.path);
         BGX.io.removeFiles([action.path]);
         break;
      case "download":
         if (BGX.protocol.wanted(action, this.report)) {
            this.http.downloadFile(urls.result(base, id, action.name), action.path);
         }
         if (action.name === "report.json") {
            this.report = BGX.protocol.parseJson(File.readTextFile(action.path));
         }
         break;
      case "openResults":
         this.results = this.open(action.paths, this.target, this.values);
         if (File.exists(action.paths.objects)) {
            this.ui.objects(action.paths.objects);
         }
         BGX.protocol.reportSummary(this.report).forEach((line) => console.writeln(BGX.TITLE + ": " + line));
         break;
      case "cancelJob":
         this.http.postJson(urls.cancel(base, id));
         break;
      case "deleteJob":
         this.http.postJson(urls.remove(base, id));
         break;
      case "removeTemp":
         BGX.io.removeFiles(action.paths);
         break;
      case "finish":
         this.ui.finish(action.state, action.failure, this);
         break;
      default:
         throw new Error("BGX.Job: unknown action " + action.type);
      }
   }
};
