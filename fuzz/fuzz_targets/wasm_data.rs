//! The wasm binding's data decoders that are pure Rust, compiled natively
//! from `wasm/src/data/`: `BigInt::parse` (a bigint's decimal digits),
//! `ErrorName::from_name`, and the paths of `CloneError` messages
//! (`path.rs`), checked against oracles written here.
//!
//! The rest of the conversion (`from_js.rs`, `to_js.rs`) calls JavaScript
//! through `wasm_bindgen` on every step and cannot run outside a JS engine;
//! the browser tests (`wasm/tests/data.rs`) cover it.
//!
//! - `BigInt::parse(s)` accepts exactly `-?[0-9]+`; its result is canonical
//!   (no leading zeros, no `-0`), equal to the digits' value (checked in
//!   `i128` where it fits, which `to_i128` must then report), and parses to
//!   itself; integers converted `From` print as Rust prints them.
//! - `ErrorName::from_name` is the native kind of that exact name, else `Error`.
//! - A path reads back, in JavaScript, as the steps it was made of: a key is
//!   `.key` only if it is an identifier, else `["..."]` with a JavaScript
//!   string literal of it; `.get(k)` has a string literal or a number literal
//!   of the map key; indices are decimal.
#![no_main]

#[allow(dead_code, unreachable_pub, unused_imports)]
#[path = "../../wasm/src/data/mod.rs"]
mod data;
// `path.rs` again at the root, for its `pub(super)` `render` and `Step`
// (private to `data`); it reaches `Data` as `super::Data`.
#[allow(dead_code, unreachable_pub)]
#[path = "../../wasm/src/data/path.rs"]
mod path;

use arbitrary::Arbitrary;
use data::{BigInt, Data, ErrorName};
use libfuzzer_sys::fuzz_target;
use path::{render, Step};

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    BigIntText(&'a str),
    BigIntI128(i128),
    BigIntU128(u128),
    ErrorName(&'a str),
    Path(&'a str, Vec<StepIn<'a>>),
}

/// A [`Step`] as the fuzzer makes it (a map key as text, a number or other).
#[derive(Arbitrary, Debug)]
enum StepIn<'a> {
    Key(&'a str),
    Index(u32),
    MapKey(usize),
    MapText(usize, &'a str),
    MapNumber(usize, f64),
    /// A number of [`SPECIAL`], which random bits hardly ever make.
    MapSpecial(usize, u8),
    MapOther(usize),
    SetValue(usize),
    Cause,
}

/// Numbers at the edges of how JavaScript and Rust write them.
const SPECIAL: [f64; 12] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    5e-324,
    1e21,
    1e-7,
    9007199254740993.0,
];

fuzz_target!(|input: Input<'_>| match input {
    Input::BigIntText(s) => bigint_text(s),
    Input::BigIntI128(n) => {
        let b = BigInt::from(n);
        assert_eq!(b.as_str(), n.to_string());
        assert_eq!(b.to_i128(), Some(n));
        assert_eq!(BigInt::parse(&n.to_string()), Some(b));
    }
    Input::BigIntU128(n) => {
        let b = BigInt::from(n);
        assert_eq!(b.as_str(), n.to_string());
        assert_eq!(b.to_i128(), i128::try_from(n).ok());
        assert_eq!(BigInt::parse(&n.to_string()), Some(b));
    }
    Input::ErrorName(s) => error_name(s),
    Input::Path(root, steps) => path(root, &steps),
});

