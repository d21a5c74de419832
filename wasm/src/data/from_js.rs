//! JavaScript values to [`Data`], on the thread that owns them.
//!
//! One depth-first walk. A number costs one call into JavaScript (`as_f64`,
//! tried first: numbers are the commonest input); anything else costs one
//! call to learn its kind (`tag` in `js/data.js`, which also answers whether
//! a string is well-formed and whether an array has holes), then the calls
//! that read it: one for a string, one bulk copy for a typed array or
//! buffer, one that lists an object's fields, and so on.
//!
//! # Invariants
//! 1. The containers above the current value are kept as [`Frame`]s on the
//!    Rust stack, each borrowing its value and the step down from its
//!    parent: nothing is allocated or cloned for them, and a path is written
//!    only when there is an error to report.
//! 2. No JavaScript exception crosses into the module: every helper that
//!    touches the caller's value (getters, Proxy traps) is imported with
//!    `catch`, and what it threw becomes a [`CloneError`] at that path.
//! 3. At most [`MAX_DEPTH`] containers are nested. A cycle is looked for only
//!    when that limit is hit, by finding an object twice among the frames:
//!    free while nothing is wrong, and it names the cycle when something is.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::path::{render, Step};
use super::{BigInt, CloneError, Data, ErrorName, ErrorObject, RegExp, Sparse, MAX_DEPTH};

/// What `tag` answers; keep in step with `js/data.js`.
mod kind {
    pub(super) const UNDEFINED: u32 = 0;
    pub(super) const NULL: u32 = 1;
    pub(super) const FALSE: u32 = 2;
    pub(super) const TRUE: u32 = 3;
    pub(super) const NUMBER: u32 = 4;
    pub(super) const STRING: u32 = 5;
    pub(super) const ILL_FORMED_STRING: u32 = 6;
    pub(super) const BIGINT: u32 = 7;
    pub(super) const ARRAY: u32 = 8;
    pub(super) const SPARSE_ARRAY: u32 = 9;
    pub(super) const OBJECT: u32 = 10;
    pub(super) const DATE: u32 = 11;
    pub(super) const REGEXP: u32 = 12;
    pub(super) const MAP: u32 = 13;
    pub(super) const SET: u32 = 14;
    pub(super) const ERROR: u32 = 15;
    pub(super) const ARRAY_BUFFER: u32 = 16;
    pub(super) const DATA_VIEW: u32 = 17;
    pub(super) const BOXED: u32 = 18;
    pub(super) const DETACHED: u32 = 19;
    pub(super) const NOT_DATA: u32 = 20;
    /// Typed arrays are `TYPED_ARRAY + i`, `i` their index in `TYPED_ARRAYS`.
    pub(super) const TYPED_ARRAY: u32 = 32;
}

#[wasm_bindgen(module = "/js/data.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn tag(v: &JsValue) -> Result<u32, JsValue>;
    #[wasm_bindgen(catch)]
    fn item(a: &JsValue, i: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    fn length(a: &JsValue) -> Result<u32, JsValue>;
    #[wasm_bindgen(catch)]
    fn fields(o: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_name = readErrorKey)]
    fn read_error_key(e: &JsValue) -> Option<String>;
    #[wasm_bindgen(catch, js_name = sparseItems)]
    fn sparse_items(a: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_name = mapEntries)]
    fn map_entries(m: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_name = setValues)]
    fn set_values(s: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_name = errorParts)]
    fn error_parts(e: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_name = regExpParts)]
    fn regexp_parts(r: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_name = dateValue)]
    fn date_value(d: &JsValue) -> Result<f64, JsValue>;
    #[wasm_bindgen(catch)]
    fn unbox(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = bigintText)]
    fn bigint_text(b: &JsValue) -> String;
    #[wasm_bindgen(catch, js_name = bytesOf)]
    fn bytes_of(v: &JsValue) -> Result<js_sys::Uint8Array, JsValue>;
    #[wasm_bindgen(js_name = codeUnits)]
    fn code_units(s: &JsValue) -> js_sys::Uint16Array;
    #[wasm_bindgen(catch)]
    fn describe(v: &JsValue) -> Result<String, JsValue>;
    #[wasm_bindgen(js_name = thrownText)]
    fn thrown_text(e: &JsValue) -> String;
}

impl Data {
    /// Converts a JavaScript value, on the thread that owns it (the copy
    /// `structuredClone` would make; see the [module docs](super) for the
    /// table). `root` names the value in error paths: `"input"` for a job's
    /// input, `"output"` for a handler's result.
    ///
    /// # Errors
    /// A [`CloneError`] for the first value met that cannot be carried, with
    /// its path: a function, a symbol, a class instance, a `WeakMap`, a
    /// `Promise`, a DOM node, a `SharedArrayBuffer`, a detached buffer (or a
    /// view over one), a cycle, nesting deeper than [`MAX_DEPTH`], or a
    /// getter or Proxy trap that threw while the value was read.
    pub fn from_js(v: &JsValue, root: &str) -> Result<Data, CloneError> {
        Frame {
            value: v,
            step: Step::Root(root),
            parent: None,
            depth: 0,
        }
        .convert()
    }
}

