/*
 * BGX.Launcher: the dialog's "Start with" row, and the glue that carries out BGX.launch's
 * decisions: read the worker's state file, ask, start the worker detached (it outlives the
 * script: the next run finds it), poll /v1/health on a Timer and say so in the dialog, and on
 * close stop the worker this session started only when the user asked for that.
 *
 * ExternalProcess.startDetached / execute, File.homeDirectory / directoryExists and
 * CoreApplication.platform are in ../shared/pjsr-api (PixInsight's ExternalProcess.d.ts,
 * File.d.ts, CoreApplication.d.ts); docs/pixinsight-test-plan.md section 9 checks them.
 */

BGX.Launcher = class {
   /* dialog: the parent control; report(text): where the worker's status is shown. */
   constructor(dialog, report) {
      this.report = report;
      this.startedPid = 0;
      this.starting = false;
      this.timer = new Timer(BGX.launch.POLL_S, true);
      this.programEdit = new Edit(dialog);
      this.programEdit.toolTip = BGX.help.tip("workerProgram");
      this.programEdit.onEditCompleted = () => { dialog.values.workerProgram = this.programEdit.text.trim(); };
      this.stopCheck = new CheckBox(dialog);
      this.stopCheck.text = BGX.params.entry("stopWorkerOnClose").label;
      this.stopCheck.toolTip = BGX.help.tip("stopWorkerOnClose");
      this.stopCheck.onCheck = (checked) => { dialog.values.stopWorkerOnClose = checked; };
      /* the dialog aligns it with its other labels */
      this.label = new Label(dialog);
      this.label.text = BGX.params.entry("workerProgram").label + ":";
      this.label.textAlignment = TextAlignment.Right | TextAlignment.VertCenter;
      this.label.toolTip = this.programEdit.toolTip;
      this.sizer = new HorizontalSizer;
      this.sizer.spacing = 4;
      this.sizer.add(this.label);
      this.sizer.add(this.programEdit, 100);
      this.sizer.add(this.stopCheck);
   }

   sync(values) {
      this.programEdit.text = values.workerProgram;
      this.stopCheck.checked = values.stopWorkerOnClose;
   }

   set enabled(on) {
      this.programEdit.enabled = on;
      this.stopCheck.enabled = on;
   }

   /*
    * True when the caller may talk to the worker now (it answers, or it is not ours to start:
    * the caller's own error then tells the user). False while a worker is being started or
    * waited for: retry() runs once it answers.
    */
   ready(values, retry) {
      if (this.starting) {
         this.report("Still starting the worker...");
         return false;
      }
      let base;
      try {
         base = BGX.protocol.normaliseBaseUrl(values.workerUrl);
      } catch {
         return true;
      }
      if (!BGX.launch.isLoopback(base) || this.answers(base, values.token)) {
         return true;
      }
      return this.act(base, values, false, retry);
   }

   act(base, values, waited, retry) {
      const d = BGX.launch.decide({ base, answers: false, state: this.recorded(base), waited, programSet: values.workerProgram !== "" });
      this.report(d.message);
      if (d.action === "wait") {
         this.pollHealth(base, values.token, BGX.launch.RECORDED_WAIT_S, retry, () => this.act(base, values, true, retry));
         return false;
      }
      if (d.action !== "offer") {
         console.writeln("BackgroundOptimizer: " + d.message);  /* the caller's error box follows */
         return true;
      }
      const cmd = BGX.launch.command({
         path: values.workerProgram,
         isDirectory: File.directoryExists(values.workerProgram),
         windows: /windows/i.test(CoreApplication.platform)
      }, base, values.token);
      const ask = new MessageBox("<p>" + d.message + "</p><p><code>" + BGX.launch.display(cmd) + "</code></p>",
         BGX.TITLE, StdIcon.Question, StdButton.Yes, StdButton.No);
      if (ask.execute() !== StdButton.Yes) {
         this.report("No worker at " + base);
         return false;
      }
      const pid = ExternalProcess.startDetached(cmd.program, cmd.args);
      console.writeln("BackgroundOptimizer: started " + BGX.launch.display(cmd) + " (pid " + pid + ")");
      if (!(pid > 0)) {
         this.report("Could not start " + cmd.program);
         return true;
      }
      this.startedPid = pid;
      this.report("Starting the worker (pid " + pid + "), waiting for it to answer...");
      this.pollHealth(base, values.token, BGX.launch.START_TIMEOUT_S, retry, () => {
         this.report("The worker did not answer in " + BGX.launch.START_TIMEOUT_S + " s");
         (new MessageBox("<p>The worker started with the command below did not answer at " + base + " within " +
            BGX.launch.START_TIMEOUT_S + " s. Run it in a terminal to see why:</p><p><code>" + BGX.launch.display(cmd) +
            "</code></p>", BGX.TITLE, StdIcon.Error, StdButton.Ok)).execute();
      });
      return false;
   }

   /* Poll health every POLL_S until it answers (then retry()) or seconds pass (then late()). */
   pollHealth(base, token, seconds, retry, late) {
      const deadline = Date.now() + seconds * 1000;
      this.starting = true;
      this.timer.onTimeout = () => {
         const up = this.answers(base, token);
         if (up || Date.now() > deadline) {
            this.timer.stop();
            this.starting = false;
            if (up) {
               retry();
            } else {
               late();
            }
         }
      };
      this.timer.start();
   }

   /* Whether something answers at base: any answer (a 401 for a wrong token too) is a worker. */
   answers(base, token) {
      try {
         const h = new BGX.Http(base, token, 3).checkConnection();
         this.report("bgoptimizer " + h.version + " on " + h.device + " at " + base);
         return true;
      } catch (e) {
         return !(e.failure && e.failure.code === "unreachable");
      }
   }

   /* The state file's record for base's port, or null. */
   recorded(base) {
      const path = BGX.launch.statePath(File.homeDirectory, BGX.launch.hostPort(base).port);
      return File.exists(path) ? BGX.launch.parseState(File.readTextFile(path)) : null;
   }

   /* The dialog closes: stop waiting; stop the worker only if asked and started here. */
   shutdown(values) {
      this.timer.stop();
      this.starting = false;
      if (BGX.launch.shouldStop(this.startedPid, values.stopWorkerOnClose)) {
         const cmd = BGX.launch.stopCommand(this.startedPid, /windows/i.test(CoreApplication.platform));
         ExternalProcess.execute(cmd.program, cmd.args);
         console.writeln("BackgroundOptimizer: stopped the worker (pid " + this.startedPid + ")");
         this.startedPid = 0;
      }
   }
};
