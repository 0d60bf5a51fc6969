//! Operational endpoints: liveness, readiness, the OpenAPI document and the
//! docs page (Swagger UI served from the binary, no CDN).

pub mod doc_rules;
pub mod docs;
pub mod routes;
