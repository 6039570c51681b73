/*
 * BGX.runOnView: a process icon dropped onto an image (Parameters.isViewTarget) runs the fit on
 * that view without the dialog, like ABE/DBE instances: BGX.Job with the icon's values, its
 * progress on the console (one line per change), the Process Console's Abort as Cancel, the
 * results opened as the dialog opens them. There is no dialog whose timer could poll, so a loop
 * keeps PixInsight's events flowing (CoreApplication.processEvents) and polls once a second.
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
   let end = null;
   let job = null;
   const aborted = () => {
      if (console.abortRequested && job !== null && job.live) {
         console.abortRequested = false;
         say("Cancelling...");
         job.cancel();
      }
   };
   console.abortEnabled = true;
   try {
      job = new BGX.Job(view, null, values, {
         progress: (status) => say(BGX.display.progressText(status)),
         /* the start of each transfer only: the byte counts would flood the console */
         transfer: (name, done) => {
            if (done === 0) {
               say(BGX.display.transferText(name, 0, 0));
            }
            aborted();
         },
         preview: () => {},
         objects: () => {},
         finish: (state, failure) => { end = { state, failure }; }
      });
      say("Running on " + view.id + " (" + values.workerUrl + ")");
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
