"use strict";
/* BGX.protocol against docs/API.md (its JSON examples) and tests/fixtures/api/ when present. */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { loadEngine, plain, readJson, FIXTURES, REPO } = require("./helpers");

const BGX = loadEngine();
const P = BGX.protocol;

/* Every JSON object in the fixtures: health answers, job statuses, error bodies. */
function apiExamples() {
   const found = { status: [], health: [], error: [] };
   const visit = (v) => {
      if (Array.isArray(v)) {
         v.forEach(visit);
      } else if (v && typeof v === "object") {
         if (v.error && typeof v.error === "object" && typeof v.error.code === "string" && !("state" in v)) {
            found.error.push(v);
         } else if (v.status === "ok" && typeof v.version === "string") {
            found.health.push(v);
         } else if (typeof v.id === "string" && typeof v.state === "string") {
            found.status.push(v);
         } else {
            Object.values(v).forEach(visit);
         }
      }
   };
   const md = fs.readFileSync(path.join(REPO, "docs/API.md"), "utf8");
   for (const m of md.matchAll(/```json\n([\s\S]*?)```/g)) {
      visit(JSON.parse(m[1]));
   }
   const dir = path.join(FIXTURES, "api");
   if (fs.existsSync(dir)) {
      for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
         visit(readJson(path.join(dir, f)));
      }
   }
   return found;
}

test("every job status example of the API parses", () => {
   const { status } = apiExamples();
   assert.ok(status.length >= 1);
   for (const s of status) {
      const st = P.parseStatus(s);
      assert.equal(st.id, s.id);
      assert.equal(st.state, s.state);
      assert.ok(st.progress >= 0 && st.progress <= 1);
      assert.ok(Array.isArray(st.results));
      if (s.state === "failed") {
         assert.equal(typeof st.error.code, "string");
      }
   }
});

test("health and error examples of tests/fixtures/api parse", (t) => {
   const { health, error } = apiExamples();
   if (health.length === 0 && error.length === 0) {
      t.skip("no health/error examples in tests/fixtures/api yet");
      return;
   }
   health.forEach((h) => assert.equal(P.parseHealth(h).version, h.version));
   error.forEach((e) => assert.deepEqual(plain(P.parseError(JSON.stringify(e))), { code: e.error.code, message: e.error.message }));
});

test("parseStatus reads the documented fields and rejects what is not a status", () => {
   const st = P.parseStatus({ id: "j_1", state: "running", stage: "optimising", progress: 1.7, epoch: 4, epochs: 10, loss: 0.5, preview_version: 3, results: ["preview.png"], cancel_requested: true });
   assert.equal(st.progress, 1);
   assert.equal(st.previewVersion, 3);
   assert.equal(st.cancelRequested, true);
   assert.throws(() => P.parseStatus({ id: "j_1", state: "sleeping" }), /does not understand/);
   assert.throws(() => P.parseStatus(null), /does not understand/);
});

test("parseHealth names the GPU, or the CPU when there is none", () => {
   const gpu = P.parseHealth({ status: "ok", version: "0.1.0", tensorflow: "2.21.0", devices: [{ type: "GPU", name: "NVIDIA H100" }, { type: "CPU", name: "x" }], gpu: true });
   assert.equal(gpu.device, "NVIDIA H100");
   const cpu = P.parseHealth({ status: "ok", version: "0.1.0", devices: [{ type: "CPU", name: "/cpu:0" }] });
   assert.equal(cpu.device, "CPU (/cpu:0)");
   assert.equal(P.parseHealth({ status: "ok", version: "0.1.0", devices: [] }).device, "CPU");
   assert.throws(() => P.parseHealth({ hello: 1 }), /does not look like a bgoptimizer worker/);
});

test("URLs: normalised base, exact paths, safe ids and known result names only", () => {
   assert.equal(P.normaliseBaseUrl(""), "http://127.0.0.1:8765");
   assert.equal(P.normaliseBaseUrl(" localhost:9000/ "), "http://localhost:9000");
   assert.equal(P.normaliseBaseUrl("https://gpu.lan:8765//"), "https://gpu.lan:8765");
   assert.throws(() => P.normaliseBaseUrl("ftp://x"), /Invalid worker URL/);
   assert.throws(() => P.normaliseBaseUrl("http://a b"), /Invalid worker URL/);
   const b = "http://h:1";
   assert.equal(P.urls.health(b), "http://h:1/v1/health");
   assert.equal(P.urls.jobs(b), "http://h:1/v1/jobs");
   assert.equal(P.urls.status(b, "j_1"), "http://h:1/v1/jobs/j_1");
   assert.equal(P.urls.upload(b, "j_1", "mask"), "http://h:1/v1/jobs/j_1/mask");
   assert.equal(P.urls.upload(b, "j_1", "image"), "http://h:1/v1/jobs/j_1/image");
   assert.equal(P.urls.start(b, "j_1"), "http://h:1/v1/jobs/j_1/start");
   assert.equal(P.urls.cancel(b, "j_1"), "http://h:1/v1/jobs/j_1/cancel");
   assert.equal(P.urls.remove(b, "j_1"), "http://h:1/v1/jobs/j_1/delete");
   assert.equal(P.urls.result(b, "j_1", "preview.png"), "http://h:1/v1/jobs/j_1/result/preview.png");
   assert.throws(() => P.urls.result(b, "j_1", "../etc"), /Unknown result/);
   assert.throws(() => P.urls.status(b, "../x"), /Invalid job id/);
});

