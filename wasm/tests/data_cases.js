// @ts-check
// Values for tests/data.rs: one of every type structured clone carries for
// plain data, the values it must refuse, and a deep comparison to check a
// round trip against what the browser's own structuredClone returns.

/** @param {number} levels arrays nested `levels` deep, innermost [1] */
export function nested(levels) {
  /** @type {unknown} */
  let v = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** @returns {[string, unknown][]} */
export function cases() {
  const buf = new ArrayBuffer(8);
  new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8]);
  const trailingHoles = [1];
  trailingHoles.length = 5;
  const hugeSparse = [];
  hugeSparse[4294967294] = 'last';
  hugeSparse[7] = 'seven';
  const withLastIndex = /x/g;
  withLastIndex.lastIndex = 3;
  const nullProto = Object.create(null);
  nullProto.x = 1;
  const hidden = { shown: 1 };
  Object.defineProperty(hidden, 'hidden', { value: 2, enumerable: false });
  class MyError extends Error {
    constructor(/** @type {string} */ m) {
      super(m);
      this.name = 'MyError';
      this.extra = 1;
    }
  }
  const renamed = new TypeError('t');
  renamed.name = 'SyntaxError';
  const noStack = new Error('no stack');
  // @ts-ignore
  delete noStack.stack;
  const numericMessage = new Error('x');
  // @ts-ignore
  numericMessage.message = 5;
  /** @type {[string, unknown][]} */
  const out = [
    ['undefined', undefined],
    ['null', null],
    ['true', true],
    ['false', false],
    ['number', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-0', -0],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
    ['Number.MIN_VALUE', Number.MIN_VALUE],
    ['bigint 0', 0n],
    ['bigint -42', -42n],
    ['bigint 2^63 (past i64)', 2n ** 63n],
    ['bigint -2^63 (i64::MIN)', -(2n ** 63n)],
    ['bigint -(2^200) + 1', -(2n ** 200n) + 1n],
    ['string', 'héllo 🌍 wörld'],
    ['empty string', ''],
    ['lone high surrogate', 'a\uD800b'],
    ['lone low surrogate', '\uDC00'],
    ['surrogates in the wrong order', '\uDC00\uD800'],
    ['long string', 'x'.repeat(100_000)],
    ['long string of lone surrogates', '\uD800'.repeat(20_000)],
    ['Date', new Date(1_700_000_000_123)],
    ['Date before 1970', new Date(-1)],
    ['invalid Date', new Date(NaN)],
    ['RegExp', /a+\/b[\]]/giu],
    ['RegExp with lastIndex', withLastIndex],
    ['RegExp with v and d flags', /\p{L}/dv],
    ['Number object', new Number(-0)],
    ['String object', new String('s\uD800')],
    ['Boolean object', new Boolean(false)],
    ['BigInt object', Object(10n ** 30n)],
    ['Int8Array', new Int8Array([-128, -1, 0, 127])],
    ['Uint8Array', new Uint8Array([0, 1, 254, 255])],
    ['Uint8ClampedArray', new Uint8ClampedArray([0, 128, 255])],
    ['Int16Array', new Int16Array([-32768, -1, 32767])],
    ['Uint16Array', new Uint16Array([0, 65535])],
    ['Int32Array', new Int32Array([-2147483648, 2147483647])],
    ['Uint32Array', new Uint32Array([0, 4294967295])],
    ['Float32Array', new Float32Array([1.5, -0, NaN, Infinity, -3.4e38, 1e-45])],
    ['Float64Array', new Float64Array([1.5, -0, NaN, -Infinity, Number.MAX_VALUE, 5e-324])],
    ['BigInt64Array', new BigInt64Array([-(2n ** 63n), -1n, 2n ** 63n - 1n])],
    ['BigUint64Array', new BigUint64Array([0n, 2n ** 64n - 1n])],
    ['empty Uint8Array', new Uint8Array(0)],
    ['big Float64Array', new Float64Array(100_000).map((_, i) => i / 3)],
    ['Uint8Array over part of a buffer', new Uint8Array(buf, 2, 3)],
    ['Int32Array over part of a buffer', new Int32Array(buf, 4, 1)],
    ['ArrayBuffer', buf],
    ['empty ArrayBuffer', new ArrayBuffer(0)],
    ['DataView', new DataView(buf)],
    ['DataView over part of a buffer', new DataView(buf, 1, 4)],
    ['array', [1, 'two', null, undefined, [3], { four: 4 }]],
    ['empty array', []],
    ['array with a hole', [1, , 3]],
    ['array with trailing holes', trailingHoles],
    ['array of holes only', new Array(3)],
    ['huge sparse array', hugeSparse],
    ['object', { a: 1, b: { c: [1, 2] }, u: undefined, n: null, '': 'empty key', 'two words': 2 }],
    ['object with integer-like keys', { b: 1, 2: 'x', a: 3, 1: 'y' }],
    ['object with a null prototype', nullProto],
    ['object with symbol keys', { [Symbol('s')]: 1, a: 2 }],
    ['object with a non-enumerable property', hidden],
    ['object with an own __proto__ key', JSON.parse('{"__proto__": {"x": 1}, "y": 2}')],
    ['object with a getter', { get g() { return 5; } }],
    ['empty object', {}],
    [
      'Map',
      new Map(
        /** @type {[unknown, unknown][]} */ ([
          [1, 'a'],
          ['k', { x: 1 }],
          [{ o: 1 }, [2]],
          [NaN, undefined],
          [2n, new Date(0)],
          [new Uint8Array([9]), new Set([1])],
        ]),
      ),
    ],
    ['empty Map', new Map()],
    ['Set', new Set([1, '1', undefined, null, { a: 1 }, [1], 5n, NaN])],
    ['empty Set', new Set()],
    ['Error', new Error('boom')],
    ['Error without a message', new Error()],
    ['RangeError with a cause', new RangeError('r', { cause: { code: 7, when: new Date(0) } })],
    ['Error whose cause is undefined', new Error('u', { cause: undefined })],
    ['Error caused by an Error', new TypeError('outer', { cause: new SyntaxError('inner') })],
    ['EvalError', new EvalError('e')],
    ['ReferenceError', new ReferenceError('e')],
    ['URIError', new URIError('e')],
    ['Error subclass', new MyError('mine')],
    ['TypeError renamed SyntaxError', renamed],
    ['Error without a stack', noStack],
    ['Error with a number message', numericMessage],
    ['AggregateError', new AggregateError([new Error('a')], 'agg')],
    ['64 levels of nesting', nested(64)],
  ];
  if (typeof (/** @type {any} */ (globalThis).Float16Array) === 'function') {
    const F16 = /** @type {any} */ (globalThis).Float16Array;
    out.push(['Float16Array', new F16([1.5, -0, NaN, Infinity, 65504, 6e-8])]);
  }
  const flat = out.filter(([name]) => !name.includes('nesting'));
  out.push(['everything at once', { list: flat.map(([name, v]) => ({ name, v })), map: new Map(flat) }]);
  return out;
}

