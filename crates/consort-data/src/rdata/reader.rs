//! The serialisation reader: bytes in, [`RObject`]s out.

mod altrep;

use consort_core::{ConsortError, Result};

use super::object::{RObject, RValue};

/// A malformed serialisation.
pub(crate) fn bad(message: impl Into<String>) -> ConsortError {
    ConsortError::Parse {
        source_name: "R serialization".into(),
        line: 0,
        message: message.into(),
    }
}

/// Unserialises one object from R's serialisation stream (XDR format, versions 2 and 3).
pub fn unserialize(bytes: &[u8]) -> Result<RObject> {
    let mut r = Reader {
        bytes,
        at: 0,
        refs: Vec::new(),
        depth: 0,
    };
    match r.take(2)? {
        b"X\n" => {}
        b"A\n" | b"B\n" => {
            return Err(bad(
                "ASCII or native-binary serialisation: only XDR (R's default) is read",
            ));
        }
        _ => return Err(bad("not an R serialisation stream")),
    }
    let version = r.int()?;
    let _writer = r.int()?;
    let _min_reader = r.int()?;
    match version {
        2 => {}
        3 => {
            let n = r.len()?;
            r.take(n)?;
        }
        v => return Err(bad(format!("serialisation version {v}: 2 and 3 are read"))),
    }
    r.item()
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    refs: Vec<RObject>,
    depth: usize,
}

// Type codes (R Internals).
const NILSXP: u8 = 0;
const SYMSXP: u8 = 1;
const LISTSXP: u8 = 2;
const CLOSXP: u8 = 3;
const ENVSXP: u8 = 4;
const PROMSXP: u8 = 5;
const LANGSXP: u8 = 6;
const SPECIALSXP: u8 = 7;
const BUILTINSXP: u8 = 8;
const CHARSXP: u8 = 9;
const LGLSXP: u8 = 10;
const INTSXP: u8 = 13;
const REALSXP: u8 = 14;
const CPLXSXP: u8 = 15;
const STRSXP: u8 = 16;
const DOTSXP: u8 = 17;
const VECSXP: u8 = 19;
const EXPRSXP: u8 = 20;
const EXTPTRSXP: u8 = 22;
const WEAKREFSXP: u8 = 23;
const RAWSXP: u8 = 24;
const S4SXP: u8 = 25;
// Pseudo-types of the stream.
const ALTREP_SXP: u8 = 238;
const ATTRLISTSXP: u8 = 239;
const ATTRLANGSXP: u8 = 240;
const BASEENV_SXP: u8 = 241;
const EMPTYENV_SXP: u8 = 242;
const PERSISTSXP: u8 = 247;
const PACKAGESXP: u8 = 248;
const NAMESPACESXP: u8 = 249;
const BASENAMESPACE_SXP: u8 = 250;
const MISSINGARG_SXP: u8 = 251;
const UNBOUNDVALUE_SXP: u8 = 252;
const GLOBALENV_SXP: u8 = 253;
const NILVALUE_SXP: u8 = 254;
const REFSXP: u8 = 255;

