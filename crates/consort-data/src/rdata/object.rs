//! R objects as read: a value with its attributes.

/// An R value with its attributes (`names`, `class`, `levels`, `row.names`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct RObject {
    /// The value.
    pub value: RValue,
    /// Attributes in order, by name.
    pub attributes: Vec<(String, RObject)>,
}

/// The value of an R object. `NA` is `None` in logical, integer and string vectors and a NaN
/// in doubles (R's NA is a NaN with a payload).
#[derive(Debug, Clone, PartialEq)]
pub enum RValue {
    /// `NULL`.
    Null,
    /// A symbol (a name).
    Symbol(String),
    /// A pairlist (tagged cells): function calls' arguments, attribute lists, a saved
    /// workspace's variables.
    Pairlist(Vec<(Option<String>, RObject)>),
    /// A logical vector.
    Logical(Vec<Option<bool>>),
    /// An integer vector (factors are integer vectors with `levels`).
    Integer(Vec<Option<i32>>),
    /// A double vector.
    Real(Vec<f64>),
    /// A complex vector, as (re, im) pairs.
    Complex(Vec<(f64, f64)>),
    /// A character vector.
    Str(Vec<Option<String>>),
    /// A generic vector (a list; data frames are lists).
    List(Vec<RObject>),
    /// Raw bytes.
    Raw(Vec<u8>),
    /// An environment (its bindings are not kept) or a special environment marker.
    Environment,
    /// Something a data file does not need to be understood for (a closure, byte code, an
    /// external pointer): its R type code.
    Unsupported(u8),
}

impl RObject {
    pub(super) fn plain(value: RValue) -> Self {
        Self {
            value,
            attributes: Vec::new(),
        }
    }

    /// The attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&RObject> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The strings of a character vector (NA as `None`).
    pub fn strings(&self) -> Option<&[Option<String>]> {
        match &self.value {
            RValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The class attribute's strings.
    pub fn classes(&self) -> Vec<&str> {
        self.attribute("class")
            .and_then(RObject::strings)
            .map(|s| s.iter().flatten().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether the class attribute holds `class`.
    pub fn inherits(&self, class: &str) -> bool {
        self.classes().contains(&class)
    }

    /// The element names (the `names` attribute).
    pub fn names(&self) -> Option<Vec<String>> {
        self.attribute("names")
            .and_then(RObject::strings)
            .map(|s| s.iter().map(|n| n.clone().unwrap_or_default()).collect())
    }

    /// How many elements the vector holds.
    pub fn len(&self) -> usize {
        match &self.value {
            RValue::Null | RValue::Symbol(_) | RValue::Environment | RValue::Unsupported(_) => 0,
            RValue::Pairlist(v) => v.len(),
            RValue::Logical(v) => v.len(),
            RValue::Integer(v) => v.len(),
            RValue::Real(v) => v.len(),
            RValue::Complex(v) => v.len(),
            RValue::Str(v) => v.len(),
            RValue::List(v) => v.len(),
            RValue::Raw(v) => v.len(),
        }
    }

    /// Whether the vector is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
