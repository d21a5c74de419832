//! Job inputs and outputs as Rust data, so they can cross threads.
//!
//! JavaScript values belong to the thread that made them; a job's input is
//! converted to [`Data`] on the page's main thread, travels through the queue in
//! shared memory, and the output comes back the same way. What crosses is what
//! the browser's structured clone (`structuredClone`, `postMessage`) carries of
//! plain data, with the differences listed below.
//!
//! | JavaScript | [`Data`] |
//! |---|---|
//! | `undefined`, `null` | [`Undefined`](Data::Undefined), [`Null`](Data::Null) |
//! | boolean, number (NaN, ±Infinity, -0 kept) | [`Bool`](Data::Bool), [`Number`](Data::Number) |
//! | bigint, any size | [`BigInt`](Data::BigInt) (its decimal digits) |
//! | string | [`Text`](Data::Text); one with a lone surrogate: [`Utf16`](Data::Utf16) |
//! | `Date` (also an invalid one) | [`Date`](Data::Date) (its time value) |
//! | `RegExp` | [`RegExp`](Data::RegExp) (source and flags; `lastIndex` is not kept) |
//! | `Boolean`, `Number`, `String`, `BigInt` objects | [`Boxed`](Data::Boxed) |
//! | `Uint8Array`, `Uint8ClampedArray`, `Int8Array` | [`Bytes`](Data::Bytes), [`U8Clamped`](Data::U8Clamped), [`I8`](Data::I8) |
//! | `Int16Array`, `Uint16Array`, `Float16Array` | [`I16`](Data::I16), [`U16`](Data::U16), [`F16`](Data::F16) (bits) |
//! | `Int32Array`, `Uint32Array`, `Float32Array` | [`I32`](Data::I32), [`U32`](Data::U32), [`F32`](Data::F32) |
//! | `Float64Array`, `BigInt64Array`, `BigUint64Array` | [`F64`](Data::F64), [`I64`](Data::I64), [`U64`](Data::U64) |
//! | `ArrayBuffer`, `DataView` | [`ArrayBuffer`](Data::ArrayBuffer), [`DataView`](Data::DataView) (bytes) |
//! | array; array with holes | [`List`](Data::List); [`Sparse`](Data::Sparse) |
//! | plain object (prototype `Object.prototype` or `null`) | [`Object`](Data::Object) |
//! | `Map`, `Set` (order kept, keys of any kind above) | [`Map`](Data::Map), [`Set`](Data::Set) |
//! | `Error` and its six native kinds | [`Error`](Data::Error) (name, message, stack, cause) |
//!
//! Typed arrays, buffers and views are copied once into a `Vec` (and once
//! out), never encoded element by element.
//!
//! # Differences from structured clone
//! - A typed array or `DataView` carries its own bytes only: it comes back over
//!   a fresh buffer of exactly that size (`byteOffset` 0). A view over a
//!   `SharedArrayBuffer` is copied too, and comes back over an `ArrayBuffer`.
//!   A bare `SharedArrayBuffer` is refused (it is shared memory, not data).
//!   A resizable `ArrayBuffer` comes back fixed-size.
//! - Data is a tree: an object reached twice is copied twice, and a cycle is
//!   an error (structured clone keeps both).
//! - An array keeps its holes and length, but not named properties
//!   (`a.foo = 1`); object keys with a lone surrogate are read lossily
//!   (U+FFFD), as are an `Error`'s message and stack and a `RegExp`'s source.
//! - Class instances (objects whose prototype is neither `Object.prototype`
//!   nor `null`) are refused, where structured clone would copy their own
//!   fields into a plain object; so is `DOMException`.
//! - An `Error` whose name is not one of the seven native ones comes back as
//!   an `Error` (as structured clone does); `AggregateError`'s `errors` are
//!   not carried.
//! - Nesting is limited to [`MAX_DEPTH`] levels.
//!
//! A value that cannot cross is a [`CloneError`], whose message starts with
//! where the value is (`input.items[3].when: a function (onTick) cannot be
//! cloned`).

use std::fmt;

#[cfg(target_arch = "wasm32")]
mod from_js;
mod path;
#[cfg(test)]
mod test;
#[cfg(target_arch = "wasm32")]
mod to_js;

pub use path::CloneError;

