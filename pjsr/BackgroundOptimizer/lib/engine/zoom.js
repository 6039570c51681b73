/*
 * BGX.zoom: the geometry of the zoomable preview, as pure functions. A zoom is a scale in
 * screen pixels per pixel of the REAL (full-resolution) image: 1 is 1:1 of the real image,
 * 0.25 is 1:4, 2 is 2:1; "fit" is the scale at which the whole image fits the viewport. The
 * layout says where the scaled image sits in the viewport for given scroll positions (clamped
 * to the scroll range, centred when smaller than the viewport), the visible rectangle of the
 * real image and where it is drawn, and which source draws it: the preview's bitmap
 * (downsampled copy), a detail render of the full-resolution pixels, or the preview's bitmap
 * enlarged when no full-resolution pixels are at hand or the rectangle is too large to read.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.zoom = (function () {
   "use strict";

   /* PixInsight's own zoom ratios, largest first: 2:1, 1:1, 1:2, 1:3 ... 1:64. */
   var LEVELS = [2, 1, 1 / 2, 1 / 3, 1 / 4, 1 / 6, 1 / 8, 1 / 12, 1 / 16, 1 / 24, 1 / 32, 1 / 48, 1 / 64];
   var EPS = 1e-9;
   /* Most real pixels a detail render reads (a 4-megapixel rectangle: about 1:3 of a 1000 x
      700 viewport); above it the preview's bitmap is enlarged instead. */
   var DETAIL_MAX_PIXELS = 4 * 1024 * 1024;

   /* The scale at which an iw x ih image fits a vw x vh viewport (1 when either is empty). */
   function fitScale(iw, ih, vw, vh) {
      var s = Math.min(vw / iw, vh / ih);
      return s > 0 && isFinite(s) ? s : 1;
   }

   /* "2:1", "1:1", "1:4"; other scales (a fit) as "1:5.9" or "1.6:1". */
   function label(scale) {
      if (scale >= 1 - EPS) {
         var up = Math.round(scale * 10) / 10;
         return (up === Math.round(up) ? String(Math.round(up)) : up.toFixed(1)) + ":1";
      }
      var down = Math.round(10 / scale) / 10;
      return "1:" + (down === Math.round(down) ? String(Math.round(down)) : down.toFixed(1));
   }

   /* The next level above scale, or scale itself at the top. */
   function zoomIn(scale) {
      for (var i = LEVELS.length - 1; i >= 0; --i) {
         if (LEVELS[i] > scale * (1 + EPS)) {
            return LEVELS[i];
         }
      }
      return scale;
   }

   /*
    * The next level below scale; null (fit) once that level would be smaller than the fit: an
    * image is never shown smaller than the viewport. At or below the fit already: null.
    */
   function zoomOut(scale, fit) {
      for (var i = 0; i < LEVELS.length; ++i) {
         if (LEVELS[i] < scale * (1 - EPS)) {
            return LEVELS[i] < fit * (1 - EPS) ? null : LEVELS[i];
         }
      }
      return null;
   }

   function clamp(v, lo, hi) {
      return Math.min(hi, Math.max(lo, v));
   }

   /*
    * Where an iw x ih image at scale sits in a vw x vh viewport scrolled to (sx, sy):
    * {scale, contentWidth, contentHeight, maxScrollX, maxScrollY, scrollX, scrollY, offsetX,
    * offsetY}. Scroll positions are whole pixels clamped to [0, max]; offsets centre an image
    * smaller than the viewport (then its scroll is 0).
    */
   function layout(iw, ih, vw, vh, scale, sx, sy) {
      var cw = Math.max(1, Math.round(iw * scale));
      var ch = Math.max(1, Math.round(ih * scale));
      var maxX = Math.max(0, cw - vw);
      var maxY = Math.max(0, ch - vh);
      return {
         scale: scale,
         contentWidth: cw,
         contentHeight: ch,
         maxScrollX: maxX,
         maxScrollY: maxY,
         scrollX: clamp(Math.round(sx || 0), 0, maxX),
         scrollY: clamp(Math.round(sy || 0), 0, maxY),
         offsetX: Math.max(0, Math.floor((vw - cw) / 2)),
         offsetY: Math.max(0, Math.floor((vh - ch) / 2))
      };
   }

   /* Viewport point -> real-image coordinates (pixel (0, 0) spans [0, 1)). */
   function toImage(L, x, y) {
      return { x: (x - L.offsetX + L.scrollX) / L.scale, y: (y - L.offsetY + L.scrollY) / L.scale };
   }

   /* Real-image coordinates -> viewport point. */
   function toViewport(L, ix, iy) {
      return { x: ix * L.scale + L.offsetX - L.scrollX, y: iy * L.scale + L.offsetY - L.scrollY };
   }

   /*
    * The layout at a new scale that keeps the image point under viewport point (x, y) where it
    * is (zooming with the wheel at the cursor; the viewport's centre for the buttons).
    */
   function zoomAt(L, iw, ih, vw, vh, scale, x, y) {
      var p = toImage(L, x, y);
      var fresh = layout(iw, ih, vw, vh, scale, 0, 0);
      return layout(iw, ih, vw, vh, scale, p.x * scale + fresh.offsetX - x, p.y * scale + fresh.offsetY - y);
   }

   /* The layout scrolled by (dx, dy) viewport pixels (dragging moves the image with the mouse:
      a drag to the right scrolls left). */
   function panBy(L, iw, ih, vw, vh, dx, dy) {
      return layout(iw, ih, vw, vh, L.scale, L.scrollX - dx, L.scrollY - dy);
   }

   /*
    * The visible part of the real image, whole pixels: {x0, y0, x1, y1} (x1, y1 exclusive), and
    * where it is drawn: {dx, dy, dw, dh} in viewport pixels (dx, dy may be negative: the first
    * pixel may be partly scrolled out).
    */
   function visibleRect(L, iw, ih, vw, vh) {
      var a = toImage(L, 0, 0);
      var b = toImage(L, vw, vh);
      var x0 = clamp(Math.floor(a.x + EPS), 0, iw);
      var y0 = clamp(Math.floor(a.y + EPS), 0, ih);
      var x1 = clamp(Math.ceil(b.x - EPS), x0, iw);
      var y1 = clamp(Math.ceil(b.y - EPS), y0, ih);
      var d = toViewport(L, x0, y0);
      return {
         x0: x0, y0: y0, x1: x1, y1: y1,
         dx: Math.round(d.x), dy: Math.round(d.y),
         dw: Math.max(1, Math.round((x1 - x0) * L.scale)), dh: Math.max(1, Math.round((y1 - y0) * L.scale))
      };
   }

   /*
    * Which source draws a view at scale: "preview" (the downsampled copy at previewFactor
    * preview pixels per real pixel, scaled down or kept), "detail" (the full-resolution pixels
    * of the visible rectangle: real 1:1 and 2:1) when full-resolution pixels exist and the
    * rectangle holds at most DETAIL_MAX_PIXELS, else "enlarged" (the preview's bitmap, enlarged).
    */
   function sourceFor(scale, previewFactor, rect, hasFull) {
      if (scale <= previewFactor * (1 + EPS)) {
         return "preview";
      }
      var pixels = (rect.x1 - rect.x0) * (rect.y1 - rect.y0);
      return hasFull && pixels <= DETAIL_MAX_PIXELS ? "detail" : "enlarged";
   }

   /* The integer block size a detail render averages the real pixels by (1 at 1:1 and above). */
   function reduction(scale) {
      return scale >= 1 - EPS ? 1 : Math.max(1, Math.floor(1 / scale + EPS));
   }

   /*
    * The part of a coarser copy (w x h at factor copy pixels per real pixel) that covers rect
    * (real pixels, from visibleRect), whole copy pixels {x0, y0, x1, y1}, and where it is drawn
    * {dx, dy, dw, dh} in viewport pixels: the preview's bitmap enlarged.
    */
   function copyRect(L, rect, factor, w, h) {
      var x0 = clamp(Math.floor(rect.x0 * factor), 0, w - 1);
      var y0 = clamp(Math.floor(rect.y0 * factor), 0, h - 1);
      var x1 = clamp(Math.ceil(rect.x1 * factor), x0 + 1, w);
      var y1 = clamp(Math.ceil(rect.y1 * factor), y0 + 1, h);
      var d = toViewport(L, x0 / factor, y0 / factor);
      return {
         x0: x0, y0: y0, x1: x1, y1: y1,
         dx: Math.round(d.x), dy: Math.round(d.y),
         dw: Math.max(1, Math.round((x1 - x0) / factor * L.scale)), dh: Math.max(1, Math.round((y1 - y0) / factor * L.scale))
      };
   }

   return {
      LEVELS: LEVELS,
      DETAIL_MAX_PIXELS: DETAIL_MAX_PIXELS,
      fitScale: fitScale,
      label: label,
      zoomIn: zoomIn,
      zoomOut: zoomOut,
      layout: layout,
      toImage: toImage,
      toViewport: toViewport,
      zoomAt: zoomAt,
      panBy: panBy,
      visibleRect: visibleRect,
      sourceFor: sourceFor,
      reduction: reduction,
      copyRect: copyRect
   };
})();
