//! Request bodies are read in two steps: into a JSON tree that refuses
//! duplicate keys, then into the handler's type through a deserializer that
//! is serde_json's own except for one thing: a struct must be a JSON object.
//! Derived `Deserialize` also takes a struct as an array of its fields in
//! order, so `[null, null]` would pass for `{}` (schemathesis found it); the
//! API's schema allows objects only, at every depth.

use serde::de::{
    self, DeserializeSeed, Deserializer, Expected, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};
use serde_json::{Map, Value};

type Error = serde_json::Error;

/// A JSON tree whose objects never held the same key twice.
pub struct UniqueKeys(pub Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(v.into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(UniqueKeys(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut entries = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            let UniqueKeys(value) = map.next_value()?;
            entries.insert(key, value);
        }
        Ok(UniqueKeys(Value::Object(entries)))
    }
}

/// Deserializes from a parsed tree, refusing anything but an object for a
/// struct; scalars and enum names go to serde_json's own `Value` deserializer.
pub struct StrictValue<'a>(pub &'a Value);

impl<'de> Deserializer<'de> for StrictValue<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(map) => visitor.visit_map(Entries::new(map)),
            scalar => scalar.deserialize_any(visitor), // serde_json's own
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(Entries::new(map)),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(_) => self.0.deserialize_enum(name, variants, visitor),
            Value::Object(map) if map.len() == 1 => {
                visitor.visit_enum(de::value::MapAccessDeserializer::new(Entries::new(map)))
            }
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

fn invalid_type(value: &Value, expected: &dyn Expected) -> Error {
    let unexpected = match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Other("array"),
        Value::Object(_) => Unexpected::Other("object"),
    };
    de::Error::invalid_type(unexpected, expected)
}

struct Items<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(StrictValue(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    iter: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'a> Entries<'a> {
    fn new(map: &'a Map<String, Value>) -> Self {
        Entries {
            iter: map.iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(IntoDeserializer::<Error>::into_deserializer(key.as_str()))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a map value was asked for before its key"))?;
        seed.deserialize(StrictValue(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Window {
        from: Option<String>,
        to: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Storage {
        Chilled,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Body {
        id: i64,
        window: Option<Window>,
        windows: Vec<Window>,
        storage: Storage,
        tags: Vec<String>,
    }

    fn read<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {
        let UniqueKeys(tree) = serde_json::from_str(text)?;
        T::deserialize(StrictValue(&tree))
    }

    #[test]
    fn objects_read_as_serde_json_reads_them() {
        let body: Body = read(
            r#"{"id": 7, "window": {"from": "a"}, "windows": [{}], "storage": "chilled", "tags": ["x"]}"#,
        )
        .unwrap();
        assert_eq!(body.id, 7);
        assert_eq!(body.window.unwrap().from.as_deref(), Some("a"));
        assert_eq!(
            body.windows,
            vec![Window {
                from: None,
                to: None
            }]
        );
        assert_eq!(body.storage, Storage::Chilled);
    }

    #[test]
    fn a_struct_given_as_an_array_is_refused_at_any_depth() {
        assert!(read::<Window>("[null, null]").is_err());
        let nested =
            r#"{"id": 1, "window": [null, null], "windows": [], "storage": "chilled", "tags": []}"#;
        assert!(read::<Body>(nested).is_err());
        let in_list =
            r#"{"id": 1, "window": null, "windows": [[]], "storage": "chilled", "tags": []}"#;
        assert!(read::<Body>(in_list).is_err());
    }

    #[test]
    fn duplicate_keys_unknown_fields_and_wrong_types_are_refused() {
        assert!(read::<Window>(r#"{"from": "a", "from": "b"}"#).is_err());
        assert!(read::<Window>(r#"{"until": "a"}"#).is_err());
        assert!(
            read::<Body>(r#"{"id": 1.5, "windows": [], "storage": "chilled", "tags": []}"#)
                .is_err()
        );
        assert!(
            read::<Body>(r#"{"id": 1, "windows": [], "storage": "frozen", "tags": []}"#).is_err()
        );
    }
}