test("JSON bodies are pure ASCII and decode to the same value", () => {
   const body = P.jsonBody(P.createJobBody({ samples: 8 }, "Mé_ß_星", null));
   assert.match(body, /^[\x20-\x7e]*$/);
   assert.deepEqual(plain(JSON.parse(body)), { params: { samples: 8 }, name: "Mé_ß_星" });
   const eff = { pedestal: [0.01], scale: [0.2], midtones: [0.1], extra: 1 };
   assert.deepEqual(plain(P.createJobBody({}, "", eff)), { params: {}, stretch: { pedestal: [0.01], scale: [0.2], midtones: [0.1] } });
   assert.deepEqual(plain(P.headers("abc", "application/json")), ["Content-Type: application/json", "Authorization: Bearer abc"]);
   assert.deepEqual(plain(P.headers("", null)), []);
   assert.throws(() => P.parseJson("<html>"), /not JSON: <html>/);
});

test("failure turns every outcome into a message and what to do", () => {
   assert.equal(P.failure(200, "{}", "", "u"), null);
   assert.equal(P.failure(202, "{}", "", "u"), null);
   const down = P.failure(0, "", "Connection refused", "http://127.0.0.1:1");
   assert.equal(down.code, "unreachable");
   assert.match(down.message, /Cannot reach the worker at http:\/\/127.0.0.1:1 \(Connection refused\)/);
   assert.match(down.advice, /bgoptimizer serve/);
   const auth = P.failure(401, '{"error":{"code":"unauthorized","message":"bad token"}}', "", "u");
   assert.equal(auth.code, "unauthorized");
   assert.match(auth.advice, /token/);
   assert.match(P.failure(422, '{"error":{"code":"bad_parameter","message":"samples: too big"}}', "", "u").message, /HTTP 422: samples: too big/);
   assert.match(P.failure(429, '{"error":{"code":"queue_full","message":"x"}}', "", "u").advice, /busy/);
   assert.equal(P.failure(502, "<html>", "", "u").code, "internal");
   assert.match(P.failure(418, "", "", "http://x").advice, /Check that http:\/\/x is a bgoptimizer worker/);
   assert.equal(P.isTerminal("done") && P.isTerminal("failed") && P.isTerminal("cancelled"), true);
   assert.equal(P.isTerminal("running"), false);
});

test("every request of tests/fixtures/api is a URL the script builds, every answer maps as documented", (t) => {
   const dir = path.join(FIXTURES, "api");
   const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(".json")) : [];
   if (files.length === 0) {
      t.skip("tests/fixtures/api is empty");
      return;
   }
   const b = "http://h:1";
   const built = new Set([P.urls.health(b), P.urls.jobs(b), P.urls.status(b, "ID"), P.urls.upload(b, "ID", "image"),
      P.urls.upload(b, "ID", "mask"), P.urls.start(b, "ID"), P.urls.cancel(b, "ID"), P.urls.remove(b, "ID")]
      .concat(P.RESULTS.map((r) => P.urls.result(b, "ID", r))));
   let checked = 0;
   for (const f of files) {
      const fx = readJson(path.join(dir, f));
      const { request, response } = fx;
      const url = b + request.path.replace("{id}", "ID");
      if (response.status < 300 && request.method !== "DELETE") {
         assert.ok(built.has(url), `${f}: ${request.method} ${url} is not built by BGX.protocol.urls`);
      }
      const body = response.body === null || response.body === undefined ? "" : JSON.stringify(response.body);
      const failure = P.failure(response.status, body, "", b);
      if (response.status < 300) {
         assert.equal(failure, null, f);
      } else {
         assert.equal(failure.code, response.body.error.code, f);
         assert.ok(failure.advice.length > 10, f);
      }
      checked += 1;
   }
   assert.ok(checked >= 10);
});

test("downloads: complete when the bytes match Content-Length (or none was sent); optional results", () => {
   assert.equal(P.lengthFailure(734003200, 734003200, "corrected.xisf"), null);
   assert.equal(P.lengthFailure(10, 0, "corrected.xisf"), null);
   const f = plain(P.lengthFailure(1000, 734003200, "corrected.xisf"));
   assert.equal(f.code, "truncated");
   assert.match(f.message, /corrected\.xisf stopped after 1000 of 734003200 bytes/);
   const objects = { type: "download", name: "objects.xisf", ifReport: "objects" };
   assert.equal(P.wanted(objects, { fit: {} }), false);
   assert.equal(P.wanted(objects, { objects: { share: 0.1 } }), true);
   assert.equal(P.wanted({ name: "corrected.xisf" }, null), true);
});

test("reportSummary: device, epochs, loss, time, clipped pixels, and objects when reported", () => {
   const report = {
      device: "GPU:0", fit: { epochs_run: 420, best_loss: 0.0123, stopped_early: true },
      timings: { stretch: 0.25, fit: 3.5 }, correction: { clipped: { corrected: [3, 4], background: [0, 1] } }
   };
   assert.deepEqual(plain(P.reportSummary(report)), [
      "device GPU:0, epochs 420 (stopped early), loss 0.012300, time 3.8 s",
      "clipped pixels: corrected 7, background 1"
   ]);
   report.objects = { share: 0.125 };
   assert.equal(P.reportSummary(report)[2], "protected as objects: 12.5 % of the frame");
   assert.deepEqual(plain(P.reportSummary(null)), ["device -, epochs -, loss -, time 0.0 s"]);
});
