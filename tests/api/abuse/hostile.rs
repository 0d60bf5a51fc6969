//! The hostile input corpus, sent to every write endpoint of the OpenAPI
//! document: out-of-range and mistyped numbers, client-set prices, statuses
//! and owners, NUL, oversized emoji, bidi and zero-width text, duplicate keys,
//! a byte-order mark, year 10000, `../` in ids and a 10 KB Idempotency-Key.
//!
//! Verdicts, decided per case:
//! - always a 4xx problem+json: 2^63, 1e400, "1", 1.5 for integers; a field the
//!   schema does not declare (prices, totals, statuses, owners are server-set);
//!   NUL in a string (PostgreSQL cannot store it, so nobody may); year 10000;
//!   duplicate keys; a byte-order mark; `../` as an id; a 10 KB Idempotency-Key.
//! - 4xx, or 2xx with the stored value exactly what was sent (read back from
//!   the answer, which echoes the record): 0, −1, 2^31 and null for integers
//!   (null means "absent" where a field is optional), 256 four-byte emoji and
//!   right-to-left/zero-width text in strings. Two accepted values are shown
//!   elsewhere or not at all (`ACCEPTED_ELSEWHERE` says where and why); null
//!   for an optional field means "not given" (it keeps its value or default).
//!
//! After every rejected request every table is compared, row by row, with the
//! database before it: a rejection changes nothing.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::openapi::{self, Access, Operation, concrete};
use super::snapshot::{self, Snapshot};
use super::world::{self, World};

const PLACEHOLDER: &str = "__hostile__";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// 4xx problem+json, nothing stored.
    Reject,
    /// 4xx, or 2xx storing exactly what was sent (at `pointer`).
    RejectOrExact,
}

struct Case {
    label: String,
    path: String,
    body: Option<String>,
    idempotency_key: Option<String>,
    verdict: Verdict,
    /// Where the sent value sits in the body (and in the echoed record).
    pointer: String,
    sent: Value,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Integer,
    Text,
    Date(&'static str),
}

/// Scalar fields of the body (nested objects and the first array element too).
fn fields(doc: &Value, schema: &Value, pointer: &str, out: &mut Vec<(String, Field)>) {
    let schema = concrete(doc, schema);
    match schema["type"].as_str() {
        Some("object") => {
            for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
                fields(doc, prop, &format!("{pointer}/{name}"), out);
            }
        }
        Some("array") => fields(doc, &schema["items"], &format!("{pointer}/0"), out),
        Some("integer") => out.push((pointer.to_owned(), Field::Integer)),
        Some("string") if schema.get("enum").is_none() => match schema["format"].as_str() {
            Some("date-time") => {
                out.push((pointer.to_owned(), Field::Date("10000-01-01T00:00:00Z")))
            }
            Some("date") => out.push((pointer.to_owned(), Field::Date("10000-01-01"))),
            _ => out.push((pointer.to_owned(), Field::Text)),
        },
        _ => {}
    }
}

/// The body with the value at `pointer` replaced by raw JSON text.
fn with_raw(body: &Value, pointer: &str, raw: &str) -> Option<String> {
    let mut body = body.clone();
    *body.pointer_mut(pointer)? = json!(PLACEHOLDER);
    Some(body.to_string().replace(&format!("\"{PLACEHOLDER}\""), raw))
}

fn number_cases(body: &Value, pointer: &str) -> Vec<(String, Verdict, Value)> {
    let exact = Verdict::RejectOrExact;
    let reject = Verdict::Reject;
    [
        ("0", exact, json!(0)),
        ("-1", exact, json!(-1)),
        ("2147483648", exact, json!(2_147_483_648_i64)),
        ("9223372036854775808", reject, Value::Null),
        ("1e400", reject, Value::Null),
        ("\"1\"", reject, Value::Null),
        ("1.5", reject, Value::Null),
        ("null", exact, Value::Null),
    ]
    .into_iter()
    .filter_map(|(raw, verdict, sent)| with_raw(body, pointer, raw).map(|b| (b, verdict, sent)))
    .collect()
}

fn text_cases(body: &Value, pointer: &str) -> Vec<(String, Verdict, Value)> {
    let emoji = "🍓".repeat(256);
    [
        ("nul", Verdict::Reject, json!("草莓\u{0}礼盒")),
        ("emoji", Verdict::RejectOrExact, json!(emoji)),
        (
            "bidi",
            Verdict::RejectOrExact,
            json!("\u{202E}莓草\u{200B}\u{200D}x"),
        ),
    ]
    .into_iter()
    .filter_map(|(_, verdict, sent)| {
        let mut b = body.clone();
        *b.pointer_mut(pointer)? = sent.clone();
        Some((b.to_string(), verdict, sent))
    })
    .collect()
}

