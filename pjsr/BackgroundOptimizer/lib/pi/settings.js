/*
 * BGX.settings: the dialog's values persisted through PixInsight's Settings, one key per entry
 * of the engine's key table (BGX.params.settingsKeys), invalid or missing keys -> defaults.
 */

BGX.settings = {
   dataType(type) {
      return { string: DataType.String, int: DataType.Int32, float: DataType.Double, bool: DataType.Boolean }[type];
   },

   load() {
      return BGX.params.fromSettings((key, type) => {
         const value = Settings.read(key, BGX.settings.dataType(type));
         return Settings.lastReadOK ? value : undefined;
      });
   },

   save(values) {
      for (const entry of BGX.params.toSettings(values)) {
         Settings.write(entry.key, BGX.settings.dataType(entry.type), entry.value);
      }
   },

   /* Forget every stored value (Reset). */
   clear() {
      for (const k of BGX.params.settingsKeys()) {
         Settings.remove(k.key);
      }
   }
};
