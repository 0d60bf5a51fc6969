//! Completes the generated OpenAPI document with what holds for every operation
//! (the problem answers the framework and extractors give, the Idempotency-Key
//! format), so each new endpoint is described truthfully without repeating it.

use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Schema};

use crate::orders::idempotency::{KEY_MAX_LEN, KEY_PATTERN};
use crate::platform::query::MAX_VALUE_CHARS;

/// Applies the rules to every operation under `/api/v1`.
pub fn complete(mut doc: OpenApi) -> OpenApi {
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_problem_answers(path, operation);
            describe_idempotency_key(operation);
            bound_query_strings(operation);
        }
    }
    doc
}

/// The statuses an operation can answer besides its own, and why.
fn problem_statuses(path: &str, operation: &Operation) -> Vec<(u16, &'static str)> {
    let mut statuses = vec![(
        503,
        "the database is unavailable; retry after `Retry-After`",
    )];
    if requires_bearer(operation) {
        statuses.push((401, "missing, unknown or revoked bearer token"));
        statuses.push((403, "the caller's account or role may not do this"));
    }
    if path.contains('{') {
        statuses.push((404, "no such resource visible to the caller"));
    }
    let has_query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header));
    if has_query {
        statuses.push((400, "a query parameter or header does not parse"));
        statuses.push((422, "a query parameter or header is out of range"));
    }
    if operation.request_body.is_some() {
        statuses.push((400, "the body is not JSON"));
        statuses.push((413, "the body is too large"));
        statuses.push((415, "the body is not `application/json`"));
        statuses.push((422, "the body does not fit the schema or the rules"));
    }
    statuses
}

fn add_problem_answers(path: &str, operation: &mut Operation) {
    for (status, why) in problem_statuses(path, operation) {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem_response(why)));
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Bearer required: a security requirement list without the empty (anonymous) one.
fn requires_bearer(operation: &Operation) -> bool {
    let Some(requirements) = &operation.security else {
        return false;
    };
    let anonymous = requirements.iter().any(|r| {
        serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
    });
    !requirements.is_empty() && !anonymous
}

fn describe_idempotency_key(operation: &mut Operation) {
    let keys = operation
        .parameters
        .iter_mut()
        .flatten()
        .filter(|p| p.parameter_in == ParameterIn::Header && p.name == "Idempotency-Key");
    keys.for_each(idempotency_key_schema);
}

fn idempotency_key_schema(parameter: &mut Parameter) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(KEY_MAX_LEN))
        .pattern(Some(KEY_PATTERN))
        .build();
    parameter.schema = Some(RefOr::T(Schema::Object(schema)));
}

/// Every string query parameter is at most `MAX_VALUE_CHARS` long (the query
/// extractor refuses longer ones), so the document says so where it does not
/// say less.
fn bound_query_strings(operation: &mut Operation) {
    let strings = operation
        .parameters
        .iter_mut()
        .flatten()
        .filter(|p| p.parameter_in == ParameterIn::Query)
        .filter_map(|p| match p.schema.as_mut() {
            Some(RefOr::T(Schema::Object(object))) => Some(object),
            _ => None,
        })
        .filter(|object| object.enum_values.is_none() && schema_is_string(&object.schema_type));
    for object in strings {
        if object.max_length.is_none_or(|max| max > MAX_VALUE_CHARS) {
            object.max_length = Some(MAX_VALUE_CHARS);
        }
    }
}

fn schema_is_string(schema_type: &utoipa::openapi::schema::SchemaType) -> bool {
    use utoipa::openapi::schema::SchemaType;
    match schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}
