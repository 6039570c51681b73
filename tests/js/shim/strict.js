"use strict";
/*
 * The strict part of the PJSR shim: one JavaScript class per PixInsight core class of
 * pjsr-api.json, whose instances and statics are Proxies that throw on any member PixInsight
 * does not have (and on calls with an impossible number of arguments), so a misspelt API call
 * fails a Node test instead of failing in PixInsight.
 *
 * Behaviour comes from `impls[ClassName]`: {init(self, args), proto: {member descriptors},
 * statics: {member descriptors}}. Listed members without behaviour are inert (methods return
 * undefined, properties hold what was assigned).
 */

const PJSR = Symbol("pjsr-class");
const STATE = Symbol("pjsr-state");
const OBJECT_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
const FUNCTION_NAMES = new Set(Object.getOwnPropertyNames(Function.prototype).concat(["prototype", "name", "length"]));

function checkArity(what, spec, args) {
   const [min, max] = spec;
   if (args.length < min || (max !== null && args.length > max)) {
      throw new Error(`PJSR: ${what} takes ${min}..${max === null ? "n" : max} arguments, got ${args.length}`);
   }
}

function wrapMethod(what, spec, fn) {
   return function (...args) {
      checkArity(what, spec, args);
      return fn ? fn.apply(this, args) : undefined;
   };
}

/* Member tables of a class with everything it inherits. */
function memberInfo(api, name) {
   const info = { methods: {}, properties: new Set(), handlers: new Set() };
   for (let c = name; c; c = api.classes[c].base) {
      const cls = api.classes[c];
      for (const [m, spec] of Object.entries(cls.methods)) {
         if (!(m in info.methods)) {
            info.methods[m] = spec;
         }
      }
      cls.properties.forEach((p) => info.properties.add(p));
      cls.handlers.forEach((h) => info.handlers.add(h));
   }
   info.all = new Set([...Object.keys(info.methods), ...info.properties, ...info.handlers]);
   return info;
}

/* The nearest PixInsight class of an object (its own class or the one a script subclassed). */
function pjsrClassOf(target) {
   for (let p = Object.getPrototypeOf(target); p; p = Object.getPrototypeOf(p)) {
      if (Object.prototype.hasOwnProperty.call(p, PJSR)) {
         return p;
      }
   }
   return null;
}

function instanceHandler() {
   const refuse = (target, prop, verb) => {
      const proto = pjsrClassOf(target);
      throw new Error(`PJSR: ${proto[PJSR]} has no member '${String(prop)}' (${verb})`);
   };
   return {
      get(target, prop, receiver) {
         if (typeof prop === "symbol" || OBJECT_NAMES.has(prop)) {
            return Reflect.get(target, prop, receiver);
         }
         const proto = pjsrClassOf(target);
         const info = proto.constructor[STATE];
         if (info.all.has(prop) || Object.prototype.hasOwnProperty.call(target, prop)) {
            return Reflect.get(target, prop, receiver);
         }
         if (target[STATE].subclassed && prop in target) {
            return Reflect.get(target, prop, receiver);
         }
         return refuse(target, prop, "read");
      },
      set(target, prop, value, receiver) {
         if (typeof prop === "symbol") {
            return Reflect.set(target, prop, value, receiver);
         }
         const info = pjsrClassOf(target).constructor[STATE];
         if (prop in info.methods) {
            throw new Error(`PJSR: ${pjsrClassOf(target)[PJSR]}.${prop} is a method; it cannot be assigned`);
         }
         if (info.handlers.has(prop) && value !== null && typeof value !== "function") {
            throw new Error(`PJSR: ${pjsrClassOf(target)[PJSR]}.${prop} must be a function`);
         }
         if (info.all.has(prop) || target[STATE].subclassed || Object.prototype.hasOwnProperty.call(target, prop)) {
            return Reflect.set(target, prop, value, receiver);
         }
         return refuse(target, prop, "write");
      },
      has(target, prop) {
         return Reflect.has(target, prop);
      }
   };
}

function staticHandler(name, cls, families) {
   const allowed = new Set([...Object.keys(cls.staticMethods), ...cls.staticProperties, ...cls.constants]);
   return {
      get(target, prop, receiver) {
         if (typeof prop === "symbol" || FUNCTION_NAMES.has(prop) || allowed.has(prop) || prop === STATE) {
            return Reflect.get(target, prop, receiver);
         }
         if (families && prop in families) {
            return families[prop];
         }
         throw new Error(`PJSR: ${name} has no static member '${prop}'`);
      },
      set(target, prop, value, receiver) {
         if (cls.staticProperties.includes(prop)) {
            return Reflect.set(target, prop, value, receiver);
         }
         throw new Error(`PJSR: cannot assign static '${name}.${String(prop)}'`);
      }
   };
}

