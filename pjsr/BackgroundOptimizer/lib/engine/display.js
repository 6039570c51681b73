/*
 * BGX.display: what the dialog shows, as pure functions: the progress line, where the preview
 * bitmap sits in its control (fit to window or 1:1), the stretched + tinted preview planes
 * (thresholds and mask shown as a red tint on the weight-0 areas) and the sample markers.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.display = (function () {
   "use strict";

   var TINT = [0.85, 0.1, 0.1];
   var TINT_OPACITY = 0.55;

   function fixed(v, digits) {
      return v === null || v === undefined ? "-" : Number(v).toFixed(digits);
   }

   /* "optimising - epoch 420/1000 - loss 0.012300" from a parsed status. */
   function progressText(status) {
      if (status.state === "queued") {
         return "Queued" + (status.queuePosition !== null ? " (position " + status.queuePosition + ")" : "");
      }
      if (status.state !== "running") {
         return status.state.charAt(0).toUpperCase() + status.state.slice(1);
      }
      var parts = [status.stage || "running"];
      if (status.epoch !== null) {
         parts.push("epoch " + status.epoch + (status.epochs !== null ? "/" + status.epochs : ""));
      }
      if (status.loss !== null) {
         parts.push("loss " + fixed(status.loss, 6));
      }
      if (status.eta !== null) {
         parts.push("about " + Math.ceil(status.eta) + " s left");
      }
      return parts.join(" - ");
   }

   /* "Uploading image: 12.5 of 734.0 MB" for a transfer's bytes (total 0: not known yet). */
   function transferText(name, done, total) {
      var mb = function (b) { return (b / 1048576).toFixed(1); };
      if (/^writing /.test(name)) {
         return "Writing the " + name.slice(8) + " to the temp folder...";
      }
      var verb = /\.(xisf|json|png)$/.test(name) ? "Downloading " : "Uploading ";
      return verb + name + ": " + mb(done) + (total > 0 ? " of " + mb(total) : "") + " MB";
   }

   /*
    * Where a bitmap of bw x bh goes in a control of cw x ch: {scale, x, y, width, height}.
    * fit: scaled (down or up) to fit, centred; otherwise 1:1, centred (negative x/y crop).
    */
   function placement(bw, bh, cw, ch, fit) {
      var scale = fit ? Math.min(cw / bw, ch / bh) : 1;
      if (!(scale > 0) || !isFinite(scale)) {
         scale = 1;
      }
      var w = Math.max(1, Math.round(bw * scale));
      var h = Math.max(1, Math.round(bh * scale));
      return { scale: scale, x: Math.floor((cw - w) / 2), y: Math.floor((ch - h) / 2), width: w, height: h };
   }

   /*
    * 1 where a pixel gets weight 0 in the fit, as the worker decides it (masking.weight_mask):
    * missing, outside [tmin, tmax] on the unclipped stretch (any channel), or user mask below
    * 0.5; also where the worker's objects.xisf (after a fit whose report has `objects`) is
    * above 0.5, so protected objects show the same way. mask and objects may be null.
    */
   function excluded(planes, count, eff, thresholds, mask, objects) {
      var out = BGX.stretch.missingMask(planes, count);
      for (var c = 0; c < planes.length; ++c) {
         var plane = planes[c];
         for (var i = 0; i < count; ++i) {
            var y = BGX.stretch.forward(plane[i], eff.pedestal[c], eff.scale[c], eff.midtones[c], false);
            if (y < thresholds.min || y > thresholds.max) {
               out[i] = 1;
            }
         }
      }
      for (var k = 0; k < count; ++k) {
         if ((mask && mask[k] < 0.5) || (objects && objects[k] > 0.5)) {
            out[k] = 1;
         }
      }
      return out;
   }

   /* Display planes (always 3, RGB) of the preview: each channel stretched with (p, s, m) and
      clipped, tinted red where excluded() says weight 0. */
   function composePreview(planes, count, eff, thresholds, mask, objects) {
      var out = [new Float32Array(count), new Float32Array(count), new Float32Array(count)];
      var nc = planes.length;
      for (var c = 0; c < nc; ++c) {
         BGX.stretch.stretchPlane(planes[c], out[c < 3 ? c : 2], eff.pedestal[c], eff.scale[c], eff.midtones[c]);
      }
      if (nc === 1) {
         out[1].set(out[0]);
         out[2].set(out[0]);
      }
      var zero = excluded(planes, count, eff, thresholds, mask, objects);
      for (var k = 0; k < count; ++k) {
         if (zero[k]) {
            for (var ch = 0; ch < 3; ++ch) {
               out[ch][k] = out[ch][k] * (1 - TINT_OPACITY) + TINT[ch] * TINT_OPACITY;
            }
         }
      }
      return out;
   }

   /*
    * PixInsight's auto-STF (shadows clipping -2.8 normalised MAD, target background 0.25) from
    * per-channel medians and MADs: the four View.stf rows [c0, c1, m, r0, r1] (mono: one
    * channel's row for R, G, B; the fourth row, luminance, is left neutral).
    */
   function autoStf(medians, mads) {
      var rows = medians.map(function (median, c) {
         var madn = 1.4826 * mads[c];
         if (median > 0.5) {
            var c1 = madn > 0 ? Math.min(1, Math.max(0, median + 2.8 * madn)) : 1;
            return [0, c1, BGX.stretch.mtf(c1 - median, 0.25), 0, 1];
         }
         var c0 = madn > 0 ? Math.min(1, Math.max(0, median - 2.8 * madn)) : 0;
         return [c0, 1, BGX.stretch.mtf(0.25, median - c0), 0, 1];
      });
      while (rows.length < 3) {
         rows.push(rows[0].slice());
      }
      return rows.slice(0, 3).concat([[0, 1, 0.5, 0, 1]]);
   }

   /* report.json samples (full-resolution pixels) -> control coordinates of the markers. */
   function sampleMarkers(samples, previewFactor, place) {
      return (samples || []).map(function (smp) {
         return {
            x: place.x + smp.x * previewFactor * place.scale,
            y: place.y + smp.y * previewFactor * place.scale
         };
      });
   }

   return {
      progressText: progressText,
      transferText: transferText,
      placement: placement,
      excluded: excluded,
      composePreview: composePreview,
      autoStf: autoStf,
      sampleMarkers: sampleMarkers
   };
})();
