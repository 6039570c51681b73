"use strict";
/*
 * Real file formats for the shim: a minimal monolithic XISF writer/reader (uncompressed
 * Float32 planar, FITS keywords) so FileFormatInstance and ImageWindow.open work on real files
 * the worker reads and writes, and PNG header parsing for Bitmap(path).
 */
const fs = require("node:fs");
const zlib = require("node:zlib");

const XISF_SIGNATURE = "XISF0100";

function xmlEscape(s) {
   return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/* Write planes (Float32Array per channel) of width x height as an XISF file. */
function writeXisf(path, width, height, planes, keywords) {
   const channels = planes.length;
   const dataSize = width * height * channels * 4;
   const kw = (keywords || [])
      .map((k) => `<FITSKeyword name="${xmlEscape(k.name)}" value="${xmlEscape(k.value)}" comment="${xmlEscape(k.comment)}"/>`)
      .join("");
   const build = (offset) =>
      '<?xml version="1.0" encoding="UTF-8"?><xisf version="1.0" xmlns="http://www.pixinsight.com/xisf">' +
      `<Image geometry="${width}:${height}:${channels}" sampleFormat="Float32" bounds="0:1" ` +
      `colorSpace="${channels === 3 ? "RGB" : "Gray"}" location="attachment:${offset}:${dataSize}">${kw}</Image></xisf>`;
   let offset = 0;
   let header = build(offset);
   for (let i = 0; i < 3; ++i) {
      offset = Math.ceil((16 + Buffer.byteLength(header) + 16) / 16) * 16;
      header = build(offset);
   }
   const out = Buffer.alloc(offset + dataSize);
   out.write(XISF_SIGNATURE, 0, "latin1");
   out.writeUInt32LE(Buffer.byteLength(header), 8);
   out.write(header, 16, "utf8");
   planes.forEach((plane, c) => {
      Buffer.from(plane.buffer, plane.byteOffset, plane.byteLength).copy(out, offset + c * width * height * 4);
   });
   fs.writeFileSync(path, out);
}

function attr(tag, name) {
   const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
   return m ? m[1] : null;
}

/*
 * Read an XISF file: {width, height, channels, sampleFormat, keywords, planes}. planes is null
 * when the data block is compressed or not Float32/Float64/UInt16 (the shim then knows only
 * the geometry). Throws on a file that is not XISF.
 */
function readXisf(path) {
   const buf = fs.readFileSync(path);
   if (buf.toString("latin1", 0, 8) !== XISF_SIGNATURE) {
      throw new Error(`not an XISF file: ${path}`);
   }
   const header = buf.toString("utf8", 16, 16 + buf.readUInt32LE(8));
   const image = /<Image\s[^>]*>/.exec(header);
   if (!image) {
      throw new Error(`XISF without an Image element: ${path}`);
   }
   const [width, height, channels] = attr(image[0], "geometry").split(":").map(Number);
   const sampleFormat = attr(image[0], "sampleFormat");
   const keywords = [];
   for (const m of header.matchAll(/<FITSKeyword\s[^>]*>/g)) {
      keywords.push({ name: attr(m[0], "name"), value: attr(m[0], "value"), comment: attr(m[0], "comment") || "" });
   }
   const location = /^attachment:(\d+):(\d+)$/.exec(attr(image[0], "location") || "");
   let planes = null;
   const n = width * height;
   const interleaved = attr(image[0], "pixelStorage") === "Normal";
   if (location && !attr(image[0], "compression")) {
      const offset = Number(location[1]);
      const readers = { Float32: [4, (o) => buf.readFloatLE(o)], Float64: [8, (o) => buf.readDoubleLE(o)], UInt16: [2, (o) => buf.readUInt16LE(o) / 65535] };
      const reader = readers[sampleFormat];
      if (reader) {
         planes = [];
         for (let c = 0; c < channels; ++c) {
            const plane = new Float32Array(n);
            for (let i = 0; i < n; ++i) {
               plane[i] = reader[1](offset + (interleaved ? i * channels + c : c * n + i) * reader[0]);
            }
            planes.push(plane);
         }
      }
   }
   return { width, height, channels, sampleFormat, keywords, planes, properties: /<Property\s/.test(header) };
}

/* {width, height} of a PNG file; throws when it is not a PNG. Decodes nothing else. */
function pngSize(path) {
   const buf = fs.readFileSync(path);
   if (buf.length < 24 || buf.readUInt32BE(0) !== 0x89504e47 || buf.toString("latin1", 12, 16) !== "IHDR") {
      throw new Error(`not a PNG file: ${path}`);
   }
   return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/* A small valid RGB PNG (for tests that need a preview.png without a worker). */
function makePng(width, height) {
   const crcTable = Array.from({ length: 256 }, (_, n) => {
      let c = n;
      for (let k = 0; k < 8; ++k) {
         c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return c >>> 0;
   });
   const crc = (b) => {
      let c = 0xffffffff;
      for (const x of b) {
         c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
      }
      return (c ^ 0xffffffff) >>> 0;
   };
   const chunk = (type, data) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
      const c = Buffer.alloc(4);
      c.writeUInt32BE(crc(td));
      return Buffer.concat([len, td, c]);
   };
   const ihdr = Buffer.alloc(13);
   ihdr.writeUInt32BE(width, 0);
   ihdr.writeUInt32BE(height, 4);
   ihdr.set([8, 2, 0, 0, 0], 8);
   const raw = Buffer.alloc((width * 3 + 1) * height, 0x40);
   for (let y = 0; y < height; ++y) {
      raw[y * (width * 3 + 1)] = 0;
   }
   return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", ihdr),
      chunk("IDAT", zlib.deflateSync(raw)),
      chunk("IEND", Buffer.alloc(0))
   ]);
}

module.exports = { writeXisf, readXisf, pngSize, makePng };