/// Fields only the server sets; a body naming one is refused unless the
/// schema declares it (a manager does set a SKU's price).
fn server_set_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("price_fen", json!(1)),
        ("total_fen", json!(1)),
        ("amount_fen", json!(1)),
        ("status", json!("paid")),
        ("customer_id", json!(1)),
        ("account_id", json!(1)),
        ("owner_id", json!(1)),
        ("workshop_id", json!(1)),
        ("id", json!(1)),
        ("paid_at", json!("2026-01-01T00:00:00Z")),
    ]
}

/// The sample body with real ids of the victim's records where it names them.
fn with_real_ids(world: &World, template: &str, body: &mut Value) {
    match body {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match world
                    .known(template, key)
                    .and_then(|id| id.parse::<i64>().ok())
                {
                    Some(id) if value.is_number() => *value = json!(id),
                    _ => with_real_ids(world, template, value),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| with_real_ids(world, template, v)),
        _ => {}
    }
}

async fn cases_for(world: &World, doc: &Value, op: &Operation) -> Vec<Case> {
    let path = world.victim_path(&op.path, &op.path_params);
    let mut cases = Vec::new();
    let case = |label: String, body: Option<String>, verdict, pointer: &str, sent: Value| Case {
        label,
        path: path.clone(),
        body,
        idempotency_key: None,
        verdict,
        pointer: pointer.to_owned(),
        sent,
    };
    if let Some(sample) = &op.body {
        let mut base = sample.clone();
        with_real_ids(world, &op.path, &mut base);
        let schema = request_schema(doc, op);
        let mut scalars = Vec::new();
        fields(doc, &schema, "", &mut scalars);
        for (pointer, field) in &scalars {
            match field {
                Field::Integer => {
                    for (body, verdict, sent) in number_cases(&base, pointer) {
                        let label = format!("{pointer} = {}", raw_of(&body, &base, pointer));
                        cases.push(case(label, Some(body), verdict, pointer, sent));
                    }
                }
                Field::Text => {
                    for (body, verdict, sent) in text_cases(&base, pointer) {
                        let label = format!("{pointer} = {}", short(&sent));
                        cases.push(case(label, Some(body), verdict, pointer, sent));
                    }
                }
                Field::Date(far) => {
                    let mut body = base.clone();
                    if let Some(slot) = body.pointer_mut(pointer) {
                        *slot = json!(far);
                        let label = format!("{pointer} = {far}");
                        cases.push(case(
                            label,
                            Some(body.to_string()),
                            Verdict::Reject,
                            pointer,
                            json!(far),
                        ));
                    }
                }
            }
        }
        let declared = concrete(doc, &schema)["properties"].clone();
        if base.is_object() {
            for (name, value) in server_set_fields() {
                if declared.get(name).is_some() {
                    continue;
                }
                let mut body = base.clone();
                body[name] = value.clone();
                let label = format!("client-set {name}");
                cases.push(case(
                    label,
                    Some(body.to_string()),
                    Verdict::Reject,
                    "",
                    value,
                ));
            }
        }
        if let Some((key, value)) = base.as_object().and_then(|m| m.iter().next()) {
            let inner = base.to_string();
            let duplicated = format!("{{\"{key}\":{value},{}", &inner[1..]);
            cases.push(case(
                "duplicate key".into(),
                Some(duplicated),
                Verdict::Reject,
                "",
                Value::Null,
            ));
        }
        let bom = format!("\u{FEFF}{base}");
        cases.push(case(
            "byte-order mark".into(),
            Some(bom),
            Verdict::Reject,
            "",
            Value::Null,
        ));
        if op.header_params.iter().any(|h| h == "Idempotency-Key") {
            let mut long_key = case(
                "10 KB Idempotency-Key".into(),
                Some(base.to_string()),
                Verdict::Reject,
                "",
                Value::Null,
            );
            long_key.idempotency_key = Some("k".repeat(10 * 1024));
            cases.push(long_key);
        }
    }
    for param in &op.path_params {
        let id = world.id_for(&op.path, param);
        for traversal in ["..%2F..%2Fhealthz", "%2E%2E%2F1", "../1"] {
            let hostile = path.replacen(&format!("/{id}"), &format!("/{traversal}"), 1);
            if hostile == path {
                continue;
            }
            let body = op.body.as_ref().map(Value::to_string);
            let label = format!("{{{param}}} = {traversal}");
            let mut c = case(label, body, Verdict::Reject, "", Value::Null);
            c.path = hostile;
            cases.push(c);
        }
    }
    cases
}

fn request_schema(doc: &Value, op: &Operation) -> Value {
    let method = op.method.as_str().to_lowercase();
    doc["paths"][&op.path][&method]["requestBody"]["content"]["application/json"]["schema"].clone()
}

/// The raw value text at `pointer` in `body` (the base body with it swapped).
fn raw_of(body: &str, base: &Value, pointer: &str) -> String {
    let marked = with_raw(base, pointer, "\u{1}").unwrap_or_default();
    let start = marked.find('\u{1}').unwrap_or(0);
    let tail = marked.len() - start - 1;
    body.get(start..body.len().saturating_sub(tail))
        .unwrap_or(body)
        .to_owned()
}

