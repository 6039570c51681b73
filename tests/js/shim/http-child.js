"use strict";
/*
 * One real HTTP exchange, run as a child process by the NetworkTransfer shim (which must be
 * synchronous like PixInsight's): request JSON on stdin {method, url, headers, body (base64),
 * timeout (s)}; answer JSON on stdout {status, body (base64), length (Content-Length, 0 if none), error}.
 */
const http = require("node:http");
const https = require("node:https");

let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
   const req = JSON.parse(input);
   const body = req.body ? Buffer.from(req.body, "base64") : null;
   const headers = {};
   for (const h of req.headers) {
      const i = h.indexOf(":");
      headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
   }
   if (body) {
      headers["Content-Length"] = body.length;
   }
   const done = (out) => process.stdout.write(JSON.stringify(out));
   const client = req.url.startsWith("https:") ? https : http;
   const r = client.request(req.url, { method: req.method, headers, timeout: req.timeout * 1000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => done({ status: res.statusCode, body: Buffer.concat(chunks).toString("base64"), length: Number(res.headers["content-length"] || 0), error: "" }));
   });
   r.on("timeout", () => r.destroy(new Error("connection timed out")));
   r.on("error", (e) => done({ status: 0, body: "", error: e.message }));
   r.end(body || undefined);
});
