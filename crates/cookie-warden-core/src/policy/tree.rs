//! The policy as a tree of plain values, and the serde deserializer that reads the model
//! ([`crate::policy::model::PolicyFile`]) from it, naming each structural problem by its kind and
//! key path.
//!
//! The loader ([`crate::policy::load`]) deserializes the policy from a [`Tree`] again and again,
//! setting each offending key aside, so that one run reports every structural problem. The tree
//! is read from TOML text, or (with the `figment` feature) converted from a figment's merged
//! value; either way the same tree gives the same errors, worded as figment words them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// One value of the policy.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    not(feature = "figment"),
    expect(
        dead_code,
        reason = "`Char`, `None` and `Unit` come only from figment's values"
    )
)]
pub(crate) enum Tree {
    /// A string.
    String(String),
    /// A single character (figment reads some environment values as one).
    Char(char),
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer from a source that says it is unsigned.
    Unsigned(u64),
    /// An integer (TOML integers are signed).
    Signed(i64),
    /// A floating-point number.
    Float(f64),
    /// Present but empty, read as `None`.
    None,
    /// Present but empty, read as `()`.
    Unit,
    /// A table, its keys sorted.
    Table(BTreeMap<String, Tree>),
    /// An array.
    Array(Vec<Tree>),
}

/// The key figment and the `toml` crate give a TOML date-time when it is read as a plain value.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl Tree {
    /// Parses TOML text into a tree; the error is the `toml` crate's, which quotes the line.
    pub(crate) fn from_toml(text: &str) -> Result<Tree, toml::de::Error> {
        let table: toml::Table = toml::from_str(text)?;
        Ok(Tree::from(toml::Value::Table(table)))
    }

    /// The deserializer that reads a model type from this tree.
    pub(crate) fn deserializer(&self) -> TreeDeserializer<'_> {
        TreeDeserializer(self)
    }
}

impl From<toml::Value> for Tree {
    fn from(value: toml::Value) -> Self {
        match value {
            toml::Value::String(text) => Tree::String(text),
            toml::Value::Integer(n) => Tree::Signed(n),
            toml::Value::Float(n) => Tree::Float(n),
            toml::Value::Boolean(b) => Tree::Bool(b),
            // As a plain value a date-time is a one-key table, as figment reads it.
            toml::Value::Datetime(datetime) => Tree::Table(BTreeMap::from([(
                TOML_DATETIME_KEY.to_owned(),
                Tree::String(datetime.to_string()),
            )])),
            toml::Value::Array(items) => Tree::Array(items.into_iter().map(Tree::from).collect()),
            toml::Value::Table(table) => Tree::Table(
                table
                    .into_iter()
                    .map(|(key, value)| (key, Tree::from(value)))
                    .collect(),
            ),
        }
    }
}

#[cfg(feature = "figment")]
impl From<&figment::value::Value> for Tree {
    fn from(value: &figment::value::Value) -> Self {
        use figment::value::{Empty, Num, Value};
        match value {
            Value::String(_, text) => Tree::String(text.clone()),
            Value::Char(_, c) => Tree::Char(*c),
            Value::Bool(_, b) => Tree::Bool(*b),
            Value::Num(_, n) => match *n {
                Num::U8(n) => Tree::Unsigned(n.into()),
                Num::U16(n) => Tree::Unsigned(n.into()),
                Num::U32(n) => Tree::Unsigned(n.into()),
                Num::U64(n) => Tree::Unsigned(n),
                Num::USize(n) => u64::try_from(n).map_or(Tree::Float(n as f64), Tree::Unsigned),
                Num::U128(n) => u64::try_from(n).map_or(Tree::Float(n as f64), Tree::Unsigned),
                Num::I8(n) => Tree::Signed(n.into()),
                Num::I16(n) => Tree::Signed(n.into()),
                Num::I32(n) => Tree::Signed(n.into()),
                Num::I64(n) => Tree::Signed(n),
                Num::ISize(n) => i64::try_from(n).map_or(Tree::Float(n as f64), Tree::Signed),
                Num::I128(n) => i64::try_from(n).map_or(Tree::Float(n as f64), Tree::Signed),
                Num::F32(n) => Tree::Float(n.into()),
                Num::F64(n) => Tree::Float(n),
            },
            Value::Empty(_, Empty::None) => Tree::None,
            Value::Empty(_, Empty::Unit) => Tree::Unit,
            Value::Dict(_, dict) => Tree::Table(
                dict.iter()
                    .map(|(key, value)| (key.clone(), Tree::from(value)))
                    .collect(),
            ),
            Value::Array(_, items) => Tree::Array(items.iter().map(Tree::from).collect()),
        }
    }
}

/// A structural problem: what is wrong, and the key path (outermost key first; an array index as
/// its decimal digits) of the value it was found in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StructureError {
    /// The key path, as figment writes it.
    pub(crate) path: Vec<String>,
    /// What is wrong.
    pub(crate) problem: Problem,
}