fn short(value: &Value) -> String {
    value.to_string().chars().take(24).collect()
}

/// Who sends the requests: the platform admin in a workshop's area, the
/// victim customer elsewhere, nobody on public endpoints.
fn actor(world: &World, op: &Operation) -> Option<String> {
    match op.access {
        Access::Public => None,
        _ if op.path.starts_with("/api/v1/workshops") => Some(world.admin.clone()),
        _ => Some(world.owner.clone()),
    }
}

struct Run<'a> {
    world: &'a World,
    before: Snapshot,
    failures: Vec<String>,
    sent: usize,
}

impl Run<'_> {
    async fn send(&mut self, op: &Operation, case: Case, token: Option<&str>) {
        // reqwest would resolve a literal `../`; send it as written.
        let url = format!("{}{}", self.world.app.address, case.path);
        let mut request = self.world.app.client.request(op.method.clone(), url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = case.body.clone().filter(|_| op.method != Method::DELETE) {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        if let Some(key) = &case.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let res = request.send().await.expect("request");
        self.sent += 1;
        let status = res.status();
        let content_type = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = res.text().await.unwrap_or_default();
        let after = snapshot::take(&self.world.app.state.db, &self.world.tables).await;
        let label = format!(
            "{} [{}] {}",
            op.label(),
            case.label,
            case.path.chars().take(60).collect::<String>()
        );
        if let Some(why) = judge(op, &case, status, &content_type, &text) {
            self.failures.push(format!("{label}: {why}"));
        }
        if status.is_client_error() {
            let changed = snapshot::changed(&self.before, &after);
            if !changed.is_empty() {
                self.failures.push(format!(
                    "{label}: rejected with {status} but changed {changed:?}"
                ));
            }
        }
        self.before = after;
    }
}

/// Accepted values the answer does not echo where they were sent:
/// (operation path ends with, field, where the answer shows it, why it is fine).
const ACCEPTED_ELSEWHERE: [(&str, &str, Option<&str>, &str); 3] = [
    (
        "/skus/{sku_id}/adjustments",
        "/quantity",
        Some("/movement/quantity"),
        "a count correction is signed: -1 takes one unit off",
    ),
    (
        "/rotate-secret",
        "/overlap_secs",
        None,
        "0 means no overlap: the old secret stops signing at once",
    ),
    (
        "/lots/write-off-expired",
        "/sku_ids/0",
        None,
        "a filter: an id naming none of the workshop's SKUs writes nothing off",
    ),
];

fn judge(
    op: &Operation,
    case: &Case,
    status: StatusCode,
    content_type: &str,
    text: &str,
) -> Option<String> {
    if status.is_client_error() {
        return (content_type != "application/problem+json")
            .then(|| format!("{status} is not problem+json ({content_type}): {text}"));
    }
    if !status.is_success() || case.verdict == Verdict::Reject {
        return Some(format!(
            "expected a 4xx problem, got {status}: {}",
            cut(text)
        ));
    }
    // null for an optional field means "not given": it keeps its value or
    // takes the documented default.
    if case.sent.is_null() {
        return None;
    }
    let echoed: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let mut pointer = case.pointer.as_str();
    let elsewhere = ACCEPTED_ELSEWHERE
        .iter()
        .find(|(path, field, _, _)| op.path.ends_with(path) && *field == case.pointer);
    if let Some((_, _, shown, _)) = elsewhere {
        match shown {
            Some(shown) => pointer = shown,
            None => return None,
        }
    }
    match echoed.pointer(pointer) {
        Some(stored) if *stored == case.sent => None,
        stored => Some(format!(
            "accepted ({status}) but stored {stored:?}, sent {}",
            short(&case.sent)
        )),
    }
}

fn cut(text: &str) -> String {
    text.chars().take(300).collect()
}

#[tokio::test]
async fn hostile_input_gets_a_problem_and_leaves_the_database_alone() {
    let world = world::build().await;
    let doc = openapi::load(&world.app).await;
    let writes: Vec<&Operation> = doc
        .operations
        .iter()
        .filter(|op| op.is_write() && op.path != "/api/v1/auth/logout")
        .collect();
    let before = snapshot::take(&world.app.state.db, &world.tables).await;
    let mut run = Run {
        world: &world,
        before,
        failures: Vec::new(),
        sent: 0,
    };
    for op in &writes {
        let token = actor(&world, op);
        for case in cases_for(&world, &doc.raw, op).await {
            run.send(op, case, token.as_deref()).await;
        }
    }
    println!(
        "hostile corpus: {} requests to {} write endpoints",
        run.sent,
        writes.len()
    );
    assert!(run.sent > 500, "only {} hostile requests", run.sent);
    assert!(
        run.failures.is_empty(),
        "{} failures:\n{}",
        run.failures.len(),
        run.failures.join("\n")
    );
}
