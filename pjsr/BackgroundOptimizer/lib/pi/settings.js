/*
 * BGX.settings: the dialog's values persisted through PixInsight's Settings, one key per entry
 * of the engine's key table (BGX.params.settingsKeys), invalid or missing keys -> defaults;
 * and exported to / imported from process instances through Parameters (BGX.instance).
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

   /* The values as the parameters of a new process instance (BGX.instance's table of ids). */
   exportInstance(values) {
      Parameters.clear();
      for (const p of BGX.instance.toParameters(values)) {
         Parameters.set(p.id, p.value);
      }
   },

   /* The running instance's parameters over base: {values, problems, notes}. */
   importInstance(base) {
      return BGX.instance.fromParameters((id) => Parameters.has(id), (id) => Parameters.get(id), base);
   },

   /* Forget every stored value (Reset). */
   clear() {
      for (const k of BGX.params.settingsKeys()) {
         Settings.remove(k.key);
      }
   }
};
