/*
 * BGX.Http: the worker's HTTP API over PixInsight's synchronous NetworkTransfer. Every answer's
 * responseCode is checked (the boolean result of download/post/upload is not enough). Only
 * JSON and error answers (at most BGX.protocol.MAX_TEXT_BODY bytes) are decoded as text:
 * results stream into a File chunk by chunk, checked against Content-Length, because a V8
 * string stops at about 2^29 characters and a 60 MP RGB result is far larger. Each transfer
 * reports progress through onProgress and calls CoreApplication.processEvents(), so the
 * dialog stays alive and its Cancel sets `abortRequested`, which aborts the transfer.
 * Failures throw an Error whose `failure` ({code, message, advice}) the dialog shows; an
 * aborted transfer throws one with `cancelled` set.
 */

BGX.workerError = function (failure) {
   const e = new Error(failure.message);
   e.failure = failure;
   return e;
};

BGX.cancelledError = function () {
   const e = new Error("Cancelled");
   e.cancelled = true;
   return e;
};

BGX.Http = class {
   constructor(baseUrl, token, timeoutSeconds) {
      this.base = BGX.protocol.normaliseBaseUrl(baseUrl);
      this.token = token || "";
      this.timeout = timeoutSeconds || 30;
      this.abortRequested = false;
      /* onProgress(name, done, total): bytes of the current transfer. */
      this.onProgress = null;
   }

   /*
    * One exchange. verb GET | POST | PUT; body: a String (POST) or a file path (PUT); sink:
    * null (the answer is kept as text, up to MAX_TEXT_BODY) or a path the answer streams to.
    * Returns the answer's text ("" with a sink or when there is none).
    */
   exchange(verb, url, body, contentType, sink) {
      const t = new NetworkTransfer;
      t.setURL(url);
      t.setCustomHTTPHeaders(BGX.protocol.headers(this.token, contentType));
      t.setConnectionTimeout(this.timeout);
      if (BGX.protocol.isHttps(url)) {
         t.setSSL();
      }
      const name = url.slice(url.lastIndexOf("/") + 1);
      const text = new ByteArray;
      const out = sink === null ? null : new File;
      const input = verb === "PUT" ? new File : null;
      let written = 0;
      let expected = 0;
      let chunk = null;
      t.onTransferProgress = (dlTotal, dlCurrent, ulTotal, ulCurrent) => {
         expected = dlTotal;
         if (this.onProgress && (verb === "PUT" || out !== null)) {
            this.onProgress(name, verb === "PUT" ? ulCurrent : dlCurrent, verb === "PUT" ? ulTotal : dlTotal);
         }
         CoreApplication.processEvents();
         return !this.abortRequested;
      };
      t.onDownloadDataAvailable = (data) => {
         written += data.length;
         if (out !== null) {
            out.write(data);
            return true;
         }
         if (written > BGX.protocol.MAX_TEXT_BODY) {
            return false;
         }
         text.add(data);
         return true;
      };
      let done;
      try {
         if (out !== null) {
            out.createForWriting(sink);
         }
         if (verb === "GET") {
            done = t.download();
         } else if (verb === "POST") {
            done = t.post(body);
         } else {
            input.openForReading(body);
            const size = input.size;
            t.onUploadDataRequested = (maxSize) => {
               if (chunk !== null) {
                  chunk.clear();
               }
               const left = size - input.position;
               chunk = left > 0 ? input.read(DataType.ByteArray, Math.min(maxSize, left)) : new ByteArray;
               return chunk;
            };
            done = t.upload(size);
         }
      } finally {
         [input, out].forEach((f) => { if (f !== null) { f.close(); } });
         if (chunk !== null) {
            chunk.clear();
         }
      }
      if (this.abortRequested) {
         throw BGX.cancelledError();
      }
      const code = done || Number(t.responseCode) > 0 ? Number(t.responseCode) : 0;
      const answer = BGX.Http.answerText(code, text, sink);
      text.clear();
      const failure = BGX.protocol.failure(code, answer, t.errorInformation, this.base) ||
         (sink !== null ? BGX.protocol.lengthFailure(written, expected, name) : null);
      if (failure !== null) {
         throw BGX.workerError(failure);
      }
      return sink === null ? answer : "";
   }

   /* The answer as text: the kept body, or for a failed download the (small) error body in the file. */
   static answerText(code, text, sink) {
      if (sink === null) {
         return text.utf8ToString();
      }
      if (code >= 200 && code < 300 || !File.exists(sink)) {
         return "";
      }
      const f = new File;
      f.openForReading(sink);
      const small = f.size <= BGX.protocol.MAX_TEXT_BODY ? f.read(DataType.ByteArray, f.size) : null;
      f.close();
      File.remove(sink);
      return small === null ? "" : small.utf8ToString();
   }

   getJson(url) {
      return BGX.protocol.parseJson(this.exchange("GET", url, null, null, null));
   }

   postJson(url, value) {
      const body = value === undefined ? "" : BGX.protocol.jsonBody(value);
      return BGX.protocol.parseJson(this.exchange("POST", url, body, "application/json", null));
   }

   /* PUT the file; only the response code counts (whether upload() passes the body on is undocumented). */
   uploadFile(url, path) {
      this.exchange("PUT", url, path, "application/octet-stream", null);
   }

   /* GET a result straight into the file at path. */
   downloadFile(url, path) {
      this.exchange("GET", url, null, null, path);
   }

   /* {version, device, ...} of the worker; also proves the token when one is needed. */
   checkConnection() {
      const health = BGX.protocol.parseHealth(this.getJson(BGX.protocol.urls.health(this.base)));
      try {
         this.getJson(BGX.protocol.urls.status(this.base, "connection_check"));
      } catch (e) {
         if (!e.failure || e.failure.code !== "not_found") {
            throw e;
         }
      }
      return health;
   }
};