/// A value being converted, and the chain of containers above it.
#[derive(Clone, Copy)]
struct Frame<'a> {
    value: &'a JsValue,
    /// How the parent reaches this value.
    step: Step<'a>,
    parent: Option<&'a Frame<'a>>,
    /// Containers above this value.
    depth: usize,
}

impl<'a> Frame<'a> {
    fn child<'b>(&'b self, value: &'b JsValue, step: Step<'b>) -> Frame<'b> {
        Frame {
            value,
            step,
            parent: Some(self),
            depth: self.depth + 1,
        }
    }

    fn convert(&self) -> Result<Data, CloneError> {
        let v = self.value;
        if let Some(n) = v.as_f64() {
            return Ok(Data::Number(n));
        }
        let t = tag(v).map_err(|e| self.threw(&e))?;
        Ok(match t {
            kind::STRING => Data::Text(v.as_string().unwrap_or_default()),
            kind::UNDEFINED => Data::Undefined,
            kind::NULL => Data::Null,
            kind::FALSE => Data::Bool(false),
            kind::TRUE => Data::Bool(true),
            kind::NUMBER => Data::Number(v.unchecked_into_f64()),
            kind::ILL_FORMED_STRING => Data::Utf16(code_units(v).to_vec()),
            kind::BIGINT => Data::BigInt(BigInt(bigint_text(v))),
            kind::DATE => Data::Date(date_value(v).map_err(|e| self.threw(&e))?),
            kind::REGEXP => {
                let parts = regexp_parts(v).map_err(|e| self.threw(&e))?;
                Data::RegExp(Box::new(RegExp {
                    source: parts.get(0).as_string().unwrap_or_default(),
                    flags: parts.get(1).as_string().unwrap_or_default(),
                }))
            }
            kind::BOXED => {
                let primitive = unbox(v).map_err(|e| self.threw(&e))?;
                Data::Boxed(Box::new(
                    Frame {
                        value: &primitive,
                        ..*self
                    }
                    .convert()?,
                ))
            }
            kind::ARRAY_BUFFER => Data::ArrayBuffer(self.bytes()?),
            kind::DATA_VIEW => Data::DataView(self.bytes()?),
            t if t >= kind::TYPED_ARRAY => self.typed_array(t - kind::TYPED_ARRAY)?,
            kind::ARRAY
            | kind::SPARSE_ARRAY
            | kind::OBJECT
            | kind::MAP
            | kind::SET
            | kind::ERROR => {
                if self.depth >= MAX_DEPTH {
                    return Err(self.too_deep());
                }
                match t {
                    kind::ARRAY => self.list()?,
                    kind::SPARSE_ARRAY => self.sparse()?,
                    kind::OBJECT => self.object()?,
                    kind::MAP => self.map()?,
                    kind::SET => self.set()?,
                    _ => self.error_object()?,
                }
            }
            kind::DETACHED | kind::NOT_DATA => return Err(self.rejected()),
            other => {
                return Err(self.error(format!(
                    "js/data.js answered an unknown kind {other} (out of step with from_js.rs)"
                )))
            }
        })
    }

    fn bytes(&self) -> Result<Vec<u8>, CloneError> {
        Ok(bytes_of(self.value).map_err(|e| self.threw(&e))?.to_vec())
    }

    /// One bulk copy of the elements.
    fn typed_array(&self, i: u32) -> Result<Data, CloneError> {
        let v = self.value;
        Ok(match i {
            0 => Data::I8(v.unchecked_ref::<js_sys::Int8Array>().to_vec()),
            1 => Data::Bytes(v.unchecked_ref::<js_sys::Uint8Array>().to_vec()),
            2 => Data::U8Clamped(v.unchecked_ref::<js_sys::Uint8ClampedArray>().to_vec()),
            3 => Data::I16(v.unchecked_ref::<js_sys::Int16Array>().to_vec()),
            4 => Data::U16(v.unchecked_ref::<js_sys::Uint16Array>().to_vec()),
            5 => Data::I32(v.unchecked_ref::<js_sys::Int32Array>().to_vec()),
            6 => Data::U32(v.unchecked_ref::<js_sys::Uint32Array>().to_vec()),
            7 => Data::F16(v.unchecked_ref::<js_sys::Float16Array>().to_u16_vec()),
            8 => Data::F32(v.unchecked_ref::<js_sys::Float32Array>().to_vec()),
            9 => Data::F64(v.unchecked_ref::<js_sys::Float64Array>().to_vec()),
            10 => Data::I64(v.unchecked_ref::<js_sys::BigInt64Array>().to_vec()),
            11 => Data::U64(v.unchecked_ref::<js_sys::BigUint64Array>().to_vec()),
            _ => return Err(self.rejected()),
        })
    }

    fn list(&self) -> Result<Data, CloneError> {
        let n = length(self.value).map_err(|e| self.threw(&e))?;
        let mut items = Vec::with_capacity(n as usize);
        for i in 0..n {
            let x = item(self.value, i)
                .map_err(|e| self.child(self.value, Step::Index(i)).threw(&e))?;
            items.push(self.child(&x, Step::Index(i)).convert()?);
        }
        Ok(Data::List(items))
    }

    fn sparse(&self) -> Result<Data, CloneError> {
        let flat = sparse_items(self.value).map_err(|e| self.threw(&e))?;
        let len = flat.get(0).unchecked_into_f64() as u32;
        let n = (flat.length() - 1) / 2;
        let mut items = Vec::with_capacity(n as usize);
        for k in 0..n {
            let i = flat.get(1 + 2 * k).unchecked_into_f64() as u32;
            let x = flat.get(2 + 2 * k);
            items.push((i, self.child(&x, Step::Index(i)).convert()?));
        }
        Ok(Data::Sparse(Box::new(Sparse { len, items })))
    }

    fn object(&self) -> Result<Data, CloneError> {
        let flat = fields(self.value).map_err(|e| match read_error_key(&e) {
            // A getter threw: name its property.
            Some(key) => self.child(self.value, Step::Key(&key)).threw(&e),
            None => self.threw(&e),
        })?;
        let n = flat.length() / 2;
        let mut out = Vec::with_capacity(n as usize);
        for k in 0..n {
            let key = flat.get(2 * k).as_string().unwrap_or_default();
            let x = flat.get(2 * k + 1);
            let value = self.child(&x, Step::Key(&key)).convert()?;
            out.push((key, value));
        }
        Ok(Data::Object(out))
    }

    fn map(&self) -> Result<Data, CloneError> {
        let flat = map_entries(self.value).map_err(|e| self.threw(&e))?;
        let n = flat.length() / 2;
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n as usize {
            let (k, x) = (flat.get(2 * i as u32), flat.get(2 * i as u32 + 1));
            let key = self.child(&k, Step::MapKey(i)).convert()?;
            let value = self.child(&x, Step::MapValue(i, &key)).convert()?;
            out.push((key, value));
        }
        Ok(Data::Map(out))
    }

    fn set(&self) -> Result<Data, CloneError> {
        let values = set_values(self.value).map_err(|e| self.threw(&e))?;
        let mut out = Vec::with_capacity(values.length() as usize);
        for (i, x) in values.iter().enumerate() {
            out.push(self.child(&x, Step::SetValue(i)).convert()?);
        }
        Ok(Data::Set(out))
    }

    fn error_object(&self) -> Result<Data, CloneError> {
        let parts = error_parts(self.value).map_err(|e| self.threw(&e))?;
        let name = parts.get(0).as_string().unwrap_or_default();
        let cause = if parts.get(3).is_truthy() {
            let c = parts.get(4);
            Some(self.child(&c, Step::Cause).convert()?)
        } else {
            None
        };
        Ok(Data::Error(Box::new(ErrorObject {
            name: ErrorName::from_name(&name),
            message: parts.get(1).as_string(),
            stack: parts.get(2).as_string(),
            cause,
        })))
    }

    /// The frames from the root down to this one.
    fn chain(&self) -> Vec<&Frame<'a>> {
        let mut chain = vec![self];
        while let Some(parent) = chain[chain.len() - 1].parent {
            chain.push(parent);
        }
        chain.reverse();
        chain
    }

    fn path(&self) -> String {
        render(self.chain().iter().map(|f| &f.step))
    }

    fn error(&self, problem: String) -> CloneError {
        CloneError {
            path: self.path(),
            problem,
        }
    }

    fn rejected(&self) -> CloneError {
        self.error(
            describe(self.value).unwrap_or_else(|_| "this value cannot be cloned".to_owned()),
        )
    }

    fn threw(&self, thrown: &JsValue) -> CloneError {
        self.error(format!("reading it threw {}", thrown_text(thrown)))
    }

    /// Nesting past [`MAX_DEPTH`]: a cycle if an object repeats among the
    /// frames (named at its first repeat), else plain depth.
    fn too_deep(&self) -> CloneError {
        let chain = self.chain();
        for j in 1..chain.len() {
            if let Some(i) = (0..j).find(|&i| chain[i].value == chain[j].value) {
                let steps = |n: usize| render(chain[..=n].iter().map(|f| &f.step));
                return CloneError {
                    path: steps(j),
                    problem: format!(
                        "a circular reference (back to {}) cannot be cloned",
                        steps(i)
                    ),
                };
            }
        }
        self.error(format!("nests deeper than {MAX_DEPTH} levels"))
    }
}
