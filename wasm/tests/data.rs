//! Job data in Chromium: every type structured clone carries for plain data
//! goes through `Data::from_js` and back through `Data::to_js`, and must come
//! out equal to what the browser's own `structuredClone` makes of it; every
//! value it cannot carry fails with its path (`tests/data_cases.js` holds the
//! values and the deep comparison).
#![cfg(target_arch = "wasm32")]

use brigade_wasm::data::{BigInt, Data, ErrorName, Sparse};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/data_cases.js")]
extern "C" {
    fn cases() -> js_sys::Array;
    fn refused() -> js_sys::Array;
    fn difference(a: &JsValue, b: &JsValue) -> String;
    fn nested(levels: u32) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = structuredClone)]
    fn structured_clone(v: &JsValue) -> JsValue;
}

fn eval(src: &str) -> JsValue {
    js_sys::eval(src).unwrap()
}

fn data(src: &str) -> Data {
    Data::from_js(&eval(src), "input").unwrap()
}

#[wasm_bindgen_test]
fn every_type_round_trips_as_structured_clone_copies_it() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in cases.iter() {
        let case: js_sys::Array = case.into();
        let (name, value) = (case.get(0).as_string().unwrap(), case.get(1));
        match Data::from_js(&value, "input") {
            Err(e) => failures.push(format!("{name}: refused: {e}")),
            Ok(d) => {
                let diff = difference(&d.to_js(), &structured_clone(&value));
                if !diff.is_empty() {
                    failures.push(format!("{name}: {diff}"));
                }
            }
        }
    }
    assert!(cases.length() > 80, "{} cases", cases.length());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn each_type_maps_to_its_variant() {
    assert_eq!(data("undefined"), Data::Undefined);
    assert_eq!(data("null"), Data::Null);
    assert_eq!(
        data("[undefined, null]"),
        Data::List(vec![Data::Undefined, Data::Null])
    );
    assert_eq!(
        data("({ u: undefined })"),
        Data::Object(vec![("u".into(), Data::Undefined)])
    );
    let Data::Number(z) = data("-0") else {
        panic!()
    };
    assert!(z == 0.0 && z.is_sign_negative());
    assert_eq!(
        data("2n ** 200n"),
        Data::BigInt(
            BigInt::parse("1606938044258990275541962092341162602522202993782792835301376").unwrap()
        )
    );
    assert_eq!(data("-5n"), Data::BigInt(BigInt::from(-5i64)));
    assert_eq!(data("'a\\uD800b'"), Data::Utf16(vec![0x61, 0xd800, 0x62]));
    assert_eq!(data("'ok 🌍'"), Data::Text("ok 🌍".into()));
    let Data::Date(t) = data("new Date(NaN)") else {
        panic!()
    };
    assert!(t.is_nan());
    assert_eq!(data("new Date(5)"), Data::Date(5.0));
    assert_eq!(data("new Uint8Array([1])"), Data::Bytes(vec![1]));
    assert_eq!(data("new Uint8ClampedArray([1])"), Data::U8Clamped(vec![1]));
    assert_eq!(data("new Uint16Array([1])"), Data::U16(vec![1]));
    assert_eq!(data("new Float64Array([1])"), Data::F64(vec![1.0]));
    assert_eq!(data("new BigInt64Array([-1n])"), Data::I64(vec![-1]));
    assert_eq!(
        data("new Uint8Array([1, 2, 3]).subarray(1)"),
        Data::Bytes(vec![2, 3])
    );
    assert_eq!(
        data("new DataView(new Uint8Array([1, 2, 3]).buffer, 1)"),
        Data::DataView(vec![2, 3])
    );
    assert_eq!(
        data("new Uint8Array([1, 2]).buffer"),
        Data::ArrayBuffer(vec![1, 2])
    );
    assert_eq!(
        data("[1, , 3]"),
        Data::Sparse(Box::new(Sparse {
            len: 3,
            items: vec![(0, Data::Number(1.0)), (2, Data::Number(3.0))]
        }))
    );
    assert_eq!(
        data("new Map([[1, 'a']])"),
        Data::Map(vec![(Data::Number(1.0), Data::Text("a".into()))])
    );
    assert_eq!(data("new Set([true])"), Data::Set(vec![Data::Bool(true)]));
    assert_eq!(
        data("new Number(2)"),
        Data::Boxed(Box::new(Data::Number(2.0)))
    );
    let Data::Error(e) = data("new RangeError('r', { cause: 1 })") else {
        panic!()
    };
    assert_eq!(e.name, ErrorName::RangeError);
    assert_eq!(e.message.as_deref(), Some("r"));
    assert!(e
        .stack
        .as_deref()
        .unwrap_or_default()
        .contains("RangeError: r"));
    assert_eq!(e.cause, Some(Data::Number(1.0)));
    let Data::RegExp(r) = data("/a/gi") else {
        panic!()
    };
    assert_eq!((r.source.as_str(), r.flags.as_str()), ("a", "gi"));
}

