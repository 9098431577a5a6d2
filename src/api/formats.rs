//! Query parameters with a documented pattern, checked by hand: the spec states each
//! parameter's `pattern` (clients and schemathesis read it), while the check is a few byte
//! comparisons. poem-openapi's `pattern` validator compiles its regex on every request, which
//! cost the availability API two thirds of its throughput.

use std::borrow::Cow;
use std::marker::PhantomData;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult, Type};

/// A string format: the pattern the spec shows, and the same rule written out.
pub trait Format: Send + Sync + 'static {
    /// The regular expression the spec documents.
    const PATTERN: &'static str;
    /// Whether `raw` matches [`Format::PATTERN`].
    fn accepts(raw: &str) -> bool;
}

/// A query parameter in the format `F`.
pub struct Formatted<F>(pub String, PhantomData<F>);

impl<F> Formatted<F> {
    /// The text, as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<F: Format> Type for Formatted<F> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new("string");
        schema.pattern = Some(F::PATTERN.to_owned());
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<F: Format> ParseFromParameter for Formatted<F> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        if F::accepts(value) {
            Ok(Self(value.to_owned(), PhantomData))
        } else {
            Err(ParseError::custom(format!(
                "must match the pattern {}",
                F::PATTERN
            )))
        }
    }
}

fn digits(raw: &[u8]) -> bool {
    raw.iter().all(u8::is_ascii_digit)
}

/// A booking type's slug.
pub struct Slug;

impl Format for Slug {
    const PATTERN: &'static str = "^[a-z0-9][a-z0-9-]{0,79}$";
    fn accepts(raw: &str) -> bool {
        let b = raw.as_bytes();
        let part = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        (1..=80).contains(&b.len())
            && b.first().is_some_and(part)
            && b.iter().all(|c| part(c) || *c == b'-')
    }
}

/// `YYYY-MM-DD`.
pub struct Day;

impl Format for Day {
    const PATTERN: &'static str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
    fn accepts(raw: &str) -> bool {
        let b = raw.as_bytes();
        b.len() == 10
            && digits(&b[..4])
            && b[4] == b'-'
            && digits(&b[5..7])
            && b[7] == b'-'
            && digits(&b[8..])
    }
}

/// `YYYY-MM`.
pub struct Month;

impl Format for Month {
    const PATTERN: &'static str = "^[0-9]{4}-[0-9]{2}$";
    fn accepts(raw: &str) -> bool {
        let b = raw.as_bytes();
        b.len() == 7 && digits(&b[..4]) && b[4] == b'-' && digits(&b[5..])
    }
}

/// `HH:MM`.
pub struct Clock;

impl Format for Clock {
    const PATTERN: &'static str = "^[0-9]{2}:[0-9]{2}$";
    fn accepts(raw: &str) -> bool {
        let b = raw.as_bytes();
        b.len() == 5 && digits(&b[..2]) && b[2] == b':' && digits(&b[3..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_checks_agree_with_the_patterns() {
        fn agree<F: Format>(samples: &[&str]) {
            let re = regex::Regex::new(F::PATTERN).unwrap();
            for s in samples {
                assert_eq!(F::accepts(s), re.is_match(s), "{} on {s:?}", F::PATTERN);
            }
        }
        let samples = [
            "",
            "a",
            "-a",
            "a-",
            "consultation",
            "half-day-shoot",
            "Half",
            "a_b",
            "2026-12-07",
            "2026-1-07",
            "2026-12-7",
            "2026-12",
            "20261207",
            "2026-12-07x",
            "10:30",
            "1:30",
            "10:3",
            "10-30",
            "٣٣:٣٣",
            "２０２６-１２",
            "ab:cd",
            "9999-99",
            "0000-00-00",
        ];
        let long = "a".repeat(80);
        let longer = "a".repeat(81);
        let mut all: Vec<&str> = samples.to_vec();
        all.push(&long);
        all.push(&longer);
        agree::<Slug>(&all);
        agree::<Day>(&all);
        agree::<Month>(&all);
        agree::<Clock>(&all);
    }
}
