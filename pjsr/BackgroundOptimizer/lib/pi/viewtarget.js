/*
 * BGX.runOnView: a process icon dropped onto an image (Parameters.isViewTarget) runs the fit on
 * that view without the dialog, like ABE/DBE instances: BGX.Job with the icon's values, its
 * progress on the console (a line per stage, transfer, and every 10 s), the Process Console's
 * Abort as Cancel, the results opened as the dialog opens them (no live previews: nobody would
 * see them). With useWindowMask the view's window mask is the mask, as the dialog sends it
 * (inverted when shown inverted; none when disabled). There is no dialog whose timer could
 * poll, so a loop keeps PixInsight's events flowing (CoreApplication.processEvents) and polls
 * once a second.
 * Returns the final state: "done", "failed" or "cancelled".
 */

BGX.runOnView = function (view, values) {
   if (view === null || view.isNull || view.image === null) {
      console.criticalln("<end><cbr>" + BGX.TITLE + ": no image to run on.");
      return "failed";
   }
   const problems = BGX.params.validate(values);
   if (problems.length > 0) {
      console.criticalln("<end><cbr>" + BGX.TITLE + ": " + problems.join("; ") + ".");
      return "failed";
   }
   let last = "";
   const say = (text) => {
      if (text !== last) {
         console.writeln(BGX.TITLE + ": " + text);
         last = text;
      }
   };
   /* progress: a line when the stage changes, else one each 10 s (a long fit stays readable) */
   let stage = "";
   let said = 0;
   const progress = (text) => {
      const now = Date.now();
      const head = text.split(" - ")[0];
      if (head !== stage || now - said >= 10000) {
         stage = head;
         said = now;
         say(text);
      }
   };
   let transfer = "";
   const run = Object.assign({}, values, { preview_every: 0 });
   let end = null;
   let job = null;
   const win = BGX.windowMask(view);
   const mask = BGX.display.chooseMask(values.useWindowMask === true, win, false);
   if (mask.note !== "") {
      say(mask.note);
   }
   const aborted = () => {
      if (console.abortRequested && job !== null && job.live) {
         console.abortRequested = false;
         say("Cancelling...");
         job.cancel();
      }
   };
   console.abortEnabled = true;
   try {
      job = new BGX.Job(view, mask.source === "window" ? win.view : null, run, {
         progress: (status) => progress(BGX.display.progressText(status)),
         /* each transfer once, with its size: the byte counts would flood the console */
         transfer: (name, done, total) => {
            if (name !== transfer) {
               transfer = name;
               say(BGX.display.transferText(name, 0, total));
            }
            aborted();
         },
         preview: () => {},
         objects: () => {},
         finish: (state, failure) => { end = { state, failure }; }
      });
      job.maskInverted = mask.inverted;
      say("Running on " + view.id + " (" + run.workerUrl + ")");
      job.start();
      let polled = Date.now();
      while (job.live) {
         CoreApplication.processEvents();
         aborted();
         if (Date.now() - polled >= 1000) {
            polled = Date.now();
            job.poll();
         }
      }
   } finally {
      console.abortEnabled = false;
   }
   if (end.state === "done") {
      say("Done: " + [job.results.background, job.results.corrected].filter((id) => id !== null).join(", "));
      job.results.windows.forEach((w) => w.bringToFront());
   } else if (end.state === "cancelled") {
      say("Cancelled");
   } else {
      console.criticalln("<end><cbr>" + BGX.TITLE + ": " + end.failure.message + " " + end.failure.advice);
   }
   return end.state;
};
