//! The parts of the data conversion that need no JavaScript values: paths,
//! errors, bigints, names. (The round trips through JavaScript are in
//! `wasm/tests/data.rs`.)

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use super::path::{render, Step};
use super::{BigInt, CloneError, Data, ErrorName};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn paths_read_like_javascript() {
    let key = Data::Text("x7".into());
    let n = Data::Number(3.0);
    let obj = Data::Null;
    let steps = [
        Step::Root("input"),
        Step::Key("items"),
        Step::Index(3),
        Step::Key("two words"),
        Step::MapValue(0, &key),
        Step::MapValue(1, &n),
        Step::MapValue(2, &obj),
        Step::MapKey(4),
        Step::SetValue(5),
        Step::Cause,
        Step::Key("$ok_1"),
        Step::Key("1a"),
        Step::Key(""),
    ];
    assert_eq!(
        render(&steps),
        r#"input.items[3]["two words"].get("x7").get(3).values()[2].keys()[4].values()[5].cause.$ok_1["1a"][""]"#
    );
}

#[wasm_bindgen_test]
fn clone_errors_start_with_the_path() {
    let e = CloneError {
        path: "input.items[3].when".into(),
        problem: "a function (f) cannot be cloned".into(),
    };
    assert_eq!(
        e.to_string(),
        "input.items[3].when: a function (f) cannot be cloned"
    );
}

#[wasm_bindgen_test]
fn bigints_are_canonical_decimal() {
    assert_eq!(BigInt::parse("0042").unwrap().as_str(), "42");
    assert_eq!(BigInt::parse("-0").unwrap().as_str(), "0");
    assert_eq!(BigInt::parse("-000").unwrap().as_str(), "0");
    assert_eq!(BigInt::parse("-17").unwrap().as_str(), "-17");
    for bad in ["", "-", "+1", "1e3", "0x10", " 1", "1n"] {
        assert_eq!(BigInt::parse(bad), None, "{bad:?}");
    }
    let big = "-170141183460469231731687303715884105729"; // i128::MIN - 1
    assert_eq!(BigInt::parse(big).unwrap().to_i128(), None);
    assert_eq!(BigInt::from(i128::MIN).to_i128(), Some(i128::MIN));
    assert_eq!(BigInt::from(u64::MAX).as_str(), "18446744073709551615");
    assert_eq!(Data::BigInt(BigInt::from(-5i64)).to_string(), "-5n");
}

#[wasm_bindgen_test]
fn error_names_outside_the_native_seven_become_error() {
    assert_eq!(ErrorName::from_name("RangeError"), ErrorName::RangeError);
    assert_eq!(ErrorName::from_name("URIError"), ErrorName::UriError);
    assert_eq!(ErrorName::UriError.as_str(), "URIError");
    assert_eq!(ErrorName::from_name("AggregateError"), ErrorName::Error);
    assert_eq!(ErrorName::from_name("MyError"), ErrorName::Error);
}

#[wasm_bindgen_test]
fn accessors_and_names() {
    let input = Data::object([
        ("rgba", Data::U8Clamped(vec![1, 2])),
        ("n", Data::Number(-0.0)),
    ]);
    assert_eq!(
        input.get("rgba").and_then(Data::as_bytes),
        Some(&[1u8, 2][..])
    );
    assert_eq!(Data::Bytes(vec![3]).as_bytes(), Some(&[3u8][..]));
    assert_eq!(Data::ArrayBuffer(vec![3]).as_bytes(), None);
    assert!(input.get("n").unwrap().as_f64().unwrap().is_sign_negative());
    assert_eq!(Data::Undefined.to_string(), "undefined");
    assert_eq!(Data::Utf16(vec![0xd800]).type_name(), "string");
    assert_eq!(Data::Utf16(vec![0xd800]).as_str(), None);
    assert_eq!(
        Data::Boxed(Box::new(Data::Number(1.0))).type_name(),
        "Number object"
    );
    assert_eq!(Data::I64(vec![]).type_name(), "BigInt64Array");
}
