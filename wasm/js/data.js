// @ts-check
// The JavaScript half of job data conversion (wasm/src/data/): the questions
// about a value that take one call here and several through js-sys, and the
// constructors js-sys lacks. Every function that touches a caller's value is
// imported with `catch` on the Rust side, so a throwing getter or a revoked
// Proxy becomes a clone error instead of an exception crossing the module.

// What `tag` answers; keep in step with `mod tag` in wasm/src/data/from_js.rs.
const UNDEFINED = 0;
const NULL = 1;
const FALSE = 2;
const TRUE = 3;
const NUMBER = 4;
const STRING = 5;
const ILL_FORMED_STRING = 6;
const BIGINT = 7;
const ARRAY = 8;
const SPARSE_ARRAY = 9;
const OBJECT = 10;
const DATE = 11;
const REGEXP = 12;
const MAP = 13;
const SET = 14;
const ERROR = 15;
const ARRAY_BUFFER = 16;
const DATA_VIEW = 17;
const BOXED = 18;
const DETACHED = 19;
const NOT_DATA = 20;
/** Typed arrays: 32 + their index here. */
const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];
const TYPED = new Map(TYPED_ARRAYS.map((name, i) => [name, 32 + i]));

/** `%TypedArray%.prototype[Symbol.toStringTag]`: a typed array's kind, or undefined for anything else. */
const typedArrayName = /** @type {(this: unknown) => string | undefined} */ (
  /** @type {PropertyDescriptor} */ (
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)
  ).get
);
/** `ArrayBuffer.prototype.detached` (2023); without it a detached buffer reads as empty. */
const detachedGetter = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached')?.get;
const isWellFormed = /** @type {any} */ (String.prototype).isWellFormed;
const isError = /** @type {any} */ (Error).isError ?? ((/** @type {unknown} */ v) => v instanceof Error);
const { hasOwn, getPrototypeOf } = Object;

/** @param {unknown} buffer */
function detached(buffer) {
  if (detachedGetter === undefined) return false;
  try {
    return detachedGetter.call(buffer);
  } catch {
    return false; // a SharedArrayBuffer: never detached
  }
}

/** @param {unknown[]} a whether every index below the length is present */
function dense(a) {
  const n = a.length;
  for (let i = 0; i < n; i++) if (!(i in a)) return false;
  return true;
}

/**
 * What kind of value `v` is, as one small integer.
 * @param {unknown} v
 * @returns {number}
 */
export function tag(v) {
  switch (typeof v) {
    case 'number':
      return NUMBER;
    case 'string':
      return isWellFormed === undefined || isWellFormed.call(v) ? STRING : ILL_FORMED_STRING;
    case 'boolean':
      return v ? TRUE : FALSE;
    case 'undefined':
      return UNDEFINED;
    case 'bigint':
      return BIGINT;
    case 'object':
      break;
    default:
      return NOT_DATA; // symbol, function
  }
  if (v === null) return NULL;
  if (Array.isArray(v)) return dense(v) ? ARRAY : SPARSE_ARRAY;
  const proto = getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return OBJECT;
  if (ArrayBuffer.isView(v)) {
    if (detached(v.buffer)) return DETACHED;
    return TYPED.get(/** @type {string} */ (typedArrayName.call(v))) ?? DATA_VIEW;
  }
  if (v instanceof Date) return DATE;
  if (v instanceof Map) return MAP;
  if (v instanceof Set) return SET;
  if (v instanceof ArrayBuffer) return detached(v) ? DETACHED : ARRAY_BUFFER;
  if (v instanceof RegExp) return REGEXP;
  if (typeof DOMException !== 'undefined' && v instanceof DOMException) return NOT_DATA;
  if (isError(v)) return ERROR;
  if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt) return BOXED;
  return NOT_DATA;
}

/** @param {unknown[]} a @param {number} i */
export function item(a, i) {
  return a[i];
}

/** @param {unknown[]} a */
export function length(a) {
  return a.length;
}

/** A getter of `key` threw `error` while `fields` read an object. */
class ReadError {
  /** @param {string} key @param {unknown} error */
  constructor(key, error) {
    this.key = key;
    this.error = error;
  }
}

/** @param {unknown} e the key whose getter threw, if `e` says so */
export function readErrorKey(e) {
  return e instanceof ReadError ? e.key : undefined;
}

/**
 * An object's own enumerable string-keyed properties, flat: [key, value, key, value, ...].
 * @param {Record<string, unknown>} o
 */
export function fields(o) {
  const keys = Object.keys(o);
  const out = new Array(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    out[2 * i] = k;
    try {
      out[2 * i + 1] = o[k];
    } catch (error) {
      throw new ReadError(k, error);
    }
  }
  return out;
}

/**
 * An array with holes: [length, index, value, index, value, ...], indices ascending.
 * @param {unknown[]} a
 */
export function sparseItems(a) {
  /** @type {unknown[]} */
  const out = [a.length];
  for (const k of Object.keys(a)) {
    const i = Number(k);
    // Array indices only (Object.keys lists them first, ascending).
    if (!(i >>> 0 === i && i !== 4294967295 && String(i) === k)) break;
    out.push(i, a[i]);
  }
  return out;
}

/** @param {Map<unknown, unknown>} m a Map's entries, flat: [key, value, ...] */
export function mapEntries(m) {
  const out = [];
  for (const [k, v] of Map.prototype.entries.call(m)) out.push(k, v);
  return out;
}

/** @param {Set<unknown>} s */
export function setValues(s) {
  return Array.from(Set.prototype.values.call(s));
}

