/*
 * BGX.iccProfile: the description of an ICC profile's bytes (ICC.1 v2 textDescriptionType
 * 'desc' or v4 multiLocalizedUnicodeType 'mluc'), the name AssignICCProfile's targetProfile
 * takes (assumed to find an installed profile by it: test plan 10.19). Every read is
 * bounds-checked: a truncated or hostile profile gives null, never a throw or a read outside
 * the bytes.
 */
var BGX = (typeof BGX !== "undefined") ? BGX : {};

BGX.iccProfile = (function () {
   "use strict";

   var HEADER_SIZE = 128;
   var TAG_ENTRY_SIZE = 12;
   var MLUC_RECORD_MIN = 12;

   /* A big-endian reader over bytes[0, size) whose reads give null outside it. */
   function reader(bytes, size) {
      function inside(offset, count) {
         return offset >= 0 && count >= 0 && offset + count <= size;
      }
      return {
         inside: inside,
         u16: function (o) {
            return inside(o, 2) ? bytes[o] * 256 + bytes[o + 1] : null;
         },
         u32: function (o) {
            return inside(o, 4) ? ((bytes[o] * 256 + bytes[o + 1]) * 256 + bytes[o + 2]) * 256 + bytes[o + 3] : null;
         },
         ascii: function (o, count) {
            if (!inside(o, count)) {
               return null;
            }
            var s = "";
            for (var i = 0; i < count; ++i) {
               s += String.fromCharCode(bytes[o + i]);
            }
            return s;
         }
      };
   }

   /* Text up to its first NUL; null when that leaves nothing. */
   function clean(text) {
      if (text === null) {
         return null;
      }
      var nul = text.indexOf("\u0000");
      var s = nul < 0 ? text : text.slice(0, nul);
      return s.length > 0 ? s : null;
   }

   /* v2 textDescriptionType: the ASCII part (its count includes the closing NUL). */
   function textDescription(r, start, length) {
      var count = r.u32(start + 8);
      if (count === null || count < 1 || 12 + count > length) {
         return null;
      }
      return clean(r.ascii(start + 12, count));
   }

   /*
    * v4 multiLocalizedUnicodeType: the record LittleCMS (PixInsight's colour engine) would
    * pick for en/US: that language and country, else the first in English, else the first.
    */
   function localizedDescription(r, start, length) {
      var records = r.u32(start + 8);
      var recordSize = r.u32(start + 12);
      if (records === null || recordSize === null || records < 1 || recordSize < MLUC_RECORD_MIN ||
         16 + records * recordSize > length) {
         return null;
      }
      var chosen = -1;
      for (var i = 0; i < records && chosen < 0; ++i) {
         var at = start + 16 + i * recordSize;
         var language = r.ascii(at, 2);
         if (language === "en" && r.ascii(at + 2, 2) === "US") {
            chosen = i;
         }
      }
      for (var j = 0; j < records && chosen < 0; ++j) {
         if (r.ascii(start + 16 + j * recordSize, 2) === "en") {
            chosen = j;
         }
      }
      var record = start + 16 + Math.max(chosen, 0) * recordSize;
      var size = r.u32(record + 4);
      var offset = r.u32(record + 8);
      if (size === null || offset === null || size % 2 !== 0 || offset + size > length) {
         return null;
      }
      var s = "";
      for (var k = 0; k < size; k += 2) {
         s += String.fromCharCode(r.u16(start + offset + k));
      }
      return clean(s);
   }

   /*
    * The profile's description, or null when bytes is not an ICC profile with a readable
    * 'desc' tag. bytes: byte values (a Uint8Array, e.g. ByteArray.toUint8Array()).
    */
   function description(bytes) {
      if (!bytes || typeof bytes.length !== "number" || bytes.length < HEADER_SIZE + 4) {
         return null;
      }
      var declared = reader(bytes, bytes.length).u32(0);
      if (declared > bytes.length || declared < HEADER_SIZE + 4) {
         return null;
      }
      var r = reader(bytes, declared);
      if (r.ascii(36, 4) !== "acsp") {
         return null;
      }
      var tags = r.u32(HEADER_SIZE);
      if (!r.inside(HEADER_SIZE + 4, tags * TAG_ENTRY_SIZE)) {
         return null;
      }
      for (var i = 0; i < tags; ++i) {
         var entry = HEADER_SIZE + 4 + i * TAG_ENTRY_SIZE;
         if (r.ascii(entry, 4) !== "desc") {
            continue;
         }
         var start = r.u32(entry + 4);
         var length = r.u32(entry + 8);
         if (!r.inside(start, length) || length < 12) {
            return null;
         }
         var type = r.ascii(start, 4);
         if (type === "desc") {
            return textDescription(r, start, length);
         }
         return type === "mluc" ? localizedDescription(r, start, length) : null;
      }
      return null;
   }

   return {
      description: description
   };
})();