#[wasm_bindgen_test]
fn values_it_cannot_carry_are_named_by_their_path() {
    let mut failures = Vec::new();
    let refused = refused();
    for case in refused.iter() {
        let case: js_sys::Array = case.into();
        let what = case.get(0).as_string().unwrap();
        let want = case.get(2).as_string().unwrap();
        match Data::from_js(&case.get(1), "input") {
            Ok(d) => failures.push(format!("{what}: accepted as {d:?}")),
            Err(e) if !e.to_string().starts_with(&want) => failures.push(format!(
                "{what}: {e:?}\n    wanted a message starting {want:?}"
            )),
            Err(_) => {}
        }
    }
    assert!(refused.length() >= 20);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn the_root_name_starts_the_path() {
    let e = Data::from_js(&eval("({ f() {} })"), "output").unwrap_err();
    assert_eq!(e.path, "output.f");
    assert_eq!(e.problem, "a function (f) cannot be cloned");
    assert_eq!(e.to_string(), "output.f: a function (f) cannot be cloned");
}

#[wasm_bindgen_test]
fn nesting_stops_at_max_depth() {
    let max = brigade_wasm::data::MAX_DEPTH as u32;
    assert!(Data::from_js(&nested(max), "input").is_ok());
    let e = Data::from_js(&nested(max + 1), "input").unwrap_err();
    assert_eq!(e.problem, format!("nests deeper than {max} levels"));
}

#[wasm_bindgen_test]
fn views_over_shared_memory_are_copied() {
    // Shared memory: the page is cross-origin isolated, as the pool needs.
    let v = eval("new Int16Array(new SharedArrayBuffer(6)).fill(-7)");
    let d = Data::from_js(&v, "input").unwrap();
    assert_eq!(d, Data::I16(vec![-7, -7, -7]));
    let back: js_sys::Int16Array = d.to_js().into();
    assert!(back.buffer().is_instance_of::<js_sys::ArrayBuffer>());
    // The copy does not follow later writes to the shared buffer.
    js_sys::Reflect::set(&v, &0.into(), &1.into()).unwrap();
    assert_eq!(back.get_index(0), -7);
}

#[wasm_bindgen_test]
fn a_regexp_made_in_rust_that_does_not_compile_comes_out_as_its_syntax_error() {
    let bad = Data::RegExp(Box::new(brigade_wasm::data::RegExp {
        source: "(".into(),
        flags: String::new(),
    }));
    assert!(bad.to_js().is_instance_of::<js_sys::SyntaxError>());
}

#[wasm_bindgen_test]
fn the_comparison_sees_each_difference_that_matters() {
    for (a, b) in [
        ("[1, , 3]", "[1, undefined, 3]"),
        ("-0", "0"),
        ("undefined", "null"),
        ("new Uint8Array([1])", "new Uint8ClampedArray([1])"),
        ("new Float32Array([NaN])", "new Float32Array([0])"),
        ("new Error('m')", "new Error('m', { cause: undefined })"),
        ("new Error()", "new Error('')"),
        ("new RangeError('m')", "new TypeError('m')"),
        ("({ a: 1, b: 2 })", "({ b: 2, a: 1 })"),
        ("new Map([[1, 2], [3, 4]])", "new Map([[3, 4], [1, 2]])"),
        ("new Set([1n])", "new Set([1])"),
        ("new Date(NaN)", "new Date(0)"),
        ("new Number(1)", "1"),
        ("/a/g", "/a/i"),
        (
            "new DataView(new ArrayBuffer(2))",
            "new DataView(new ArrayBuffer(3))",
        ),
        ("'\\uD800'", "'\\uFFFD'"),
    ] {
        assert!(
            !difference(&eval(a), &eval(b)).is_empty(),
            "{a} and {b} compare equal"
        );
    }
}