/**
 * What structured clone keeps of an Error: [name, message, stack, hasCause, cause],
 * message undefined unless own, stack undefined unless a string.
 * @param {Error} e
 */
export function errorParts(e) {
  const stack = e.stack;
  return [
    String(e.name),
    hasOwn(e, 'message') ? String(e.message) : undefined,
    typeof stack === 'string' ? stack : undefined,
    hasOwn(e, 'cause'),
    hasOwn(e, 'cause') ? e.cause : undefined,
  ];
}

/** @param {RegExp} r */
export function regExpParts(r) {
  return [r.source, r.flags];
}

/** @param {Date} d */
export function dateValue(d) {
  return Date.prototype.getTime.call(d);
}

/** The primitive in a Boolean, Number, String or BigInt object. @param {object} v */
export function unbox(v) {
  if (v instanceof Number) return Number.prototype.valueOf.call(v);
  if (v instanceof String) return String.prototype.valueOf.call(v);
  if (v instanceof Boolean) return Boolean.prototype.valueOf.call(v);
  return BigInt.prototype.valueOf.call(v);
}

/** @param {bigint} b its decimal digits */
export function bigintText(b) {
  return BigInt.prototype.toString.call(b);
}

/** The bytes an ArrayBuffer holds or a DataView sees, as a Uint8Array over them. @param {ArrayBuffer | DataView} v */
export function bytesOf(v) {
  return ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
}

/** A string's UTF-16 code units. @param {string} s */
export function codeUnits(s) {
  const out = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Why `v` cannot be cloned, for the error message.
 * @param {unknown} v
 * @returns {string}
 */
export function describe(v) {
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'}) cannot be cloned`;
  if (typeof v === 'symbol') return `${String(v)} cannot be cloned`;
  if (typeof v !== 'object' || v === null) return `a ${typeof v} cannot be cloned`;
  if (ArrayBuffer.isView(v)) {
    return `a ${typedArrayName.call(v) ?? 'DataView'} over a detached ArrayBuffer cannot be cloned (the buffer was transferred)`;
  }
  if (v instanceof ArrayBuffer) return 'a detached ArrayBuffer cannot be cloned (it was transferred)';
  if (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) {
    return 'a SharedArrayBuffer cannot be cloned: it is shared memory, not data (pass a typed array over it to copy its bytes)';
  }
  if (typeof DOMException !== 'undefined' && v instanceof DOMException) {
    return `a DOMException (${v.name}) cannot be cloned: pass { name, message } instead`;
  }
  if (v instanceof Symbol) return `a Symbol object (${String(v.valueOf())}) cannot be cloned`;
  const tagName = Object.prototype.toString.call(v).slice(8, -1);
  if (tagName !== 'Object') return `${article(tagName)} ${tagName} cannot be cloned`;
  let name = '';
  try {
    name = String(getPrototypeOf(v)?.constructor?.name ?? '');
  } catch {
    // a Proxy whose trap throws: no name
  }
  return `${name ? `${article(name)} ${name} instance` : 'an object with a class prototype'} cannot be cloned: only plain objects (prototype Object.prototype or null) can`;
}

/** @param {string} word */
function article(word) {
  return /^([aeiou]|HTML|SVG|XML)/i.test(word) ? 'an' : 'a';
}

/** @param {unknown} e what a helper threw, as text */
export function thrownText(e) {
  if (e instanceof ReadError) e = e.error;
  try {
    return isError(e) ? `${/** @type {Error} */ (e).name}: ${/** @type {Error} */ (e).message}` : String(e);
  } catch {
    return 'an unprintable value';
  }
}

// To JavaScript.

/** @param {Uint16Array} units a string from its UTF-16 code units, lone surrogates kept */
export function fromCodeUnits(units) {
  let s = '';
  const CHUNK = 8192; // under any engine's limit on arguments
  for (let i = 0; i < units.length; i += CHUNK) {
    s += String.fromCharCode.apply(null, /** @type {any} */ (units.subarray(i, i + CHUNK)));
  }
  return s;
}

/** @param {string} digits */
export function bigintFrom(digits) {
  return BigInt(digits);
}

/** @param {Uint16Array} bits a Float16Array over these bits, or the bits where there is no Float16Array */
export function float16(bits) {
  const F16 = /** @type {any} */ (globalThis).Float16Array;
  return F16 ? new F16(bits.buffer, bits.byteOffset, bits.length) : bits;
}

/** @param {unknown} v `Object(v)`: a Boolean, Number, String or BigInt object */
export function boxed(v) {
  return Object(v);
}

/** @param {string} source @param {string} flags a RegExp, or the SyntaxError if it does not compile */
export function regExp(source, flags) {
  try {
    return new RegExp(source, flags);
  } catch (e) {
    return e;
  }
}

const ERRORS = /** @type {Record<string, ErrorConstructor>} */ ({
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
});

/**
 * @param {string} name one of the native error names
 * @param {string | undefined} message undefined: no own message
 * @param {string | undefined} stack
 * @param {boolean} hasCause
 * @param {unknown} cause
 */
export function makeError(name, message, stack, hasCause, cause) {
  const E = ERRORS[name] ?? Error;
  const e = hasCause ? new E(message, { cause }) : new E(message);
  // As structured clone does: the stack it had, or none.
  e.stack = /** @type {string} */ (stack);
  return e;
}

/**
 * Sets an own property, `__proto__` included (as structured clone does; an
 * assignment would set the prototype instead).
 * @param {Record<string, unknown>} o @param {string} k @param {unknown} v
 */
export function setField(o, k, v) {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}
