//! The authorisation matrix, generated from the OpenAPI document: every
//! endpoint that takes an id, called by every principal with the ids of
//! records someone else owns.
//!
//! Principals: the victim customer (owner), two other customers, the victim
//! workshop's manager/streamer/fulfilment/leader, the same four roles of a
//! second workshop, and a platform admin. Expectations, by endpoint scope:
//!
//! | scope (from the path) | allowed | everyone else |
//! | --- | --- | --- |
//! | `/workshops/{workshop_id}/…` (staff) | the victim workshop's staff (their role decides), platform admin | read 404, write 403/404 (customers included: staff endpoints refuse them) |
//! | same path with the *other* workshop's id and the victim's record ids | nobody | read 404, write 403/404, platform admin too |
//! | customer records (`order_id`, `address_id`, `provider_ref`, any unknown id) | the owning customer | read 404, write 403/404 |
//! | only public ids (`sku_id`, `deal_id`, `session_id`, `product_id`, `campaign_id`) | anyone may try | no 5xx |
//!
//! A 403 to a read, or a 422 to a write (body checked before the record is
//! looked up), passes only if the same principal gets it for an id nobody
//! has: it must not tell whether the record exists.
//!
//! Every answer to someone other than the owner must hold none of the
//! victims' marker strings (phone numbers, address, farmer, webhook secret).
//! A GET by an allowed principal must answer 200, so the ids are real: every
//! path parameter needs a victim record in world.rs, and a 404 there fails
//! unless `READS_WITHOUT_RECORD` explains it. Cross-tenant calls (the other
//! workshop's id with the victim's record ids) skip paths whose only other
//! parameters name no record (`NOT_RECORDS`).

use reqwest::{Method, StatusCode};

use super::openapi::{self, Access, Operation};
use super::world::{self, World};

/// Records anyone can see in the storefront; naming one proves no ownership.
const PUBLIC_IDS: [&str; 6] = [
    "sku_id",
    "product_id",
    "deal_id",
    "session_id",
    "workshop_id",
    // Residents join any open campaign, as they order from any deal.
    "campaign_id",
];
/// Path parameters that name no record, with why: another workshop naming
/// its own workshop and the same value asks about its own data.
const NOT_RECORDS: [(&str, &str); 1] = [(
    "chart",
    "names one of the report page's charts; each workshop's draws its own figures",
)];
/// Reads an allowed principal may answer with 404 although the world holds
/// the record, with why. Any other such read fails: every id-taking endpoint
/// needs a victim record (a `furnish_*` fixture in world.rs).
const READS_WITHOUT_RECORD: [(&str, &str); 0] = [];
/// An id no record has.
const MISSING: &str = "987654321";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Owner,
    Customer,
    VictimStaff,
    OtherStaff,
    Admin,
}

struct Principal {
    name: String,
    token: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Workshop,
    Customer,
    Shared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Foreign,
    Anything,
}

fn scope_of(op: &Operation) -> Scope {
    if op.is_workshop_scoped() {
        Scope::Workshop
    } else if op
        .path_params
        .iter()
        .all(|p| PUBLIC_IDS.contains(&p.as_str()))
    {
        Scope::Shared
    } else {
        Scope::Customer
    }
}

fn expectation(scope: Scope, kind: Kind) -> Expect {
    match (scope, kind) {
        (Scope::Shared, Kind::Owner) => Expect::Allowed,
        (Scope::Shared, _) => Expect::Anything,
        (Scope::Workshop, Kind::VictimStaff | Kind::Admin) => Expect::Allowed,
        (Scope::Customer, Kind::Owner) => Expect::Allowed,
        _ => Expect::Foreign,
    }
}

