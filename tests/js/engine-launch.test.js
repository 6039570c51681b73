"use strict";
/*
 * BGX.launch under Node, alone: when the script may start a worker (loopback only, nothing
 * answering, nothing recorded on that port or the recorded one given its time, a program set),
 * the command line it builds, the state file it reads, and when it stops a worker.
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const { loadEngine, plain } = require("./helpers");

const BGX = loadEngine();
const L = BGX.launch;
const base = "http://127.0.0.1:8765";
const record = { url: base, pid: 4242, version: "0.1.0" };
const facts = (over) => Object.assign({ base, answers: false, state: null, waited: false, programSet: true }, over);

test("loopback: 127/8, localhost and ::1, nothing else", () => {
   for (const u of [base, "http://127.3.2.1:1", "http://LOCALHOST:9", "http://[::1]:8765", "https://localhost"]) {
      assert.equal(L.isLoopback(u), true, u);
   }
   for (const u of ["http://192.168.1.5:8765", "http://gpu-box:8765", "http://[::2]:1", "http://127.0.0.1.example.com:1"]) {
      assert.equal(L.isLoopback(u), false, u);
   }
   assert.deepEqual(plain(L.hostPort("http://[::1]:9")), { host: "::1", port: 9 });
   assert.deepEqual(plain(L.hostPort("https://localhost")), { host: "localhost", port: 443 });
   assert.deepEqual(plain(L.hostPort("http://localhost")), { host: "localhost", port: 80 });
});

test("decide: use what answers; never start a remote one; wait for a recorded one first", () => {
   assert.equal(L.decide(facts({ answers: true, state: record })).action, "use");
   assert.equal(L.decide(facts({ answers: true, base: "http://gpu-box:8765" })).action, "use");
   const remote = L.decide(facts({ base: "http://gpu-box:8765" }));
   assert.equal(remote.action, "remote");
   assert.match(remote.message, /on that machine/);
   const wait = L.decide(facts({ state: record }));
   assert.equal(wait.action, "wait", "a recorded worker may still be starting: no second one");
   assert.match(wait.message, /pid 4242/);
   const stale = L.decide(facts({ state: record, waited: true }));
   assert.equal(stale.action, "offer", "after its time the record is stale (a new worker replaces it)");
   assert.match(stale.message, /does not answer/);
   assert.equal(L.decide(facts({})).action, "offer");
   const unset = L.decide(facts({ programSet: false }));
   assert.equal(unset.action, "configure");
   assert.match(unset.message, /Start with/);
});

test("command: the bgoptimizer program or a venv's python, on the URL's host and port", () => {
   assert.deepEqual(plain(L.command({ path: "/opt/bg/bin/bgoptimizer", isDirectory: false }, base, "")),
      { program: "/opt/bg/bin/bgoptimizer", args: ["serve", "--host", "127.0.0.1", "--port", "8765"] });
   assert.deepEqual(plain(L.command({ path: "/home/u/.venv/", isDirectory: true }, "http://localhost:9000", "s3cret")),
      { program: "/home/u/.venv/bin/python", args: ["-m", "bgoptimizer", "serve", "--host", "localhost", "--port", "9000", "--token", "s3cret"] });
   assert.deepEqual(plain(L.command({ path: "C:\\bg\\venv", isDirectory: true, windows: true }, "http://[::1]:8765", "")),
      { program: "C:\\bg\\venv\\Scripts\\python.exe", args: ["-m", "bgoptimizer", "serve", "--host", "::1", "--port", "8765"] });
   assert.throws(() => L.command({ path: "  " }, base, ""), /No worker program/);
   assert.equal(L.display({ program: "/a b/bgoptimizer", args: ["serve", "--port", "1"] }), "\"/a b/bgoptimizer\" serve --port 1");
});

test("state file: where the worker writes it, and only a valid record counts", () => {
   assert.equal(L.statePath("/home/u/", 8765), "/home/u/.local/state/bgoptimizer/worker-8765.json");
   assert.deepEqual(plain(L.parseState(JSON.stringify({ ...record, port: 8765 }))), { ...record, port: 8765 });
   for (const bad of ["", "{", "null", "[]", JSON.stringify({ ...record, pid: 0 }), JSON.stringify({ ...record, pid: 1.5 }),
      JSON.stringify({ url: base, pid: 1 }), JSON.stringify({ ...record, url: 5 })]) {
      assert.equal(L.parseState(bad), null, bad);
   }
});

test("stop: only when asked and only a worker this session started; SIGTERM so it tidies up", () => {
   assert.equal(L.shouldStop(0, true), false);
   assert.equal(L.shouldStop(4242, false), false, "left running for the next run by default");
   assert.equal(L.shouldStop(4242, true), true);
   assert.deepEqual(plain(L.stopCommand(4242, false)), { program: "kill", args: ["-TERM", "4242"] });
   assert.equal(L.stopCommand(4242, true).program, "taskkill");
});
