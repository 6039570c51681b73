/*
 * BGX.Preview: the live stretch preview. A downsampled copy of the target (and mask) is taken
 * once per view; every change of quantile / target / thresholds re-stretches it in JS with the
 * engine (BGX.stretch + BGX.display) and renders a Bitmap. The stretch itself is measured on
 * the FULL image with PixInsight's native statistics (minimum, median, order statistic; no
 * pixel copy), so what the preview shows is what the worker is sent and fits on. While the worker fits, the bitmap is
 * the worker's preview.png instead; after the fit, the sample positions are drawn on top.
 * BGX.PreviewControl paints it (fit to window or 1:1).
 */

BGX.PREVIEW_MAX_SIDE = 1024;

BGX.Preview = class {
   constructor() {
      this.planes = null;
      this.maskPlane = null;
      this.width = 0;
      this.height = 0;
      this.factor = 1;
      this.fullWidth = 0;
      this.bitmap = null;
      this.markers = [];
      this.stretch = null;
      this.source = null;
      this.statistics = null;
      this.objectsPlane = null;
   }

   /*
    * {minimum, median, quantile} per channel of image, over its valid samples: range clipping
    * rejects the exact zeros of registration borders (the worker's missing pixels; it leaves
    * out a pixel when any channel is 0, these statistics per channel). The quantile is
    * measured again only when q changes.
    */
   measure(image, q) {
      if (this.statistics !== null && this.statistics.q === q) {
         return this.statistics;
      }
      const clip = [image.rangeClippingEnabled, image.rangeClipLow, image.rangeClipHigh];
      image.rangeClippingEnabled = true;
      image.rangeClipLow = 0;
      image.rangeClipHigh = Number.MAX_VALUE;
      try {
         const stats = { q: q, minimum: [], median: [], quantile: [] };
         for (let c = 0; c < image.numberOfChannels; ++c) {
            const keep = this.statistics !== null;
            stats.minimum.push(keep ? this.statistics.minimum[c] : image.minimum(image.bounds, c, c));
            stats.median.push(keep ? this.statistics.median[c] : image.median(image.bounds, c, c));
            stats.quantile.push(image.orderStatistic(q, image.bounds, c, c));
         }
         this.statistics = stats;
         return stats;
      } finally {
         image.rangeClippingEnabled = clip[0];
         image.rangeClipLow = clip[1];
         image.rangeClipHigh = clip[2];
      }
   }

   static planesOf(image, factor) {
      const small = new Image(image);
      if (factor < 1) {
         small.resample(factor);
      }
      const rect = new Rect(small.width, small.height);
      const planes = [];
      for (let c = 0; c < small.numberOfChannels; ++c) {
         const plane = new Float32Array(small.width * small.height);
         small.getSamples(plane, rect, c);
         planes.push(plane);
      }
      const size = { width: small.width, height: small.height };
      small.free();
      return { planes: planes, size: size };
   }

   /* Take the downsampled copy of view (null clears the preview). */
   setSource(view) {
      this.planes = null;
      this.markers = [];
      this.objectsPlane = null;
      this.statistics = null;
      this.source = null;
      if (view === null || view.isNull || view.image === null) {
         this.replaceBitmap(null);
         return;
      }
      const image = view.image;
      this.source = view;
      this.fullWidth = image.width;
      this.factor = BGX.stretch.previewScale(image.width, image.height, BGX.PREVIEW_MAX_SIDE);
      const copy = BGX.Preview.planesOf(image, this.factor);
      this.planes = copy.planes;
      this.width = copy.size.width;
      this.height = copy.size.height;
   }

   /* Mask view of the same geometry as the target, or null. */
   setMask(view) {
      this.maskPlane = null;
      if (view !== null && !view.isNull && view.image !== null && this.planes !== null) {
         const copy = BGX.Preview.planesOf(view.image, this.factor);
         if (copy.size.width === this.width && copy.size.height === this.height) {
            this.maskPlane = copy.planes[0];
         }
      }
   }

   /* Re-stretch with the dialog's values and render the bitmap. */
   restretch(values) {
      if (this.planes === null) {
         return;
      }
      const n = this.width * this.height;
      this.stretch = BGX.stretch.fromStatistics(this.measure(this.source.image, values.quantile), values.target);
      const rgb = BGX.display.composePreview(this.planes, n, this.stretch,
         { min: values.threshold_min, max: values.threshold_max }, this.maskPlane, this.objectsPlane);
      const work = new Image(this.width, this.height, 3, ColorSpace.RGB, 32, PixelSampleType.Real);
      const rect = new Rect(this.width, this.height);
      for (let c = 0; c < 3; ++c) {
         work.setSamples(rgb[c], rect, c);
      }
      this.replaceBitmap(work.render());
      work.free();
   }

   /* The worker's live preview (a PNG file). */
   showFile(path) {
      this.replaceBitmap(new Bitmap(path));
   }

   /* The worker's objects.xisf (full resolution), shown tinted like the excluded areas. */
   setObjects(path) {
      const image = BGX.io.readImage(path);
      try {
         const copy = BGX.Preview.planesOf(image, this.factor);
         this.objectsPlane = copy.size.width === this.width && copy.size.height === this.height ? copy.planes[0] : null;
      } finally {
         image.free();
      }
   }

   /* Sample positions of report.json (full-resolution pixels). */
   setSamples(samples) {
      this.markers = samples || [];
   }

   replaceBitmap(bitmap) {
      if (this.bitmap !== null) {
         this.bitmap.clear();
      }
      this.bitmap = bitmap;
   }
};

/* Paints the preview; the scaled bitmap is made once per bitmap and size, the one replaced freed. */
BGX.PreviewControl = class extends Control {
   constructor(parent, preview) {
      super(parent);
      this.preview = preview;
      this.fit = true;
      this.scaled = null;
      this.setScaledMinSize(480, 360);
      this.onPaint = () => this.paint();
   }

   paint() {
      const g = new Graphics(this);
      try {
         g.fillRect(0, 0, this.width, this.height, new Brush(0xff202020));
         const bmp = this.preview.bitmap;
         if (bmp === null) {
            return;
         }
         const place = BGX.display.placement(bmp.width, bmp.height, this.width, this.height, this.fit);
         g.drawBitmap(place.x, place.y, place.scale === 1 ? bmp : this.scaledBitmap(bmp, place.width, place.height));
         const markers = BGX.display.sampleMarkers(this.preview.markers, bmp.width / this.preview.fullWidth, place);
         if (markers.length > 0) {
            g.pen = new Pen(0xff00ff00, 2);
            for (const m of markers) {
               g.strokeCircle(m.x, m.y, 5);
            }
         }
      } finally {
         g.end();
      }
   }

   scaledBitmap(bmp, width, height) {
      const s = this.scaled;
      if (s !== null && s.source === bmp && s.width === width && s.height === height) {
         return s.bitmap;
      }
      this.releaseScaled();
      this.scaled = { source: bmp, width: width, height: height, bitmap: bmp.scaledTo(width, height) };
      return this.scaled.bitmap;
   }

   releaseScaled() {
      if (this.scaled !== null) {
         this.scaled.bitmap.clear();
         this.scaled = null;
      }
   }
};
