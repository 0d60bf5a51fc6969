//! Every catalog endpoint, registered under `/api/v1`.

use utoipa_actix_web::service_config::ServiceConfig;

use super::{farmers, lots, policy, products, public, skus, stock};

/// The storefront's product list and detail: first under `/api/v1`.
pub fn configure_reads(cfg: &mut ServiceConfig) {
    public::routes::configure(cfg);
}

pub fn configure(cfg: &mut ServiceConfig) {
    products::routes::configure(cfg);
    skus::routes::configure(cfg);
    stock::routes::configure(cfg);
    lots::routes::configure(cfg);
    farmers::routes::configure(cfg);
    policy::routes::configure(cfg);
}
