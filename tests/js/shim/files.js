"use strict";
/*
 * Real file formats for the shim: a minimal monolithic XISF writer/reader (uncompressed
 * Float32 planar, FITS keywords) so FileFormatInstance and ImageWindow.open work on real files
 * the worker reads and writes, a BITPIX -32 FITS writer/reader (what ImageWindow.saveAs of a
 * 32-bit float window writes), and PNG header parsing for Bitmap(path).
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

/*
 * The ICC profile an XISF file holds (its ICCProfile element's bytes), or null when it has
 * none. Throws on a compressed profile or a location other than attachment / inline.
 */
function readXisfIccProfile(path) {
   const buf = fs.readFileSync(path);
   if (buf.toString("latin1", 0, 8) !== XISF_SIGNATURE) {
      throw new Error(`not an XISF file: ${path}`);
   }
   const header = buf.toString("utf8", 16, 16 + buf.readUInt32LE(8));
   const element = /<ICCProfile\s[^>]*?(\/>|>([^<]*)<\/ICCProfile>)/.exec(header);
   if (!element) {
      return null;
   }
   if (attr(element[0], "compression")) {
      throw new Error(`shim: compressed ICC profiles are not supported: ${path}`);
   }
   const location = attr(element[0], "location") || "";
   const attached = /^attachment:(\d+):(\d+)$/.exec(location);
   if (attached) {
      return buf.subarray(Number(attached[1]), Number(attached[1]) + Number(attached[2]));
   }
   const inline = /^inline:(base64|hex)$/.exec(location);
   if (inline) {
      return Buffer.from(element[2].trim(), inline[1]);
   }
   throw new Error(`shim: ICC profile location '${location}' is not supported: ${path}`);
}

const FITS_BLOCK = 2880;

/* One 80-character FITS header card. */
function card(name, value, comment) {
   const left = name.padEnd(8) + "= " + String(value).padStart(20);
   return (comment ? left + " / " + comment : left).padEnd(80).slice(0, 80);
}

/* Write planes (Float32Array per channel) as a BITPIX -32 FITS file (NAXIS3 for colour). */
function writeFits(path, width, height, planes, keywords) {
   const cards = [card("SIMPLE", "T"), card("BITPIX", -32), card("NAXIS", planes.length > 1 ? 3 : 2),
      card("NAXIS1", width), card("NAXIS2", height)];
   if (planes.length > 1) {
      cards.push(card("NAXIS3", planes.length));
   }
   for (const k of keywords || []) {
      if (!/^(SIMPLE|BITPIX|NAXIS\d*|END)$/.test(k.name)) {
         cards.push(card(k.name, k.value, k.comment));
      }
   }
   cards.push("END".padEnd(80));
   const header = Buffer.from(cards.join("").padEnd(Math.ceil(cards.length * 80 / FITS_BLOCK) * FITS_BLOCK), "latin1");
   const n = width * height;
   const data = Buffer.alloc(Math.ceil(n * planes.length * 4 / FITS_BLOCK) * FITS_BLOCK);
   planes.forEach((plane, c) => {
      /* FITS rows run bottom-up; PixInsight flips on read and write, so row 0 is the image's top */
      for (let i = 0; i < n; ++i) {
         data.writeFloatBE(plane[i], (c * n + i) * 4);
      }
   });
   fs.writeFileSync(path, Buffer.concat([header, data]));
}

/* Read a BITPIX -32 FITS file: {width, height, channels, keywords, planes}; throws on others. */
function readFits(path) {
   const buf = fs.readFileSync(path);
   if (buf.toString("latin1", 0, 9) !== "SIMPLE  =") {
      throw new Error(`not a FITS file: ${path}`);
   }
   const cards = {};
   const keywords = [];
   let end = 0;
   for (let i = 0; i + 80 <= buf.length; i += 80) {
      const text = buf.toString("latin1", i, i + 80);
      const m = /^(\S+)\s*=\s*('[^']*'|\S+)(?:\s*\/\s*(.*\S))?/.exec(text);
      if (m) {
         cards[m[1]] = m[2];
         keywords.push({ name: m[1], value: m[2], comment: m[3] || "" });
      }
      if (text.startsWith("END ")) {
         end = Math.ceil((i + 80) / FITS_BLOCK) * FITS_BLOCK;
         break;
      }
   }
   if (cards.BITPIX !== "-32") {
      throw new Error(`shim: FITS BITPIX ${cards.BITPIX} is not supported: ${path}`);
   }
   const width = Number(cards.NAXIS1);
   const height = Number(cards.NAXIS2);
   const channels = cards.NAXIS === "3" ? Number(cards.NAXIS3) : 1;
   const planes = [];
   for (let c = 0; c < channels; ++c) {
      const plane = new Float32Array(width * height);
      for (let k = 0; k < plane.length; ++k) {
         plane[k] = buf.readFloatBE(end + 4 * (c * plane.length + k));
      }
      planes.push(plane);
   }
   return { width, height, channels, keywords: keywords.filter((k) => !/^(SIMPLE|BITPIX|NAXIS\d*)$/.test(k.name)), planes };
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

module.exports = { writeXisf, readXisf, readXisfIccProfile, writeFits, readFits, pngSize, makePng };
