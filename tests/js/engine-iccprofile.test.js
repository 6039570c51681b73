"use strict";
/*
 * BGX.iccProfile.description on the real ICC profiles PixInsight wrote into the shared XISF
 * files, on a LittleCMS v4 profile, on built 'mluc' tags (which record is chosen), and on
 * truncated, garbled and hostile bytes (null, never a throw).
 */
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { loadEngine, REAL_XISF } = require("./helpers");
const { readXisfIccProfile } = require("./shim/files");

const BGX = loadEngine();

/* The parser over bytes that throw on a read outside them (a Uint8Array would give undefined). */
function describe(bytes) {
   if (!(bytes instanceof Uint8Array)) {
      return BGX.iccProfile.description(bytes);
   }
   return BGX.iccProfile.description(new Proxy(bytes, {
      get(t, p) {
         if (typeof p === "string" && /^-?\d+$/.test(p) && !(Number(p) >= 0 && Number(p) < t.length)) {
            throw new Error(`read of byte ${p} of ${t.length}`);
         }
         const v = Reflect.get(t, p);
         return typeof v === "function" ? v.bind(t) : v;
      }
   }));
}

/* The expected descriptions were read independently with LittleCMS 2.19 (Pillow 13's
   liblcms2, cmsGetProfileInfoASCII(profile, cmsInfoDescription, "en", "US")): here, what both
   profiles of the shared files hold (HP's 3144-byte v2.1 sRGB and a 3024-byte v2.0 one). */
const SRGB = "sRGB IEC61966-2.1";

/* Pillow 13 / LittleCMS 2.19: ImageCms.createProfile("sRGB"), a v4.4 profile, desc 'mluc'
   with one en/US record "sRGB built-in". */
const LCMS_V4 = Buffer.from(
   "AAACTGxjbXMEQAAAbW50clJHQiBYWVogB+oADAAEABMAGgAdYWNzcEFQUEwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPbW" +
   "AAEAAAAA0y1sY21zAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALZGVzYwAAAQgAAAA2" +
   "Y3BydAAAAUAAAABMd3RwdAAAAYwAAAAUY2hhZAAAAaAAAAAsclhZWgAAAcwAAAAUYlhZWgAAAeAAAAAUZ1hZWgAAAfQAAAAU" +
   "clRSQwAAAggAAAAgZ1RSQwAAAggAAAAgYlRSQwAAAggAAAAgY2hybQAAAigAAAAkbWx1YwAAAAAAAAABAAAADGVuVVMAAAAa" +
   "AAAAHABzAFIARwBCACAAYgB1AGkAbAB0AC0AaQBuAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAADAAAAAcAE4AbwAgAGMAbwBw" +
   "AHkAcgBpAGcAaAB0ACwAIAB1AHMAZQAgAGYAcgBlAGUAbAB5WFlaIAAAAAAAAPbWAAEAAAAA0y1zZjMyAAAAAAABDEIAAAXe" +
   "///zJQAAB5MAAP2Q///7of///aIAAAPcAADAblhZWiAAAAAAAABvoAAAOPUAAAOQWFlaIAAAAAAAACSfAAAPhAAAtsNYWVog" +
   "AAAAAAAAYpcAALeHAAAY2XBhcmEAAAAAAAMAAAACZmYAAPKnAAANWQAAE9AAAApbY2hybQAAAAAAAwAAAACj1wAAVHsAAEzN" +
   "AACZmgAAJmYAAA9c", "base64");

/* The uncompressed ICC profiles of the shared PixInsight files: {file: bytes}. */
function realProfiles() {
   const out = {};
   for (const name of fs.readdirSync(REAL_XISF).filter((n) => n.endsWith(".xisf"))) {
      try {
         const bytes = readXisfIccProfile(path.join(REAL_XISF, name));
         if (bytes) {
            out[name] = bytes;
         }
      } catch (e) {
         if (!/compressed/.test(e.message)) {
            throw e;
         }
      }
   }
   return out;
}

const u32 = (n) => {
   const b = Buffer.alloc(4);
   b.writeUInt32BE(n >>> 0);
   return b;
};

/* A minimal profile: header, tag table, then each tag's data (tags: [[signature, data]]). */
function profile(tags) {
   let offset = 128 + 4 + 12 * tags.length;
   const table = [];
   const data = [];
   for (const [sig, bytes] of tags) {
      table.push(Buffer.from(sig, "latin1"), u32(offset), u32(bytes.length));
      const padded = Buffer.concat([bytes, Buffer.alloc((4 - bytes.length % 4) % 4)]);
      data.push(padded);
      offset += padded.length;
   }
   const header = Buffer.alloc(128);
   header.writeUInt32BE(offset, 0);
   header.writeUInt32BE(0x04400000, 8);
   header.write("mntrRGB XYZ ", 12, "latin1");
   header.write("acsp", 36, "latin1");
   return Buffer.concat([header, u32(tags.length), ...table, ...data]);
}

/* An 'mluc' tag of [language, country, text] records (text UTF-16BE). */
function mluc(records) {
   const head = [Buffer.from("mluc\0\0\0\0", "latin1"), u32(records.length), u32(12)];
   let at = 16 + 12 * records.length;
   const strings = [];
   for (const [lang, country, text] of records) {
      const utf16 = Buffer.from(text, "utf16le").swap16();
      head.push(Buffer.from(lang + country, "latin1"), u32(utf16.length), u32(at));
      strings.push(utf16);
      at += utf16.length;
   }
   return Buffer.concat([...head, ...strings]);
}