impl StructureError {
    /// The same problem, one key further out.
    fn prefixed(mut self, key: &str) -> Self {
        self.path.insert(0, key.to_owned());
        self
    }
}

impl From<Problem> for StructureError {
    fn from(problem: Problem) -> Self {
        Self {
            path: Vec::new(),
            problem,
        }
    }
}

impl fmt::Display for StructureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.problem, f)
    }
}

impl std::error::Error for StructureError {}

impl de::Error for StructureError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Problem::Message(msg.to_string()).into()
    }

    fn invalid_type(found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Problem::InvalidType(Found::from(found), expected.to_string()).into()
    }

    fn invalid_value(found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Problem::InvalidValue(Found::from(found), expected.to_string()).into()
    }

    fn invalid_length(len: usize, expected: &dyn de::Expected) -> Self {
        Problem::InvalidLength(len, expected.to_string()).into()
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Problem::UnknownVariant(variant.to_owned(), expected).into()
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Problem::UnknownField(field.to_owned(), expected).into()
    }

    fn missing_field(field: &'static str) -> Self {
        Problem::MissingField(Cow::Borrowed(field)).into()
    }

    fn duplicate_field(field: &'static str) -> Self {
        Problem::DuplicateField(field).into()
    }
}

/// What is wrong with a value (serde's error cases).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    /// Any other message.
    Message(String),
    /// A value of the wrong type: what was found, what was expected.
    InvalidType(Found, String),
    /// A value of the right type that is not allowed.
    InvalidValue(Found, String),
    /// A list of the wrong length.
    InvalidLength(usize, String),
    /// A string that names no variant of an enum.
    UnknownVariant(String, &'static [&'static str]),
    /// A key the table does not have.
    UnknownField(String, &'static [&'static str]),
    /// A required key that is absent.
    MissingField(Cow<'static, str>),
    /// A key given twice.
    DuplicateField(&'static str),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Message(message) => f.write_str(message),
            Problem::InvalidType(found, expected) => {
                write!(f, "invalid type: found {found}, expected {expected}")
            }
            Problem::InvalidValue(found, expected) => {
                write!(f, "invalid value {found}, expected {expected}")
            }
            Problem::InvalidLength(len, expected) => write!(f, "invalid length {len}, expected {expected}"),
            Problem::UnknownVariant(found, expected) => {
                write!(
                    f,
                    "unknown variant: found `{found}`, expected one of: {}",
                    expected.join(", ")
                )
            }
            Problem::UnknownField(found, expected) => {
                write!(
                    f,
                    "unknown field: found `{found}`, expected one of: {}",
                    expected.join(", ")
                )
            }
            Problem::MissingField(field) => write!(f, "missing field `{field}`"),
            Problem::DuplicateField(field) => write!(f, "duplicate field `{field}`"),
        }
    }
}

/// The value a problem found, described as figment describes it (`string "yes"`,
/// ``signed int `5` ``, `map`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Found {
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Char(char),
    Str(String),
    Bytes(Vec<u8>),
    Unit,
    Option,
    NewtypeStruct,
    Seq,
    Map,
    Enum,
    UnitVariant,
    NewtypeVariant,
    TupleVariant,
    StructVariant,
    Other(String),
}

impl From<de::Unexpected<'_>> for Found {
    fn from(found: de::Unexpected<'_>) -> Self {
        use de::Unexpected as U;
        match found {
            U::Bool(b) => Found::Bool(b),
            U::Unsigned(n) => Found::Unsigned(n),
            U::Signed(n) => Found::Signed(n),
            U::Float(n) => Found::Float(n),
            U::Char(c) => Found::Char(c),
            U::Str(text) => Found::Str(text.to_owned()),
            U::Bytes(bytes) => Found::Bytes(bytes.to_vec()),
            U::Unit => Found::Unit,
            U::Option => Found::Option,
            U::NewtypeStruct => Found::NewtypeStruct,
            U::Seq => Found::Seq,
            U::Map => Found::Map,
            U::Enum => Found::Enum,
            U::UnitVariant => Found::UnitVariant,
            U::NewtypeVariant => Found::NewtypeVariant,
            U::TupleVariant => Found::TupleVariant,
            U::StructVariant => Found::StructVariant,
            U::Other(other) => Found::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Bool(b) => write!(f, "bool {b}"),
            Found::Unsigned(n) => write!(f, "unsigned int `{n}`"),
            Found::Signed(n) => write!(f, "signed int `{n}`"),
            Found::Float(n) => write!(f, "float `{n}`"),
            Found::Char(c) => write!(f, "char {c:?}"),
            Found::Str(text) => write!(f, "string {text:?}"),
            Found::Bytes(bytes) => write!(f, "bytes {bytes:?}"),
            Found::Unit => f.write_str("unit"),
            Found::Option => f.write_str("option"),
            Found::NewtypeStruct => f.write_str("new-type struct"),
            Found::Seq => f.write_str("sequence"),
            Found::Map => f.write_str("map"),
            Found::Enum => f.write_str("enum"),
            Found::UnitVariant => f.write_str("unit variant"),
            Found::NewtypeVariant => f.write_str("new-type variant"),
            Found::TupleVariant => f.write_str("tuple variant"),
            Found::StructVariant => f.write_str("struct variant"),
            Found::Other(other) => f.write_str(other),
        }
    }
}

