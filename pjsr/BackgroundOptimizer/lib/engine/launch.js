/*
 * BGX.launch: when and how the script starts a local worker itself, as pure functions. A
 * worker is started only when the URL is on loopback, nothing answers there, no live worker is
 * recorded for that port (the worker's state file, ~/.local/state/bgoptimizer/worker-<port>.json,
 * written by `bgoptimizer serve`) and the user agreed; it is left running unless the user asked
 * otherwise. lib/pi/launcher.js carries the decisions out.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.launch = (function () {
   "use strict";

   var STATE_DIR = "/.local/state/bgoptimizer";
   var START_TIMEOUT_S = 90;   /* a cold start imports FastAPI and TensorFlow: ~10 s on 2 cores */
   var RECORDED_WAIT_S = 15;   /* a recorded worker that does not answer yet may still be starting */
   var POLL_S = 0.5;

   /* {host, port} of a base URL from BGX.protocol.normaliseBaseUrl. */
   function hostPort(base) {
      var m = /^(https?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?/i.exec(base);
      if (m === null) {
         throw new Error("Invalid worker URL '" + base + "'");
      }
      var port = m[3] !== undefined ? Number(m[3]) : (m[1].toLowerCase() === "https" ? 443 : 80);
      return { host: m[2].replace(/^\[|\]$/g, "").toLowerCase(), port: port };
   }

   /* Only a worker on this machine can be started by the script. */
   function isLoopback(base) {
      var host = hostPort(base).host;
      return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
   }

   function statePath(homeDir, port) {
      return String(homeDir).replace(/[\\/]+$/, "") + STATE_DIR + "/worker-" + port + ".json";
   }

   /* The state file's record {url, pid, version, ...}, or null when it is not a valid one. */
   function parseState(text) {
      var s;
      try {
         s = JSON.parse(text);
      } catch (e) {
         return null;
      }
      if (s === null || typeof s !== "object" || typeof s.url !== "string" || typeof s.version !== "string" ||
         typeof s.pid !== "number" || !(s.pid > 0) || Math.floor(s.pid) !== s.pid) {
         return null;
      }
      return s;
   }

   /*
    * The program and arguments that start a worker for base. setup = {path, isDirectory,
    * windows}: path is the `bgoptimizer` program, or a Python environment's folder (then its
    * python runs `-m bgoptimizer`). The token, when set, is the worker's too.
    */
   function command(setup, base, token) {
      var path = String(setup.path || "").trim();
      if (path === "") {
         throw new Error("No worker program set");
      }
      var hp = hostPort(base);
      var serve = ["serve", "--host", hp.host, "--port", String(hp.port)];
      if (token) {
         serve.push("--token", token);
      }
      if (!setup.isDirectory) {
         return { program: path, args: serve };
      }
      var root = path.replace(/[\\/]+$/, "");
      var python = setup.windows ? root + "\\Scripts\\python.exe" : root + "/bin/python";
      return { program: python, args: ["-m", "bgoptimizer"].concat(serve) };
   }

   /* The command line as a user would type it (shown in the dialog and the console). */
   function display(cmd) {
      return [cmd.program].concat(cmd.args).map(function (a) {
         return /^[A-Za-z0-9_.:/\\=+-]+$/.test(a) ? a : "\"" + a.replace(/"/g, "\\\"") + "\"";
      }).join(" ");
   }

   /*
    * What to do about the worker at base. facts = {base, answers (health answered), state
    * (parseState's record for base's port, or null), waited (a recorded worker was already
    * given RECORDED_WAIT_S), programSet}. Returns {action, message}, action one of:
    * "use" | "remote" (not ours to start) | "wait" (a worker is recorded for this port) |
    * "configure" (no program set) | "offer" (ask the user, then start).
    */
   function decide(facts) {
      var base = facts.base;
      if (facts.answers) {
         return { action: "use", message: "Worker at " + base };
      }
      if (!isLoopback(base)) {
         return { action: "remote", message: "Nothing answers at " + base + "; start the worker on that machine." };
      }
      var port = hostPort(base).port;
      if (facts.state !== null && !facts.waited) {
         return {
            action: "wait",
            message: "A worker (pid " + facts.state.pid + ", " + facts.state.version + ") is recorded on port " + port +
               "; waiting for it to answer..."
         };
      }
      var stale = facts.state !== null ? " The worker recorded on port " + port + " (pid " + facts.state.pid +
         ") does not answer: it has stopped, or it hangs (then end it first)." : "";
      if (!facts.programSet) {
         return {
            action: "configure",
            message: "Nothing answers at " + base + "." + stale + " Set 'Start with' to the bgoptimizer program or its " +
               "Python environment, and the script starts the worker itself."
         };
      }
      return { action: "offer", message: "No worker answers at " + base + "." + stale + " Start one now?" };
   }

   /* Stop the worker on close only when the user asked and this session started it. */
   function shouldStop(startedPid, stopOnClose) {
      return Boolean(stopOnClose) && typeof startedPid === "number" && startedPid > 0;
   }

   /* The command that ends process pid (SIGTERM: the worker removes its state file). */
   function stopCommand(pid, windows) {
      return windows ? { program: "taskkill", args: ["/PID", String(pid), "/T", "/F"] } :
         { program: "kill", args: ["-TERM", String(pid)] };
   }

   return {
      START_TIMEOUT_S: START_TIMEOUT_S,
      RECORDED_WAIT_S: RECORDED_WAIT_S,
      POLL_S: POLL_S,
      hostPort: hostPort,
      isLoopback: isLoopback,
      statePath: statePath,
      parseState: parseState,
      command: command,
      display: display,
      decide: decide,
      shouldStop: shouldStop,
      stopCommand: stopCommand
   };
})();