/* A frozen constant object that throws on unknown names (StdButton.Ok, DataType.String ...). */
function constantFamily(name, members) {
   const target = Object.freeze(Object.assign(Object.create(null), members));
   return new Proxy(target, {
      get(t, prop) {
         if (typeof prop === "symbol") {
            return undefined;
         }
         if (!(prop in t) || t[prop] === null) {
            throw new Error(`PJSR: ${name} has no constant '${prop}'`);
         }
         return t[prop];
      },
      set() {
         throw new Error(`PJSR: ${name} constants are read-only`);
      }
   });
}

/*
 * Build every class of api.classes with behaviours from impls. Returns {ClassName: Proxy}.
 * A script's `class X extends Dialog` gets instances that may carry its own fields and
 * methods, while the inherited PixInsight members stay checked.
 */
function buildClasses(api, impls) {
   const out = {};
   const handler = instanceHandler();
   const make = (name) => {
      if (out[name]) {
         return out[name];
      }
      const cls = api.classes[name];
      const impl = impls[name] || {};
      const Base = cls.base ? make(cls.base) : null;
      const ctorSpec = cls.ctor;
      let Cls;
      if (Base) {
         Cls = class extends Base {
            constructor(...args) {
               super(...args);
               if (impl.init) {
                  impl.init(this, args);
               }
            }
         };
      } else {
         Cls = class {
            constructor(...args) {
               const self = new Proxy(this, handler);
               this[STATE] = { subclassed: !Object.prototype.hasOwnProperty.call(new.target.prototype, PJSR) };
               const own = pjsrClassOf(this);
               checkArity(`new ${own[PJSR]}()`, own.constructor[STATE].ctor, args);
               if (impl.init) {
                  impl.init(self, args);
               }
               return self;
            }
         };
      }
      Object.defineProperty(Cls, "name", { value: name });
      Cls.prototype[PJSR] = name;
      const info = memberInfo(api, name);
      info.ctor = ctorSpec;
      Object.defineProperty(Cls, STATE, { value: info });
      for (const [m, spec] of Object.entries(cls.methods)) {
         const given = impl.proto && Object.getOwnPropertyDescriptor(impl.proto, m);
         Object.defineProperty(Cls.prototype, m, {
            value: wrapMethod(`${name}.${m}()`, spec, given && given.value),
            writable: false,
            configurable: true
         });
      }
      for (const [m, desc] of Object.entries(Object.getOwnPropertyDescriptors(impl.proto || {}))) {
         if (!(m in cls.methods)) {
            if (!info.all.has(m)) {
               throw new Error(`shim bug: ${name}.${m} is not a PJSR member`);
            }
            /* an inherited method given behaviour here (a process's executeOn) keeps its arity check */
            const inherited = m in info.methods ? { value: wrapMethod(`${name}.${m}()`, info.methods[m], desc.value), writable: false, configurable: true } : desc;
            Object.defineProperty(Cls.prototype, m, inherited);
         }
      }
      /* Process constants (AssignICCProfile.AssignNewProfile): the typings give names only, so
         the shim numbers them; a script must use the names. */
      if (cls.base === "ProcessInstance") {
         cls.constants.forEach((k, i) => Object.defineProperty(Cls, k, { value: i, enumerable: true }));
      }
      for (const [m, spec] of Object.entries(cls.staticMethods)) {
         const given = impl.statics && Object.getOwnPropertyDescriptor(impl.statics, m);
         Object.defineProperty(Cls, m, { value: wrapMethod(`${name}.${m}()`, spec, given && given.value), configurable: true });
      }
      for (const [m, desc] of Object.entries(Object.getOwnPropertyDescriptors(impl.statics || {}))) {
         if (!(m in cls.staticMethods)) {
            if (!cls.staticProperties.includes(m)) {
               throw new Error(`shim bug: ${name}.${m} is not a static PJSR member`);
            }
            Object.defineProperty(Cls, m, desc);
         }
      }
      out[name] = new Proxy(Cls, staticHandler(name, cls, null));
      return out[name];
   };
   Object.keys(api.classes).forEach(make);
   return out;
}

/* Internal state of a shim object (for behaviours and tests; never seen by the script). */
function stateOf(obj) {
   return obj[STATE];
}

module.exports = { buildClasses, constantFamily, stateOf, checkArity };