/**
 * Values structured clone carries that this conversion refuses or cannot
 * carry, with the message each must give: [what, value, message start].
 * @returns {[string, unknown, string][]}
 */
export function refused() {
  const detached = new ArrayBuffer(4);
  const view = new Uint8Array(detached);
  const dataView = new DataView(detached);
  structuredClone(detached, { transfer: [detached] });
  const circular = /** @type {any} */ ({ b: {} });
  circular.b.back = circular;
  const loopMap = new Map();
  loopMap.set('self', [loopMap]);
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  class Point {
    constructor() {
      this.x = 1;
    }
  }
  return [
    ['function', { items: [0, 1, 2, { when: () => 1 }] }, 'input.items[3].when: a function (when) cannot be cloned'],
    ['symbol', { s: Symbol('x') }, 'input.s: Symbol(x) cannot be cloned'],
    ['Symbol object', [Object(Symbol('q'))], 'input[0]: a Symbol object (Symbol(q)) cannot be cloned'],
    ['class instance', [new Point()], 'input[0]: a Point instance cannot be cloned: only plain objects'],
    ['WeakMap', { w: new WeakMap() }, 'input.w: a WeakMap cannot be cloned'],
    ['WeakSet', { w: new WeakSet() }, 'input.w: a WeakSet cannot be cloned'],
    ['Promise', { p: Promise.resolve(1) }, 'input.p: a Promise cannot be cloned'],
    ['DOM node', { el: document.createElement('div') }, 'input.el: an HTMLDivElement cannot be cloned'],
    ['DOMException', new DOMException('m', 'AbortError'), 'input: a DOMException (AbortError) cannot be cloned'],
    ['circular object', circular, 'input.b.back: a circular reference (back to input) cannot be cloned'],
    ['circular Map', loopMap, 'input.get("self")[0]: a circular reference (back to input) cannot be cloned'],
    ['detached ArrayBuffer', { buf: detached }, 'input.buf: a detached ArrayBuffer cannot be cloned'],
    ['view over a detached buffer', [view], 'input[0]: a Uint8Array over a detached ArrayBuffer cannot be cloned'],
    ['DataView over a detached buffer', [dataView], 'input[0]: a DataView over a detached ArrayBuffer cannot be cloned'],
    ['SharedArrayBuffer', new SharedArrayBuffer(4), 'input: a SharedArrayBuffer cannot be cloned'],
    ['65 levels of nesting', nested(65), `input${'[0]'.repeat(64)}: nests deeper than 64 levels`],
    [
      'throwing getter',
      { ok: 1, get bad() { throw new RangeError('no'); } },
      'input.bad: reading it threw RangeError: no',
    ],
    ['revoked Proxy', { p: proxy }, 'input.p: reading it threw TypeError'],
    ['function as an Error cause', new Error('x', { cause: () => 1 }), 'input.cause: a function (cause) cannot be cloned'],
    ['function as a Map key', new Map([[function f() {}, 1]]), 'input.keys()[0]: a function (f) cannot be cloned'],
    ['symbol in a Set', new Set([1, Symbol.iterator]), 'input.values()[1]: Symbol(Symbol.iterator) cannot be cloned'],
    ['symbol at a Map key', new Map([['k', Symbol('v')]]), 'input.get("k"): Symbol(v) cannot be cloned'],
    ['function in a sparse array', [, () => 1], 'input[1]: a function (anonymous) cannot be cloned'],
  ];
}