fn principals(world: &World) -> Vec<Principal> {
    let mut all = vec![Principal {
        name: "customer 1 (owner)".into(),
        token: world.owner.clone(),
        kind: Kind::Owner,
    }];
    for (n, token) in world.customers.iter().enumerate() {
        all.push(Principal {
            name: format!("customer {}", n + 2),
            token: token.clone(),
            kind: Kind::Customer,
        });
    }
    for (label, shop, kind) in [
        ("victim", &world.victim, Kind::VictimStaff),
        ("other", &world.other, Kind::OtherStaff),
    ] {
        for (role, token) in [
            ("manager", &shop.manager),
            ("streamer", &shop.streamer),
            ("fulfilment", &shop.fulfilment),
            ("leader", &shop.leader),
        ] {
            all.push(Principal {
                name: format!("{label} {role}"),
                token: token.clone(),
                kind,
            });
        }
    }
    all.push(Principal {
        name: "platform admin".into(),
        token: world.admin.clone(),
        kind: Kind::Admin,
    });
    all
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn call(world: &World, op: &Operation, path: &str, token: &str) -> Answer {
    let path = match op.required_query.as_str() {
        "" => path.to_owned(),
        query => format!("{path}?{query}"),
    };
    let mut request = world.app.request(op.method.clone(), &path, Some(token));
    if let Some(body) = op.body.as_ref().filter(|_| op.method != Method::DELETE) {
        request = request.json(body);
    }
    let res = request.send().await.expect("request");
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.text().await.unwrap_or_default();
    Answer {
        status,
        content_type,
        body,
    }
}

struct Matrix<'a> {
    world: &'a World,
    principals: Vec<Principal>,
    failures: Vec<String>,
    /// Reads whose owner got 404: no fixture holds that kind of record.
    uncovered: Vec<String>,
    cells: usize,
}

impl Matrix<'_> {
    fn fail(&mut self, op: &Operation, who: &str, path: &str, why: String) {
        self.failures
            .push(format!("{} as {who} ({path}): {why}", op.label()));
    }

    /// The owner (or an allowed principal) reads the record: the ids are real.
    async fn control(&mut self, op: &Operation, path: &str) {
        let token = match scope_of(op) {
            Scope::Workshop => self.world.admin.clone(),
            Scope::Customer => self.world.owner.clone(),
            Scope::Shared => return,
        };
        let answer = call(self.world, op, path, &token).await;
        match answer.status {
            StatusCode::OK => {}
            // No record of this kind in the fixtures (yet): listed, not failed.
            StatusCode::NOT_FOUND => self.uncovered.push(op.label()),
            status => {
                let why = format!("control read got {status} {}", answer.body);
                self.fail(op, "its owner", path, why);
            }
        }
    }

    async fn check(&mut self, op: &Operation, path: &str, who: usize, expect: Expect) {
        let principal = &self.principals[who];
        let (name, token) = (principal.name.clone(), principal.token.clone());
        let answer = call(self.world, op, path, &token).await;
        self.cells += 1;
        if answer.status.is_server_error() {
            let why = format!("{} {}", answer.status, answer.body);
            self.fail(op, &name, path, why);
            return;
        }
        if expect == Expect::Allowed {
            return;
        }
        if let Some(marker) = self.world.leaked(&answer.body) {
            let why = format!("answer holds the victim's {marker:?}: {}", answer.body);
            self.fail(op, &name, path, why);
        }
        if expect == Expect::Foreign {
            self.check_refused(op, path, &name, &token, answer).await;
        }
    }

    async fn check_refused(
        &mut self,
        op: &Operation,
        path: &str,
        who: &str,
        token: &str,
        answer: Answer,
    ) {
        let refused = match answer.status {
            StatusCode::NOT_FOUND => true,
            StatusCode::FORBIDDEN if op.is_write() => true,
            // A 403 to a read, or a 422 to a write whose body is checked before
            // the record is looked up, is fine only if it says nothing about
            // the record: the same principal gets it for an id nobody has too.
            StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY => {
                let missing = missing_path(path);
                let again = call(self.world, op, &missing, token).await.status;
                again == answer.status && (op.is_write() || again == StatusCode::FORBIDDEN)
            }
            _ => false,
        };
        if !refused {
            let why = format!("expected refusal, got {} {}", answer.status, answer.body);
            self.fail(op, who, path, why);
        } else if answer.content_type != "application/problem+json" {
            let why = format!("refusal is not problem+json: {}", answer.content_type);
            self.fail(op, who, path, why);
        }
    }
}