/// A plain value: what structured clone carries of plain data (see the
/// [module docs](self) for the table and the differences).
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// `undefined`.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, NaN, the infinities and -0 included.
    Number(f64),
    /// A bigint.
    BigInt(BigInt),
    /// A string (well-formed UTF-16).
    Text(String),
    /// A string that is not well-formed UTF-16 (it has a lone surrogate), as
    /// its code units. Where `isWellFormed` is missing (browsers before 2023)
    /// such strings arrive as [`Data::Text`] with U+FFFD in place of the lone
    /// surrogates.
    Utf16(Vec<u16>),
    /// A `Date`: its time value in ms since the epoch (NaN for an invalid date).
    Date(f64),
    /// A `RegExp`.
    RegExp(Box<RegExp>),
    /// A `Boolean`, `Number`, `String` or `BigInt` object (`new Number(1)`),
    /// holding its primitive value.
    Boxed(Box<Data>),
    /// A `Uint8Array`.
    Bytes(Vec<u8>),
    /// A `Uint8ClampedArray`.
    U8Clamped(Vec<u8>),
    /// An `Int8Array`.
    I8(Vec<i8>),
    /// An `Int16Array`.
    I16(Vec<i16>),
    /// A `Uint16Array`.
    U16(Vec<u16>),
    /// An `Int32Array`.
    I32(Vec<i32>),
    /// A `Uint32Array`.
    U32(Vec<u32>),
    /// A `Float16Array`, as the bits of its elements (IEEE 754 binary16). In a
    /// browser without `Float16Array` it converts back to a `Uint16Array` of
    /// those bits.
    F16(Vec<u16>),
    /// A `Float32Array`.
    F32(Vec<f32>),
    /// A `Float64Array`.
    F64(Vec<f64>),
    /// A `BigInt64Array`.
    I64(Vec<i64>),
    /// A `BigUint64Array`.
    U64(Vec<u64>),
    /// An `ArrayBuffer`: its bytes.
    ArrayBuffer(Vec<u8>),
    /// A `DataView`: the bytes it sees.
    DataView(Vec<u8>),
    /// An array without holes.
    List(Vec<Data>),
    /// An array with holes (`[1, , 3]`, or one with only `a[1e6]` set).
    Sparse(Box<Sparse>),
    /// A plain object: its own enumerable string-keyed properties, in order.
    /// (Symbol keys are not carried, as structured clone does not carry them.)
    Object(Vec<(String, Data)>),
    /// A `Map`, its entries in order.
    Map(Vec<(Data, Data)>),
    /// A `Set`, its values in order.
    Set(Vec<Data>),
    /// An `Error` (or `EvalError`, `RangeError`, ...).
    Error(Box<ErrorObject>),
}

// Rare variants with more than one field are boxed, so that a `Data` is as
// small as a `Vec` plus its tag: lists and objects are vectors of them.
#[cfg(target_pointer_width = "32")]
const _: () = assert!(std::mem::size_of::<Data>() == 16);

/// Nesting deeper than this is refused.
pub const MAX_DEPTH: usize = 64;

/// An array with holes: its length and the elements it has.
#[derive(Clone, Debug, PartialEq)]
pub struct Sparse {
    /// The array's `length`.
    pub len: u32,
    /// The elements present, by ascending index, each below `len`.
    pub items: Vec<(u32, Data)>,
}

/// A regular expression: what `new RegExp(source, flags)` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegExp {
    /// The pattern (`source`).
    pub source: String,
    /// The flags, such as `"gi"`.
    pub flags: String,
}

/// An `Error`, as structured clone carries one.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorObject {
    /// Which constructor it comes back from.
    pub name: ErrorName,
    /// Its own `message`, if it had one.
    pub message: Option<String>,
    /// Its `stack`, if that was a string.
    pub stack: Option<String>,
    /// Its own `cause`, if it had one.
    pub cause: Option<Data>,
}

/// The native error constructors; any other name is carried as `Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorName {
    /// `Error`.
    Error,
    /// `EvalError`.
    EvalError,
    /// `RangeError`.
    RangeError,
    /// `ReferenceError`.
    ReferenceError,
    /// `SyntaxError`.
    SyntaxError,
    /// `TypeError`.
    TypeError,
    /// `URIError`.
    UriError,
}

impl ErrorName {
    const ALL: [ErrorName; 7] = [
        ErrorName::Error,
        ErrorName::EvalError,
        ErrorName::RangeError,
        ErrorName::ReferenceError,
        ErrorName::SyntaxError,
        ErrorName::TypeError,
        ErrorName::UriError,
    ];

