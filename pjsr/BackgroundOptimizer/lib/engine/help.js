/*
 * BGX.help: the one place every tooltip of the dialog comes from. A parameter's or option's
 * tooltip is its `tip` in the parameter table (BGX.params); the controls that are not
 * parameters (views, buttons, lists) have theirs here. Each says what the control does and
 * when to change or use it. tip() throws on a name it does not know, so a control cannot be
 * built without one.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.help = (function () {
   "use strict";

   var CONTROLS = {
      targetView: "The linear image to model. Pick a master before any stretch: the fit assumes linear data.",
      mask: "Optional mask: where it is below 0.5 the pixels are left out of the fit. Use one (e.g. a StarMask or a " +
         "hand-drawn nebula mask) when the thresholds cannot exclude an object; No View Selected: none.",
      testConnection: "Ask the worker for its version and device (GPU or CPU). Use it after changing the address or " +
         "the token; it offers to start a local worker when none answers.",
      execute: "Send the target to the worker and fit its background. The results open as new windows " +
         "(<id>_background, <id>_corrected) unless Replace target is ticked.",
      cancel: "Stop the running fit or batch. The job is cancelled on the worker and its temporary files removed.",
      close: "Close the dialog; the settings are kept for the next start. A running fit is cancelled first.",
      reset: "Restore every parameter and option to its default, and forget the saved settings. Use it when a " +
         "tuned setup no longer makes sense for a new image.",
      newInstance: "New Instance: drag this triangle to the workspace to make a process icon with these settings, " +
         "or drop it onto an image to run them on that image without the dialog.",
      documentation: "Open this script's documentation page in PixInsight's documentation browser.",
      previewFit: "Show the whole image in the preview. Use the mouse wheel to zoom at the cursor and drag to pan " +
         "once zoomed in.",
      previewOneToOne: "Show one pixel of the real image per screen pixel, read from the full-resolution image. Use it " +
         "to judge stars, noise and the red tint of the thresholds.",
      previewZoomIn: "Zoom the preview in, up to 2:1 (read from the full-resolution image from 1:1 on).",
      previewZoomOut: "Zoom the preview out, down to the whole image (Fit).",
      previewLayer: "What the preview shows: the original (left-out areas tinted red), the fit in progress, the " +
         "corrected image and the background model of the last run (each with an auto-STF), or the objects / " +
         "exclusion map (red: left out by the thresholds or the mask; amber: protected as objects). Choose the " +
         "corrected image after a run to judge the result.",
      batchList: "The files a batch runs on, in order (XISF or FITS). Each is opened, fitted with the settings " +
         "above, and written to the output folder.",
      batchAdd: "Add image files to the batch list. Files already in the list are not added twice.",
      batchRemove: "Remove the selected files from the batch list.",
      batchClear: "Remove every file from the batch list, to start a new batch.",
      batchSelectDir: "Choose the folder the batch writes its outputs to.",
      batchRun: "Run the batch: one job per input on the worker, one after another, with the settings above. " +
         "A file that fails is reported and the batch goes on; Cancel stops after cleaning up the current one."
   };

   /* The tooltip of a parameter, an option or a control. */
   function tip(name) {
      var e = BGX.params.entry(name);
      if (e !== null && e.tip) {
         return e.tip;
      }
      if (Object.prototype.hasOwnProperty.call(CONTROLS, name)) {
         return CONTROLS[name];
      }
      throw new Error("BGX.help: no tooltip for '" + name + "'");
   }

   return {
      CONTROLS: CONTROLS,
      tip: tip
   };
})();
