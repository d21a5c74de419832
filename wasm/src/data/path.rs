//! Where a value sits inside a job's data, written the way JavaScript would
//! reach it (`input.items[3].when`, `input.byId.get("x7")`), and the error
//! that names it.

use std::fmt;

use super::Data;

/// A value that cannot cross between threads as job data: a function, a
/// symbol, a class instance, a `WeakMap`, a DOM node, a detached buffer, a
/// cycle, nesting deeper than [`MAX_DEPTH`](super::MAX_DEPTH)...
///
/// Its message is `"<path>: <problem>"`; the path starts with the root the
/// conversion was given (`input` for a job's input, `output` for what a
/// handler returned). The JavaScript API reports it as a `DataCloneError`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloneError {
    /// Where the value is: `input.items[3].when`.
    pub path: String,
    /// What is wrong with it: `a function (onTick) cannot be cloned`.
    pub problem: String,
}

impl fmt::Display for CloneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

impl std::error::Error for CloneError {}

/// One step down from a container to a value inside it.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(super) enum Step<'a> {
    /// The value the conversion started from (`input`).
    Root(&'a str),
    /// An object's property: `.when`, `["two words"]`.
    Key(&'a str),
    /// An array element: `[3]`.
    Index(u32),
    /// The key of a `Map`'s entry number `i`: `.keys()[i]`.
    MapKey(usize),
    /// The value of a `Map`'s entry number `i` with this key: `.get("k")`
    /// for a string or number key, else `.values()[i]`.
    MapValue(usize, &'a Data),
    /// A `Set`'s value number `i`: `.values()[i]`.
    SetValue(usize),
    /// An error's cause: `.cause`.
    Cause,
}

/// Writes `steps`, outermost first, as one path.
pub(super) fn render<'a>(steps: impl IntoIterator<Item = &'a Step<'a>>) -> String {
    let mut out = String::new();
    for step in steps {
        push(&mut out, step);
    }
    out
}

fn push(out: &mut String, step: &Step<'_>) {
    use fmt::Write;
    let _ = match step {
        Step::Root(name) => write!(out, "{name}"),
        Step::Key(k) if is_identifier(k) => write!(out, ".{k}"),
        Step::Key(k) => write!(out, "[{}]", JsString(k)),
        Step::Index(i) => write!(out, "[{i}]"),
        Step::MapKey(i) => write!(out, ".keys()[{i}]"),
        Step::MapValue(_, Data::Text(k)) => write!(out, ".get({})", JsString(k)),
        Step::MapValue(_, Data::Number(n)) => write!(out, ".get({})", JsNumber(*n)),
        Step::MapValue(i, _) => write!(out, ".values()[{i}]"),
        Step::SetValue(i) => write!(out, ".values()[{i}]"),
        Step::Cause => write!(out, ".cause"),
    };
}

/// A string as a double-quoted JavaScript literal that strict mode reads
/// back as the same string. Rust's `{:?}` is close but writes U+0000 as
/// `\0`, which JavaScript reads as an octal escape when a digit follows.
struct JsString<'a>(&'a str);

impl fmt::Display for JsString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                    write!(f, "\\u{{{:x}}}", c as u32)?;
                }
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// A number as a JavaScript literal: `Infinity`, `-Infinity` and `NaN` by
/// their names, `-0` with its sign.
struct JsNumber(f64);

impl fmt::Display for JsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n.is_nan() => f.write_str("NaN"),
            f64::INFINITY => f.write_str("Infinity"),
            f64::NEG_INFINITY => f.write_str("-Infinity"),
            n => write!(f, "{n}"),
        }
    }
}

/// Whether `.key` reaches the property (else it is written `["key"]`).
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}
