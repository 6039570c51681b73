/*
 * BGX.io: files on the PixInsight side. Temp XISF copies are written with FileFormatInstance
 * (the user's window is never saved or rebound), results are cloned into fresh windows named
 * <view>_background / <view>_corrected with the target's keywords and astrometric solution,
 * and temp files are removed, also stale ones from an earlier crashed run.
 */

BGX.io = {
   diskFailure(path, what) {
      return BGX.workerError({
         code: "disk",
         message: "Could not " + what + " " + path + ".",
         advice: "Free some disk space in the temp folder (" + File.systemTempDirectory + ") and check that it is writable, then run again."
      });
   },

   /* The view's image (and its window's keywords) as a 32-bit XISF at path. */
   writeTemp(view, path) {
      if (view === null || view.isNull || view.image === null) {
         throw BGX.workerError({ code: "no_view", message: "The selected view is not available.", advice: "Select an open image and run again." });
      }
      const instance = new FileFormatInstance(new FileFormat(".xisf", false, true));
      if (!instance.create(path, "")) {
         throw BGX.io.diskFailure(path, "create");
      }
      try {
         instance.keywords = view.window.keywords;
         if (!instance.writeImage(view.image)) {
            throw BGX.io.diskFailure(path, "write");
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

   /* Open an XISF result as a new window with id, detached from its (temp) file. */
   openClone(path, id, source) {
      const opened = ImageWindow.open(path, "", "", true);
      if (!opened || opened.length < 1 || opened[0].isNull) {
         throw BGX.workerError({ code: "bad_result", message: "PixInsight could not open the result " + path + ".", advice: "Check the worker's log and run again." });
      }
      const src = opened[0].mainView.image;
      const win = new ImageWindow(src.width, src.height, src.numberOfChannels, 32, true, src.isColor, id);
      win.mainView.beginProcess(UndoFlag.NoSwapFile);
      win.mainView.image.assign(src);
      win.mainView.endProcess();
      opened[0].forceClose();
      win.keywords = source.window.keywords;
      if (source.window.hasAstrometricSolution) {
         win.copyAstrometricSolution(source.window);
      }
      return win;
   },

   /*
    * Results of a finished run: new windows, shown; with replaceTarget the corrected image
    * replaces the target's pixels instead (one undoable step). Returns {background, corrected}
    * view ids (corrected is the target's id when it was replaced).
    */
   openResults(paths, target, replaceTarget) {
      const taken = (id) => !ImageWindow.windowById(id).isNull;
      const ids = BGX.naming.resultIds(target.id, taken);
      const background = BGX.io.openClone(paths.background, ids.background, target);
      background.show();
      const corrected = BGX.io.openClone(paths.corrected, ids.corrected, target);
      if (!replaceTarget) {
         corrected.show();
         return { background: background.mainView.id, corrected: corrected.mainView.id };
      }
      target.beginProcess();
      target.image.assign(corrected.mainView.image);
      target.endProcess();
      corrected.forceClose();
      return { background: background.mainView.id, corrected: target.id };
   }
};
