//! [`Data`] back to JavaScript values, on the thread that will use them.
//!
//! The inverse of `from_js.rs`: each variant becomes the value structured
//! clone would have produced (see the [module docs](super) for the table).
//! Typed arrays, buffers and views are one bulk copy out of the module's
//! memory into a fresh, unshared `ArrayBuffer`.

use wasm_bindgen::prelude::*;

use super::Data;

#[wasm_bindgen(module = "/js/data.js")]
extern "C" {
    #[wasm_bindgen(js_name = fromCodeUnits)]
    fn from_code_units(units: &[u16]) -> JsValue;
    #[wasm_bindgen(js_name = bigintFrom)]
    fn bigint_from(digits: &str) -> JsValue;
    fn float16(bits: js_sys::Uint16Array) -> JsValue;
    fn boxed(v: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = regExp)]
    fn reg_exp(source: &str, flags: &str) -> JsValue;
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(
        name: &str,
        message: Option<&str>,
        stack: Option<&str>,
        has_cause: bool,
        cause: &JsValue,
    ) -> JsValue;
    #[wasm_bindgen(js_name = setField)]
    fn set_field(o: &js_sys::Object, k: &str, v: &JsValue);
}

impl Data {
    /// Converts to a JavaScript value on the current thread.
    ///
    /// A [`Data::RegExp`] whose pattern does not compile (only Rust code can
    /// make one) comes out as the `SyntaxError` that compiling it threw.
    pub fn to_js(&self) -> JsValue {
        match self {
            Data::Number(n) => JsValue::from_f64(*n),
            Data::Text(s) => JsValue::from_str(s),
            Data::Undefined => JsValue::UNDEFINED,
            Data::Null => JsValue::NULL,
            Data::Bool(b) => JsValue::from_bool(*b),
            Data::BigInt(b) => match b.as_str().parse::<i64>() {
                Ok(n) => JsValue::from(n),
                Err(_) => bigint_from(b.as_str()),
            },
            Data::Utf16(units) => from_code_units(units),
            Data::Date(t) => js_sys::Date::new(&JsValue::from_f64(*t)).into(),
            Data::RegExp(r) => reg_exp(&r.source, &r.flags),
            Data::Boxed(inner) => boxed(&inner.to_js()),
            Data::Bytes(v) => js_sys::Uint8Array::from(v.as_slice()).into(),
            Data::U8Clamped(v) => js_sys::Uint8ClampedArray::from(v.as_slice()).into(),
            Data::I8(v) => js_sys::Int8Array::from(v.as_slice()).into(),
            Data::I16(v) => js_sys::Int16Array::from(v.as_slice()).into(),
            Data::U16(v) => js_sys::Uint16Array::from(v.as_slice()).into(),
            Data::I32(v) => js_sys::Int32Array::from(v.as_slice()).into(),
            Data::U32(v) => js_sys::Uint32Array::from(v.as_slice()).into(),
            Data::F16(v) => float16(js_sys::Uint16Array::from(v.as_slice())),
            Data::F32(v) => js_sys::Float32Array::from(v.as_slice()).into(),
            Data::F64(v) => js_sys::Float64Array::from(v.as_slice()).into(),
            Data::I64(v) => js_sys::BigInt64Array::from(v.as_slice()).into(),
            Data::U64(v) => js_sys::BigUint64Array::from(v.as_slice()).into(),
            Data::ArrayBuffer(v) => js_sys::Uint8Array::from(v.as_slice()).buffer().into(),
            Data::DataView(v) => {
                js_sys::DataView::new(&js_sys::Uint8Array::from(v.as_slice()).buffer(), 0, v.len())
                    .into()
            }
            Data::List(items) => items
                .iter()
                .map(Data::to_js)
                .collect::<js_sys::Array>()
                .into(),
            Data::Sparse(s) => {
                let a = js_sys::Array::new_with_length(s.len);
                for (i, x) in &s.items {
                    a.set(*i, x.to_js());
                }
                a.into()
            }
            Data::Object(fields) => {
                let o = js_sys::Object::new();
                for (k, v) in fields {
                    set_field(&o, k, &v.to_js());
                }
                o.into()
            }
            Data::Map(entries) => {
                let m = js_sys::Map::new();
                for (k, v) in entries {
                    m.set(&k.to_js(), &v.to_js());
                }
                m.into()
            }
            Data::Set(values) => {
                let s = js_sys::Set::new(&JsValue::UNDEFINED);
                for v in values {
                    s.add(&v.to_js());
                }
                s.into()
            }
            Data::Error(e) => make_error(
                e.name.as_str(),
                e.message.as_deref(),
                e.stack.as_deref(),
                e.cause.is_some(),
                &e.cause.as_ref().map_or(JsValue::UNDEFINED, Data::to_js),
            ),
        }
    }
}
