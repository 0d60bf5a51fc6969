//! Field validation that collects every problem of a request at once, so a
//! client learns all offending fields from one 422.

use crate::error::{AppError, AppResult, FieldError};

#[derive(Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) -> &mut Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    /// Text of `min..=max` characters with no control or invisible formatting characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> &mut Self {
        let len = value.chars().count();
        if len < min || len > max {
            return self.fail(field, format!("must be {min} to {max} characters"));
        }
        if min > 0 && value.trim().is_empty() {
            return self.fail(field, "must not be blank");
        }
        if let Some(c) = forbidden_char(value, is_multiline(field)) {
            return self.fail(
                field,
                format!("must not contain the character U+{:04X}", c as u32),
            );
        }
        self
    }

    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) -> &mut Self {
        match value {
            Some(v) => self.text(field, v, 0, max),
            None => self,
        }
    }

    /// A phone number: optional `+`, then 5 to 15 digits.
    pub fn phone(&mut self, field: &str, value: &str) -> &mut Self {
        let digits = value.strip_prefix('+').unwrap_or(value);
        let ok = (5..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            self.fail(field, "must be a phone number of 5 to 15 digits");
        }
        self
    }

    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) -> &mut Self {
        if value < min || value > max {
            self.fail(field, format!("must be between {min} and {max}"));
        }
        self
    }

    pub fn finish(&mut self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(std::mem::take(&mut self.errors)))
        }
    }
}

fn is_multiline(field: &str) -> bool {
    field.ends_with("description") || field.ends_with("detail")
}

/// The first character `value` must not hold: control characters (newlines
/// only where `multiline`), bidirectional overrides and zero-width
/// characters, which spoof names.
pub fn forbidden_char(value: &str, multiline: bool) -> Option<char> {
    value.chars().find(|c| is_forbidden(*c, multiline))
}

fn is_forbidden(c: char, multiline: bool) -> bool {
    if c.is_control() {
        return !(multiline && (c == '\n' || c == '\r' || c == '\t'));
    }
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}
