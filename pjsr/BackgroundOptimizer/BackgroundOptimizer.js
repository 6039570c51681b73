#engine v8
#feature-id    BackgroundOptimizer : Utilities > BackgroundOptimizer
#feature-info  Models the sky background of a linear image with a polyharmonic spline fitted \
   by gradient descent on a bgoptimizer worker (local or docker, GPU or CPU), and opens the \
   background model and the corrected image as new windows.<br/>\
   Tune the stretch on the live preview, press Run, watch the fit.

/*
 * BackgroundOptimizer: entry point. Directives, includes and main(); everything else lives in
 * lib/engine (pure ECMAScript, tested under Node) and lib/pi (thin PixInsight glue).
 */

#include "lib/engine/stretch.js"
#include "lib/engine/params.js"
#include "lib/engine/protocol.js"
#include "lib/engine/naming.js"
#include "lib/engine/jobflow.js"
#include "lib/engine/zoom.js"
#include "lib/engine/display.js"
#include "lib/engine/launch.js"
#include "lib/engine/instance.js"
#include "lib/engine/help.js"
#include "lib/engine/batch.js"
#include "lib/engine/iccprofile.js"
#include "lib/pi/http.js"
#include "lib/pi/io.js"
#include "lib/pi/settings.js"
#include "lib/pi/job.js"
#include "lib/pi/preview.js"
#include "lib/pi/launcher.js"
#include "lib/pi/batch.js"
#include "lib/pi/viewtarget.js"
#include "lib/pi/dialog.js"

BGX.TITLE = "BackgroundOptimizer";
BGX.VERSION = "0.1.0";

/*
 * From the Script menu: the dialog with the saved settings. From a process icon (New Instance):
 * the icon's parameters over the saved settings; dropped onto an image (isViewTarget) it runs
 * there without the dialog; executed globally it opens the dialog with them.
 */
function main() {
   CoreApplication.ensureMinimumVersion(1, 9, 4);
   console.writeln("<end><cbr><b>" + BGX.TITLE + " " + BGX.VERSION + "</b>");
   let values = BGX.settings.load();
   if (Parameters.isViewTarget || Parameters.isGlobalTarget) {
      const icon = BGX.settings.importInstance(values);
      icon.notes.forEach((n) => console.noteln(BGX.TITLE + ": " + n));
      icon.problems.forEach((p) => console.warningln(BGX.TITLE + ": " + p));
      if (Parameters.isViewTarget) {
         if (icon.problems.length > 0) {
            console.criticalln(BGX.TITLE + ": not run: correct the process icon's parameters (open it, fix, New Instance).");
            return;
         }
         BGX.runOnView(Parameters.targetView, icon.values);
         return;
      }
      values = icon.values;
   }
   const dialog = new BGX.Dialog(values);
   dialog.execute();
}

main();
