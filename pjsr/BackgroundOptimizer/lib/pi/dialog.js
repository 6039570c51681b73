/*
 * BGX.Dialog: the BackgroundOptimizer window. UI only: values live in this.values (the engine's
 * settings object), the preview in BGX.Preview, the run in BGX.Job, a batch in BGX.Batch; every
 * control's handler updates this.values and, for the stretch parameters, re-stretches the
 * preview (debounced). Controls sit under section bars (Target, Stretch, Model, Correction,
 * Worker, Batch) with aligned labels; every tooltip comes from BGX.help (the parameter table).
 * The bottom row is PixInsight's: New Instance triangle, documentation, Reset, then Execute,
 * Cancel (stops a run) and Close.
 */

BGX.STRETCH_PARAMS = ["quantile", "target", "threshold_min", "threshold_max"];

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
   /* values: the settings to start from (the saved ones, or a process icon's over them). */
   constructor(values) {
      super();
      this.values = values || BGX.settings.load();
      this.batch = null;
      this.batchFiles = [];
      this.labelWidth = this.font.width("Downscale (0 = auto):") + 8;
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
      this.buildBatch();
      this.buildTools();
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

   /* A CheckBox for the boolean option name (its text and tooltip from the table). */
   check(name) {
      const c = new CheckBox(this);
      c.text = BGX.params.entry(name).label;
      c.toolTip = BGX.help.tip(name);
      c.onCheck = (checked) => { this.values[name] = checked; };
      return c;
   }

   /* A right-aligned label of the common width, with the tooltip of what it labels (if given). */
   label(text, tip) {
      const l = new Label(this);
      l.text = text;
      l.textAlignment = TextAlignment.Right | TextAlignment.VertCenter;
      l.setFixedWidth(this.labelWidth);
      if (tip) {
         l.toolTip = tip;
      }
      return l;
   }

   /* The aligned row of option name: its table label, then its controls. */
   optionRow(name, controls) {
      return this.row(BGX.params.entry(name).label + ":", BGX.help.tip(name), controls);
   }

   /* A row: the aligned label, then the controls (stretch 100 for the first). */
   row(text, tip, controls) {
      const r = new HorizontalSizer;
      r.spacing = 4;
      r.add(this.label(text, tip));
      controls.forEach((c, i) => r.add(c, i === 0 ? 100 : 0));
      return r;
   }

   /* A ToolButton with a PixInsight resource icon. */
   tool(icon, helpName, onClick) {
      const b = new ToolButton(this);
      b.icon = this.scaledResource(icon);
      b.setScaledFixedSize(24, 24);
      b.toolTip = BGX.help.tip(helpName);
      if (onClick) {
         b.onClick = onClick;
      }
      return b;
   }

   buildViews() {
      this.targetList = new ViewList(this);
      this.targetList.getMainViews();
      this.targetList.toolTip = BGX.help.tip("targetView");
      if (!ImageWindow.activeWindow.isNull) {
         this.targetList.currentView = ImageWindow.activeWindow.mainView;
      }
      this.targetList.onViewSelected = (view) => this.selectTarget(view);
      /* PCL ViewList.h: the list's "No View Selected" item gives a null currentView: no mask. */
      this.maskList = new ViewList(this);
      this.maskList.getMainViews();
      this.maskList.toolTip = BGX.help.tip("mask");
      this.maskList.onViewSelected = () => this.selectMask();
      this.windowMaskCheck = this.check("useWindowMask");
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
            combo.toolTip = e.tip;
            combo.onItemSelected = (i) => this.setValue(e.name, e.choices[i]);
            const row = this.row(e.label + ":", e.tip, [combo]);
            this.controlsByName[e.name] = { control: combo, sizer: row, entry: e };
         } else {
            const nc = new NumericControl(this);
            nc.label.text = e.label + ":";
            nc.label.setFixedWidth(this.labelWidth);
            nc.toolTip = e.tip;
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
      this.urlEdit.toolTip = BGX.help.tip("workerUrl");
      this.urlEdit.onEditCompleted = () => { this.values.workerUrl = this.urlEdit.text.trim(); };
      this.tokenEdit = new Edit(this);
      this.tokenEdit.passwordMode = true;
      this.tokenEdit.toolTip = BGX.help.tip("token");
      this.tokenEdit.onEditCompleted = () => { this.values.token = this.tokenEdit.text.trim(); };
      this.testButton = this.button("Test connection", BGX.help.tip("testConnection"), () => this.testConnection());
      this.workerLabel = new Label(this);
      this.workerLabel.text = "Not checked";
      this.launcher = new BGX.Launcher(this, (text) => { this.workerLabel.text = text; });
      this.launcher.label.setFixedWidth(this.labelWidth);
   }

   buildRun() {
      this.replaceCheck = this.check("replaceTarget");
      this.backgroundCheck = this.check("openBackground");
      this.closeCheck = this.check("closeWhenDone");
      this.progressBar = new BGX.ProgressBar(this);
      this.stageLabel = new Label(this);
      this.stageLabel.text = "Ready";
      this.runButton = this.button("Execute", BGX.help.tip("execute"), () => this.run());
      this.runButton.icon = this.scaledResource(":/icons/power.png");
      this.cancelButton = this.button("Cancel", BGX.help.tip("cancel"), () => this.cancelRun());
      this.cancelButton.icon = this.scaledResource(":/icons/cancel.png");
      this.cancelButton.enabled = false;
      this.closeButton = this.button("Close", BGX.help.tip("close"), () => this.ok());
      this.closeButton.icon = this.scaledResource(":/icons/close.png");
   }

   /* The batch section: source, file list, output folder, format, overwrite, Run batch. */
   buildBatch() {
      const kinds = BGX.params.entry("batchSource").choices;
      this.batchSourceCombo = new ComboBox(this);
      this.batchSourceCombo.addItem("Files in the list");
      this.batchSourceCombo.addItem("All open images");
      this.batchSourceCombo.toolTip = BGX.help.tip("batchSource");
      this.batchSourceCombo.onItemSelected = (i) => { this.values.batchSource = kinds[i]; };
      this.batchTree = new TreeBox(this);
      this.batchTree.multipleSelection = true;
      this.batchTree.rootDecoration = false;
      this.batchTree.alternateRowColor = true;
      this.batchTree.numberOfColumns = 1;
      this.batchTree.headerVisible = false;
      this.batchTree.setScaledMinHeight(90);
      this.batchTree.toolTip = BGX.help.tip("batchList");
      this.batchAddButton = this.button("Add files...", BGX.help.tip("batchAdd"), () => this.addBatchFiles());
      this.batchRemoveButton = this.button("Remove", BGX.help.tip("batchRemove"), () => this.removeBatchFiles());
      this.batchClearButton = this.button("Clear", BGX.help.tip("batchClear"), () => this.setBatchFiles([]));
      this.batchDirEdit = new Edit(this);
      this.batchDirEdit.toolTip = BGX.help.tip("batchOutputDir");
      this.batchDirEdit.onEditCompleted = () => { this.values.batchOutputDir = this.batchDirEdit.text.trim(); };
      this.batchDirButton = this.tool(":/icons/select-file.png", "batchSelectDir", () => this.selectBatchDir());
      const formats = BGX.params.entry("batchFormat").choices;
      this.batchFormatCombo = new ComboBox(this);
      formats.forEach((f) => this.batchFormatCombo.addItem(f.toUpperCase()));
      this.batchFormatCombo.toolTip = BGX.help.tip("batchFormat");
      this.batchFormatCombo.onItemSelected = (i) => { this.values.batchFormat = formats[i]; };
      this.batchOverwriteCheck = this.check("batchOverwrite");
      this.batchRunButton = this.button("Run batch", BGX.help.tip("batchRun"), () => this.runBatch());
      this.batchLabel = new Label(this);
      this.batchLabel.text = "No batch run yet";
   }

   /* The bottom-left tool buttons of PixInsight's process windows. */
   buildTools() {
      const dialog = this;
      this.newInstanceButton = this.tool(":/process-interface/new-instance.png", "newInstance");
      /* the V8 scripts' idiom: export on press; `this` is the button, `this.dialog` its dialog */
      this.newInstanceButton.onMousePress = function () {
         this.hasFocus = true;
         dialog.exportInstance();
         this.pushed = false;
         this.dialog.newInstance();
      };
      this.documentationButton = this.tool(":/process-interface/browse-documentation.png", "documentation", () => this.browseDocumentation());
      this.resetButton = this.tool(":/process-interface/reset.png", "reset", () => this.reset());
   }

   /* A section bar over a body control that holds rows (Controls or Sizers). */
   section(title, rows, collapsed) {
      const body = new Control(this);
      body.sizer = new VerticalSizer;
      body.sizer.spacing = 4;
      rows.forEach((r) => body.sizer.add(r));
      const bar = new SectionBar(this, title);
      bar.setSection(body);
      if (collapsed) {
         bar.toggleSection();
      }
      const out = new VerticalSizer;
      out.spacing = 2;
      out.add(bar);
      out.add(body);
      return out;
   }

   /* Rows of the table's parameters of one section, in table order. */
   parameterRows(sectionName) {
      return Object.keys(this.controlsByName).map((n) => this.controlsByName[n])
         .filter((c) => c.entry.section === sectionName).map((c) => c.sizer);
   }

   layout() {
      const checks = new HorizontalSizer;
      checks.spacing = 6;
      checks.addSpacing(this.labelWidth + 4);
      checks.add(this.replaceCheck);
      checks.add(this.backgroundCheck);
      checks.add(this.closeCheck);
      checks.addStretch();
      const test = new HorizontalSizer;
      test.spacing = 4;
      test.addSpacing(this.labelWidth + 4);
      test.add(this.testButton);
      test.add(this.workerLabel, 100);
      const batchButtons = new VerticalSizer;
      batchButtons.spacing = 4;
      batchButtons.add(this.batchAddButton);
      batchButtons.add(this.batchRemoveButton);
      batchButtons.add(this.batchClearButton);
      batchButtons.addStretch();
      const batchRun = new HorizontalSizer;
      batchRun.spacing = 6;
      batchRun.addSpacing(this.labelWidth + 4);
      batchRun.add(this.batchOverwriteCheck);
      batchRun.addStretch();
      batchRun.add(this.batchRunButton);
      const left = new VerticalSizer;
      left.spacing = 4;
      left.add(this.section("Target", [
         this.row("Target:", this.targetList.toolTip, [this.targetList]),
         this.row("Mask:", this.maskList.toolTip, [this.maskList, this.windowMaskCheck])
      ]));
      left.add(this.section("Stretch", this.parameterRows("Stretch")));
      left.add(this.section("Model", this.parameterRows("Model")));
      left.add(this.section("Correction", this.parameterRows("Correction").concat([checks])));
      left.add(this.section("Worker", [
         this.optionRow("workerUrl", [this.urlEdit]),
         this.optionRow("token", [this.tokenEdit]),
         this.launcher.sizer,
         test
      ]));
      left.add(this.section("Batch", [
         this.optionRow("batchSource", [this.batchSourceCombo]),
         this.row("Files:", this.batchTree.toolTip, [this.batchTree, batchButtons]),
         this.optionRow("batchOutputDir", [this.batchDirEdit, this.batchDirButton]),
         this.optionRow("batchFormat", [this.batchFormatCombo]),
         batchRun,
         this.batchLabel
      ], true));
      left.addStretch();
      const right = new VerticalSizer;
      right.spacing = 4;
      right.add(this.previewControl, 100);
      right.add(this.previewBar.sizer);
      const middle = new HorizontalSizer;
      middle.spacing = 8;
      middle.add(left);
      middle.add(right, 100);
      const buttons = new HorizontalSizer;
      buttons.spacing = 6;
      buttons.add(this.newInstanceButton);
      buttons.add(this.documentationButton);
      buttons.add(this.resetButton);
      buttons.addStretch();
      buttons.add(this.runButton);
      buttons.add(this.cancelButton);
      buttons.add(this.closeButton);
      this.sizer = new VerticalSizer;
      this.sizer.margin = 8;
      this.sizer.spacing = 6;
      this.sizer.add(middle, 100);
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
      this.batchSourceCombo.currentItem = BGX.params.entry("batchSource").choices.indexOf(this.values.batchSource);
      this.batchDirEdit.text = this.values.batchOutputDir;
      this.batchFormatCombo.currentItem = BGX.params.entry("batchFormat").choices.indexOf(this.values.batchFormat);
      this.batchOverwriteCheck.checked = this.values.batchOverwrite;
      this.windowMaskCheck.checked = this.values.useWindowMask;
      this.previewBar.sync(this.values);
   }

   /* The texts being edited into this.values (an Edit commits only on Tab/Return). */
   readEdits() {
      this.values.workerUrl = this.urlEdit.text.trim();
      this.values.token = this.tokenEdit.text.trim();
      this.values.batchOutputDir = this.batchDirEdit.text.trim();
   }

   /* New Instance: the current values as the new process icon's parameters. */
   exportInstance() {
      this.readEdits();
      BGX.settings.exportInstance(this.values);
   }

   browseDocumentation() {
      if (!Dialog.browseScriptDocumentation(BGX.TITLE)) {
         (new MessageBox("<p>The documentation page is not installed in PixInsight. It is installed with the update " +
            "repository; a script folder added by hand has it as doc/" + BGX.TITLE + ".html.</p>",
            BGX.TITLE, StdIcon.Information, StdButton.Ok)).execute();
      }
   }

   setBatchFiles(paths) {
      this.batchFiles = paths;
      this.batchTree.clear();
      for (const p of paths) {
         const node = new TreeBoxNode(this.batchTree);
         node.setText(0, File.extractNameAndExtension(p));
         node.setToolTip(0, p);
      }
   }

   addBatchFiles() {
      const d = new OpenFileDialog;
      d.caption = BGX.TITLE + ": images for the batch";
      d.multipleSelections = true;
      d.filters = [["Images (XISF, FITS)", "*.xisf", "*.fits", "*.fit", "*.fts"], ["All files", "*"]];
      if (d.execute()) {
         this.setBatchFiles(this.batchFiles.concat(d.fileNames.filter((p) => this.batchFiles.indexOf(p) < 0)));
      }
   }

   removeBatchFiles() {
      const gone = this.batchTree.selectedNodes.map((n) => this.batchTree.childIndex(n));
      this.setBatchFiles(this.batchFiles.filter((p, i) => gone.indexOf(i) < 0));
   }

   selectBatchDir() {
      const d = new GetDirectoryDialog;
      d.caption = BGX.TITLE + ": output folder of the batch";
      d.initialPath = this.values.batchOutputDir;
      if (d.execute()) {
         this.values.batchOutputDir = d.directory;
         this.batchDirEdit.text = d.directory;
      }
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
      this.windowMaskCheck.toolTip = BGX.help.tip("useWindowMask") + (choice.note ? " " + choice.note : "");
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
      this.readEdits();
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
         this.backgroundCheck, this.closeCheck, this.runButton, this.resetButton, this.newInstanceButton,
         this.batchSourceCombo, this.batchTree, this.batchAddButton, this.batchRemoveButton, this.batchClearButton,
         this.batchDirEdit, this.batchDirButton, this.batchFormatCombo, this.batchOverwriteCheck,
         this.batchRunButton, this.windowMaskCheck].forEach((c) => { c.enabled = !running; });
      this.launcher.enabled = !running;
      this.cancelButton.enabled = running;
   }

   run() {
      this.readEdits();
      const problem = this.runProblem();
      if (problem !== null) {
         this.showError({ message: problem, advice: "Correct it and press Execute again." });
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

   /*
    * Batch mode: every file of the list (or every open image) through the worker, one job at a
    * time, outputs to the batch folder; overall progress in the bar and the batch label.
    */
   runBatch() {
      this.readEdits();
      const inputs = BGX.Batch.inputs(this.values, this.batchFiles);
      const problems = BGX.params.validate(this.values);
      const problem = problems.length > 0 ? problems.join("; ") + "." : BGX.batch.problem(inputs, {
         source: this.values.batchSource, outputDir: this.values.batchOutputDir, format: this.values.batchFormat
      });
      if (problem !== null) {
         this.showError({ message: problem, advice: "Correct it and press Run batch again." });
         return;
      }
      if (!this.launcher.ready(this.values, () => this.runBatch())) {
         return;
      }
      if (!File.directoryExists(this.values.batchOutputDir)) {
         File.createDirectory(this.values.batchOutputDir, true);
      }
      BGX.settings.save(this.values);
      this.setRunning(true);
      this.progressBar.setFraction(0);
      this.batch = new BGX.Batch(inputs, this.values, {
         progress: (p, text) => {
            this.progressBar.setFraction(p.total > 0 ? (p.total - p.left) / p.total : 1);
            this.batchLabel.text = text;
         },
         job: (status) => { this.stageLabel.text = BGX.display.progressText(status); },
         transfer: (name, done, total) => { this.stageLabel.text = BGX.display.transferText(name, done, total); },
         finish: (batch) => this.batchFinished(batch)
      });
      this.pollTimer.start();
      this.batch.poll();
   }

   batchFinished(batch) {
      this.pollTimer.stop();
      this.setRunning(false);
      const p = BGX.batch.progress(batch.plan, Date.now());
      this.stageLabel.text = p.cancelled > 0 ? "Batch cancelled" : "Batch finished";
      this.batchLabel.text = BGX.batch.progressText(p);
   }

   poll() {
      if (this.batch !== null && this.batch.live) {
         this.batch.poll();
      } else if (this.job !== null) {
         this.job.poll();
      }
   }

   cancelRun() {
      if (this.batch !== null && this.batch.live) {
         this.stageLabel.text = "Cancelling the batch...";
         this.batch.cancel();
      } else if (this.job !== null && this.job.live) {
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
      if (this.batch !== null) {
         this.batch.close();
      }
      if (this.job !== null && this.job.live) {
         this.job.close();
      }
      this.readEdits();
      this.launcher.shutdown(this.values);
      this.previewControl.release();
      this.preview.free();
      BGX.settings.save(this.values);
      if (this.job !== null && this.job.results !== null) {
         this.job.results.windows.forEach((w) => w.bringToFront());
      }
   }
};