/// `path` with its last id replaced by one no record has.
fn missing_path(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((head, last)) if last.chars().all(|c| c.is_ascii_digit()) => {
            format!("{head}/{MISSING}")
        }
        Some((head, action)) => match head.rsplit_once('/') {
            Some((front, _)) => format!("{front}/{MISSING}/{action}"),
            None => path.to_owned(),
        },
        None => path.to_owned(),
    }
}

/// Reads first, then writes (a wrongly allowed write could change the world).
fn in_matrix_order(doc: &openapi::Document) -> Vec<Operation> {
    let mut ops: Vec<Operation> = doc
        .operations
        .iter()
        .filter(|op| op.access == Access::Bearer && !op.path_params.is_empty() && !op.streams)
        .cloned()
        .collect();
    ops.sort_by_key(|op| (op.is_write(), op.method == Method::DELETE, op.path.clone()));
    ops
}

#[tokio::test]
async fn no_principal_reads_or_changes_what_another_one_owns() {
    let world = world::build().await;
    let doc = openapi::load(&world.app).await;
    let ops = in_matrix_order(&doc);
    let mut matrix = Matrix {
        world: &world,
        principals: principals(&world),
        failures: Vec::new(),
        uncovered: Vec::new(),
        cells: 0,
    };
    for op in &ops {
        let path = world.victim_path(&op.path, &op.path_params);
        if !op.is_write() {
            matrix.control(op, &path).await;
        }
        let scope = scope_of(op);
        for who in 0..matrix.principals.len() {
            let expect = expectation(scope, matrix.principals[who].kind);
            if expect == Expect::Allowed && op.is_write() {
                continue;
            }
            matrix.check(op, &path, who, expect).await;
        }
        if scope == Scope::Workshop && names_a_record(op) {
            cross_tenant(&mut matrix, op, &path).await;
        }
    }
    println!(
        "authorisation matrix: {} principals x {} endpoints, {} calls",
        matrix.principals.len(),
        ops.len(),
        matrix.cells
    );
    println!(
        "reads without a fixture record (foreign 404 proves less): {:?}",
        matrix.uncovered
    );
    assert!(ops.len() >= 40, "only {} endpoints take an id", ops.len());
    let unexplained: Vec<&String> = matrix
        .uncovered
        .iter()
        .filter(|label| !READS_WITHOUT_RECORD.iter().any(|(op, _)| op == label))
        .collect();
    assert!(
        unexplained.is_empty(),
        "reads whose allowed principal got 404: give the world a victim record \
         of their kind (tests/api/abuse/world.rs): {unexplained:?}"
    );
    assert!(matrix.failures.is_empty(), "{}", matrix.failures.join("\n"));
}

/// Whether the path names a record besides the workshop (not only, say, a chart).
fn names_a_record(op: &Operation) -> bool {
    op.path_params
        .iter()
        .any(|p| p != "workshop_id" && !NOT_RECORDS.iter().any(|(name, _)| name == p))
}

/// The other workshop's staff (and the platform admin) name their own
/// workshop but the victim's record ids: the record is not in that workshop.
async fn cross_tenant(matrix: &mut Matrix<'_>, op: &Operation, victim_path: &str) {
    let world = matrix.world;
    let prefix = format!("/api/v1/workshops/{}/", world.victim.id);
    let own = format!("/api/v1/workshops/{}/", world.other.id);
    let path = victim_path.replacen(&prefix, &own, 1);
    let attackers: Vec<usize> = (0..matrix.principals.len())
        .filter(|&i| matches!(matrix.principals[i].kind, Kind::OtherStaff | Kind::Admin))
        .collect();
    for who in attackers {
        matrix.check(op, &path, who, Expect::Foreign).await;
    }
}