const NA_INTEGER: i32 = i32::MIN;
/// Deeper nesting than this is a damaged (or hostile) file, not data.
const MAX_DEPTH: usize = 10_000;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| bad(format!("truncated at byte {} (wanted {n} more)", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn int(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn double(&mut self) -> Result<f64> {
        let b = self.take(8)?;
        Ok(f64::from_be_bytes(b.try_into().expect("8 bytes")))
    }

    /// A vector length: an int, or -1 and two ints for a long vector. Checked against the
    /// bytes left so that a corrupted length cannot ask for terabytes.
    fn len(&mut self) -> Result<usize> {
        let n = self.int()?;
        let n = if n == -1 {
            let hi = self.int()? as u32 as u64;
            let lo = self.int()? as u32 as u64;
            (hi << 32) | lo
        } else if n < 0 {
            return Err(bad(format!("negative length {n}")));
        } else {
            n as u64
        };
        let left = (self.bytes.len() - self.at) as u64;
        if n > left.saturating_mul(8).max(1 << 20) {
            return Err(bad(format!("length {n} exceeds what the stream holds")));
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> Result<Option<String>> {
        let n = self.int()?;
        if n == -1 {
            return Ok(None);
        }
        let n = usize::try_from(n).map_err(|_| bad("negative string length"))?;
        Ok(Some(String::from_utf8_lossy(self.take(n)?).into_owned()))
    }

    fn item(&mut self) -> Result<RObject> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(bad("objects nested too deeply"));
        }
        let out = self.item_inner();
        self.depth -= 1;
        out
    }

    fn item_inner(&mut self) -> Result<RObject> {
        let flags = self.int()?;
        let kind = (flags & 0xff) as u8;
        let has_attr = flags & (1 << 9) != 0;
        let has_tag = flags & (1 << 10) != 0;
        let plain = |v| Ok(RObject::plain(v));
        match kind {
            NILVALUE_SXP | NILSXP => plain(RValue::Null),
            EMPTYENV_SXP | BASEENV_SXP | GLOBALENV_SXP | BASENAMESPACE_SXP => {
                plain(RValue::Environment)
            }
            UNBOUNDVALUE_SXP | MISSINGARG_SXP => plain(RValue::Null),
            REFSXP | PERSISTSXP | SYMSXP | PACKAGESXP | NAMESPACESXP | ENVSXP | EXTPTRSXP
            | WEAKREFSXP => self.referenced_item(kind, flags, has_attr),
            LISTSXP | LANGSXP | CLOSXP | PROMSXP | DOTSXP | ATTRLANGSXP | ATTRLISTSXP => self
                .pairlist(
                    kind,
                    has_attr || kind == ATTRLANGSXP || kind == ATTRLISTSXP,
                    has_tag,
                ),
            SPECIALSXP | BUILTINSXP => {
                let n = self.len()?;
                self.take(n)?;
                plain(RValue::Unsupported(kind))
            }
            CHARSXP => {
                let s = self.string()?;
                plain(RValue::Str(vec![s]))
            }
            LGLSXP | INTSXP | REALSXP | CPLXSXP | STRSXP | VECSXP | EXPRSXP | RAWSXP => {
                self.vector_item(kind, has_attr)
            }
            S4SXP => self.with_attributes(RValue::Unsupported(kind), has_attr),
            ALTREP_SXP => self.altrep(),
            other => Err(bad(format!(
                "R type {other} (byte code or a reference class) is not data this reader takes"
            ))),
        }
    }

    /// An item that is, or joins, the reference table: a back-reference, a persistent name,
    /// a symbol, a package or namespace, an environment, an external or weak pointer.
    fn referenced_item(&mut self, kind: u8, flags: i32, has_attr: bool) -> Result<RObject> {
        match kind {
            REFSXP => {
                let index = match flags >> 8 {
                    0 => self.int()?,
                    i => i,
                };
                usize::try_from(index - 1)
                    .ok()
                    .and_then(|i| self.refs.get(i))
                    .cloned()
                    .ok_or_else(|| bad(format!("reference {index} to nothing")))
            }
            PERSISTSXP => {
                let names = self.string_vec()?;
                let o = RObject::plain(RValue::Str(names));
                self.refs.push(o.clone());
                Ok(o)
            }
            SYMSXP => {
                let name = self.item()?;
                let name = match name.value {
                    RValue::Str(mut s) if s.len() == 1 => s.pop().flatten().unwrap_or_default(),
                    _ => return Err(bad("a symbol's name is not a string")),
                };
                let o = RObject::plain(RValue::Symbol(name));
                self.refs.push(o.clone());
                Ok(o)
            }
            PACKAGESXP | NAMESPACESXP => {
                self.string_vec()?;
                let o = RObject::plain(RValue::Environment);
                self.refs.push(o.clone());
                Ok(o)
            }
            ENVSXP => {
                let slot = self.refs.len();
                self.refs.push(RObject::plain(RValue::Environment));
                let _locked = self.int()?;
                let _enclosure = self.item()?;
                let _frame = self.item()?;
                let _hashtab = self.item()?;
                let attributes = Self::attributes_of(self.item()?);
                let o = RObject {
                    value: RValue::Environment,
                    attributes,
                };
                self.refs[slot] = o.clone();
                Ok(o)
            }
            EXTPTRSXP => {
                let slot = self.refs.len();
                self.refs.push(RObject::plain(RValue::Unsupported(kind)));
                let _protected = self.item()?;
                let _tag = self.item()?;
                let o = self.with_attributes(RValue::Unsupported(kind), has_attr)?;
                self.refs[slot] = o.clone();
                Ok(o)
            }
            WEAKREFSXP => {
                let o = self.with_attributes(RValue::Unsupported(kind), has_attr)?;
                self.refs.push(o.clone());
                Ok(o)
            }
            _ => unreachable!("item_inner routes only referenced kinds here"),
        }
    }

    /// A vector: logicals, integers, reals, complex numbers, strings, a list, raw bytes.
    fn vector_item(&mut self, kind: u8, has_attr: bool) -> Result<RObject> {
        match kind {
            LGLSXP | INTSXP => {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.int()?);
                }
                let value = if kind == LGLSXP {
                    RValue::Logical(
                        v.into_iter()
                            .map(|x| (x != NA_INTEGER).then_some(x != 0))
                            .collect(),
                    )
                } else {
                    RValue::Integer(
                        v.into_iter()
                            .map(|x| (x != NA_INTEGER).then_some(x))
                            .collect(),
                    )
                };
                self.with_attributes(value, has_attr)
            }
            REALSXP => {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.double()?);
                }
                self.with_attributes(RValue::Real(v), has_attr)
            }
            CPLXSXP => {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push((self.double()?, self.double()?));
                }
                self.with_attributes(RValue::Complex(v), has_attr)
            }
            STRSXP => {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    match self.item()?.value {
                        RValue::Str(mut s) if s.len() == 1 => v.push(s.pop().flatten()),
                        _ => return Err(bad("a string vector holds a non-string")),
                    }
                }
                self.with_attributes(RValue::Str(v), has_attr)
            }
            VECSXP | EXPRSXP => {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n.min(1 << 16));
                for _ in 0..n {
                    v.push(self.item()?);
                }
                self.with_attributes(RValue::List(v), has_attr)
            }
            RAWSXP => {
                let n = self.len()?;
                let v = self.take(n)?.to_vec();
                self.with_attributes(RValue::Raw(v), has_attr)
            }
            _ => unreachable!("item_inner routes only vector kinds here"),
        }
    }

    fn string_vec(&mut self) -> Result<Vec<Option<String>>> {
        if self.int()? != 0 {
            return Err(bad("a persistent name vector must start with 0"));
        }
        let n = self.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            match self.item()?.value {
                RValue::Str(mut s) if s.len() == 1 => v.push(s.pop().flatten()),
                _ => return Err(bad("a name vector holds a non-string")),
            }
        }
        Ok(v)
    }

    fn attributes_of(list: RObject) -> Vec<(String, RObject)> {
        match list.value {
            RValue::Pairlist(cells) => cells
                .into_iter()
                .map(|(tag, v)| (tag.unwrap_or_default(), v))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn with_attributes(&mut self, value: RValue, has_attr: bool) -> Result<RObject> {
        let attributes = if has_attr {
            let list = self.item()?;
            Self::attributes_of(list)
        } else {
            Vec::new()
        };
        Ok(RObject { value, attributes })
    }

    /// A pairlist chain, read iteratively along its tail (long lists would otherwise recurse
    /// once per cell). The first cell's attributes are the object's.
    fn pairlist(&mut self, kind: u8, mut has_attr: bool, mut has_tag: bool) -> Result<RObject> {
        let mut cells = Vec::new();
        let mut attributes = Vec::new();
        let mut first = true;
        loop {
            let attr = if has_attr {
                let a = self.item()?;
                Self::attributes_of(a)
            } else {
                Vec::new()
            };
            if first {
                attributes = attr;
            }
            let tag = if has_tag {
                match self.item()?.value {
                    RValue::Symbol(s) => Some(s),
                    RValue::Str(mut s) if s.len() == 1 => s.pop().flatten(),
                    _ => None,
                }
            } else {
                None
            };
            let car = self.item()?;
            cells.push((tag, car));
            first = false;
            // The tail: another cell of the same list, or its end.
            let flags = self.int()?;
            let next = (flags & 0xff) as u8;
            if matches!(next, LISTSXP | LANGSXP | DOTSXP | ATTRLISTSXP | ATTRLANGSXP)
                && kind != CLOSXP
                && kind != PROMSXP
            {
                has_attr = flags & (1 << 9) != 0 || next == ATTRLISTSXP || next == ATTRLANGSXP;
                has_tag = flags & (1 << 10) != 0;
                continue;
            }
            // Not a cell: step back and read it as an ordinary item (NULL ends the list).
            self.at -= 4;
            let tail = self.item()?;
            if !matches!(tail.value, RValue::Null) {
                cells.push((None, tail));
            }
            break;
        }
        let value = match kind {
            LISTSXP | ATTRLISTSXP | DOTSXP | LANGSXP | ATTRLANGSXP => RValue::Pairlist(cells),
            other => RValue::Unsupported(other),
        };
        Ok(RObject { value, attributes })
    }
}

#[cfg(test)]
mod tests;
