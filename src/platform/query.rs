//! The query-string extractor every listing uses: each parameter gets the
//! checks a body gets (no control or spoofing characters, bounded length)
//! before it is typed, so a new listing cannot forget them.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::validate::forbidden_char;
use crate::error::{AppError, AppResult, ErrorCode, FieldError};

/// Longest value one parameter may carry (cursors, dates, search text).
pub const MAX_VALUE_CHARS: usize = 256;
/// Longest whole query string, before decoding.
pub const MAX_QUERY_BYTES: usize = 4096;

pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(Query))
    }
}

/// Checks every parameter of `query`, then types it as `T`.
pub fn parse<T: DeserializeOwned>(query: &str) -> AppResult<T> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(AppError::new(
            ErrorCode::InvalidParameter,
            format!("the query string is longer than {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let problems: Vec<FieldError> = url::form_urlencoded::parse(query.as_bytes())
        .filter_map(|(name, value)| problem_of(&name, &value))
        .collect();
    if !problems.is_empty() {
        // 422 like a body's text rule: the value has the right type but breaks a rule.
        return Err(AppError::validation(problems));
    }
    web::Query::<T>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|err| {
            AppError::new(
                ErrorCode::InvalidParameter,
                format!("invalid query string: {err}"),
            )
        })
}

fn problem_of(name: &str, value: &str) -> Option<FieldError> {
    let shown = printable(name);
    let message = if let Some(c) = forbidden_char(name, false) {
        format!(
            "{shown}: its name must not contain the character U+{:04X}",
            c as u32
        )
    } else if let Some(c) = forbidden_char(value, false) {
        format!("{shown}: must not contain the character U+{:04X}", c as u32)
    } else if value.chars().count() > MAX_VALUE_CHARS {
        format!("{shown}: must be at most {MAX_VALUE_CHARS} characters")
    } else if name.chars().count() > MAX_VALUE_CHARS {
        format!("its name must be at most {MAX_VALUE_CHARS} characters")
    } else {
        return None;
    };
    Some(FieldError {
        field: format!("query.{shown}"),
        message,
    })
}

/// A parameter name fit for an error message: escaped, and cut short.
fn printable(name: &str) -> String {
    name.chars()
        .take(64)
        .flat_map(char::escape_default)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Filter {
        status: Option<String>,
    }

    #[test]
    fn a_nul_in_a_value_is_refused_before_typing() {
        let err = parse::<Filter>("status=%00").unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed);
        assert_eq!(err.fields[0].field, "query.status");
    }

    #[test]
    fn a_right_to_left_override_and_an_overlong_value_are_refused() {
        assert!(parse::<Filter>("status=%E2%80%AEpaid").is_err());
        let long = format!("status={}", "a".repeat(MAX_VALUE_CHARS + 1));
        assert!(parse::<Filter>(&long).is_err());
    }

    #[test]
    fn ordinary_text_and_chinese_pass() {
        let ok = parse::<Filter>("status=%E8%8D%89%E8%8E%93").unwrap();
        assert_eq!(ok.status.as_deref(), Some("草莓"));
    }
}
