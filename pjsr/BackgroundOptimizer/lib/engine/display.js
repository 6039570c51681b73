/*
 * BGX.display: what the dialog shows, as pure functions: the progress line, the preview's
 * layers (original, corrected, background model, objects / exclusion map) and which of them a
 * run has made available, the stretched + tinted preview planes (thresholds and mask shown as a
 * red tint on the weight-0 areas), the display stretch of a result layer (auto-STF), the
 * planes of a detail render (block reduction, nearest sampling of a coarser plane), the mask
 * the run uses (the list's or the window's own) and the sample markers.
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

   /* The preview's layers, in the order the toggle lists them. */
   var LAYERS = [
      { id: "original", label: "Original" },
      { id: "live", label: "Fit in progress" },
      { id: "corrected", label: "Corrected" },
      { id: "background", label: "Background model" },
      { id: "map", label: "Objects / exclusions" }
   ];

   /*
    * The layers the toggle offers, [{id, label}]: the original and the map always; the live
    * preview while the worker sends one; corrected and background once a run made them (the
    * background only when it was opened).
    */
   function availableLayers(have) {
      return LAYERS.filter(function (l) {
         return l.id === "original" || l.id === "map" || have[l.id] === true;
      });
   }

   /*
    * Why each pixel gets weight 0 in the fit, as the worker decides it (masking.weight_mask):
    * EXCLUDED where missing, outside [tmin, tmax] on the unclipped stretch (any channel), or
    * user mask below 0.5; OBJECT where the worker's objects.xisf (after a fit whose report has
    * `objects`) is above 0.5 and the pixel is not excluded already; KEPT elsewhere. mask and
    * objects may be null.
    */
   var KEPT = 0;
   var EXCLUDED = 1;
   var OBJECT = 2;

   /*
    * The unclipped stretch of every channel, once per stretch: {y: [Float64Array], missing,
    * count}. The thresholds compare against y, and the display planes are y clipped to [0, 1]
    * (the clipped stretch exactly), so a threshold change computes no stretch.
    */
   function stretched(planes, count, eff) {
      var y = [];
      for (var c = 0; c < planes.length; ++c) {
         var plane = planes[c];
         var out = new Float64Array(count);
         for (var i = 0; i < count; ++i) {
            out[i] = BGX.stretch.forward(plane[i], eff.pedestal[c], eff.scale[c], eff.midtones[c], false);
         }
         y.push(out);
      }
      return { y: y, missing: BGX.stretch.missingMask(planes, count), count: count };
   }

   /* exclusionCodes from stretched(): comparisons only. */
   function codesOf(st, thresholds, mask, objects) {
      var out = Uint8Array.from(st.missing);
      for (var c = 0; c < st.y.length; ++c) {
         var y = st.y[c];
         for (var i = 0; i < st.count; ++i) {
            if (y[i] < thresholds.min || y[i] > thresholds.max) {
               out[i] = EXCLUDED;
            }
         }
      }
      for (var k = 0; k < st.count; ++k) {
         if (mask && mask[k] < 0.5) {
            out[k] = EXCLUDED;
         } else if (out[k] === KEPT && objects && objects[k] > 0.5) {
            out[k] = OBJECT;
         }
      }
      return out;
   }

   /* Display planes (always 3, RGB) from stretched(): y clipped to [0, 1]. */
   function rgbOf(st) {
      var out = [new Float32Array(st.count), new Float32Array(st.count), new Float32Array(st.count)];
      for (var c = 0; c < st.y.length; ++c) {
         var y = st.y[c];
         var to = out[c < 3 ? c : 2];
         for (var i = 0; i < st.count; ++i) {
            to[i] = Math.min(1, Math.max(0, y[i]));
         }
      }
      if (st.y.length === 1) {
         out[1].set(out[0]);
         out[2].set(out[0]);
      }
      return out;
   }

   function exclusionCodes(planes, count, eff, thresholds, mask, objects) {
      return codesOf(stretched(planes, count, eff), thresholds, mask, objects);
   }

   /* 1 where a pixel gets weight 0 in the fit (exclusionCodes not KEPT), else 0. */
   function excluded(planes, count, eff, thresholds, mask, objects) {
      var codes = exclusionCodes(planes, count, eff, thresholds, mask, objects);
      for (var k = 0; k < count; ++k) {
         codes[k] = codes[k] === KEPT ? 0 : 1;
      }
      return codes;
   }

   /* Display planes (always 3, RGB): each channel stretched with (p, s, m) and clipped. */
   function stretchRgb(planes, count, eff) {
      return rgbOf(stretched(planes, count, eff));
   }

   /* A tinted copy of display planes rgb: red where codes[k] is not KEPT. */
   function tinted(rgb, codes) {
      var out = [Float32Array.from(rgb[0]), Float32Array.from(rgb[1]), Float32Array.from(rgb[2])];
      for (var k = 0; k < codes.length; ++k) {
         if (codes[k] !== KEPT) {
            for (var ch = 0; ch < 3; ++ch) {
               out[ch][k] = out[ch][k] * (1 - TINT_OPACITY) + TINT[ch] * TINT_OPACITY;
            }
         }
      }
      return out;
   }

   /*
    * The objects / exclusion map from display planes rgb and exclusionCodes: the sky the fit
    * uses dimmed to grey (for orientation), red where left out (thresholds, mask, missing),
    * amber where protected as an object.
    */
   var MAP_COLOURS = [null, [0.9, 0.12, 0.1], [1.0, 0.72, 0.0]];
   function exclusionMap(rgb, codes) {
      var n = codes.length;
      var out = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      for (var k = 0; k < n; ++k) {
         var colour = MAP_COLOURS[codes[k]];
         var grey = 0.35 * (rgb[0][k] + rgb[1][k] + rgb[2][k]) / 3;
         for (var ch = 0; ch < 3; ++ch) {
            out[ch][k] = colour ? colour[ch] : grey;
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

   /*
    * The effective stretch {pedestal, scale, midtones} that applies auto-STF rows [c0, c1, m,
    * r0, r1] (autoStf) to the first `channels` channels: the display stretch of a result layer.
    */
   function stfStretch(rows, channels) {
      var eff = { pedestal: [], scale: [], midtones: [] };
      for (var c = 0; c < channels; ++c) {
         var r = rows[Math.min(c, 2)];
         eff.pedestal.push(r[0]);
         eff.scale.push(r[1] > r[0] ? r[1] - r[0] : 1);
         eff.midtones.push(r[2]);
      }
      return eff;
   }

   /* The auto-STF stretch of a layer from its sampleStatistics (sorted once per layer). */
   function autoStretch(stats) {
      var medians = [];
      var mads = [];
      for (var c = 0; c < stats.channels; ++c) {
         medians.push(stats.median(c));
         mads.push(stats.mad(c));
      }
      return stfStretch(autoStf(medians, mads), stats.channels);
   }

   /*
    * A w x h plane averaged over k x k blocks (the edge blocks over the pixels they have):
    * {plane, width, height}. A detail render at 1:k reads the real pixels and reduces them so.
    */
   function blockReduce(plane, w, h, k) {
      if (k <= 1) {
         return { plane: plane, width: w, height: h };
      }
      var ow = Math.ceil(w / k);
      var oh = Math.ceil(h / k);
      var out = new Float32Array(ow * oh);
      for (var oy = 0; oy < oh; ++oy) {
         var y1 = Math.min(h, (oy + 1) * k);
         for (var ox = 0; ox < ow; ++ox) {
            var x1 = Math.min(w, (ox + 1) * k);
            var sum = 0;
            for (var y = oy * k; y < y1; ++y) {
               for (var x = ox * k; x < x1; ++x) {
                  sum += plane[y * w + x];
               }
            }
            out[oy * ow + ox] = sum / ((y1 - oy * k) * (x1 - ox * k));
         }
      }
      return { plane: out, width: ow, height: oh };
   }

   /*
    * The pixels of a coarser copy (pw x ph at factor copy pixels per real pixel) on the ow x oh
    * grid that covers rect (real pixels), nearest sample: the objects map of the preview laid
    * on a detail render.
    */
   function nearestOnGrid(plane, pw, ph, factor, rect, ow, oh) {
      var out = new Float32Array(ow * oh);
      var sx = (rect.x1 - rect.x0) / ow;
      var sy = (rect.y1 - rect.y0) / oh;
      for (var y = 0; y < oh; ++y) {
         var py = Math.min(ph - 1, Math.floor((rect.y0 + (y + 0.5) * sy) * factor));
         for (var x = 0; x < ow; ++x) {
            var px = Math.min(pw - 1, Math.floor((rect.x0 + (x + 0.5) * sx) * factor));
            out[y * ow + x] = plane[py * pw + px];
         }
      }
      return out;
   }

   /* A mask plane as the fit sees it: inverted (1 - v) when the window's mask is inverted. */
   function maskValues(plane, inverted) {
      if (!inverted) {
         return plane;
      }
      var out = new Float32Array(plane.length);
      for (var i = 0; i < plane.length; ++i) {
         out[i] = 1 - plane[i];
      }
      return out;
   }

   /*
    * Which mask the run uses: {source: "window" | "list" | "none", inverted, note}. With
    * useWindow, the target window's own mask when it has one and it is enabled (inverted as
    * the window shows it), else none, and note says why; otherwise the list's view, if any.
    * win: {hasMask, enabled, inverted}.
    */
   function chooseMask(useWindow, win, listHasView) {
      if (!useWindow) {
         return { source: listHasView ? "list" : "none", inverted: false, note: "" };
      }
      if (!win.hasMask) {
         return { source: "none", inverted: false, note: "The target window has no mask." };
      }
      if (!win.enabled) {
         return { source: "none", inverted: false, note: "The target window's mask is disabled." };
      }
      return { source: "window", inverted: win.inverted === true, note: win.inverted ? "The window's mask, inverted." : "The window's mask." };
   }

   /* report.json samples (real-image pixels) -> viewport points of the markers (BGX.zoom layout). */
   function sampleMarkers(samples, L) {
      return (samples || []).map(function (smp) {
         return BGX.zoom.toViewport(L, smp.x, smp.y);
      });
   }

   return {
      LAYERS: LAYERS,
      KEPT: KEPT,
      EXCLUDED: EXCLUDED,
      OBJECT: OBJECT,
      progressText: progressText,
      transferText: transferText,
      availableLayers: availableLayers,
      stretched: stretched,
      codesOf: codesOf,
      rgbOf: rgbOf,
      exclusionCodes: exclusionCodes,
      excluded: excluded,
      stretchRgb: stretchRgb,
      tinted: tinted,
      exclusionMap: exclusionMap,
      autoStf: autoStf,
      stfStretch: stfStretch,
      autoStretch: autoStretch,
      blockReduce: blockReduce,
      nearestOnGrid: nearestOnGrid,
      maskValues: maskValues,
      chooseMask: chooseMask,
      sampleMarkers: sampleMarkers
   };
})();
