"use strict";
/*
 * The script starts its own worker, for real: in the strict shim, the dialog's Test connection
 * on a loopback URL where nothing answers asks, runs the command line BGX.launch built through
 * ExternalProcess.startDetached (the real `bgoptimizer serve`, detached), polls until
 * /v1/health answers and says so; the worker outlives the dialog and the next run uses it
 * without starting another; "Stop the worker on close" stops the one a session started.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { runScript, pumpUntil } = require("./script-env");
const { freePort, workerCommand, plain, startWorker } = require("./helpers");

const homes = [];
test.after(() => homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true })));

function newHome() {
   const h = fs.mkdtempSync(path.join(os.tmpdir(), "bgx-launch-home-"));
   homes.push(h);
   return h;
}

const stateFile = (home, port) => path.join(home, ".local/state/bgoptimizer", `worker-${port}.json`);

async function healthy(url) {
   try {
      return (await fetch(`${url}/v1/health`)).ok;
   } catch {
      return false;
   }
}

/* Wait until cond() holds, with the event loop running (it reaps the exited worker). */
async function waitFor(cond, seconds, what) {
   const deadline = Date.now() + seconds * 1000;
   while (!cond()) {
      assert.ok(Date.now() < deadline, `still waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
   }
}

function alive(pid) {
   try {
      process.kill(pid, 0);
      return true;
   } catch {
      return false;
   }
}

/* A session that presses Test connection with the worker program set; returns its world. */
function session(home, url, { answer, stopOnClose } = {}) {
   return runScript((d, w) => {
      if (answer !== undefined) {
         w.answers.push(answer(w));
      }
      d.urlEdit.text = url;
      d.urlEdit.onEditCompleted();
      d.launcher.programEdit.text = workerCommand();
      d.launcher.programEdit.onEditCompleted();
      d.launcher.stopCheck.onCheck(Boolean(stopOnClose));
      d.testButton.onClick();
      if (d.launcher.starting) {
         assert.match(d.workerLabel.text, /Starting the worker \(pid \d+\)/);
         pumpUntil(w, () => !d.launcher.starting, 120);
      }
      assert.match(d.workerLabel.text, /^bgoptimizer \d+\.\d+\.\d+ on /, d.workerLabel.text);
      d.closeButton.onClick();
   }, null, { homeDir: home });
}

test("a worker started by the script answers, is recorded, outlives the dialog and is reused", async () => {
   const home = newHome();
   const port = await freePort();
   const url = `http://127.0.0.1:${port}`;
   const first = session(home, url, { answer: (w) => w.families.StdButton.Yes });
   assert.equal(first.world.messages.length, 1, "asked once");
   assert.match(first.world.messages[0].text, /No worker answers at .* Start one now\?/);
   assert.match(first.world.messages[0].text, new RegExp(`serve --host 127\\.0\\.0\\.1 --port ${port}`));
   assert.equal(first.world.processes.length, 1);
   const { pid, args } = first.world.processes[0];
   assert.deepEqual(plain(args), ["serve", "--host", "127.0.0.1", "--port", String(port)]);
   const state = JSON.parse(fs.readFileSync(stateFile(home, port), "utf8"));
   assert.equal(state.pid, pid, "the worker the script started is the one recorded");
   assert.equal(state.url, url);
   try {
      assert.equal(await healthy(url), true, "left running after the dialog closed");
      const second = session(home, url);
      assert.equal(second.world.processes.length, 0, "never a second worker on the same port");
      assert.equal(second.world.messages.length, 0, "nothing to ask: it answers");
   } finally {
      process.kill(pid, "SIGTERM");
      await waitFor(() => !fs.existsSync(stateFile(home, port)), 30, "the worker's clean exit");
   }
   assert.equal(await healthy(url), false);
});

test("'Stop the worker on close' stops the worker this session started", async () => {
   const home = newHome();
   const port = await freePort();
   const url = `http://127.0.0.1:${port}`;
   const run = session(home, url, { answer: (w) => w.families.StdButton.Yes, stopOnClose: true });
   const { pid } = run.world.processes[0];
   await waitFor(() => !fs.existsSync(stateFile(home, port)) && !alive(pid), 30, "the worker to stop");
   assert.equal(await healthy(url), false);
   assert.ok(run.world.console.some((l) => l.text.includes(`stopped the worker (pid ${pid})`)));
});

test("no program set, or the user says no: nothing is started and the dialog says why", async () => {
   const home = newHome();
   const url = `http://127.0.0.1:${await freePort()}`;
   const { world } = runScript((d, w) => {
      d.urlEdit.text = url;
      d.urlEdit.onEditCompleted();
      d.testButton.onClick();
      assert.match(d.workerLabel.text, /No connection/);
      assert.match(w.messages[0].text, /Cannot reach the worker/);
      assert.ok(w.console.some((l) => /Set 'Start with'/.test(l.text)), "the console says how to let the script start one");
      assert.equal(d.launcher.starting, false);
      d.launcher.programEdit.text = "/nonexistent/bgoptimizer";
      d.launcher.programEdit.onEditCompleted();
      w.answers.push(w.families.StdButton.No);
      d.testButton.onClick();
      assert.match(w.messages[1].text, /Start one now\?/);
      assert.equal(d.workerLabel.text, `No worker at ${url}`);
      d.closeButton.onClick();
   }, null, { homeDir: home });
   assert.equal(world.processes.length, 0);
});

test("a worker that answers with an error (wrong token) is a worker: no offer, its error is shown", async () => {
   const worker = await startWorker({ token: "right-token" });
   try {
      const { world } = runScript((d, w) => {
         d.urlEdit.text = worker.url;
         d.urlEdit.onEditCompleted();
         d.tokenEdit.text = "wrong-token";
         d.tokenEdit.onEditCompleted();
         d.launcher.programEdit.text = workerCommand();
         d.launcher.programEdit.onEditCompleted();
         d.testButton.onClick();
         assert.equal(d.launcher.starting, false);
         assert.equal(w.messages.length, 1);
         assert.match(w.messages[0].text, /HTTP 401/);
         d.closeButton.onClick();
      }, null, { homeDir: newHome() });
      assert.equal(world.processes.length, 0);
   } finally {
      await worker.stop();
   }
});
