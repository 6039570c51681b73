/*
 * BGX.Http: the worker's HTTP API over PixInsight's synchronous NetworkTransfer. Every answer's
 * responseCode is checked (the boolean result of download/post/upload is not enough), bodies
 * are decoded as UTF-8, JSON bodies are pure ASCII, and failures throw an Error whose
 * `failure` ({code, message, advice}) the dialog shows.
 */

BGX.workerError = function (failure) {
   const e = new Error(failure.message);
   e.failure = failure;
   return e;
};

BGX.Http = class {
   constructor(baseUrl, token, timeoutSeconds) {
      this.base = BGX.protocol.normaliseBaseUrl(baseUrl);
      this.token = token || "";
      this.timeout = timeoutSeconds || 30;
   }

   /* One exchange: verb GET | POST | PUT, body a String (POST) or a file path (PUT). */
   exchange(verb, url, body, contentType) {
      const t = new NetworkTransfer;
      t.setURL(url);
      t.setCustomHTTPHeaders(BGX.protocol.headers(this.token, contentType));
      t.setConnectionTimeout(this.timeout);
      if (BGX.protocol.isHttps(url)) {
         t.setSSL();
      }
      const data = new ByteArray;
      t.onDownloadDataAvailable = (chunk) => {
         data.add(chunk);
         return true;
      };
      let file = null;
      let done;
      try {
         if (verb === "GET") {
            done = t.download();
         } else if (verb === "POST") {
            done = t.post(body);
         } else {
            file = new File;
            file.openForReading(body);
            const size = file.size;
            t.onUploadDataRequested = (maxSize) => {
               const left = size - file.position;
               return left > 0 ? file.read(DataType.ByteArray, Math.min(maxSize, left)) : new ByteArray;
            };
            done = t.upload(size);
         }
      } finally {
         if (file !== null) {
            file.close();
         }
      }
      const code = done || Number(t.responseCode) > 0 ? Number(t.responseCode) : 0;
      const failure = BGX.protocol.failure(code, code > 0 ? data.utf8ToString() : "", t.errorInformation, this.base);
      if (failure !== null) {
         throw BGX.workerError(failure);
      }
      return data;
   }

   getJson(url) {
      return BGX.protocol.parseJson(this.exchange("GET", url, null, null).utf8ToString());
   }

   postJson(url, value) {
      const body = value === undefined ? "" : BGX.protocol.jsonBody(value);
      return BGX.protocol.parseJson(this.exchange("POST", url, body, "application/json").utf8ToString());
   }

   uploadFile(url, path) {
      return BGX.protocol.parseJson(this.exchange("PUT", url, path, "application/octet-stream").utf8ToString());
   }

   downloadFile(url, path) {
      File.writeFile(path, this.exchange("GET", url, null, null));
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
