//! Catalog: products and SKUs, the common-prosperity band, farmers, lots and
//! stock, the cached storefront (ETag, invalidation across instances).

mod access;
mod farmers;
mod fixtures;
mod products;
mod stock;
mod stock_property;
mod storefront;
mod storefront_cache;
