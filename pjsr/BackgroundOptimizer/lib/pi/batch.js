/*
 * BGX.Batch: carries out a batch planned by BGX.batch, one BGX.Job per item and one at a
 * time, with the dialog's values. A file is opened (ImageWindow.open, never shown) and closed
 * again after its job; an open view is used as it is. Each job's corrected image is saved to
 * the item's output (BGX.io.saveResult) instead of opening windows, and the model is not
 * downloaded. A failed item is reported and the batch goes on; cancel() cancels the current
 * job (the job flow deletes it on the worker and removes its temp files) and ends the batch.
 *
 * The dialog's poll timer calls poll(): it polls the current job, or starts the next item
 * (from the timer, not from inside the previous job's callbacks, so nothing nests). ui:
 * progress(p, text) for the overall counts, job(status) and transfer(name, done, total) for
 * the current job, finish(batch).
 */

BGX.Batch = class {
   constructor(inputs, values, ui) {
      /* outputs only: no model, no live previews */
      this.values = Object.assign({}, values, { openBackground: false, replaceTarget: false, preview_every: 0 });
      this.ui = ui;
      this.job = null;
      this.opened = null;
      this.ended = false;
      this.plan = BGX.batch.plan(inputs, {
         outputDir: values.batchOutputDir, format: values.batchFormat, overwrite: values.batchOverwrite
      }, {
         exists: (p) => File.exists(p),
         modified: (p) => (File.exists(p) ? new FileInfo(p).lastModified.getTime() : null)
      });
      this.startNextOnPoll = true;
      this.cancelRequested = false;
   }

   /* The inputs of the dialog's batch list, or every open image but this script's results. */
   static inputs(values, files) {
      if (values.batchSource === "views") {
         return ImageWindow.windows.map((w) => w.mainView).filter((v) => !BGX.batch.isResultId(v.id))
            .map((v) => ({ kind: "view", id: v.id }));
      }
      return files.map((p) => ({ kind: "file", path: p }));
   }

   get live() {
      return !this.ended;
   }

   report() {
      const p = BGX.batch.progress(this.plan, Date.now());
      this.ui.progress(p, BGX.batch.progressText(p));
   }

   poll() {
      if (this.ended) {
         return;
      }
      if (this.startNextOnPoll) {
         this.startNextOnPoll = false;
         this.startNext();
      } else if (this.job !== null && this.job.live) {
         this.job.poll();
      }
   }

   /* The view of an item: the open view, or the file opened (hidden) for this job. */
   open(item) {
      if (item.input.kind === "view") {
         const win = ImageWindow.windowById(item.input.id);
         if (win.isNull) {
            throw new Error("the image " + item.input.id + " is no longer open");
         }
         return win.mainView;
      }
      const wins = ImageWindow.open(item.input.path, "", "", true);
      if (!wins || wins.length < 1 || wins[0].isNull) {
         throw new Error("PixInsight could not open " + item.input.path);
      }
      for (let i = 1; i < wins.length; ++i) {
         wins[i].forceClose();
      }
      this.opened = wins[0];
      return wins[0].mainView;
   }

   startNext() {
      const i = BGX.batch.next(this.plan);
      if (i < 0) {
         this.finish();
         return;
      }
      const item = this.plan.items[i];
      BGX.batch.begin(this.plan, i, Date.now());
      this.report();
      let view;
      try {
         view = this.open(item);
      } catch (e) {
         this.itemEnded("failed", { message: e && e.message ? e.message : String(e) });
         return;
      }
      this.job = new BGX.Job(view, null, this.values, {
         progress: (status) => this.ui.job(status),
         transfer: (name, done, total) => this.ui.transfer(name, done, total),
         preview: () => {},
         objects: () => {},
         finish: (state, failure) => this.itemEnded(state, failure)
      }, null, (paths, target) => BGX.io.saveResult(paths.corrected, target, item.output));
      this.job.start();
   }

   /* One item's end, whatever it was: close what was opened for it, record, go on or stop. */
   itemEnded(state, failure) {
      if (this.opened !== null) {
         this.opened.forceClose();
         this.opened = null;
      }
      if (this.ended) {
         return;
      }
      const item = this.plan.items[this.plan.current];
      if (state === "cancelled") {
         BGX.batch.cancelRest(this.plan);
         this.finish();
         return;
      }
      BGX.batch.end(this.plan, Date.now(), state === "done", failure ? failure.message : null);
      if (state !== "done") {
         console.warningln("<end><cbr>" + BGX.TITLE + ": batch: " + item.name + " failed: " + (failure ? failure.message : state));
      }
      this.report();
      if (this.cancelRequested) {
         BGX.batch.cancelRest(this.plan);
         this.finish();
      } else {
         this.startNextOnPoll = true;
      }
   }

   /* Stop after cleaning up the current job; also while a transfer blocks (its Cancel runs in processEvents). */
   cancel() {
      if (this.ended) {
         return;
      }
      this.cancelRequested = true;
      if (this.job !== null && this.job.live) {
         this.job.cancel();
      } else {
         BGX.batch.cancelRest(this.plan);
         this.finish();
      }
   }

   /* The dialog goes away: the current job is deleted on the worker whatever its stage. */
   close() {
      if (this.ended) {
         return;
      }
      if (this.job !== null && this.job.live) {
         this.job.close();
      }
      if (!this.ended) {
         BGX.batch.cancelRest(this.plan);
         this.finish();
      }
   }

   finish() {
      if (this.ended) {
         return;
      }
      this.ended = true;
      this.job = null;
      BGX.batch.summary(this.plan).forEach((line) => console.writeln(BGX.TITLE + ": " + line));
      this.report();
      this.ui.finish(this);
   }
};
