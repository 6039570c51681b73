/*
 * BGX.Preview: what the dialog's preview shows, as layers: the original (stretched as the
 * worker will stretch it, excluded areas tinted), the fit in progress (the worker's
 * preview.png), the corrected image and the background model of the last run (each with its
 * own auto-STF, like the result windows), and the objects / exclusion map. A downsampled copy
 * (at most PREVIEW_MAX_SIDE pixels a side) of each image is taken once; the original's
 * stretch is measured on the FULL image with PixInsight's native statistics (minimum and
 * median once per view, the quantile once per value), a result layer's from its copy, sorted
 * once. The original's unclipped stretch is kept per stretch: a threshold or mask change
 * only compares and re-tints (no statistic, no sort, no stretch).
 *
 * BGX.PreviewControl (a ScrollBox, as PixInsight's own preview controls) paints the current
 * layer at any zoom of BGX.zoom: below the copy's resolution from the copy's bitmap scaled
 * once per zoom; above it (1:1, 2:1 ...) from the full-resolution pixels of the visible
 * rectangle (or the copy enlarged while dragging, and where no full-resolution pixels
 * exist). BGX.previewToolbar builds the zoom buttons, the layer toggle and the samples box.
 */

BGX.PREVIEW_MAX_SIDE = 1024;

