/*
 * BGX.io: files on the PixInsight side. Temp XISF copies are written with FileFormatInstance
 * (the user's window is never saved or rebound), results are cloned into fresh windows named
 * <view>_background / <view>_corrected with the target's keywords, astrometric solution,
 * view properties and ICC profile, shown with an auto-STF, and temp files are removed, also
 * stale ones from an earlier crashed run.
 */

BGX.io = {
   diskFailure(path, what) {
      return BGX.workerError({
         code: "disk",
         message: "Could not " + what + " " + path + ".",
         advice: "Free some disk space in the temp folder (" + File.systemTempDirectory + ") and check that it is writable, then run again."
      });
   },

   /* The view's image (and its window's keywords) as a 32-bit XISF at path; inverted: an
      inverted copy (a window mask shown inverted), the view untouched. */
   writeTemp(view, path, inverted) {
      if (view === null || view.isNull || view.image === null) {
         throw BGX.workerError({ code: "no_view", message: "The selected view is not available.", advice: "Select an open image and run again." });
      }
      const instance = new FileFormatInstance(new FileFormat(".xisf", false, true));
      if (!instance.create(path, "")) {
         throw BGX.io.diskFailure(path, "create");
      }
      try {
         instance.keywords = view.window.keywords;
         const image = inverted ? new Image(view.image) : view.image;
         try {
            if (inverted) {
               image.invert();
            }
            if (!instance.writeImage(image)) {
               throw BGX.io.diskFailure(path, "write");
            }
         } finally {
            if (inverted) {
               image.free();
            }
         }
      } finally {
         instance.close();
      }
   },

   removeFiles(paths) {
      for (const p of paths) {
         if (p && File.exists(p)) {
            File.remove(p);
         }
      }
   },

   /* Temp files of earlier runs that did not clean up (crash, killed PixInsight). */
   removeStale(dir) {
      const find = new FileFind;
      const stale = [];
      if (find.begin(dir + "/bgx_*")) {
         do {
            if (find.isFile && BGX.naming.isStale(find.name)) {
               stale.push(dir + "/" + find.name);
            }
         } while (find.next());
      }
      find.end();
      BGX.io.removeFiles(stale);
   },

   /* The pixels of an XISF file as an Image the caller owns (free() it), the file untouched. */
   readImage(path) {
      const opened = ImageWindow.open(path, "", "", true);
      if (!opened || opened.length < 1 || opened[0].isNull) {
         throw BGX.workerError({ code: "bad_result", message: "PixInsight could not open the result " + path + ".", advice: "Check the worker's log and run again." });
      }
      const image = new Image(opened[0].mainView.image);
      opened[0].forceClose();
      return image;
   },

   /* The target's keywords, astrometric solution and other view properties onto win. */
   copyMetadata(win, source) {
      win.keywords = source.window.keywords;
      if (source.window.hasAstrometricSolution) {
         win.copyAstrometricSolution(source.window);
      }
      for (const id of source.properties.filter(BGX.naming.copiedProperty)) {
         try {
            win.mainView.setPropertyValue(id, source.propertyValue(id), source.propertyType(id), source.propertyAttributes(id));
         } catch (e) {
            console.warningln("<end><cbr>" + BGX.TITLE + ": property " + id + " not copied: " + (e && e.message ? e.message : String(e)));
         }
      }
   },

   /* The ICC profile stored in the image file at path (a Uint8Array), null when it has none
      or its format stores none. Reads the file's header only, never its pixels. */
   fileIccProfile(path) {
      const format = new FileFormat(File.extractExtension(path), true, false);
      if (!format.canStoreICCProfiles) {
         return null;
      }
      const file = new FileFormatInstance(format);
      try {
         const images = file.open(path, "");
         if (!images || images.length < 1) {
            return null;
         }
         const icc = file.iccProfile;
         return icc && icc.length > 0 ? icc.toUint8Array() : null;
      } finally {
         file.close();
      }
   },

   /*
    * The description of window's ICC profile ({description}), or {note} saying why there is
    * none. No documented member reads a window's profile, so it comes from the window's file,
    * and only while the window is unmodified (a changed window may have another profile).
    */
   windowIccProfile(window) {
      const path = window.filePath;
      if (!path || window.isModified || !File.exists(path)) {
         return { note: "the target has no file or was changed since it was opened, so its ICC profile is unknown and the results get none." };
      }
      let bytes;
      try {
         bytes = BGX.io.fileIccProfile(path);
      } catch (e) {
         return { note: "the ICC profile of " + path + " could not be read (" + (e && e.message ? e.message : String(e)) + "); the results get none." };
      }
      if (bytes === null) {
         return { note: "the target's file holds no ICC profile, so the results get none." };
      }
      const description = BGX.iccProfile.description(bytes);
      return description === null ?
         { note: "the target's ICC profile has no readable description, so the results get none." } :
         { description: description };
   },

   /*
    * A function giving each result window the target's ICC profile, by AssignICCProfile (it
    * finds an installed profile by its description). The target's file is read on the first
    * call; there is one console line when there is no profile to give or it cannot be assigned.
    */
   iccProfileCopier(target) {
      let profile = null;
      return (win) => {
         if (profile === null) {
            profile = BGX.io.windowIccProfile(target.window);
            if (profile.note) {
               console.noteln("<end><cbr>" + BGX.TITLE + ": " + profile.note);
            }
         }
         if (!profile.description) {
            return;
         }
         const assign = new AssignICCProfile;
         assign.targetProfile = profile.description;
         assign.mode = AssignICCProfile.AssignNewProfile;
         let failure = null;
         try {
            if (!assign.executeOn(win.mainView)) {
               failure = "AssignICCProfile failed";
            }
         } catch (e) {
            failure = e && e.message ? e.message : String(e);
         }
         if (failure !== null) {
            console.warningln("<end><cbr>" + BGX.TITLE + ": the target's ICC profile '" + profile.description +
               "' could not be assigned to the results (" + failure + "; is it installed here?); they have none.");
            profile = {};
         }
      };
   },

   /* Auto-STF from native statistics (no pixel copy), fit to the window. */
   present(win) {
      const image = win.mainView.image;
      const medians = [];
      const mads = [];
      for (let c = 0; c < image.numberOfChannels; ++c) {
         medians.push(image.median(image.bounds, c, c));
         mads.push(image.MAD(medians[c], image.bounds, c, c));
      }
      win.mainView.stf = BGX.display.autoStf(medians, mads);
      win.show();
      win.zoomToFit();
   },

   /*
    * A batch result: the corrected image (XISF at path) with the source's metadata, saved as
    * output in the format its extension names. It is written under a .part name and renamed,
    * so an output that exists is complete (a rerun skips it). Returns the open() result of
    * BGX.Job: {background: null, corrected: output, windows: []}.
    */
   saveResult(path, source, output) {
      const part = BGX.batch.partPath(output);
      const taken = (id) => !ImageWindow.windowById(id).isNull;
      const win = BGX.io.openClone(path, BGX.naming.uniqueId(BGX.batch.baseName(output), taken), source);
      try {
         BGX.io.removeFiles([part]);
         /* no format dialog, no message boxes, not strict, no overwrite question */
         if (!win.saveAs(part, false, false, false, false)) {
            throw BGX.io.diskFailure(part, "write");
         }
      } finally {
         win.forceClose();
      }
      BGX.io.removeFiles([output]);
      File.move(part, output);
      return { background: null, corrected: output, windows: [] };
   },

   /* Open an XISF result as a new window with id, detached from its (temp) file. */
   openClone(path, id, source) {
      const src = BGX.io.readImage(path);
      const win = new ImageWindow(src.width, src.height, src.numberOfChannels, 32, true, src.isColor, id);
      win.mainView.beginProcess(UndoFlag.NoSwapFile);
      win.mainView.image.assign(src);
      win.mainView.endProcess();
      src.free();
      BGX.io.copyMetadata(win, source);
      return win;
   },

   /*
    * Results of a finished run: new windows with an auto-STF, fit to window (the background
    * model only with values.openBackground); with values.replaceTarget the corrected image
    * replaces the target's pixels instead (one undoable step). Returns {background, corrected,
    * windows}: view ids (background null when not opened; corrected is the target's id when
    * replaced) and the windows to bring to the front once the dialog has closed.
    */
   openResults(paths, target, values) {
      const taken = (id) => !ImageWindow.windowById(id).isNull;
      const ids = BGX.naming.resultIds(target.id, taken);
      const out = { background: null, corrected: target.id, windows: [] };
      const copyIccProfile = BGX.io.iccProfileCopier(target);
      if (values.openBackground !== false) {
         const background = BGX.io.openClone(paths.background, ids.background, target);
         copyIccProfile(background);
         BGX.io.present(background);
         out.background = background.mainView.id;
         out.windows.push(background);
      }
      const corrected = BGX.io.openClone(paths.corrected, ids.corrected, target);
      if (values.replaceTarget !== true) {
         copyIccProfile(corrected);
         BGX.io.present(corrected);
         out.corrected = corrected.mainView.id;
         out.windows.push(corrected);
         return out;
      }
      target.beginProcess();
      target.image.assign(corrected.mainView.image);
      target.endProcess();
      corrected.forceClose();
      out.windows.push(target.window);
      return out;
   }
};