/// Reads a model type from a [`Tree`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeDeserializer<'t>(&'t Tree);

impl<'de> Deserializer<'de> for TreeDeserializer<'_> {
    type Error = StructureError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, StructureError> {
        match self.0 {
            Tree::String(text) => visitor.visit_str(text),
            Tree::Char(c) => visitor.visit_char(*c),
            Tree::Bool(b) => visitor.visit_bool(*b),
            Tree::Unsigned(n) => visitor.visit_u64(*n),
            Tree::Signed(n) => visitor.visit_i64(*n),
            Tree::Float(n) => visitor.visit_f64(*n),
            Tree::None => visitor.visit_none(),
            Tree::Unit => visitor.visit_unit(),
            Tree::Table(table) => visitor.visit_map(TableAccess::new(table)),
            Tree::Array(items) => visitor.visit_seq(ArrayAccess::new(items)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, StructureError> {
        match self.0 {
            Tree::None | Tree::Unit => self.deserialize_any(visitor),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, StructureError> {
        match self.0 {
            Tree::String(text) => visitor.visit_enum(text.as_str().into_deserializer()),
            Tree::Table(table) => visitor.visit_enum(MapAccessDeserializer::new(TableAccess::new(table))),
            // A number is never a variant: `mode = 1` is a wrong type, not the second variant
            // (as figment read it).
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, StructureError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A table's keys and values, in key order.
struct TableAccess<'t> {
    entries: std::collections::btree_map::Iter<'t, String, Tree>,
    pending: Option<(&'t String, &'t Tree)>,
}

impl<'t> TableAccess<'t> {
    fn new(table: &'t BTreeMap<String, Tree>) -> Self {
        Self {
            entries: table.iter(),
            pending: None,
        }
    }
}

impl<'de> MapAccess<'de> for TableAccess<'_> {
    type Error = StructureError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, StructureError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        let key_deserializer: de::value::StrDeserializer<'_, StructureError> =
            key.as_str().into_deserializer();
        seed.deserialize(key_deserializer)
            .map(Some)
            .map_err(|e| e.prefixed(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, StructureError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(Problem::Message("a table value was asked for before its key".to_owned()).into());
        };
        seed.deserialize(value.deserializer())
            .map_err(|e| e.prefixed(key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An array's items, in order.
struct ArrayAccess<'t> {
    items: std::iter::Enumerate<std::slice::Iter<'t, Tree>>,
}

impl<'t> ArrayAccess<'t> {
    fn new(items: &'t [Tree]) -> Self {
        Self {
            items: items.iter().enumerate(),
        }
    }
}

impl<'de> SeqAccess<'de> for ArrayAccess<'_> {
    type Error = StructureError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, StructureError> {
        let Some((index, item)) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(item.deserializer())
            .map(Some)
            .map_err(|e| e.prefixed(&index.to_string()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        n: u16,
        #[serde(default)]
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        Enforce,
        ReportOnly,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        list: Vec<Inner>,
    }

    fn read(text: &str) -> Result<Outer, StructureError> {
        Outer::deserialize(Tree::from_toml(text).unwrap().deserializer())
    }

    #[test]
    fn reads_what_toml_says() {
        let outer = read("[[list]]\nn = 7\nmode = \"report-only\"\n[[list]]\nn = 8\n").unwrap();
        assert_eq!(
            outer.list,
            [
                Inner {
                    n: 7,
                    mode: Some(Mode::ReportOnly)
                },
                Inner { n: 8, mode: None }
            ]
        );
    }

    #[test]
    fn problems_name_their_kind_and_key_path() {
        let error = read("[[list]]\nn = 7\n[[list]]\nn = 8\ncolour = 1\n").unwrap_err();
        assert_eq!(error.path, ["list", "1", "colour"]);
        assert!(matches!(error.problem, Problem::UnknownField(ref f, _) if f == "colour"));

        let error = read("[[list]]\nn = 70000\n").unwrap_err();
        assert_eq!(error.path, ["list", "0", "n"]);
        assert_eq!(
            error.to_string(),
            "invalid value signed int `70000`, expected u16"
        );

        let error = read("[[list]]\nn = \"x\"\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid type: found string \"x\", expected u16"
        );

        let error = read("[[list]]\nn = 1\nmode = \"loud\"\n").unwrap_err();
        assert_eq!(error.path, ["list", "0", "mode"]);
        assert!(matches!(error.problem, Problem::UnknownVariant(ref v, _) if v == "loud"));

        let error = read("[[list]]\nmode = \"enforce\"\n").unwrap_err();
        assert_eq!(
            (error.path.as_slice(), error.to_string()),
            (
                &["list".to_owned(), "0".to_owned()][..],
                "missing field `n`".to_owned()
            )
        );
    }
}