    /// The constructor's name, such as `"RangeError"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::Error => "Error",
            ErrorName::EvalError => "EvalError",
            ErrorName::RangeError => "RangeError",
            ErrorName::ReferenceError => "ReferenceError",
            ErrorName::SyntaxError => "SyntaxError",
            ErrorName::TypeError => "TypeError",
            ErrorName::UriError => "URIError",
        }
    }

    /// The error kind an error named `name` comes back as: the native kind of
    /// that name, or `Error` (the structured clone rule).
    pub fn from_name(name: &str) -> ErrorName {
        Self::ALL
            .into_iter()
            .find(|n| n.as_str() == name)
            .unwrap_or(ErrorName::Error)
    }
}

/// An integer of any size: a JavaScript bigint, kept as its decimal digits so
/// that it round-trips exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BigInt(String);

impl BigInt {
    /// Parses decimal digits with an optional leading `-` (leading zeros and
    /// `-0` allowed); `None` for anything else.
    pub fn parse(decimal: &str) -> Option<BigInt> {
        let (minus, digits) = match decimal.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, decimal),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = digits.trim_start_matches('0');
        Some(BigInt(match (digits.is_empty(), minus) {
            (true, _) => "0".to_owned(),
            (false, true) => format!("-{digits}"),
            (false, false) => digits.to_owned(),
        }))
    }

    /// Its decimal digits, with a leading `-` if negative (canonical: no
    /// leading zeros, zero is `"0"`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its value, if it fits in an `i128`.
    pub fn to_i128(&self) -> Option<i128> {
        self.0.parse().ok()
    }
}

macro_rules! bigint_from {
    ($($t:ty),*) => {$(
        impl From<$t> for BigInt {
            fn from(n: $t) -> Self {
                BigInt(n.to_string())
            }
        }
    )*};
}
bigint_from!(i64, u64, i128, u128);

impl fmt::Display for BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Data {
    /// The field `key` of a plain object.
    pub fn get(&self, key: &str) -> Option<&Data> {
        match self {
            Data::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
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

    /// The string, if this is a well-formed one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Data::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a `Uint8Array` or `Uint8ClampedArray`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Data::Bytes(b) | Data::U8Clamped(b) => Some(b),
            _ => None,
        }
    }

    /// A plain object from `(key, value)` pairs.
    pub fn object<const N: usize>(fields: [(&str, Data); N]) -> Data {
        Data::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A short description of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Data::Undefined => "undefined",
            Data::Null => "null",
            Data::Bool(_) => "boolean",
            Data::Number(_) => "number",
            Data::BigInt(_) => "bigint",
            Data::Text(_) | Data::Utf16(_) => "string",
            Data::Date(_) => "Date",
            Data::RegExp(_) => "RegExp",
            Data::Boxed(inner) => match **inner {
                Data::Bool(_) => "Boolean object",
                Data::Number(_) => "Number object",
                Data::BigInt(_) => "BigInt object",
                _ => "String object",
            },
            Data::Bytes(_) => "Uint8Array",
            Data::U8Clamped(_) => "Uint8ClampedArray",
            Data::I8(_) => "Int8Array",
            Data::I16(_) => "Int16Array",
            Data::U16(_) => "Uint16Array",
            Data::I32(_) => "Int32Array",
            Data::U32(_) => "Uint32Array",
            Data::F16(_) => "Float16Array",
            Data::F32(_) => "Float32Array",
            Data::F64(_) => "Float64Array",
            Data::I64(_) => "BigInt64Array",
            Data::U64(_) => "BigUint64Array",
            Data::ArrayBuffer(_) => "ArrayBuffer",
            Data::DataView(_) => "DataView",
            Data::List(_) | Data::Sparse(_) => "array",
            Data::Object(_) => "object",
            Data::Map(_) => "Map",
            Data::Set(_) => "Set",
            Data::Error(_) => "Error",
        }
    }
}

impl fmt::Display for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Undefined => f.write_str("undefined"),
            Data::Null => f.write_str("null"),
            Data::Bool(b) => write!(f, "{b}"),
            Data::Number(n) => write!(f, "{n}"),
            Data::BigInt(n) => write!(f, "{n}n"),
            Data::Text(s) => write!(f, "{s:?}"),
            other => write!(f, "<{}>", other.type_name()),
        }
    }
}
