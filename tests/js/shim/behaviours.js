"use strict";
/*
 * What the shim's PixInsight objects do (strictness lives in strict.js). Only members the
 * script uses have behaviour; the rest are inert. `world` is the shared state a test inspects
 * and drives: console lines, settings, windows, message boxes, timers, HTTP log.
 */
const fs = require("node:fs");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");
const { stateOf } = require("./strict");
const files = require("./files");
const { networkTransfer } = require("./network");

function behaviours(world, C) {
   const S = stateOf;

   /* ---- geometry, bytes ---- */
   const Rect = {
      init(self, a) {
         let v = [0, 0, 0, 0];
         if (a.length === 4) {
            v = a;
         } else if (a.length === 2) {
            v = [0, 0, a[0], a[1]];
         }
         [self.x0, self.y0, self.x1, self.y1] = v;
      },
      proto: {
         get width() { return this.x1 - this.x0; },
         get height() { return this.y1 - this.y0; }
      }
   };
   const Point = { init(self, a) { self.x = a[0] || 0; self.y = a[1] || 0; } };

   const ByteArray = {
      init(self, a) {
         S(self).buf = typeof a[0] === "string" ? Buffer.from(a[0], "latin1") : Buffer.alloc(typeof a[0] === "number" ? a[0] : 0);
      },
      proto: {
         get length() { return S(this).buf.length; },
         isEmpty() { return S(this).buf.length === 0; },
         add(other) { S(this).buf = Buffer.concat([S(this).buf, S(other).buf]); },
         /* V8 strings stop at about 2^29 characters; a test sets world.stringLimit low to
            prove that no result is ever decoded. */
         utf8ToString() {
            if (S(this).buf.length > world.stringLimit) {
               throw new Error(`shim: ByteArray.utf8ToString of ${S(this).buf.length} bytes is over the string limit (${world.stringLimit})`);
            }
            world.decodedBytes += S(this).buf.length;
            return S(this).buf.toString("utf8");
         },
         clear() { world.freed.push("ByteArray"); S(this).buf = Buffer.alloc(0); },
         toString() { return S(this).buf.toString("latin1"); },
         at(i) { return S(this).buf[i]; },
         toUint8Array() { return new Uint8Array(S(this).buf); }
      },
      statics: {
         stringToUTF8(s) { return fromBuffer(Buffer.from(s, "utf8")); }
      }
   };
   const fromBuffer = (buf) => {
      const b = new C.ByteArray();
      S(b).buf = buf;
      return b;
   };

   /* ---- files ---- */
   const File = {
      init(self) { S(self).fd = null; },
      proto: {
         openForReading(p) {
            S(this).fd = fs.openSync(p, "r");
            S(this).pos = 0;
            S(this).size = fs.fstatSync(S(this).fd).size;
         },
         createForWriting(p) {
            S(this).fd = fs.openSync(p, "w");
            S(this).pos = 0;
            S(this).size = 0;
         },
         write(data) {
            if (!(data instanceof C.ByteArray)) {
               throw new Error("shim: File.write supports a ByteArray only");
            }
            const buf = S(data).buf;
            fs.writeSync(S(this).fd, buf, 0, buf.length, S(this).pos);
            S(this).pos += buf.length;
            S(this).size = Math.max(S(this).size, S(this).pos);
         },
         get size() { return S(this).size; },
         get position() { return S(this).pos; },
         get isEOF() { return S(this).pos >= S(this).size; },
         read(type, count) {
            if (type !== world.families.DataType.ByteArray) {
               throw new Error("shim: File.read supports DataType.ByteArray only");
            }
            const buf = Buffer.alloc(Math.min(count, S(this).size - S(this).pos));
            fs.readSync(S(this).fd, buf, 0, buf.length, S(this).pos);
            S(this).pos += buf.length;
            return fromBuffer(buf);
         },
         close() {
            if (S(this).fd !== null) {
               fs.closeSync(S(this).fd);
               S(this).fd = null;
            }
         }
      },
      statics: {
         exists(p) { return fs.existsSync(p) && fs.statSync(p).isFile(); },
         directoryExists(p) { return fs.existsSync(p) && fs.statSync(p).isDirectory(); },
         remove(p) {
            if (!fs.existsSync(p)) {
               throw new Error(`File.remove: no such file: ${p}`);
            }
            fs.unlinkSync(p);
         },
         readFile(p) { return fromBuffer(fs.readFileSync(p)); },
         writeFile(p, data) { fs.writeFileSync(p, S(data).buf); },
         readTextFile(p) { return fs.readFileSync(p, "utf8"); },
         writeTextFile(p, text) { fs.writeFileSync(p, text, "utf8"); },
         extractName(p) { return path.basename(p, path.extname(p)); },
         extractNameAndExtension(p) { return path.basename(p); },
         extractExtension(p) { return path.extname(p); },
         extractDirectory(p) { return path.dirname(p); },
         move(from, to) { fs.renameSync(from, to); },
         createDirectory(p, parents) { fs.mkdirSync(p, { recursive: parents !== false }); },
         get systemTempDirectory() { return world.tempDir; },
         get homeDirectory() { return world.homeDir; }
      }
   };
   const FileFind = {
      init(self) { S(self).list = []; },
      proto: {
         begin(pattern) {
            const dir = path.dirname(pattern);
            const re = new RegExp("^" + path.basename(pattern).replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
            S(this).list = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => re.test(n)).map((n) => path.join(dir, n)) : [];
            return this.next();
         },
         next() {
            const p = S(this).list.shift();
            S(this).current = p;
            return p !== undefined;
         },
         end() { S(this).list = []; },
         get name() { return path.basename(S(this).current); },
         get isFile() { return fs.statSync(S(this).current).isFile(); }
      }
   };

   const FileInfo = {
      init(self, a) { S(self).path = a[0]; },
      proto: {
         get exists() { return fs.existsSync(S(this).path); },
         get isFile() { return fs.existsSync(S(this).path) && fs.statSync(S(this).path).isFile(); },
         get lastModified() { return fs.statSync(S(this).path).mtime; },
         get size() { return fs.statSync(S(this).path).size; }
      }
   };

   /* ---- images ---- */
   const Image = {
      init(self, a) {
         const st = S(self);
         if (a.length === 1 && a[0] && S(a[0]) && S(a[0]).planes) {
            const src = S(a[0]);
            Object.assign(st, { width: src.width, height: src.height, planes: src.planes.map((p) => Float32Array.from(p)) });
         } else if (a.length >= 2 && typeof a[0] === "number") {
            const n = a[0] * a[1];
            Object.assign(st, { width: a[0], height: a[1], planes: Array.from({ length: a[2] || 1 }, () => new Float32Array(n)) });
         } else {
            Object.assign(st, { width: 0, height: 0, planes: [] });
         }
      },
      proto: {
         get width() { return S(this).width; },
         get height() { return S(this).height; },
         get numberOfChannels() { return S(this).planes.length; },
         get isColor() { return S(this).planes.length >= 3; },
         get bounds() { return new C.Rect(S(this).width, S(this).height); },
         /* Any rectangle inside the image (PCL throws for one outside it); arr gets its rows. */
         getSamples(arr, rect, channel) {
            const st = S(this);
            const r = rectIn(st, rect);
            const plane = st.planes[channel === undefined ? 0 : channel];
            const w = r.x1 - r.x0;
            if (arr.length < w * (r.y1 - r.y0)) {
               throw new Error("shim: Image.getSamples: the array is smaller than the rectangle");
            }
            for (let y = r.y0; y < r.y1; ++y) {
               arr.set(plane.subarray(y * st.width + r.x0, y * st.width + r.x1), (y - r.y0) * w);
            }
         },
         setSamples(arr, rect, channel) {
            const st = S(this);
            checkWholeRect(st, rect);
            st.planes[channel === undefined ? 0 : channel].set(arr);
         },
         /* PCL Image::Invert(): v -> 1 - v in the normalised range, every channel. */
         invert() {
            S(this).planes = S(this).planes.map((p) => Float32Array.from(p, (v) => 1 - v));
         },
         get rangeClippingEnabled() { return S(this).clipOn === true; },
         set rangeClippingEnabled(v) { S(this).clipOn = Boolean(v); },
         get rangeClipLow() { return S(this).clipLow === undefined ? 0 : S(this).clipLow; },
         set rangeClipLow(v) { S(this).clipLow = v; },
         get rangeClipHigh() { return S(this).clipHigh === undefined ? 1 : S(this).clipHigh; },
         set rangeClipHigh(v) { S(this).clipHigh = v; },
         minimum(rect, c0) { return statSorted(this, rect, c0)[0]; },
         median(rect, c0) { return orderOf(statSorted(this, rect, c0), 0.5); },
         orderStatistic(k, rect, c0) { return orderOf(statSorted(this, rect, c0), k); },
         MAD(center, rect, c0) {
            const sorted = statSorted(this, rect, c0);
            const at = center === undefined ? orderOf(sorted, 0.5) : center;
            return orderOf(Float64Array.from(sorted, (v) => Math.abs(v - at)).sort(), 0.5);
         },
         resample(f) {
            const st = S(this);
            const w = Math.max(1, Math.round(st.width * f));
            const h = Math.max(1, Math.round(st.height * f));
            st.planes = st.planes.map((p) => {
               const out = new Float32Array(w * h);
               for (let y = 0; y < h; ++y) {
                  for (let x = 0; x < w; ++x) {
                     out[y * w + x] = p[Math.min(st.height - 1, Math.floor(y / f)) * st.width + Math.min(st.width - 1, Math.floor(x / f))];
                  }
               }
               return out;
            });
            st.width = w;
            st.height = h;
         },
         render() { return newBitmap(S(this).width, S(this).height); },
         assign(src) {
            const from = S(src);
            Object.assign(S(this), { width: from.width, height: from.height, planes: from.planes.map((p) => Float32Array.from(p)) });
         },
         free() { S(this).planes = []; S(this).width = 0; S(this).height = 0; world.freed.push("Image"); }
      }
   };
   /* The channel's samples a statistic sees, ascending: with range clipping on, samples at or
      below rangeClipLow and above rangeClipHigh are rejected (PCL's range clipping). */
   function statSorted(img, rect, channel) {
      const st = S(img);
      checkWholeRect(st, rect);
      world.statistics += 1;
      const lo = img.rangeClipLow;
      const hi = img.rangeClipHigh;
      const kept = st.planes[channel === undefined ? 0 : channel].filter((v) => Number.isFinite(v) && (!st.clipOn || (v > lo && v <= hi)));
      return Float64Array.from(kept).sort();
   }
   /* PCL's OrderStatistic(k): element k*(n-1) of the sorted samples, linear between neighbours
      (the same rule numpy's default quantile uses). */
   function orderOf(sorted, k) {
      const x = k * (sorted.length - 1);
      const i = Math.floor(x);
      return i >= sorted.length - 1 ? sorted[sorted.length - 1] : sorted[i] + (x - i) * (sorted[i + 1] - sorted[i]);
   }
   function rectIn(st, rect) {
      const r = rect ? { x0: rect.x0, y0: rect.y0, x1: rect.x1, y1: rect.y1 } : { x0: 0, y0: 0, x1: st.width, y1: st.height };
      if (r.x0 < 0 || r.y0 < 0 || r.x1 > st.width || r.y1 > st.height || r.x1 <= r.x0 || r.y1 <= r.y0) {
         throw new Error(`shim: rectangle ${JSON.stringify(r)} is not inside the ${st.width} x ${st.height} image`);
      }
      return r;
   }
   function checkWholeRect(st, rect) {
      if (rect && (rect.x0 !== 0 || rect.y0 !== 0 || rect.width !== st.width || rect.height !== st.height)) {
         throw new Error("shim: only whole-image rectangles are supported");
      }
   }
   const newBitmap = (w, h) => {
      const b = new C.Bitmap(w, h);
      return b;
   };
   const Bitmap = {
      init(self, a) {
         if (typeof a[0] === "string") {
            const size = files.pngSize(a[0]);
            Object.assign(S(self), size, { file: a[0] });
         } else {
            Object.assign(S(self), { width: a[0] || 0, height: a[1] || 0 });
         }
         world.bitmaps.push(self);
      },
      proto: {
         get width() { return S(this).width; },
         get height() { return S(this).height; },
         scaledTo(w, h) { world.scaled += 1; return newBitmap(w, h === undefined ? w : h); },
         subimage(x0, y0, x1, y1) {
            const st = S(this);
            if (x0 < 0 || y0 < 0 || x1 > st.width || y1 > st.height || x1 <= x0 || y1 <= y0) {
               throw new Error(`shim: Bitmap.subimage(${x0}, ${y0}, ${x1}, ${y1}) outside the ${st.width} x ${st.height} bitmap`);
            }
            return newBitmap(x1 - x0, y1 - y0);
         },
         clear() { S(this).cleared = true; world.freed.push("Bitmap"); }
      }
   };

   /* ---- views and windows ---- */
   const View = {
      init(self) { Object.assign(S(self), { id: "", window: null, image: null }); },
      proto: {
         get id() { return S(this).id; },
         set id(v) {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
               throw new Error(`invalid view identifier '${v}'`);
            }
            S(this).id = v;
         },
         get fullId() { return S(this).id; },
         get image() { return S(this).image; },
         get window() { return S(this).window; },
         get isNull() { return S(this).window === null; },
         get isMainView() { return S(this).window !== null; },
         get stf() { return S(this).stf || [[0, 1, 0.5, 0, 1], [0, 1, 0.5, 0, 1], [0, 1, 0.5, 0, 1], [0, 1, 0.5, 0, 1]]; },
         set stf(rows) {
            if (!Array.isArray(rows) || rows.length !== 4 || rows.some((r) => r.length !== 5)) {
               throw new Error("shim: View.stf takes four rows [c0, c1, m, r0, r1]");
            }
            S(this).stf = rows.map((r) => r.slice());
         },
         /* the end of a change to a view marks its window modified, as in PixInsight */
         endProcess() {
            if (S(this).window) {
               S(S(this).window).modified = true;
            }
         },
         get properties() { return Object.keys(S(this).props || {}); },
         propertyValue(id) { return (S(this).props || {})[id]; },
         propertyType(id) { return (S(this).propTypes || {})[id]; },
         propertyAttributes(id) { return (S(this).propAttrs || {})[id] || 0; },
         setPropertyValue(id, value, type, attributes) {
            if (/^Image:|^PCL:/.test(id)) {
               throw new Error(`shim: property ${id} is reserved`);
            }
            S(this).props = Object.assign(S(this).props || {}, { [id]: value });
            S(this).propTypes = Object.assign(S(this).propTypes || {}, { [id]: type });
            S(this).propAttrs = Object.assign(S(this).propAttrs || {}, { [id]: attributes || 0 });
            return true;
         }
      }
   };
   const nullWindow = () => {
      const w = new C.ImageWindow();
      S(w).isNull = true;
      return w;
   };
   const ImageWindow = {
      init(self, a) {
         const st = S(self);
         Object.assign(st, { isNull: false, keywords: [], astrometry: false, shown: false, closed: false, filePath: "", modified: false, iccProfile: null });
         if (a.length === 0) {
            st.isNull = true;
            return;
         }
         const img = new C.Image(a[0], a[1], a[2] || 1);
         const view = new C.View();
         S(view).window = self;
         S(view).image = img;
         st.mainView = view;
         view.id = world.freeId(a[6] || "Image");
         world.windows.push(self);
      },
      proto: {
         get isNull() { return S(this).isNull; },
         get mainView() { return S(this).mainView; },
         get keywords() { return S(this).keywords.slice(); },
         set keywords(k) { S(this).keywords = k.slice(); },
         get hasAstrometricSolution() { return S(this).astrometry; },
         get filePath() { return S(this).filePath; },
         get isModified() { return S(this).modified; },
         copyAstrometricSolution(src) { S(this).astrometry = S(src).astrometry; },
         /* The window's mask: a null window when it has none; enabled once set. */
         get mask() { return S(this).mask || nullWindow(); },
         setMask(win, invert) {
            Object.assign(S(this), { mask: win, maskInverted: invert === true, maskEnabled: true });
         },
         removeMask() { S(this).mask = null; },
         get maskEnabled() { return S(this).maskEnabled === true; },
         set maskEnabled(v) { S(this).maskEnabled = Boolean(v); },
         get maskInverted() { return S(this).maskInverted === true; },
         set maskInverted(v) { S(this).maskInverted = Boolean(v); },
         show() { S(this).shown = true; world.shown.push(S(this).mainView.id); },
         zoomToFit() { S(this).zoomedToFit = true; },
         bringToFront() { world.fronted.push(S(this).mainView.id); },
         /* What PixInsight writes for a 32-bit float window, by the path's extension. */
         saveAs(p) {
            const img = S(S(this).mainView.image);
            const kw = S(this).keywords.map((k) => ({ name: k.name, value: k.value, comment: k.comment }));
            if (/\.xisf$/i.test(p)) {
               files.writeXisf(p, img.width, img.height, img.planes, kw);
            } else if (/\.(fits?|fts)$/i.test(p)) {
               files.writeFits(p, img.width, img.height, img.planes, kw);
            } else {
               throw new Error(`shim: no file format for ${p}`);
            }
            S(this).filePath = p;
            world.saved.push(p);
            return true;
         },
         forceClose() {
            S(this).closed = true;
            world.windows.splice(world.windows.indexOf(this), 1);
         }
      },
      statics: {
         open(p) {
            const data = /\.(fits?|fts)$/i.test(p) ? files.readFits(p) : files.readXisf(p);
            const id = path.basename(p).replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9_]/g, "_").replace(/^([0-9])/, "_$1");
            const win = new C.ImageWindow(data.width, data.height, data.channels, 32, true, data.channels === 3, id);
            if (!data.planes) {
               win.forceClose();
               throw new Error(`shim: cannot decode the pixels of ${p} (${data.sampleFormat}, compressed?)`);
            }
            S(S(win).mainView.image).planes = data.planes;
            S(win).keywords = data.keywords.map((k) => new C.FITSKeyword(k.name, k.value, k.comment));
            S(win).filePath = p;
            return [win];
         },
         windowById(id) {
            return world.windows.find((w) => S(w).mainView.id === id) || nullWindow();
         },
         get windows() { return world.windows.slice(); },
         get activeWindow() { return world.windows.length ? world.windows[world.windows.length - 1] : nullWindow(); }
      }
   };
   const FITSKeyword = {
      init(self, a) {
         if (a.length >= 2) {
            self.name = a[0];
            self.value = a[1];
            self.comment = a[2] || "";
         }
      }
   };
   /* The formats the shim knows, by extension: XISF (read and written) and FITS (read). */
   const FORMATS = { ".xisf": { name: "XISF", icc: true }, ".fits": { name: "FITS", icc: false } };
   FORMATS[".fit"] = FORMATS[".fts"] = FORMATS[".fits"];
   const FileFormat = {
      init(self, a) {
         const format = typeof a[0] === "string" ? FORMATS[a[0].toLowerCase()] : null;
         if (!format) {
            throw new Error(`shim: no file format for '${a[0]}'`);
         }
         S(self).format = format;
      },
      proto: {
         get name() { return S(this).format.name; },
         get canStoreICCProfiles() { return S(this).format.icc; }
      }
   };
   const FileFormatInstance = {
      init(self, a) { Object.assign(S(self), { path: null, keywords: [], format: S(a[0]).format, icc: null }); },
      proto: {
         create(p) { S(this).path = p; fs.writeFileSync(p, ""); return true; },
         /* Reading: one image description per image (the shim's files hold one); the ICC
            profile as PixInsight's XISF reader gives it, empty when there is none. */
         open(p) {
            if (!fs.existsSync(p)) {
               return null;
            }
            S(this).icc = S(this).format.name === "XISF" ? files.readXisfIccProfile(p) : null;
            S(this).path = p;
            world.formatReads.push(p);
            return [new C.ImageDescription()];
         },
         get iccProfile() { return fromBuffer(S(this).icc ? Buffer.from(S(this).icc) : Buffer.alloc(0)); },
         get keywords() { return S(this).keywords; },
         set keywords(k) { S(this).keywords = k; },
         writeImage(img) {
            const st = S(img);
            files.writeXisf(S(this).path, st.width, st.height, st.planes, S(this).keywords.map((k) => ({ name: k.name, value: k.value, comment: k.comment })));
            world.xisfWrites.push(S(this).path);
            return true;
         },
         close() { S(this).path = null; S(this).icc = null; }
      }
   };

   /*
    * AssignICCProfile finds the profile it assigns among the installed ones by its description
    * (world.installedProfiles) and throws when it is not there; world.iccAssigned records each
    * assignment, the window keeps the description (stateOf(win).iccProfile).
    */
   const AssignICCProfile = {
      proto: {
         executeOn(view) {
            if (this.mode !== C.AssignICCProfile.AssignNewProfile) {
               throw new Error(`shim: AssignICCProfile mode ${this.mode} is not modelled`);
            }
            if (!world.installedProfiles.includes(this.targetProfile)) {
               throw new Error(`AssignICCProfile: no installed ICC profile '${this.targetProfile}'`);
            }
            S(view.window).iccProfile = this.targetProfile;
            world.iccAssigned.push({ view: view.id, profile: this.targetProfile });
            return true;
         }
      }
   };

   /* ---- settings, console, app ---- */
   const Settings = {
      statics: {
         read(key, type) {
            const e = world.settings.get(key);
            world.lastReadOK = e !== undefined && e.type === type;
            return world.lastReadOK ? e.value : null;
         },
         write(key, type, value) { world.settings.set(key, { type, value }); },
         remove(key) { world.settings.delete(key); },
         get lastReadOK() { return world.lastReadOK; }
      }
   };
   const CoreApplication = {
      statics: {
         ensureMinimumVersion(major, minor, release) {
            world.minimumVersion = [major, minor, release];
         },
         /* The event loop runs: a test's world.onEvents plays what the user does meanwhile. */
         processEvents() {
            world.processEvents += 1;
            if (world.onEvents) {
               world.onEvents();
            }
         },
         get versionMajor() { return 1; },
         get versionMinor() { return 9; },
         get versionRelease() { return 4; },
         get platform() { return process.platform === "win32" ? "MSWindows" : process.platform === "darwin" ? "MacOSX" : "Linux"; }
      }
   };

   /* ---- controls ---- */
   const Control = {
      init(self, a) {
         if (a[0] !== undefined && a[0] !== null && !(a[0] instanceof C.Control)) {
            throw new Error("PJSR: a control's parent must be a Control");
         }
         Object.assign(S(self), { updates: 0, enabled: true, visible: true, width: 480, height: 360, parent: a[0] || null });
         world.controls.push(self);
      },
      proto: {
         get parent() { return S(this).parent; },
         /* the Dialog a control belongs to (what a handler's this.dialog reads) */
         get dialog() {
            for (let c = this; c; c = S(c).parent) {
               if (c instanceof C.Dialog) {
                  return c;
               }
            }
            return null;
         },
         get font() { return S(this).font || new C.Font(); },
         set font(f) { S(this).font = f; },
         get enabled() { return S(this).enabled; },
         set enabled(v) { S(this).enabled = Boolean(v); },
         get width() { return S(this).width; },
         get height() { return S(this).height; },
         update() { S(this).updates += 1; },
         repaint() { S(this).updates += 1; }
      }
   };
   /* A font 7 pixels per character wide (what aligned labels measure with). */
   const Font = { proto: { width(text) { return 7 * String(text).length; } } };
   const Dialog = {
      proto: {
         execute() {
            world.executing.push(this);
            try {
               S(this).result = 0;
               if (world.onExecute) {
                  world.onExecute(this);
               }
            } finally {
               world.executing.pop();
            }
            if (this.onHide) {
               this.onHide();
            }
            return S(this).result;
         },
         ok() { S(this).result = 1; },
         cancel() { S(this).result = 0; },
         /* The New Instance triangle: PixInsight makes an icon of the Parameters set now. */
         newInstance() { world.newInstances.push(new Map(world.parameters)); }
      },
      statics: {
         browseScriptDocumentation(name) { world.documentation.push(name); return world.documentationInstalled; }
      }
   };

   /* Process-instance parameters; PixInsight keeps them as text (Parameters.get returns a string). */
   const Parameters = {
      statics: {
         set(id, value) {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(id)) {
               throw new Error(`PJSR: invalid parameter id '${id}'`);
            }
            world.parameters.set(id, String(value));
         },
         get(id) {
            if (!world.parameters.has(id)) {
               throw new Error(`shim: Parameters.get('${id}') of a parameter that is not there`);
            }
            return world.parameters.get(id);
         },
         has(id) { return world.parameters.has(id); },
         remove(id) { world.parameters.delete(id); },
         clear() { world.parameters.clear(); },
         get isGlobalTarget() { return world.instanceTarget === "global"; },
         get isViewTarget() { return world.instanceTarget === "view"; },
         get targetView() { return world.instanceTarget === "view" ? world.targetView : null; }
      }
   };

   /* File dialogs answer with world.fileAnswers (an array of paths, a folder, or null: Cancel). */
   const OpenFileDialog = {
      proto: {
         execute() {
            const answer = world.fileAnswers.shift();
            S(this).names = answer || [];
            return Boolean(answer);
         },
         get fileNames() { return S(this).names.slice(); },
         get fileName() { return S(this).names[0] || ""; }
      }
   };
   const GetDirectoryDialog = {
      proto: {
         execute() {
            const answer = world.fileAnswers.shift();
            S(this).dir = answer || "";
            return Boolean(answer);
         },
         get directory() { return S(this).dir; }
      }
   };
   const SectionBar = {
      init(self, a) { Object.assign(S(self), { title: a[1] || "", section: null, collapsed: false }); },
      proto: {
         title() { return S(this).title; },
         setSection(c) { S(this).section = c; },
         get section() { return S(this).section; },
         toggleSection() { S(this).collapsed = !S(this).collapsed; },
         isCollapsed() { return S(this).collapsed; }
      }
   };
   const TreeBox = {
      init(self) { S(self).nodes = []; },
      proto: {
         get numberOfChildren() { return S(this).nodes.length; },
         child(i) { return S(this).nodes[i]; },
         childIndex(node) { return S(this).nodes.indexOf(node); },
         remove(i) { S(this).nodes.splice(i, 1); },
         clear() { S(this).nodes = []; },
         get selectedNodes() { return S(this).nodes.filter((n) => n.selected); }
      }
   };
   const TreeBoxNode = {
      init(self, a) {
         Object.assign(S(self), { texts: [], tips: [] });
         self.selected = false;
         if (a[0] instanceof C.TreeBox) {
            S(a[0]).nodes.push(self);
         }
      },
      proto: {
         setText(col, text) { S(this).texts[col] = text; },
         text(col) { return S(this).texts[col] || ""; },
         setToolTip(col, text) { S(this).tips[col] = text; },
         toolTip(col) { return S(this).tips[col] || ""; }
      }
   };
   const ComboBox = {
      init(self) { Object.assign(S(self), { items: [], current: 0 }); },
      proto: {
         addItem(text) { S(this).items.push(text); },
         clear() { S(this).items = []; S(this).current = 0; },
         get numberOfItems() { return S(this).items.length; },
         itemText(i) { return S(this).items[i]; },
         get currentItem() { return S(this).current; },
         set currentItem(i) {
            if (!(i >= 0 && i < S(this).items.length)) {
               throw new Error(`ComboBox.currentItem out of range: ${i}`);
            }
            S(this).current = i;
         }
      }
   };
   /*
    * PCL ScrollBox: a frame with a viewport child (where the script paints) and scroll bars
    * whose positions stay within the ranges set; a position that changes calls its handler
    * (QAbstractSlider::valueChanged, which Qt emits for programmatic changes too).
    */
   const ScrollBox = {
      init(self) {
         Object.assign(S(self), { ranges: { h: [0, 0], v: [0, 0] }, pos: { h: 0, v: 0 } });
         S(self).viewport = new C.Control(self);
      },
      proto: {
         get viewport() { return S(this).viewport; },
         setHorizontalScrollRange(lo, hi) { S(this).ranges.h = [lo, hi]; scrollTo(this, "h", S(this).pos.h); },
         setVerticalScrollRange(lo, hi) { S(this).ranges.v = [lo, hi]; scrollTo(this, "v", S(this).pos.v); },
         get horizontalScrollPosition() { return S(this).pos.h; },
         set horizontalScrollPosition(v) { scrollTo(this, "h", v); },
         get verticalScrollPosition() { return S(this).pos.v; },
         set verticalScrollPosition(v) { scrollTo(this, "v", v); },
         get maxHorizontalScrollPosition() { return S(this).ranges.h[1]; },
         get maxVerticalScrollPosition() { return S(this).ranges.v[1]; }
      }
   };
   function scrollTo(box, axis, v) {
      const [lo, hi] = S(box).ranges[axis];
      const to = Math.min(hi, Math.max(lo, Math.round(v)));
      if (to !== S(box).pos[axis]) {
         S(box).pos[axis] = to;
         const handler = axis === "h" ? box.onHorizontalScrollPosUpdated : box.onVerticalScrollPosUpdated;
         if (handler) {
            handler.call(box, to);
         }
      }
   }
   const ViewList = {
      init(self) { S(self).current = null; },
      proto: {
         getMainViews() { S(this).views = world.windows.map((w) => w.mainView); S(this).current = null; },
         /* PCL ViewList.h: with no view selected (its "No View Selected" item) currentView is a
            null View; selecting a null View selects that item. */
         get currentView() { return S(this).current || new C.View(); },
         set currentView(v) { S(this).current = v && !v.isNull ? v : null; }
      }
   };
   const NumericEdit = {
      init(self) {
         S(self).value = 0;
         self.label = new C.Label(self);
         self.edit = new C.Edit(self);
         self.sizer = new C.HorizontalSizer();
      },
      proto: {
         setRange(lo, hi) { S(this).lo = lo; S(this).hi = hi; },
         get lowerBound() { return S(this).lo; },
         get upperBound() { return S(this).hi; },
         setPrecision(p) { S(this).precision = p; },
         setValue(v) { S(this).value = Math.min(S(this).hi, Math.max(S(this).lo, v)); },
         get value() { return S(this).value; }
      }
   };
   const NumericControl = { init(self) { self.slider = new C.HorizontalSlider(self); } };
   const Sizer = {
      init(self) { S(self).items = []; },
      proto: {
         add(item) {
            if (!(item instanceof C.Control) && !(item instanceof C.Sizer)) {
               throw new Error("PJSR: Sizer.add takes a Control or a Sizer");
            }
            S(this).items.push(item);
         }
      }
   };
   const Timer = {
      init(self, a) {
         Object.assign(S(self), { running: false });
         self.interval = a[0] === undefined ? 1 : a[0];
         self.periodic = a[1] === undefined ? true : a[1];
         world.timers.push(self);
      },
      proto: {
         start() { S(this).running = true; },
         stop() { S(this).running = false; },
         get isRunning() { return S(this).running; }
      }
   };
   const MessageBox = {
      init(self, a) { Object.assign(S(self), { text: a[0], caption: a[1], icon: a[2] }); },
      proto: {
         execute() {
            world.messages.push({ text: S(this).text, caption: S(this).caption, icon: S(this).icon });
            return world.answers.length > 0 ? world.answers.shift() : world.families.StdButton.Ok;
         }
      }
   };
   const Graphics = {
      init(self, a) {
         if (!(a[0] instanceof C.Control) && !(a[0] instanceof C.Bitmap)) {
            throw new Error("shim: Graphics paints on a Control or a Bitmap");
         }
         S(self).ops = [];
         world.graphicsOpen += 1;
      },
      proto: {
         drawBitmap(...a) {
            S(this).ops.push(["drawBitmap", a.length]);
            world.paintOps.push("drawBitmap");
            const bmp = a[a.length - 1];
            if (S(bmp).cleared) {
               throw new Error("shim: drawBitmap of a cleared Bitmap");
            }
            world.drawn.push({ x: a[0], y: a[1], width: bmp.width, height: bmp.height });
         },
         fillRect(...a) { world.paintOps.push(["fillRect", a.length]); },
         strokeCircle() { world.paintOps.push("strokeCircle"); },
         drawLine() { world.paintOps.push("drawLine"); },
         drawText() { world.paintOps.push("drawText"); },
         end() { world.graphicsOpen -= 1; }
      }
   };

   /*
    * Processes are real: startDetached spawns the program detached (it outlives the caller, as
    * in PixInsight) with HOME set to the world's home, so what it writes there is what the
    * script reads through File.homeDirectory; execute runs one and returns its exit code.
    */
   const childEnv = () => {
      const env = { ...process.env, HOME: world.homeDir, USERPROFILE: world.homeDir, TF_CPP_MIN_LOG_LEVEL: "3" };
      delete env.BGOPT_STATE_DIR;
      return env;
   };
   const ExternalProcess = {
      statics: {
         startDetached(program, args) {
            let child;
            try {
               child = spawn(program, args || [], { detached: true, stdio: "ignore", env: childEnv() });
            } catch {
               return 0;
            }
            child.on("error", () => {});
            child.unref();
            world.processes.push({ pid: child.pid || 0, program, args: (args || []).slice() });
            return child.pid || 0;
         },
         execute(program, args) {
            const r = spawnSync(program, args || [], { stdio: "ignore", env: childEnv() });
            return r.status === null ? -1 : r.status;
         }
      }
   };

   const NetworkTransfer = networkTransfer(world, fromBuffer);

   return {
      Rect, Point, ByteArray, File, FileFind, FileInfo, Parameters, OpenFileDialog, GetDirectoryDialog, SectionBar, TreeBox, TreeBoxNode, Image, Bitmap, View, ImageWindow, FITSKeyword, FileFormat,
      FileFormatInstance, AssignICCProfile, Settings, CoreApplication, Control, Font, Dialog, ComboBox, ViewList, NumericEdit,
      NumericControl, Sizer, Timer, MessageBox, Graphics, NetworkTransfer, ExternalProcess, ScrollBox
   };
}

module.exports = { behaviours };
