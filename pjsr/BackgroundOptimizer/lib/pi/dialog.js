/*
 * BGX.Dialog: the BackgroundOptimizer window. UI only: values live in this.values (the engine's
 * settings object), the preview in BGX.Preview, the run in BGX.Job; every control's handler
 * updates this.values and, for the stretch parameters, re-stretches the preview (debounced).
 */

BGX.STRETCH_PARAMS = ["quantile", "target", "threshold_min", "threshold_max"];
BGX.WINDOW_MASK_TIP = "Use the target window's own mask (as it is shown: enabled, inverted or not) instead of the Mask list";

/* A thin progress bar: there is no ProgressBar class in PJSR. */
BGX.ProgressBar = class extends Control {
   constructor(parent) {
      super(parent);
      this.fraction = 0;
      this.setScaledMinSize(200, 12);
      this.onPaint = () => {
         const g = new Graphics(this);
         try {
            g.fillRect(0, 0, this.width, this.height, new Brush(0xff303030));
            g.fillRect(0, 0, Math.round(this.width * this.fraction), this.height, new Brush(0xff3a7bd5));
         } finally {
            g.end();
         }
      };
   }

   setFraction(f) {
      this.fraction = Math.min(1, Math.max(0, f));
      this.update();
   }
};

BGX.Dialog = class extends Dialog {
   constructor() {
      super();
      this.values = BGX.settings.load();
      this.preview = new BGX.Preview;
      this.job = null;
      this.windowTitle = BGX.TITLE + " " + BGX.VERSION;
      this.userResizable = true;
      this.controlsByName = {};

      this.restretchTimer = new Timer(0.15, false);
      this.restretchTimer.onTimeout = () => this.restretch();
      this.pollTimer = new Timer(1.0, true);
      this.pollTimer.onTimeout = () => this.poll();

      this.buildViews();
      this.previewControl = new BGX.PreviewControl(this, this.preview);
      this.previewBar = BGX.previewToolbar(this);
      this.buildParameters();
      this.buildWorker();
      this.buildRun();
      this.layout();
      this.onHide = () => this.shutdown();
      this.syncControls();
      this.selectTarget(this.targetList.currentView);
   }

   button(text, tip, onClick) {
      const b = new PushButton(this);
      b.text = text;
      b.toolTip = tip;
      b.onClick = onClick;
      return b;
   }

   check(text, tip, name) {
      const c = new CheckBox(this);
      c.text = text;
      c.toolTip = tip;
      c.onCheck = (checked) => { this.values[name] = checked; };
      return c;
   }

   label(text) {
      const l = new Label(this);
      l.text = text;
      l.textAlignment = TextAlignment.Right | TextAlignment.VertCenter;
      return l;
   }

   buildViews() {
      this.targetList = new ViewList(this);
      this.targetList.getMainViews();
      this.targetList.toolTip = "The linear image to model";
      if (!ImageWindow.activeWindow.isNull) {
         this.targetList.currentView = ImageWindow.activeWindow.mainView;
      }
      this.targetList.onViewSelected = (view) => this.selectTarget(view);
      /* PCL ViewList.h: the list's "No View Selected" item gives a null currentView: no mask. */
      this.maskList = new ViewList(this);
      this.maskList.getMainViews();
      this.maskList.toolTip = "Optional mask: pixels where it is below 0.5 are left out of the fit (No View Selected: none)";
      this.maskList.onViewSelected = () => this.selectMask();
      this.windowMaskCheck = this.check("Use the window's mask", BGX.WINDOW_MASK_TIP, "useWindowMask");
      this.windowMaskCheck.onCheck = (checked) => { this.values.useWindowMask = checked; this.selectMask(); };
   }

   /* One control per visible fit parameter: NumericControl for numbers, ComboBox for choices. */
   buildParameters() {
      for (const e of BGX.params.TABLE) {
         if (!e.ui) {
            continue;
         }
         if (e.choices) {
            const combo = new ComboBox(this);
            e.choices.forEach((c) => combo.addItem(c));
            combo.onItemSelected = (i) => this.setValue(e.name, e.choices[i]);
            const row = new HorizontalSizer;
            row.spacing = 4;
            row.add(this.label(e.label + ":"));
            row.add(combo, 100);
            this.controlsByName[e.name] = { control: combo, sizer: row, entry: e };
         } else {
            const nc = new NumericControl(this);
            nc.label.text = e.label + ":";
            nc.setRange(e.exclusiveMin ? e.min + Math.pow(10, -(e.precision || 0)) : e.min, e.max);
            nc.slider.setRange(0, 1000);
            nc.setPrecision(e.type === "int" ? 0 : e.precision || 3);
            nc.onValueUpdated = (v) => this.setValue(e.name, e.type === "int" ? Math.round(v) : v);
            this.controlsByName[e.name] = { control: nc, sizer: nc, entry: e };
         }
      }
   }

   buildWorker() {
      this.urlEdit = new Edit(this);
      this.urlEdit.toolTip = "Worker address, e.g. " + BGX.protocol.DEFAULT_URL;
      this.urlEdit.onEditCompleted = () => { this.values.workerUrl = this.urlEdit.text.trim(); };
      this.tokenEdit = new Edit(this);
      this.tokenEdit.passwordMode = true;
      this.tokenEdit.toolTip = "The worker's token (--token / BGOPT_TOKEN); empty if it has none";
      this.tokenEdit.onEditCompleted = () => { this.values.token = this.tokenEdit.text.trim(); };
      this.testButton = this.button("Test connection", "Ask the worker for its version and device", () => this.testConnection());
      this.workerLabel = new Label(this);
      this.workerLabel.text = "Not checked";
      this.launcher = new BGX.Launcher(this, (text) => { this.workerLabel.text = text; });
   }

   buildRun() {
      this.replaceCheck = new CheckBox(this);
      this.replaceCheck.text = "Replace target";
      this.replaceCheck.toolTip = "Write the corrected image into the target view (undoable) instead of a new window";
      this.replaceCheck.onCheck = (checked) => { this.values.replaceTarget = checked; };
      this.backgroundCheck = this.check("Open background model", "Open the fitted background model as a window too (untick to discard it, like ABE/DBE)", "openBackground");
      this.closeCheck = this.check("Close when done", "Close this dialog once the results are open", "closeWhenDone");
      this.progressBar = new BGX.ProgressBar(this);
      this.stageLabel = new Label(this);
      this.stageLabel.text = "Ready";
      this.runButton = this.button("Run", "Send the image to the worker and fit the background", () => this.run());
      this.cancelButton = this.button("Cancel", "Stop the running fit", () => this.cancelRun());
      this.cancelButton.enabled = false;
      this.resetButton = this.button("Reset", "Restore every parameter to its default", () => this.reset());
      this.closeButton = this.button("Close", "Close the dialog", () => this.ok());
   }

   layout() {
      const views = new HorizontalSizer;
      views.spacing = 6;
      views.add(this.label("Target:"));
      views.add(this.targetList, 100);
      views.add(this.label("Mask:"));
      views.add(this.maskList, 100);
      views.add(this.windowMaskCheck);
      const params = new VerticalSizer;
      params.spacing = 4;
      for (const name of Object.keys(this.controlsByName)) {
         params.add(this.controlsByName[name].sizer);
      }
      const worker = new HorizontalSizer;
      worker.spacing = 4;
      worker.add(this.label("Worker:"));
      worker.add(this.urlEdit, 100);
      worker.add(this.label("Token:"));
      worker.add(this.tokenEdit, 50);
      worker.add(this.testButton);
      const buttons = new HorizontalSizer;
      buttons.spacing = 6;
      buttons.add(this.replaceCheck);
      buttons.add(this.backgroundCheck);
      buttons.add(this.closeCheck);
      buttons.addStretch();
      buttons.add(this.resetButton);
      buttons.add(this.runButton);
      buttons.add(this.cancelButton);
      buttons.add(this.closeButton);
      const left = new VerticalSizer;
      left.spacing = 4;
      left.add(params);
      left.addStretch();
      const right = new VerticalSizer;
      right.spacing = 4;
      right.add(this.previewControl, 100);
      right.add(this.previewBar.sizer);
      const middle = new HorizontalSizer;
      middle.spacing = 8;
      middle.add(left);
      middle.add(right, 100);
      this.sizer = new VerticalSizer;
      this.sizer.margin = 8;
      this.sizer.spacing = 6;
      this.sizer.add(views);
      this.sizer.add(middle, 100);
      this.sizer.add(worker);
      this.sizer.add(this.launcher.sizer);
      this.sizer.add(this.workerLabel);
      this.sizer.add(this.progressBar);
      this.sizer.add(this.stageLabel);
      this.sizer.add(buttons);
      this.adjustToContents();
   }

   /* Show this.values in the controls. */
   syncControls() {
      for (const name of Object.keys(this.controlsByName)) {
         const c = this.controlsByName[name];
         if (c.entry.choices) {
            c.control.currentItem = Math.max(0, c.entry.choices.indexOf(this.values[name]));
         } else {
            c.control.setValue(this.values[name]);
         }
      }
      this.urlEdit.text = this.values.workerUrl;
      this.tokenEdit.text = this.values.token;
      this.launcher.sync(this.values);
      this.replaceCheck.checked = this.values.replaceTarget;
      this.backgroundCheck.checked = this.values.openBackground;
      this.closeCheck.checked = this.values.closeWhenDone;
      this.windowMaskCheck.checked = this.values.useWindowMask;
      this.previewBar.sync(this.values);
   }

   setValue(name, value) {
      this.values[name] = value;
      if (BGX.STRETCH_PARAMS.indexOf(name) >= 0) {
         this.restretchTimer.stop();
         this.restretchTimer.start();
      }
   }

   selectTarget(view) {
      this.target = view && !view.isNull ? view : null;
      this.preview.setSource(this.target);
      this.selectMask();
   }

   /* Which mask the run uses (BGX.display.chooseMask): the window's own or the list's. */
   get maskChoice() {
      const listed = this.maskList.currentView;
      const win = BGX.windowMask(this.target);
      const choice = BGX.display.chooseMask(this.values.useWindowMask, win, listed !== null && !listed.isNull);
      choice.view = choice.source === "window" ? win.view : choice.source === "list" ? listed : null;
      return choice;
   }

   /* The mask view, or null (the list's "No View Selected" item; no active window mask). */
   get mask() {
      return this.maskChoice.view;
   }

   selectMask() {
      const choice = this.maskChoice;
      this.preview.setMask(choice.view, choice.inverted);
      this.windowMaskCheck.toolTip = BGX.WINDOW_MASK_TIP + (choice.note ? ". " + choice.note : "");
      this.restretch();
   }

   restretch() {
      try {
         this.preview.restretch(this.values);
      } catch (e) {
         this.stageLabel.text = "Preview: " + (e && e.message ? e.message : String(e));
      }
      this.previewControl.refresh();
   }

   showError(failure) {
      const box = new MessageBox("<p>" + failure.message + "</p><p>" + failure.advice + "</p>",
         BGX.TITLE, StdIcon.Error, StdButton.Ok);
      box.execute();
   }

   testConnection() {
      this.values.workerUrl = this.urlEdit.text.trim();
      this.values.token = this.tokenEdit.text.trim();
      if (!this.launcher.ready(this.values, () => this.testConnection())) {
         return;
      }
      try {
         const h = new BGX.Http(this.values.workerUrl, this.values.token, 10).checkConnection();
         this.workerLabel.text = "bgoptimizer " + h.version + " on " + h.device + (h.tensorflow ? " (TensorFlow " + h.tensorflow + ")" : "") + (h.busy ? ", busy" : "");
      } catch (e) {
         this.workerLabel.text = "No connection";
         this.showError(BGX.Job.failureOf(e));
      }
   }

   /* What is wrong with the run request, or null. */
   runProblem() {
      if (this.target === null) {
         return "Select a target image.";
      }
      const problems = BGX.params.validate(this.values);
      if (problems.length > 0) {
         return problems.join("; ") + ".";
      }
      const mask = this.mask;
      if (mask !== null) {
         if (mask.image.width !== this.target.image.width || mask.image.height !== this.target.image.height) {
            return "The mask must have the same width and height as the target.";
         }
      }
      return null;
   }

   setRunning(running) {
      for (const name of Object.keys(this.controlsByName)) {
         this.controlsByName[name].control.enabled = !running;
      }
      [this.targetList, this.maskList, this.urlEdit, this.tokenEdit, this.testButton, this.replaceCheck,
         this.backgroundCheck, this.closeCheck, this.runButton, this.resetButton, this.windowMaskCheck].forEach((c) => { c.enabled = !running; });
      this.launcher.enabled = !running;
      this.cancelButton.enabled = running;
   }

   run() {
      this.values.workerUrl = this.urlEdit.text.trim();
      this.values.token = this.tokenEdit.text.trim();
      const problem = this.runProblem();
      if (problem !== null) {
         this.showError({ message: problem, advice: "Correct it and press Run again." });
         return;
      }
      if (!this.launcher.ready(this.values, () => this.run())) {
         return;
      }
      BGX.settings.save(this.values);
      this.selectMask();
      const stretch = this.preview.stretch;
      const maskInverted = this.maskChoice.inverted;
      this.preview.startRun();
      this.progressBar.setFraction(0);
      this.stageLabel.text = "Sending the image to the worker...";
      this.setRunning(true);
      CoreApplication.processEvents();
      this.job = new BGX.Job(this.target, this.mask, this.values, {
         progress: (status) => {
            this.progressBar.setFraction(status.progress);
            this.stageLabel.text = BGX.display.progressText(status);
         },
         transfer: (name, done, total) => {
            this.progressBar.setFraction(total > 0 ? done / total : 0);
            this.stageLabel.text = BGX.display.transferText(name, done, total);
         },
         preview: (path) => {
            this.preview.showFile(path);
            this.previewControl.refresh();
         },
         objects: (path) => this.preview.setObjects(path),
         finish: (state, failure, job) => this.finished(state, failure, job)
      }, stretch);
      this.job.maskInverted = maskInverted;
      this.job.start();
      if (this.job.live) {
         this.pollTimer.start();
      }
   }

   poll() {
      if (this.job !== null) {
         this.job.poll();
      }
   }

   cancelRun() {
      if (this.job !== null && this.job.live) {
         this.stageLabel.text = "Cancelling...";
         this.job.cancel();
      }
   }

   finished(state, failure, job) {
      this.pollTimer.stop();
      this.setRunning(false);
      if (state === "done") {
         this.progressBar.setFraction(1);
         this.stageLabel.text = "Done: " + [job.results.background, job.results.corrected].filter((id) => id !== null).join(", ");
         this.preview.setSamples(job.report && job.report.samples);
         this.preview.setResults(job.results);
         this.restretch();
         if (this.values.closeWhenDone) {
            this.ok();
         }
      } else if (state === "cancelled") {
         this.stageLabel.text = "Cancelled";
         this.preview.showOriginal();
         this.restretch();
      } else {
         this.stageLabel.text = "Failed";
         this.preview.showOriginal();
         this.restretch();
         this.showError(failure);
      }
   }

   reset() {
      BGX.settings.clear();
      this.values = BGX.params.defaults();
      this.syncControls();
      this.selectMask();
   }

   /*
    * Every exit path: stop timers, end a live job (deleted on the worker; its flow removes the
    * temp files), free the bitmaps, save, and bring the results (opened behind this modal
    * dialog) to the front.
    */
   shutdown() {
      this.restretchTimer.stop();
      this.pollTimer.stop();
      if (this.job !== null && this.job.live) {
         this.job.close();
      }
      this.launcher.shutdown(this.values);
      this.previewControl.release();
      this.preview.free();
      BGX.settings.save(this.values);
      if (this.job !== null && this.job.results !== null) {
         this.job.results.windows.forEach((w) => w.bringToFront());
      }
   }
};
