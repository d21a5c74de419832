//! Job inputs and outputs as Rust data, so they can cross threads.
//!
//! JavaScript values belong to the thread that made them; a job's input is
//! converted to [`Data`] on the page's main thread, travels through the queue in
//! shared memory, and the output comes back the same way. Typed arrays are
//! copied once into a `Vec` (and once out), never encoded as JSON.

use std::fmt;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::{JsCast, JsValue};

/// A plain value: what structured clone would carry, minus what jobs never need.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// `null` or `undefined`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// A `Uint8Array` or `Uint8ClampedArray`.
    Bytes(Vec<u8>),
    /// A `Uint16Array`.
    U16(Vec<u16>),
    /// A `Float64Array`.
    F64(Vec<f64>),
    /// An array.
    List(Vec<Data>),
    /// A plain object, its keys in order.
    Map(Vec<(String, Data)>),
}

/// Nesting deeper than this is refused (it also stops cycles).
pub const MAX_DEPTH: usize = 64;

impl Data {
    /// The field `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Data> {
        match self {
            Data::Map(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Data::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Data::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A map from `(key, value)` pairs.
    pub fn map<const N: usize>(fields: [(&str, Data); N]) -> Data {
        Data::Map(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A short description of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Data::Null => "null",
            Data::Bool(_) => "boolean",
            Data::Number(_) => "number",
            Data::Text(_) => "string",
            Data::Bytes(_) => "Uint8Array",
            Data::U16(_) => "Uint16Array",
            Data::F64(_) => "Float64Array",
            Data::List(_) => "array",
            Data::Map(_) => "object",
        }
    }
}

impl fmt::Display for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Null => f.write_str("null"),
            Data::Bool(b) => write!(f, "{b}"),
            Data::Number(n) => write!(f, "{n}"),
            Data::Text(s) => write!(f, "{s:?}"),
            other => write!(f, "<{}>", other.type_name()),
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl Data {
    /// Converts a JavaScript value (on the thread that owns it).
    ///
    /// # Errors
    /// A message naming what cannot be carried: functions, symbols, bigints,
    /// class instances other than the typed arrays above, or nesting deeper
    /// than [`MAX_DEPTH`].
    pub fn from_js(v: &JsValue) -> Result<Data, String> {
        Self::from_js_at(v, 0)
    }

    fn from_js_at(v: &JsValue, depth: usize) -> Result<Data, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "input nests deeper than {MAX_DEPTH} levels (a cycle?)"
            ));
        }
        if v.is_null() || v.is_undefined() {
            return Ok(Data::Null);
        }
        if let Some(b) = v.as_bool() {
            return Ok(Data::Bool(b));
        }
        if let Some(n) = v.as_f64() {
            return Ok(Data::Number(n));
        }
        if let Some(s) = v.as_string() {
            return Ok(Data::Text(s));
        }
        if let Some(a) = v.dyn_ref::<js_sys::Uint8Array>() {
            return Ok(Data::Bytes(a.to_vec()));
        }
        if let Some(a) = v.dyn_ref::<js_sys::Uint8ClampedArray>() {
            return Ok(Data::Bytes(a.to_vec()));
        }
        if let Some(a) = v.dyn_ref::<js_sys::Uint16Array>() {
            return Ok(Data::U16(a.to_vec()));
        }
        if let Some(a) = v.dyn_ref::<js_sys::Float64Array>() {
            return Ok(Data::F64(a.to_vec()));
        }
        if js_sys::Array::is_array(v) {
            let a: &js_sys::Array = v.unchecked_ref();
            return a
                .iter()
                .map(|x| Self::from_js_at(&x, depth + 1))
                .collect::<Result<_, _>>()
                .map(Data::List);
        }
        if v.is_object() && !v.is_function() {
            let proto = js_sys::Object::get_prototype_of(v);
            let plain = js_sys::Object::get_prototype_of(&js_sys::Object::new().into());
            if proto.is_null() || JsValue::from(proto) == JsValue::from(plain) {
                let mut fields = Vec::new();
                for entry in js_sys::Object::entries(v.unchecked_ref()).iter() {
                    let pair: js_sys::Array = entry.unchecked_into();
                    let key = pair.get(0).as_string().unwrap_or_default();
                    fields.push((key, Self::from_js_at(&pair.get(1), depth + 1)?));
                }
                return Ok(Data::Map(fields));
            }
        }
        let kind = if v.is_object() {
            js_sys::Reflect::get(v, &JsValue::from_str("constructor"))
                .and_then(|c| js_sys::Reflect::get(&c, &JsValue::from_str("name")))
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_else(|| "object".to_owned())
        } else {
            v.js_typeof().as_string().unwrap_or_default()
        };
        Err(format!(
            "{kind} values cannot be job inputs: use plain data (numbers, strings, arrays, plain objects, typed arrays)"
        ))
    }

    /// Converts to a JavaScript value on the current thread.
    pub fn to_js(&self) -> JsValue {
        match self {
            Data::Null => JsValue::NULL,
            Data::Bool(b) => JsValue::from_bool(*b),
            Data::Number(n) => JsValue::from_f64(*n),
            Data::Text(s) => JsValue::from_str(s),
            Data::Bytes(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
            Data::U16(v) => js_sys::Uint16Array::from(v.as_slice()).into(),
            Data::F64(v) => js_sys::Float64Array::from(v.as_slice()).into(),
            Data::List(items) => items
                .iter()
                .map(Data::to_js)
                .collect::<js_sys::Array>()
                .into(),
            Data::Map(fields) => {
                let o = js_sys::Object::new();
                for (k, v) in fields {
                    let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v.to_js());
                }
                o.into()
            }
        }
    }
}
