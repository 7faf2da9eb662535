//! The reader on hand-built streams: vectors with NA and attributes, and damaged streams as errors.

use super::*;

/// A stream by hand: header, then the items.
fn stream(items: &[&[u8]]) -> Vec<u8> {
    let mut b = b"X\n".to_vec();
    for v in [2i32, 0x040300, 0x020300] {
        b.extend(v.to_be_bytes());
    }
    for i in items {
        b.extend(*i);
    }
    b
}

fn int(v: i32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

#[test]
fn vectors_with_na_and_attributes() {
    // c(a = 1L, b = NA) : INTSXP with a names attribute.
    let mut item = int(INTSXP as i32 | (1 << 9));
    item.extend(int(2));
    item.extend(int(1));
    item.extend(int(NA_INTEGER));
    // attributes: pairlist(names = c("a", "b"))
    item.extend(int(LISTSXP as i32 | (1 << 10)));
    item.extend(int(SYMSXP as i32));
    item.extend(int(CHARSXP as i32));
    item.extend(int(5));
    item.extend(b"names");
    item.extend(int(STRSXP as i32));
    item.extend(int(2));
    for s in ["a", "b"] {
        item.extend(int(CHARSXP as i32));
        item.extend(int(1));
        item.extend(s.as_bytes());
    }
    item.extend(int(NILVALUE_SXP as i32));
    let o = unserialize(&stream(&[&item])).unwrap();
    assert_eq!(o.value, RValue::Integer(vec![Some(1), None]));
    assert_eq!(o.names().unwrap(), ["a", "b"]);
}

#[test]
fn damaged_streams_are_errors_not_panics() {
    assert!(unserialize(b"").is_err());
    assert!(unserialize(b"A\n").is_err());
    let mut huge = int(REALSXP as i32);
    huge.extend(int(i32::MAX));
    assert!(unserialize(&stream(&[&huge])).is_err());
    let mut dangling = int(REFSXP as i32 | (7 << 8));
    dangling.extend(int(0));
    assert!(unserialize(&stream(&[&dangling])).is_err());
    // Truncated anywhere: never a panic.
    let mut item = int(STRSXP as i32);
    item.extend(int(1));
    item.extend(int(CHARSXP as i32));
    item.extend(int(3));
    item.extend(b"abc");
    let full = stream(&[&item]);
    assert!(unserialize(&full).is_ok());
    for cut in 0..full.len() {
        assert!(unserialize(&full[..cut]).is_err(), "cut at {cut}");
    }
}
