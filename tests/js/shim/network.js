"use strict";
/*
 * The shim's NetworkTransfer: synchronous like PixInsight's, and REAL: each exchange runs
 * http-child.js in a child process (spawnSync) against the actual server, then feeds the body
 * to onDownloadDataAvailable in chunks, with onTransferProgress (dlTotal = Content-Length) after
 * each; upload() pulls its body from onUploadDataRequested.
 */
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { stateOf: S } = require("./strict");

/* Behaviour of NetworkTransfer for the world; fromBuffer(Buffer) makes a shim ByteArray. */
function networkTransfer(world, fromBuffer) {
   const NetworkTransfer = {
      init(self) { Object.assign(S(self), { url: "", headers: [], timeout: 30 }); },
      proto: {
         setURL(u) { S(this).url = u; S(this).headers = []; },
         setCustomHTTPHeaders(h) {
            if (!Array.isArray(h)) {
               throw new Error("PJSR: setCustomHTTPHeaders takes an Array");
            }
            S(this).headers = h.slice();
         },
         setConnectionTimeout(s) { S(this).timeout = s; },
         setSSL() { S(this).ssl = true; },
         download() { return exchange(this, "GET", null); },
         post(body) {
            if (typeof body !== "string") {
               throw new Error("PJSR: NetworkTransfer.post takes a String");
            }
            return exchange(this, "POST", Buffer.from(body, "latin1"));
         },
         /* The body is pulled chunk by chunk, with progress after each; world.uploadAnswerBody
            false plays a PixInsight that does not pass the answer's body on (undocumented). */
         upload(size) {
            const chunks = [];
            let sent = 0;
            if (this.onUploadDataRequested) {
               for (;;) {
                  const chunk = this.onUploadDataRequested(65536);
                  if (!chunk || chunk.length === 0) {
                     break;
                  }
                  chunks.push(Buffer.from(S(chunk).buf));
                  sent += chunk.length;
                  if (!progress(this, 0, 0, size || 0, sent)) {
                     return false;
                  }
               }
            }
            const body = Buffer.concat(chunks);
            if (size !== undefined && size !== body.length) {
               throw new Error(`shim: upload(${size}) got ${body.length} bytes`);
            }
            return exchange(this, "PUT", body);
         },
         get responseCode() { return S(this).code; },
         get errorInformation() { return S(this).error || ""; },
         get aborted() { return S(this).aborted === true; }
      }
   };
   function exchange(nt, method, body) {
      const st = S(nt);
      if (st.url.startsWith("https:") && !st.ssl) {
         throw new Error("shim: https URL without setSSL()");
      }
      world.http.push({ method, url: st.url, headers: st.headers.slice() });
      const r = spawnSync(process.execPath, [path.join(__dirname, "http-child.js")], {
         input: JSON.stringify({ method, url: st.url, headers: st.headers, body: body ? body.toString("base64") : "", timeout: st.timeout }),
         encoding: "utf8",
         maxBuffer: 1 << 30,
         timeout: (st.timeout + 10) * 1000
      });
      if (r.status !== 0) {
         throw new Error(`shim: HTTP child failed: ${r.error || ""} ${r.stderr}`);
      }
      const out = JSON.parse(r.stdout);
      st.code = out.status;
      st.error = out.error;
      st.aborted = false;
      if (out.status === 0) {
         return false;
      }
      const data = Buffer.from(out.body, "base64");
      if (method === "PUT" && !world.uploadAnswerBody) {
         return true;
      }
      const up = body ? body.length : 0;
      for (let i = 0; i < data.length; i += 65536) {
         if (!nt.onDownloadDataAvailable || nt.onDownloadDataAvailable(fromBuffer(data.subarray(i, i + 65536))) !== true) {
            st.aborted = true;
            return false;
         }
         if (!progress(nt, out.length, Math.min(data.length, i + 65536), up, up)) {
            return false;
         }
      }
      return true;
   }
   /* onTransferProgress(dlTotal, dlCurrent, ulTotal, ulCurrent); false aborts the transfer. */
   function progress(nt, dlTotal, dlCurrent, ulTotal, ulCurrent) {
      if (nt.onTransferProgress && nt.onTransferProgress(dlTotal, dlCurrent, ulTotal, ulCurrent) === false) {
         S(nt).aborted = true;
         return false;
      }
      return true;
   }
   return NetworkTransfer;
}

module.exports = { networkTransfer };