fn bigint_text(s: &str) {
    let (minus, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let valid = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let Some(b) = BigInt::parse(s) else {
        assert!(!valid, "{s:?} refused");
        return;
    };
    assert!(valid, "{s:?} accepted as {b}");
    let trimmed = digits.trim_start_matches('0');
    let canonical = match (trimmed, minus) {
        ("", _) => "0".to_owned(),
        (t, true) => format!("-{t}"),
        (t, false) => t.to_owned(),
    };
    assert_eq!(b.as_str(), canonical, "{s:?}");
    assert_eq!(b.to_string(), canonical);
    assert_eq!(
        BigInt::parse(b.as_str()).as_ref(),
        Some(&b),
        "{s:?}: canonical re-parse"
    );
    // The value, digit by digit, where it fits in an i128.
    let value = trimmed.bytes().try_fold(0i128, |acc, d| {
        let d = i128::from(d - b'0');
        acc.checked_mul(10)?.checked_add(if minus { -d } else { d })
    });
    assert_eq!(b.to_i128(), value, "{s:?}");
}

fn error_name(s: &str) {
    const NATIVE: [(&str, ErrorName); 7] = [
        ("Error", ErrorName::Error),
        ("EvalError", ErrorName::EvalError),
        ("RangeError", ErrorName::RangeError),
        ("ReferenceError", ErrorName::ReferenceError),
        ("SyntaxError", ErrorName::SyntaxError),
        ("TypeError", ErrorName::TypeError),
        ("URIError", ErrorName::UriError),
    ];
    let want = NATIVE
        .iter()
        .find(|(name, _)| *name == s)
        .map_or(ErrorName::Error, |&(_, kind)| kind);
    assert_eq!(ErrorName::from_name(s), want, "{s:?}");
    for (name, kind) in NATIVE {
        assert_eq!(kind.as_str(), name);
    }
}

fn path(root: &str, steps: &[StepIn<'_>]) {
    // Map keys live here so the steps can borrow them.
    let keys: Vec<Data> = steps
        .iter()
        .map(|s| match *s {
            StepIn::MapText(_, k) => Data::Text(k.to_owned()),
            StepIn::MapNumber(_, n) => Data::Number(n),
            StepIn::MapSpecial(_, i) => Data::Number(SPECIAL[usize::from(i) % SPECIAL.len()]),
            _ => Data::Null,
        })
        .collect();
    let mut all = vec![Step::Root(root)];
    for (s, key) in steps.iter().zip(&keys) {
        let step = match *s {
            StepIn::Key(k) => Step::Key(k),
            StepIn::Index(i) => Step::Index(i),
            StepIn::MapKey(i) => Step::MapKey(i),
            StepIn::MapText(i, _)
            | StepIn::MapNumber(i, _)
            | StepIn::MapSpecial(i, _)
            | StepIn::MapOther(i) => Step::MapValue(i, key),
            StepIn::SetValue(i) => Step::SetValue(i),
            StepIn::Cause => Step::Cause,
        };
        all.push(step);
    }
    let whole = render(&all);
    let mut pieces = root.to_owned();
    for step in &all[1..] {
        let piece = render([step]);
        check_step(step, &piece);
        pieces.push_str(&piece);
    }
    assert_eq!(whole, pieces, "a path is its steps one after another");
}

/// Checks that `piece` is how JavaScript reaches `step`.
fn check_step(step: &Step<'_>, piece: &str) {
    match *step {
        Step::Key(k) => {
            if let Some(name) = piece.strip_prefix('.') {
                assert_eq!(name, k);
                assert!(is_identifier(k), "{k:?} written as .{name}");
            } else {
                let lit = between(piece, "[", "]");
                assert_eq!(js_string(lit).as_deref(), Some(k), "key {k:?} as {piece}");
            }
        }
        Step::Index(i) => assert_eq!(piece, format!("[{i}]")),
        Step::MapKey(i) => assert_eq!(piece, format!(".keys()[{i}]")),
        Step::MapValue(_, Data::Text(k)) => {
            let lit = between(piece, ".get(", ")");
            assert_eq!(
                js_string(lit).as_deref(),
                Some(k.as_str()),
                "key {k:?} as {piece}"
            );
        }
        Step::MapValue(_, &Data::Number(n)) => {
            let lit = between(piece, ".get(", ")");
            let got = js_number(lit).unwrap_or_else(|| panic!("{n:?} as {piece}"));
            assert!(
                got.to_bits() == n.to_bits() || got.is_nan() && n.is_nan(),
                "{n:?} as {piece}"
            );
        }
        Step::MapValue(i, _) | Step::SetValue(i) => assert_eq!(piece, format!(".values()[{i}]")),
        Step::Cause => assert_eq!(piece, ".cause"),
        Step::Root(_) => unreachable!("only the first step is the root"),
    }
}

fn between<'p>(piece: &'p str, open: &str, close: &str) -> &'p str {
    piece
        .strip_prefix(open)
        .and_then(|p| p.strip_suffix(close))
        .unwrap_or_else(|| panic!("{piece:?} is not {open}...{close}"))
}

/// JavaScript's IdentifierName, in ASCII (the path writes no other with `.`).
fn is_identifier(k: &str) -> bool {
    let mut b = k.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
}

/// The value of a double-quoted JavaScript string literal (ES2023, strict
/// mode), or `None` if it is not one.
fn js_string(lit: &str) -> Option<String> {
    let body = lit.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' | '\r' => return None,
            '\\' => {}
            c => {
                out.push(c);
                continue;
            }
        }
        let e = chars.next()?;
        match e {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '0' if !chars.peek().is_some_and(char::is_ascii_digit) => out.push('\0'),
            '0'..='9' => return None, // octal escapes and \8 \9: not in strict mode
            'x' => {
                let hex: String = (0..2).map(|_| chars.next()).collect::<Option<_>>()?;
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            'u' if chars.peek() == Some(&'{') => {
                chars.next();
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            'u' => {
                // Surrogate pairs would need joining; Rust's `{:?}` never
                // writes this form, so a lone `\uXXXX` must be a scalar.
                let hex: String = (0..4).map(|_| chars.next()).collect::<Option<_>>()?;
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            '\n' | '\u{2028}' | '\u{2029}' => {} // line continuations
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
            }
            c => out.push(c), // `\"`, `\\`, `\'` and every other identity escape
        }
    }
    Some(out)
}

/// The value of a JavaScript number written as a call argument: an optional
/// `-`, then `NaN`, `Infinity` or a decimal literal; `None` otherwise.
fn js_number(lit: &str) -> Option<f64> {
    let (minus, body) = match lit.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, lit),
    };
    let value = match body {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        _ => {
            let (mantissa, exponent) = match body.find(['e', 'E']) {
                Some(i) => (&body[..i], Some(&body[i + 1..])),
                None => (body, None),
            };
            let (int, frac) = match mantissa.split_once('.') {
                Some((int, frac)) => (int, Some(frac)),
                None => (mantissa, None),
            };
            let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            let int_ok = digits(int) && (int.len() <= 1 || !int.starts_with('0'));
            let frac_ok = frac.is_none_or(digits);
            let some_digit = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
            let exp_ok = exponent.is_none_or(|e| {
                let e = e.strip_prefix(['+', '-']).unwrap_or(e);
                !e.is_empty() && digits(e)
            });
            if !(int_ok && frac_ok && some_digit && exp_ok) {
                return None;
            }
            // Rust and JavaScript both round a decimal to the nearest double.
            body.parse().ok()?
        }
    };
    Some(if minus { -value } else { value })
}
