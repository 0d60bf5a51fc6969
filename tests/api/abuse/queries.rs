//! Every listing that declares query parameters refuses one it does not
//! declare (a typo such as `?stauts=paid` must not silently list everything):
//! 400 problem+json. Schemathesis checks the same at random (ST201); this
//! covers each operation of the served document on every `cargo test`.
//! Every string parameter also refuses hostile values (NUL, a right-to-left
//! override, 10 KB, a value outside its enum) with a 4xx that changes nothing.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use serde_json::Value;

use super::openapi::{self, Access, Operation, concrete};
use super::snapshot;
use super::world::{self, World};

/// Query strings no operation declares: a made-up name and an empty one.
const UNDECLARED: [&str; 2] = ["gf_undeclared=1", "=false"];

/// Who asks: the platform admin in workshops' areas and reports, the victim
/// customer elsewhere, nobody on public endpoints.
fn actor(world: &World, op: &Operation) -> Option<String> {
    match op.access {
        Access::Public => None,
        _ if op.is_workshop_scoped() || op.path.starts_with("/api/v1/reports/") => {
            Some(world.admin.clone())
        }
        _ => Some(world.owner.clone()),
    }
}

fn with_query(path: &str, required: &str, extra: &str) -> String {
    let parts: Vec<&str> = [required, extra]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// Status and content type; `None` when a stream answered and kept going.
async fn ask(world: &World, url: &str, token: Option<&str>) -> Option<(StatusCode, String)> {
    let mut request = world.app.client.get(url).timeout(Duration::from_secs(5));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.ok()?;
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Some((res.status(), content_type))
}

#[tokio::test]
async fn listings_refuse_query_parameters_they_do_not_declare() {
    let world = world::build().await;
    let doc = openapi::load(&world.app).await;
    let listings: Vec<&Operation> = doc
        .operations
        .iter()
        .filter(|op| op.method == reqwest::Method::GET && !op.query_params.is_empty())
        .collect();
    let mut failures = Vec::new();
    let mut answered_ok = 0;
    let mut unreachable = Vec::new();
    for op in &listings {
        let path = world.victim_path(&op.path, &op.path_params);
        let token = actor(&world, op);
        let base = format!("{}{}", world.app.address, path);
        if !op.streams {
            let plain = with_query(&base, &op.required_query, "");
            match ask(&world, &plain, token.as_deref()).await {
                Some((status, _)) if status.is_success() => answered_ok += 1,
                other => unreachable.push(format!("{}: {other:?}", op.label())),
            }
        }
        for extra in UNDECLARED {
            let url = with_query(&base, &op.required_query, extra);
            match ask(&world, &url, token.as_deref()).await {
                Some((StatusCode::BAD_REQUEST, content_type))
                    if content_type == "application/problem+json" => {}
                other => failures.push(format!("{} ?{extra}: {other:?}", op.label())),
            }
        }
    }
    println!(
        "{} listings with query parameters, {answered_ok} of them answered 2xx without the extra one",
        listings.len()
    );
    assert!(listings.len() >= 25, "only {} listings", listings.len());
    assert!(
        unreachable.is_empty(),
        "listings that do not answer 2xx with their declared parameters alone \
         (the check below proves less for them):\n{}",
        unreachable.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} listings accept an undeclared query parameter:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A listing's string parameter and the values it must refuse.
struct StringParam {
    name: String,
    enumerated: bool,
}

fn string_params(doc: &Value, op: &Operation) -> Vec<StringParam> {
    let Some(item) = doc["paths"][&op.path]["get"]["parameters"].as_array() else {
        return Vec::new();
    };
    item.iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| {
            let schema = concrete(doc, &p["schema"]);
            (schema["type"] == "string").then(|| StringParam {
                name: p["name"].as_str().unwrap_or_default().to_owned(),
                enumerated: schema["enum"].is_array(),
            })
        })
        .collect()
}

fn hostile_values(param: &StringParam) -> Vec<(&'static str, String)> {
    let mut values = vec![
        ("NUL", "%00".to_owned()),
        ("right-to-left override", "%E2%80%AEpaid".to_owned()),
        ("10 KB", "a".repeat(10 * 1024)),
    ];
    if param.enumerated {
        values.push(("outside its enum", "gf_not_a_member".to_owned()));
    }
    values
}

/// The required parameters' sample values, without `name` (it is replaced).
fn required_without(op: &Operation, name: &str) -> String {
    op.required_query
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(name))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn listings_refuse_hostile_values_in_every_string_parameter() {
    let world = world::build().await;
    let doc = openapi::load(&world.app).await;
    let before = snapshot::take(&world.app.state.db, &world.tables).await;
    let mut failures = Vec::new();
    let mut tried = 0;
    for op in doc
        .operations
        .iter()
        .filter(|op| op.method == reqwest::Method::GET)
    {
        let path = world.victim_path(&op.path, &op.path_params);
        let token = actor(&world, op);
        for param in string_params(&doc.raw, op) {
            let required = required_without(op, &param.name);
            for (label, value) in hostile_values(&param) {
                let hostile = format!("{}={value}", param.name);
                let url = with_query(&format!("{}{path}", world.app.address), &required, &hostile);
                tried += 1;
                match ask(&world, &url, token.as_deref()).await {
                    Some((status, content_type))
                        if status.is_client_error()
                            && content_type == "application/problem+json" => {}
                    other => failures.push(format!(
                        "{} {} ({label}): {other:?}",
                        op.label(),
                        param.name
                    )),
                }
            }
        }
    }
    println!("{tried} hostile query values tried");
    assert!(tried >= 60, "only {tried} hostile values found to try");
    assert!(
        failures.is_empty(),
        "{} hostile query values not refused with a 4xx problem:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let after = snapshot::take(&world.app.state.db, &world.tables).await;
    let changed = snapshot::changed(&before, &after);
    assert!(changed.is_empty(), "refused queries changed {changed:?}");
}
