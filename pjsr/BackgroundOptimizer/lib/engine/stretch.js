/*
 * BGX.stretch: the DESIGN section 5 stretch (pedestal, quantile scale, midtones to a target
 * background), identical to the worker's, so what the user tunes on the preview is what the
 * worker fits on. Pure ECMAScript (engine-neutral subset): planes are Float32Array/Array per
 * channel, pixel i of channel c is planes[c][i].
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.stretch = (function () {
   "use strict";

   var M_MIN = 1e-6;
   var M_MAX = 1 - 1e-6;

   /* Midtones transfer function; mtf(m, b) moves b to 0.5 when m = b. */
   function mtf(m, x) {
      if (x <= 0) {
         return 0;
      }
      if (x >= 1) {
         return 1;
      }
      return (m - 1) * x / ((2 * m - 1) * x - m);
   }

   /* The midtones balance m that maps b to t, clamped away from 0 and 1. */
   function midtonesFor(b, t) {
      var den = b * (1 - 2 * t) + t;
      var m = den === 0 ? M_MAX : b * (1 - t) / den;
      return Math.min(M_MAX, Math.max(M_MIN, m));
   }

   /* numpy's default quantile (linear, R type 7) of an ascending sorted array. */
   function quantileSorted(sorted, q) {
      var n = sorted.length;
      if (n === 0) {
         return NaN;
      }
      var k = q * (n - 1);
      var i = Math.floor(k);
      if (i >= n - 1) {
         return sorted[n - 1];
      }
      return sorted[i] + (k - i) * (sorted[i + 1] - sorted[i]);
   }

   /* A pixel is missing when any channel is exactly 0 or not finite (registration borders). */
   function missingMask(planes, count) {
      var missing = new Uint8Array(count);
      for (var c = 0; c < planes.length; ++c) {
         var plane = planes[c];
         for (var i = 0; i < count; ++i) {
            var v = plane[i];
            if (v === 0 || v === null || !isFinite(v)) {
               missing[i] = 1;
            }
         }
      }
      return missing;
   }

   /* The valid samples of one plane, sorted ascending. */
   function sortedValid(plane, missing) {
      var n = 0;
      var i;
      for (i = 0; i < missing.length; ++i) {
         if (!missing[i]) {
            ++n;
         }
      }
      var values = new Float64Array(n);
      var j = 0;
      for (i = 0; i < missing.length; ++i) {
         if (!missing[i]) {
            values[j++] = plane[i];
         }
      }
      values.sort();
      return values;
   }

   /*
    * Median absolute deviation from center of an ascending sorted array, without another sort:
    * the deviations below and above center are two ascending runs, merged up to the middle
    * (numpy's median of the deviations: the mean of the two middle ones for an even count).
    */
   function madSorted(sorted, center) {
      var n = sorted.length;
      if (n === 0) {
         return NaN;
      }
      var j = 0;
      while (j < n && sorted[j] < center) {
         ++j;
      }
      var lo = j - 1;
      var hi = j;
      var want = Math.floor((n - 1) / 2);
      var last = 0;
      for (var k = 0; k <= want + (n % 2 === 0 ? 1 : 0); ++k) {
         var below = lo >= 0 ? center - sorted[lo] : Infinity;
         var above = hi < n ? sorted[hi] - center : Infinity;
         var d;
         if (below <= above) {
            d = below;
            --lo;
         } else {
            d = above;
            ++hi;
         }
         if (k === want) {
            if (n % 2 === 1) {
               return d;
            }
            last = d;
         } else if (k > want) {
            return (last + d) / 2;
         }
      }
      return last;
   }

   /*
    * The samples of planes sorted ONCE (valid pixels only: a pixel is left out in every channel
    * when any channel is missing), and the statistics read from them as often as wanted:
    * {channels, minimum(c), median(c), quantile(c, q), mad(c)}. Re-stretching for a new
    * quantile, target or threshold reuses the sort. Throws when no pixel is valid.
    */
   function sampleStatistics(planes, count) {
      var missing = missingMask(planes, count);
      var sorted = [];
      for (var c = 0; c < planes.length; ++c) {
         sorted.push(sortedValid(planes[c], missing));
         if (sorted[c].length === 0) {
            throw new Error("The image has no valid pixels (all are 0 or not finite).");
         }
      }
      return {
         channels: planes.length,
         minimum: function (ch) { return sorted[ch][0]; },
         median: function (ch) { return quantileSorted(sorted[ch], 0.5); },
         quantile: function (ch, q) { return quantileSorted(sorted[ch], q); },
         mad: function (ch) { return madSorted(sorted[ch], quantileSorted(sorted[ch], 0.5)); }
      };
   }

   /* Adds one channel to an effective stretch from its pedestal p, q-quantile and median. */
   function addChannel(result, p, quantileValue, median, t) {
      var s = quantileValue - p;
      if (!(s > 0)) {
         s = 1;
      }
      var b = Math.min(1, Math.max(0, (median - p) / s));
      result.pedestal.push(p);
      result.scale.push(s);
      result.midtones.push(midtonesFor(b, t));
   }

   /*
    * Effective stretch {pedestal: [], scale: [], midtones: []} of the planes for quantile q and
    * target t. Throws when every pixel is missing (nothing to stretch).
    */
   function fit(planes, count, q, t) {
      return fitStatistics(sampleStatistics(planes, count), q, t);
   }

   /* The same stretch from sampleStatistics (sorted once; any q and t after that cost no sort). */
   function fitStatistics(stats, q, t) {
      var result = { pedestal: [], scale: [], midtones: [] };
      for (var c = 0; c < stats.channels; ++c) {
         addChannel(result, stats.minimum(c), stats.quantile(c, q), stats.median(c), t);
      }
      return result;
   }

   /*
    * The same stretch from per-channel statistics of the FULL image ({minimum, quantile, median},
    * arrays, measured natively by PixInsight without copying pixels): what the preview shows
    * and what is sent to the worker, so both use the full image's pedestal.
    */
   function fromStatistics(stats, t) {
      var result = { pedestal: [], scale: [], midtones: [] };
      for (var c = 0; c < stats.minimum.length; ++c) {
         addChannel(result, stats.minimum[c], stats.quantile[c], stats.median[c], t);
      }
      return result;
   }

   /* Stretched value of x; unclipped continues mtf by its tangent lines outside [0, 1]. */
   function forward(x, p, s, m, clip) {
      var u = (x - p) / s;
      if (clip || (u >= 0 && u <= 1)) {
         return mtf(m, Math.min(1, Math.max(0, u)));
      }
      return u < 0 ? u * (1 - m) / m : 1 + (u - 1) * m / (1 - m);
   }

   /* Linear value whose unclipped stretch is y. */
   function inverse(y, p, s, m) {
      var u;
      if (y < 0) {
         u = y * m / (1 - m);
      } else if (y > 1) {
         u = 1 + (y - 1) * (1 - m) / m;
      } else {
         u = mtf(1 - m, y);
      }
      return u * s + p;
   }

   /* Clipped stretch of a whole plane into out (may be the same array). */
   function stretchPlane(plane, out, p, s, m) {
      for (var i = 0; i < plane.length; ++i) {
         out[i] = forward(plane[i], p, s, m, true);
      }
      return out;
   }

   /* Factor that shrinks a w x h image so that its longer side is at most maxSide. */
   function previewScale(width, height, maxSide) {
      var longest = Math.max(width, height);
      return longest <= maxSide ? 1 : maxSide / longest;
   }

   return {
      mtf: mtf,
      midtonesFor: midtonesFor,
      quantileSorted: quantileSorted,
      missingMask: missingMask,
      madSorted: madSorted,
      sampleStatistics: sampleStatistics,
      fit: fit,
      fitStatistics: fitStatistics,
      fromStatistics: fromStatistics,
      forward: forward,
      inverse: inverse,
      stretchPlane: stretchPlane,
      previewScale: previewScale
   };
})();