/** @param {unknown} v */
function show(v) {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * Where `a` and `b` differ ("" if nowhere), comparing what structured clone
 * keeps: types and prototypes, values by Object.is (NaN, -0), typed arrays and
 * views by their elements, holes, key order, Map and Set order, an Error's
 * name, own message, stack and cause.
 * @param {any} a @param {any} b @param {string} [at]
 * @returns {string}
 */
export function difference(a, b, at = '$') {
  if (typeof a !== typeof b) return `${at}: ${typeof a} vs ${typeof b}`;
  if (typeof a !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? '' : `${at}: ${show(a)} vs ${show(b)}`;
  }
  const tag = Object.prototype.toString.call(a);
  if (tag !== Object.prototype.toString.call(b)) return `${at}: ${tag} vs ${Object.prototype.toString.call(b)}`;
  const protoA = Object.getPrototypeOf(a);
  const protoB = Object.getPrototypeOf(b);
  // A null-prototype object comes back as a plain one, from both.
  if (protoA !== protoB && !(protoA === null && protoB === Object.prototype)) {
    return `${at}: prototypes differ (${protoA?.constructor?.name} vs ${protoB?.constructor?.name})`;
  }
  if (ArrayBuffer.isView(a) || tag === '[object ArrayBuffer]') {
    const bytes = (/** @type {any} */ v) =>
      ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
    const [x, y] = [bytes(a), bytes(b)];
    if (x.length !== y.length) return `${at}: ${x.length} bytes vs ${y.length}`;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `${at}: byte ${i}: ${x[i]} vs ${y[i]}`;
    if (tag === '[object ArrayBuffer]' || tag === '[object DataView]') return '';
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `${at}[${i}]: ${show(a[i])} vs ${show(b[i])}`;
    return '';
  }
  switch (tag) {
    case '[object Date]':
      return Object.is(a.getTime(), b.getTime()) ? '' : `${at}: time ${a.getTime()} vs ${b.getTime()}`;
    case '[object RegExp]':
      return a.source === b.source && a.flags === b.flags && a.lastIndex === b.lastIndex
        ? ''
        : `${at}: ${a} (lastIndex ${a.lastIndex}) vs ${b} (lastIndex ${b.lastIndex})`;
    case '[object Number]':
    case '[object String]':
    case '[object Boolean]':
    case '[object BigInt]':
      return difference(a.valueOf(), b.valueOf(), `${at}.valueOf()`);
    case '[object Map]': {
      const [x, y] = [[...a], [...b]];
      if (x.length !== y.length) return `${at}: size ${x.length} vs ${y.length}`;
      for (let i = 0; i < x.length; i++) {
        const d = difference(x[i][0], y[i][0], `${at}.keys()[${i}]`) || difference(x[i][1], y[i][1], `${at}.values()[${i}]`);
        if (d) return d;
      }
      return '';
    }
    case '[object Set]': {
      const [x, y] = [[...a], [...b]];
      if (x.length !== y.length) return `${at}: size ${x.length} vs ${y.length}`;
      for (let i = 0; i < x.length; i++) {
        const d = difference(x[i], y[i], `${at}.values()[${i}]`);
        if (d) return d;
      }
      return '';
    }
    case '[object Error]': {
      for (const k of ['name', 'message', 'stack']) {
        if (a[k] !== b[k]) return `${at}.${k}: ${show(a[k])} vs ${show(b[k])}`;
      }
      for (const k of ['message', 'cause']) {
        if (Object.hasOwn(a, k) !== Object.hasOwn(b, k)) return `${at}: own ${k} ${Object.hasOwn(a, k)} vs ${Object.hasOwn(b, k)}`;
      }
      return difference(a.cause, b.cause, `${at}.cause`);
    }
    case '[object Array]': {
      if (a.length !== b.length) return `${at}: length ${a.length} vs ${b.length}`;
      break;
    }
  }
  const [ka, kb] = [Object.keys(a), Object.keys(b)];
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${at}: keys ${JSON.stringify(ka)} vs ${JSON.stringify(kb)}`;
  for (const k of ka) {
    const d = difference(a[k], b[k], `${at}[${JSON.stringify(k)}]`);
    if (d) return d;
  }
  return '';
}