/* A v2 'desc' tag: ASCII with its NUL, then empty Unicode and ScriptCode parts. */
function textDesc(text) {
   const ascii = Buffer.from(text + "\0", "latin1");
   return Buffer.concat([Buffer.from("desc\0\0\0\0", "latin1"), u32(ascii.length), ascii, Buffer.alloc(4 + 4 + 3 + 67)]);
}

test("the real profiles PixInsight embedded in the shared XISF files are sRGB IEC61966-2.1", () => {
   const profiles = realProfiles();
   const distinct = new Set(Object.values(profiles).map((b) => b.toString("base64")));
   assert.ok(Object.keys(profiles).length >= 10, Object.keys(profiles).join(", "));
   assert.equal(distinct.size, 2, "both profiles the files hold (3144 and 3024 bytes)");
   for (const [name, bytes] of Object.entries(profiles)) {
      assert.equal(describe(new Uint8Array(bytes)), SRGB, name);
   }
});

test("a LittleCMS v4 profile: the en/US record of its 'mluc' description", () => {
   assert.equal(describe(new Uint8Array(LCMS_V4)), "sRGB built-in");
});

/* LittleCMS's choice for en/US, checked on the same built profiles. */
test("mluc: en/US first, else the first English record, else the first; UTF-16 kept", () => {
   const pick = (records) => describe(new Uint8Array(profile([["cprt", textDesc("c")], ["desc", mluc(records)]])));
   assert.equal(pick([["de", "DE", "Farbraum"], ["en", "GB", "Colour space"], ["en", "US", "Color space"]]), "Color space");
   assert.equal(pick([["de", "DE", "Farbraum"], ["en", "GB", "Colour space"]]), "Colour space");
   assert.equal(pick([["fr", "FR", "Espace colorimétrique"], ["de", "DE", "Farbraum"]]), "Espace colorimétrique");
   assert.equal(pick([["ja", "JP", "色空間\0"]]), "色空間");
   assert.equal(pick([["en", "US", ""]]), null, "an empty description is none");
   assert.equal(describe(new Uint8Array(profile([["desc", textDesc("Gray Gamma 2.2")]]))), "Gray Gamma 2.2");
});

test("every truncation of a real profile and of the v4 one gives null", () => {
   const real = Object.values(realProfiles())[0];
   for (const bytes of [real, LCMS_V4]) {
      for (let n = 0; n < bytes.length; ++n) {
         assert.equal(describe(new Uint8Array(bytes.subarray(0, n))), null, `first ${n} bytes`);
      }
   }
});

test("hostile and garbled profiles give null or a string, never a throw or a read outside", () => {
   const base = profile([["desc", mluc([["en", "US", "Color space"]])]]);
   const patched = (at, value) => {
      const b = Buffer.from(base);
      b.writeUInt32BE(value >>> 0, at);
      return new Uint8Array(b);
   };
   const descAt = base.readUInt32BE(128 + 4 + 4);
   assert.equal(describe(patched(128, 0xffffffff)), null, "tag count past the end");
   assert.equal(describe(patched(128 + 4 + 4, base.length)), null, "desc offset past the end");
   assert.equal(describe(patched(128 + 4 + 8, 0xfffffff0)), null, "desc length past the end");
   assert.equal(describe(patched(descAt + 8, 0x10000000)), null, "record count past the tag");
   assert.equal(describe(patched(descAt + 12, 4)), null, "record size below 12");
   assert.equal(describe(patched(descAt + 16 + 4, 0xfffffffe)), null, "string length past the tag");
   assert.equal(describe(patched(descAt + 16 + 8, 0xfffffff0)), null, "string offset past the tag");
   assert.equal(describe(patched(descAt + 16 + 4, 7)), null, "odd UTF-16 length");
   assert.equal(describe(patched(0, base.length + 1)), null, "declared size over the bytes");
   assert.equal(describe(patched(36, 0)), null, "no 'acsp' signature");
   const v2 = Buffer.from(profile([["desc", textDesc("sRGB")]]));
   v2.writeUInt32BE(0x7fffffff, v2.readUInt32BE(128 + 4 + 4) + 8);
   assert.equal(describe(new Uint8Array(v2)), null, "ASCII count past the tag");
   assert.equal(describe(new Uint8Array(profile([["cprt", textDesc("only a copyright")]]))), null, "no desc tag");
   assert.equal(describe(new Uint8Array(profile([["desc", Buffer.from("XYZ \0\0\0\0\0\0\0\0\0\0\0\0", "latin1")]]))), null, "desc of another type");
   for (const junk of [null, undefined, "sRGB", 42, {}, [], new Uint8Array(0), new Uint8Array(4096)]) {
      assert.equal(describe(junk), null, String(junk));
   }
   /* a deterministic shower of random bytes over a real profile: answers only, no throw */
   let seed = 12345;
   const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
   const real = Object.values(realProfiles())[0];
   for (let k = 0; k < 2000; ++k) {
      const b = new Uint8Array(real);
      for (let j = 0; j < 8; ++j) {
         b[Math.floor(random() * 400)] = Math.floor(random() * 256);
      }
      const out = describe(b);
      assert.ok(out === null || typeof out === "string", String(out));
   }
});
