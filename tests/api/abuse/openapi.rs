//! The served OpenAPI document as a list of operations, and schema-valid
//! sample bodies drawn from it, so the abuse tests cover every endpoint.

use chrono::{Days, Utc};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, json_of};

/// Who an operation lets in, read from its `security`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// A bearer token is optional (it only adds something, e.g. viewer counts).
    OptionalBearer,
    Bearer,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub method: reqwest::Method,
    pub path: String,
    pub access: Access,
    pub path_params: Vec<String>,
    pub header_params: Vec<String>,
    pub query_params: Vec<String>,
    /// Required query parameters with a sample value each (`month=2026-11`).
    pub required_query: String,
    pub body: Option<Value>,
    pub streams: bool,
}

impl Operation {
    pub fn is_write(&self) -> bool {
        self.method != reqwest::Method::GET
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Under `/api/v1/workshops/{workshop_id}/`: a workshop's staff area.
    pub fn is_workshop_scoped(&self) -> bool {
        self.path.starts_with("/api/v1/workshops/{workshop_id}/")
    }
}

pub struct Document {
    pub raw: Value,
    pub operations: Vec<Operation>,
}

pub async fn load(app: &TestApp) -> Document {
    let raw = json_of(app.get("/api/openapi.json", None).await).await;
    let mut operations = Vec::new();
    for (path, item) in raw["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse() else {
                continue;
            };
            operations.push(operation(&raw, method, path, op));
        }
    }
    Document { raw, operations }
}

fn operation(doc: &Value, method: reqwest::Method, path: &str, op: &Value) -> Operation {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let names_in = |place: &str| -> Vec<String> {
        params
            .iter()
            .filter(|p| p["in"] == place)
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    let body = op["requestBody"]["content"]["application/json"]["schema"]
        .as_object()
        .map(|_| {
            sample(
                doc,
                &op["requestBody"]["content"]["application/json"]["schema"],
            )
        });
    let streams = op["responses"]["200"]["content"]
        .get("text/event-stream")
        .is_some();
    let required_query = params
        .iter()
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .map(|p| {
            let example = p.get("example").cloned();
            let value = match example.unwrap_or_else(|| sample(doc, &p["schema"])) {
                Value::String(s) => s,
                other => other.to_string(),
            };
            format!("{}={}", p["name"].as_str().unwrap_or_default(), value)
        })
        .collect::<Vec<_>>()
        .join("&");
    Operation {
        method,
        path: path.to_owned(),
        access: access(op),
        path_params: names_in("path"),
        header_params: names_in("header"),
        query_params: names_in("query"),
        required_query,
        body,
        streams,
    }
}

fn access(op: &Value) -> Access {
    match op["security"].as_array() {
        None => Access::Public,
        Some(reqs)
            if reqs
                .iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty())) =>
        {
            Access::OptionalBearer
        }
        Some(_) => Access::Bearer,
    }
}

/// Follows `$ref`s to the schema they name.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The schema's non-null alternatives flattened (`oneOf [null, X]` -> X,
/// `type: [integer, null]` -> integer, `allOf` merged).
pub fn concrete(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    if let Some(all) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        let mut required = Vec::new();
        for part in all {
            let part = concrete(doc, part);
            if let Some(props) = part["properties"].as_object() {
                merged.extend(props.clone());
            }
            required.extend(part["required"].as_array().cloned().unwrap_or_default());
        }
        return json!({"type": "object", "properties": merged, "required": required});
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let chosen = options
                .iter()
                .map(|o| concrete(doc, o))
                .find(|o| o["type"] != "null")
                .unwrap_or(Value::Null);
            return chosen;
        }
    }
    let mut schema = schema.clone();
    if let Some(types) = schema["type"].as_array() {
        let first = types.iter().find(|t| *t != "null").cloned();
        schema["type"] = first.unwrap_or(Value::Null);
    }
    schema
}

/// A small value that fits the schema: every property filled, examples and
/// enum values preferred, numbers at their minimum or 1, dates tomorrow.
pub fn sample(doc: &Value, schema: &Value) -> Value {
    let schema = concrete(doc, schema);
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match schema["type"].as_str() {
        Some("object") => {
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let object = props
                .iter()
                .map(|(name, prop)| (name.clone(), sample(doc, prop)))
                .collect::<Map<_, _>>();
            Value::Object(object)
        }
        Some("array") => json!([sample(doc, &schema["items"])]),
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        Some("number") => json!(1),
        Some("boolean") => json!(false),
        Some("string") => sample_string(&schema),
        _ => Value::Null,
    }
}

fn china_today() -> chrono::NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn sample_string(schema: &Value) -> Value {
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    match schema["format"].as_str() {
        Some("date-time") => json!(tomorrow.to_rfc3339()),
        // Tomorrow in China (UTC+8), where the service's days are: UTC's
        // tomorrow is China's today for eight hours of every day.
        Some("date") => json!((china_today() + Days::new(1)).to_string()),
        Some("uri") => json!("https://example.com/x"),
        _ => json!("样品"),
    }
}