BGX.Preview = class {
   constructor() {
      this.planes = null;
      this.maskPlane = null;
      this.maskView = null;
      this.maskInverted = false;
      this.objectsPlane = null;
      this.width = 0;
      this.height = 0;
      this.factor = 1;
      this.fullWidth = 0;
      this.fullHeight = 0;
      this.source = null;
      this.sourceReplaced = false;
      this.statistics = null;
      this.stretch = null;
      this.thresholds = { min: 0, max: 10 };
      this.stretched = null;
      this.rgb = null;
      this.codes = null;
      this.results = {};
      this.live = null;
      this.layer = "original";
      this.rendered = {};
      this.version = 0;
      this.markers = [];
      this.showSamples = false;
   }

   /*
    * {q, minimum, median, quantile} per channel of image, over its valid samples: range
    * clipping rejects the exact zeros of registration borders (the worker's missing pixels;
    * it leaves out a pixel when any channel is 0, these statistics per channel). Minimum and
    * median are measured once per view, each quantile once per value.
    */
   measure(image, q) {
      const key = String(q);
      if (this.statistics !== null && key in this.statistics.quantiles) {
         return { q: q, minimum: this.statistics.minimum, median: this.statistics.median, quantile: this.statistics.quantiles[key] };
      }
      const clip = [image.rangeClippingEnabled, image.rangeClipLow, image.rangeClipHigh];
      image.rangeClippingEnabled = true;
      image.rangeClipLow = 0;
      image.rangeClipHigh = Number.MAX_VALUE;
      try {
         if (this.statistics === null) {
            const stats = { minimum: [], median: [], quantiles: {} };
            for (let c = 0; c < image.numberOfChannels; ++c) {
               stats.minimum.push(image.minimum(image.bounds, c, c));
               stats.median.push(image.median(image.bounds, c, c));
            }
            this.statistics = stats;
         }
         const quantile = [];
         for (let c = 0; c < image.numberOfChannels; ++c) {
            quantile.push(image.orderStatistic(q, image.bounds, c, c));
         }
         this.statistics.quantiles[key] = quantile;
         return { q: q, minimum: this.statistics.minimum, median: this.statistics.median, quantile: quantile };
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

   /* The full-resolution pixels of rect, averaged over k x k blocks: {planes, width, height}. */
   static readRect(image, rect, k, channels) {
      const w = rect.x1 - rect.x0;
      const h = rect.y1 - rect.y0;
      const r = new Rect(rect.x0, rect.y0, rect.x1, rect.y1);
      const out = { planes: [], width: w, height: h };
      for (let c = 0; c < (channels || image.numberOfChannels); ++c) {
         const buf = new Float32Array(w * h);
         image.getSamples(buf, r, c);
         const reduced = BGX.display.blockReduce(buf, w, h, k);
         out.planes.push(reduced.plane);
         out.width = reduced.width;
         out.height = reduced.height;
      }
      return out;
   }

   /* A Bitmap of three display planes (w x h); the Image used to render it is freed. */
   static toBitmap(rgb, w, h) {
      const work = new Image(w, h, 3, ColorSpace.RGB, 32, PixelSampleType.Real);
      const rect = new Rect(w, h);
      for (let c = 0; c < 3; ++c) {
         work.setSamples(rgb[c], rect, c);
      }
      const bitmap = work.render();
      work.free();
      return bitmap;
   }

   /* Take the downsampled copy of view (null clears the preview); results of a run are dropped. */
   setSource(view) {
      this.free();
      this.planes = null;
      this.markers = [];
      this.objectsPlane = null;
      this.statistics = null;
      this.source = null;
      this.sourceReplaced = false;
      this.stretch = null;
      if (view === null || view.isNull || view.image === null) {
         return;
      }
      const image = view.image;
      this.source = view;
      this.fullWidth = image.width;
      this.fullHeight = image.height;
      this.factor = BGX.stretch.previewScale(image.width, image.height, BGX.PREVIEW_MAX_SIDE);
      const copy = BGX.Preview.planesOf(image, this.factor);
      this.planes = copy.planes;
      this.width = copy.size.width;
      this.height = copy.size.height;
   }

   /* Mask view of the same geometry as the target, or null; inverted as the window shows it. */
   setMask(view, inverted) {
      this.maskPlane = null;
      this.maskView = null;
      this.maskInverted = inverted === true;
      if (view !== null && !view.isNull && view.image !== null && this.planes !== null) {
         const copy = BGX.Preview.planesOf(view.image, this.factor);
         if (copy.size.width === this.width && copy.size.height === this.height) {
            this.maskPlane = BGX.display.maskValues(copy.planes[0], this.maskInverted);
            this.maskView = view;
         }
      }
      this.codes = null;
   }

   /*
    * Re-stretch with the dialog's values (the original's stretch, sent to the worker) and
    * render the current layer. The unclipped stretch is kept per stretch: a threshold or mask
    * change only compares and re-tints (it measures, sorts and stretches nothing).
    */
   restretch(values) {
      if (this.planes === null) {
         return;
      }
      const n = this.width * this.height;
      const stretch = BGX.stretch.fromStatistics(this.measure(this.source.image, values.quantile), values.target);
      if (this.stretched === null || JSON.stringify(stretch) !== JSON.stringify(this.stretch)) {
         this.stretched = BGX.display.stretched(this.planes, n, stretch);
         this.rgb = BGX.display.rgbOf(this.stretched);
         this.codes = null;
      }
      this.stretch = stretch;
      const thresholds = { min: values.threshold_min, max: values.threshold_max };
      if (thresholds.min !== this.thresholds.min || thresholds.max !== this.thresholds.max) {
         this.codes = null;
      }
      this.thresholds = thresholds;
      this.dropRendered(["original", "map"]);
      this.render(this.layer);
   }

   exclusionCodes() {
      if (this.codes === null) {
         this.codes = BGX.display.codesOf(this.stretched, this.thresholds, this.maskPlane, this.objectsPlane);
      }
      return this.codes;
   }

   /* The layers the toggle offers now ([{id, label}]). */
   layers() {
      if (this.planes === null) {
         return [];
      }
      return BGX.display.availableLayers({ live: this.live !== null, corrected: "corrected" in this.results, background: "background" in this.results });
   }

   setLayer(id) {
      if (this.layers().some((l) => l.id === id)) {
         this.layer = id;
         this.version += 1;
      }
   }

   /* The current layer's bitmap at the copy's size (rendered on first use), or null. */
   get bitmap() {
      return this.planes === null ? null : this.render(this.layer);
   }

   /* Copy pixels per real pixel of the current layer's bitmap. */
   get layerFactor() {
      const bmp = this.bitmap;
      return this.layer === "live" && bmp !== null ? bmp.width / this.fullWidth : this.factor;
   }

   render(id) {
      if (id === "live") {
         return this.live;
      }
      if (!(id in this.rendered)) {
         this.rendered[id] = BGX.Preview.toBitmap(this.displayPlanes(id, null), this.width, this.height);
         this.version += 1;
      }
      return this.rendered[id];
   }

   /* Display planes of a layer at the copy's size (detail: null), or of a detail render. */
   displayPlanes(id, detail) {
      const D = BGX.display;
      if (id === "corrected" || id === "background") {
         const r = this.results[id];
         return detail ? D.stretchRgb(detail.planes, detail.width * detail.height, r.stretch) : r.rgb;
      }
      if (detail === null) {
         const codes = this.exclusionCodes();
         return id === "map" ? D.exclusionMap(this.rgb, codes) : D.tinted(this.rgb, codes);
      }
      const st = D.stretched(detail.planes, detail.width * detail.height, this.stretch);
      const codes = D.codesOf(st, this.thresholds, detail.mask, detail.objects);
      const rgb = D.rgbOf(st);
      return id === "map" ? D.exclusionMap(rgb, codes) : D.tinted(rgb, codes);
   }

   /* The full-resolution image of the current layer, or null (live; the original replaced). */
   fullImage() {
      if (this.layer === "corrected" || this.layer === "background") {
         return this.results[this.layer].view.image;
      }
      if (this.layer === "live" || this.sourceReplaced || this.source === null) {
         return null;
      }
      return this.source.image;
   }

   /* A Bitmap of the real pixels of rect reduced by k x k blocks (the caller owns it). */
   detailBitmap(rect, k) {
      const image = this.fullImage();
      const detail = BGX.Preview.readRect(image, rect, k);
      const original = this.layer === "original" || this.layer === "map";
      if (original && this.maskView !== null) {
         detail.mask = BGX.display.maskValues(BGX.Preview.readRect(this.maskView.image, rect, k, 1).planes[0], this.maskInverted);
      }
      if (original && this.objectsPlane !== null) {
         detail.objects = BGX.display.nearestOnGrid(this.objectsPlane, this.width, this.height, this.factor, rect, detail.width, detail.height);
      }
      return BGX.Preview.toBitmap(this.displayPlanes(this.layer, detail), detail.width, detail.height);
   }

   /* The worker's live preview (a PNG file): the "fit in progress" layer, shown when the first
      one arrives (a later one leaves the user's choice of layer alone). */
   showFile(path) {
      const first = this.live === null;
      if (!first) {
         this.live.clear();
      }
      this.live = new Bitmap(path);
      if (first) {
         this.layer = "live";
      }
      this.version += 1;
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
      this.codes = null;
      this.dropRendered(["original", "map"]);
   }

   /* Sample positions of report.json (full-resolution pixels). */
   setSamples(samples) {
      this.markers = samples || [];
      this.version += 1;
   }

   /* A run starts: its earlier results and live preview go, the original is shown. */
   startRun() {
      this.dropResults();
      this.setSamples([]);
      this.layer = "original";
   }

   /*
    * A run's results (BGX.io.openResults: view ids of the corrected image and, when opened,
    * the background model): a downsampled copy of each, stretched with its own auto-STF from
    * statistics sorted once; the corrected image is shown. With the target replaced, the
    * original is shown from its copy only (its full-resolution pixels are gone).
    */
   setResults(results) {
      this.dropResults();
      const add = (id, viewId) => {
         const view = ImageWindow.windowById(viewId).mainView;
         const copy = BGX.Preview.planesOf(view.image, this.factor);
         const n = copy.size.width * copy.size.height;
         if (copy.size.width !== this.width || copy.size.height !== this.height) {
            return;
         }
         const stretch = BGX.display.autoStretch(BGX.stretch.sampleStatistics(copy.planes, n));
         this.results[id] = { view: view, stretch: stretch, rgb: BGX.display.stretchRgb(copy.planes, n, stretch) };
      };
      add("corrected", results.corrected);
      if (results.background !== null) {
         add("background", results.background);
      }
      this.sourceReplaced = this.source !== null && results.corrected === this.source.id;
      this.setLayer("corrected");
   }

   /* Back to the original after a run that ended without results. */
   showOriginal() {
      this.dropLive();
      this.layer = "original";
   }

   dropLive() {
      if (this.live !== null) {
         this.live.clear();
         this.live = null;
         this.version += 1;
      }
      if (this.layer === "live") {
         this.layer = "original";
      }
   }

   dropResults() {
      this.dropLive();
      this.results = {};
      this.dropRendered(["corrected", "background"]);
      if (this.layer === "corrected" || this.layer === "background") {
         this.layer = "original";
      }
   }

   dropRendered(ids) {
      for (const id of ids) {
         if (id in this.rendered) {
            this.rendered[id].clear();
            delete this.rendered[id];
            this.version += 1;
         }
      }
   }

   /* Every Bitmap freed (V8 has no gc(): Bitmap memory is released explicitly). */
   free() {
      this.dropResults();
      this.dropRendered(Object.keys(this.rendered));
      this.stretched = null;
      this.rgb = null;
      this.codes = null;
   }
};

/*
 * The zoomable, draggable preview: a ScrollBox whose viewport paints the preview's current
 * layer (BGX.zoom decides the geometry). The bitmap drawn (scaled copy, detail render or
 * enlarged copy) is cached under the zoom and rectangle it was made for, and the one it
 * replaces is freed.
 */
BGX.PreviewControl = class extends ScrollBox {
   constructor(parent, preview) {
      super(parent);
      this.preview = preview;
      this.fit = true;
      this.scale = 1;
      this.drag = null;
      this.cache = null;
      this.onRefresh = null;
      this.autoScroll = true;
      this.tracking = true;
      this.setScaledMinSize(480, 360);
      this.viewport.cursor = new Cursor(StdCursor.OpenHand);
      this.viewport.onPaint = () => this.paint();
      this.viewport.onResize = () => this.refresh();
      /* PixInsight's preview controls zoom out for a positive delta (wheel turned towards the user). */
      this.viewport.onMouseWheel = (x, y, delta) => this.zoomTo(delta > 0 ? this.zoomOutScale() : BGX.zoom.zoomIn(this.layout().scale), x, y);
      this.viewport.onMousePress = (x, y, button) => {
         if (button === MouseButton.Left) {
            this.drag = { x: x, y: y, layout: this.layout() };
            this.viewport.cursor = new Cursor(StdCursor.ClosedHand);
         }
      };
      this.viewport.onMouseMove = (x, y) => {
         if (this.drag !== null) {
            this.scrollToLayout(BGX.zoom.panBy(this.drag.layout, this.preview.fullWidth, this.preview.fullHeight,
               this.viewport.width, this.viewport.height, x - this.drag.x, y - this.drag.y));
         }
      };
      this.viewport.onMouseRelease = () => {
         this.drag = null;
         this.viewport.cursor = new Cursor(StdCursor.OpenHand);
         this.viewport.update();
      };
      this.onHorizontalScrollPosUpdated = () => this.viewport.update();
      this.onVerticalScrollPosUpdated = () => this.viewport.update();
   }

   /* The layout now: fit or the chosen scale, at the scroll bars' positions. */
   layout() {
      const p = this.preview;
      const vw = this.viewport.width;
      const vh = this.viewport.height;
      const scale = this.fit ? BGX.zoom.fitScale(p.fullWidth, p.fullHeight, vw, vh) : this.scale;
      return BGX.zoom.layout(p.fullWidth, p.fullHeight, vw, vh, scale, this.horizontalScrollPosition, this.verticalScrollPosition);
   }

   zoomOutScale() {
      const p = this.preview;
      return BGX.zoom.zoomOut(this.layout().scale, BGX.zoom.fitScale(p.fullWidth, p.fullHeight, this.viewport.width, this.viewport.height));
   }

   /* Zoom to scale (null: fit) keeping the image point under (x, y) (default: the centre). */
   zoomTo(scale, x, y) {
      const vw = this.viewport.width;
      const vh = this.viewport.height;
      const before = this.layout();
      this.fit = scale === null;
      if (scale !== null) {
         this.scale = scale;
      }
      const after = this.fit ? this.layout() :
         BGX.zoom.zoomAt(before, this.preview.fullWidth, this.preview.fullHeight, vw, vh, scale,
            x === undefined ? vw / 2 : x, y === undefined ? vh / 2 : y);
      this.scrollToLayout(after);
      this.refresh();
   }

   scrollToLayout(L) {
      this.setHorizontalScrollRange(0, L.maxScrollX);
      this.setVerticalScrollRange(0, L.maxScrollY);
      this.horizontalScrollPosition = L.scrollX;
      this.verticalScrollPosition = L.scrollY;
      this.viewport.update();
   }

   /* After the preview or the viewport changed: scroll ranges, repaint, the toolbar. */
   refresh() {
      const L = this.layout();
      this.setHorizontalScrollRange(0, L.maxScrollX);
      this.setVerticalScrollRange(0, L.maxScrollY);
      this.viewport.update();
      if (this.onRefresh !== null) {
         this.onRefresh(L);
      }
   }

   paint() {
      const g = new Graphics(this.viewport);
      try {
         g.fillRect(0, 0, this.viewport.width, this.viewport.height, new Brush(0xff202020));
         if (this.preview.bitmap === null) {
            return;
         }
         const L = this.layout();
         const d = this.drawable(L);
         g.drawBitmap(d.x, d.y, d.bitmap);
         if (this.preview.showSamples && this.preview.markers.length > 0) {
            g.pen = new Pen(0xff00ff00, 2);
            for (const m of BGX.display.sampleMarkers(this.preview.markers, L)) {
               g.strokeCircle(m.x, m.y, 5);
            }
         }
      } finally {
         g.end();
      }
   }

   /* {bitmap, x, y}: what to draw for layout L, made once per zoom (and rectangle). */
   drawable(L) {
      const p = this.preview;
      const bmp = p.bitmap;
      const factor = p.layerFactor;
      const vw = this.viewport.width;
      const vh = this.viewport.height;
      const rect = BGX.zoom.visibleRect(L, p.fullWidth, p.fullHeight, vw, vh);
      let source = BGX.zoom.sourceFor(L.scale, factor, rect, p.fullImage() !== null);
      if (source === "detail" && this.drag !== null) {
         source = "enlarged";
      }
      if (source === "preview") {
         if (L.contentWidth === bmp.width && L.contentHeight === bmp.height) {
            return { bitmap: bmp, x: L.offsetX - L.scrollX, y: L.offsetY - L.scrollY };
         }
         return {
            bitmap: this.cached([p.version, source, L.contentWidth, L.contentHeight], () => bmp.scaledTo(L.contentWidth, L.contentHeight)),
            x: L.offsetX - L.scrollX,
            y: L.offsetY - L.scrollY
         };
      }
      if (source === "detail") {
         return {
            bitmap: this.cached([p.version, source, L.scale, rect.x0, rect.y0, rect.x1, rect.y1], () =>
               BGX.PreviewControl.sized(p.detailBitmap(rect, BGX.zoom.reduction(L.scale)), rect.dw, rect.dh)),
            x: rect.dx,
            y: rect.dy
         };
      }
      const c = BGX.zoom.copyRect(L, rect, factor, bmp.width, bmp.height);
      return {
         bitmap: this.cached([p.version, source, L.scale, c.x0, c.y0, c.x1, c.y1], () =>
            BGX.PreviewControl.sized(bmp.subimage(c.x0, c.y0, c.x1, c.y1), c.dw, c.dh)),
         x: c.dx,
         y: c.dy
      };
   }

   /* bmp at w x h: itself when it has that size, else a scaled copy (bmp is freed). */
   static sized(bmp, w, h) {
      if (bmp.width === w && bmp.height === h) {
         return bmp;
      }
      const scaled = bmp.scaledTo(w, h);
      bmp.clear();
      return scaled;
   }

   cached(keyParts, make) {
      const key = keyParts.join(",");
      if (this.cache !== null && this.cache.key === key) {
         return this.cache.bitmap;
      }
      this.release();
      this.cache = { key: key, bitmap: make() };
      return this.cache.bitmap;
   }

   release() {
      if (this.cache !== null) {
         this.cache.bitmap.clear();
         this.cache = null;
      }
   }
};

/* The target window's own mask, as BGX.display.chooseMask takes it, and its view. */
BGX.windowMask = function (target) {
   const win = target ? target.window : null;
   const mask = win === null || win.isNull ? null : win.mask;
   if (mask === null || mask.isNull) {
      return { hasMask: false, enabled: false, inverted: false, view: null };
   }
   return { hasMask: true, enabled: win.maskEnabled, inverted: win.maskInverted, view: mask.mainView };
};

/*
 * The preview's toolbar under the preview: Fit, 1:1, zoom in / out with the zoom shown, the
 * layer toggle and "Show samples". dialog: its values (zoomToFit, showSamples), preview,
 * previewControl. Returns {sizer, sync(values)} and the controls by name.
 */
BGX.previewToolbar = function (dialog) {
   const control = dialog.previewControl;
   const preview = dialog.preview;
   const button = (text, helpName, onClick) => {
      const b = new PushButton(dialog);
      b.text = text;
      b.toolTip = BGX.help.tip(helpName);
      b.onClick = onClick;
      return b;
   };
   const bar = {
      fitButton: button("Fit", "previewFit", () => {
         dialog.values.zoomToFit = true;
         control.zoomTo(null);
      }),
      oneToOneButton: button("1:1", "previewOneToOne", () => {
         dialog.values.zoomToFit = false;
         control.zoomTo(1);
      }),
      zoomInButton: button("+", "previewZoomIn", () => control.zoomTo(BGX.zoom.zoomIn(control.layout().scale))),
      zoomOutButton: button("-", "previewZoomOut", () => control.zoomTo(control.zoomOutScale())),
      zoomLabel: new Label(dialog),
      layerCombo: new ComboBox(dialog),
      samplesCheck: new CheckBox(dialog),
      shown: []
   };
   bar.zoomLabel.text = "Fit";
   bar.layerCombo.toolTip = BGX.help.tip("previewLayer");
   bar.layerCombo.onItemSelected = (i) => {
      preview.setLayer(bar.shown[i].id);
      control.refresh();
   };
   bar.samplesCheck.text = BGX.params.entry("showSamples").label;
   bar.samplesCheck.toolTip = BGX.help.tip("showSamples");
   bar.samplesCheck.onCheck = (checked) => {
      dialog.values.showSamples = checked;
      preview.showSamples = checked;
      control.viewport.update();
   };
   /* The toggle lists the layers there are now, the current one selected; the zoom is shown. */
   control.onRefresh = (L) => {
      const layers = preview.layers();
      if (layers.map((l) => l.id).join() !== bar.shown.map((l) => l.id).join()) {
         bar.layerCombo.clear();
         layers.forEach((l) => bar.layerCombo.addItem(l.label));
         bar.shown = layers;
      }
      const at = layers.findIndex((l) => l.id === preview.layer);
      if (at >= 0) {
         bar.layerCombo.currentItem = at;
      }
      bar.zoomLabel.text = (control.fit ? "Fit " : "") + BGX.zoom.label(L.scale);
   };
   bar.sync = (values) => {
      bar.samplesCheck.checked = values.showSamples;
      preview.showSamples = values.showSamples;
      control.zoomTo(values.zoomToFit ? null : 1);
   };
   bar.sizer = new HorizontalSizer;
   bar.sizer.spacing = 4;
   [bar.fitButton, bar.oneToOneButton, bar.zoomOutButton, bar.zoomInButton, bar.zoomLabel].forEach((c) => bar.sizer.add(c));
   bar.sizer.addSpacing(12);
   bar.sizer.add(bar.layerCombo);
   bar.sizer.add(bar.samplesCheck);
   bar.sizer.addStretch();
   return bar;
};
