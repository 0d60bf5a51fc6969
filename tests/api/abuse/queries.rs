//! Every listing that declares query parameters refuses one it does not
//! declare (a typo such as `?stauts=paid` must not silently list everything):
//! 400 problem+json. Schemathesis checks the same at random (ST201); this
//! covers each operation of the served document on every `cargo test`.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use super::openapi::{self, Access, Operation};
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
