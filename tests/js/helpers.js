"use strict";
/*
 * Shared test helpers: the engine loaded alone (a bare vm context, no PJSR globals: proof the
 * engine needs none), fixture paths, a synchronous sleep, and the real worker started on a
 * loopback port (`bgoptimizer` on PATH, or BGOPT_BIN).
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const vm = require("node:vm");
const net = require("node:net");
const { spawn, spawnSync } = require("node:child_process");
const { includesOf, SCRIPT_DIR } = require("./shim");

const REPO = path.resolve(__dirname, "../..");
const FIXTURES = path.join(REPO, "tests/fixtures");
const ENTRY = path.join(SCRIPT_DIR, "BackgroundOptimizer.js");
const ENGINE_FILES = includesOf(ENTRY).filter((f) => f.startsWith("lib/engine/"));
const SHARED = process.env.BGOPT_SHARED || path.resolve(REPO, "../shared");
const REAL_XISF = path.join(SHARED, "data/real/xisf/pixinsight");

/* The engine modules in a context holding nothing but the ECMAScript built-ins. */
function loadEngine() {
   const context = vm.createContext({});
   for (const rel of ENGINE_FILES) {
      const file = path.join(SCRIPT_DIR, rel);
      new vm.Script(fs.readFileSync(file, "utf8"), { filename: file }).runInContext(context);
   }
   return vm.runInContext("BGX", context);
}

/* A value from another vm context as a plain value of this one (for deepStrictEqual). */
function plain(value) {
   return JSON.parse(JSON.stringify(value));
}

function readJson(file) {
   return JSON.parse(fs.readFileSync(file, "utf8"));
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms) {
   Atomics.wait(SLEEPER, 0, 0, ms);
}

function freePort() {
   return new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on("error", reject);
      srv.listen(0, "127.0.0.1", () => {
         const { port } = srv.address();
         srv.close(() => resolve(port));
      });
   });
}

function workerCommand() {
   if (process.env.BGOPT_BIN) {
      return process.env.BGOPT_BIN;
   }
   const venv = path.join(REPO, ".venv/bin/bgoptimizer");
   const onPath = spawnSync("sh", ["-c", "command -v bgoptimizer"], { encoding: "utf8" }).stdout.trim();
   return onPath || venv;
}

/*
 * Start `bgoptimizer serve` on a free loopback port; resolves {url, stop(), dataDir, log()}
 * once GET /v1/health answers.
 */
async function startWorker(options = {}) {
   const port = await freePort();
   const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgx-worker-"));
   const args = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir];
   if (options.token) {
      args.push("--token", options.token);
   }
   let output = "";
   /* its state file goes beside its data dir, never into the user's ~/.local/state */
   const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3", BGOPT_STATE_DIR: `${dataDir}-state` };
   const child = spawn(workerCommand(), args, { stdio: ["ignore", "pipe", "pipe"], env });
   child.stdout.on("data", (d) => { output += d; });
   child.stderr.on("data", (d) => { output += d; });
   const url = `http://127.0.0.1:${port}`;
   const deadline = Date.now() + 60000;
   for (;;) {
      if (child.exitCode !== null) {
         fs.rmSync(dataDir, { recursive: true, force: true });
         fs.rmSync(`${dataDir}-state`, { recursive: true, force: true });
         throw new Error(`worker exited (${child.exitCode}):\n${output}`);
      }
      try {
         const r = await fetch(`${url}/v1/health`);
         if (r.ok) {
            break;
         }
      } catch {
         // not listening yet
      }
      if (Date.now() > deadline) {
         child.kill();
         throw new Error(`worker did not answer in 60 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
   }
   const stop = () => new Promise((resolve) => {
      const done = () => {
         fs.rmSync(dataDir, { recursive: true, force: true });
         fs.rmSync(`${dataDir}-state`, { recursive: true, force: true });
         resolve();
      };
      if (child.exitCode !== null) {
         done();
         return;
      }
      child.on("exit", done);
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10000).unref();
   });
   return { url, port, dataDir, stop, log: () => output };
}

module.exports = { REPO, FIXTURES, ENTRY, ENGINE_FILES, REAL_XISF, loadEngine, plain, readJson, sleepSync, startWorker, freePort, workerCommand };
