//! Builds the storefront's answers from the database and serves them through
//! the in-process cache: a hit costs no database or Redis round trip.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Datelike;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::model::{ProductDetail, ProductSummary, PublicSku, WorkshopRef};
use super::query::{ListRequest, ProductListQuery};
use crate::catalog::products::model::ProductInfo;
use crate::catalog::types::{Category, ProductStatus, SkuStatus};
use crate::catalog::{cache, rules};
use crate::entity::{product, sku, workshop};
use crate::error::{AppError, AppResult};
use crate::platform::pagination::Page;
use crate::platform::response_cache::CachedBody;
use crate::state::AppState;

/// The product's detail as ready-to-send bytes, from the cache when fresh.
pub async fn product_detail(state: &AppState, id: i64) -> AppResult<Arc<CachedBody>> {
    let stamp = cache::current_stamp();
    if let Some(hit) = state.catalog.details.get(&id)
        && hit.stamp == stamp
    {
        return Ok(hit);
    }
    let ticket = state.catalog.details.ticket();
    let detail = build_detail(&state.db, id).await?;
    let body = serde_json::to_vec(&detail).map_err(AppError::internal)?;
    Ok(state.catalog.details.store(ticket, id, body, stamp))
}

/// One page of active products as ready-to-send bytes, from the cache when fresh.
pub async fn product_list(state: &AppState, req: ListRequest) -> AppResult<Arc<CachedBody>> {
    let stamp = cache::current_stamp();
    let key = req.key();
    if let Some(hit) = state.catalog.lists.get(&key)
        && hit.stamp == stamp
    {
        return Ok(hit);
    }
    let ticket = state.catalog.lists.ticket();
    let page = build_list(&state.db, &req).await?;
    let body = serde_json::to_vec(&page).map_err(AppError::internal)?;
    Ok(state.catalog.lists.store(ticket, key, body, stamp))
}

pub async fn build_detail(db: &impl ConnectionTrait, id: i64) -> AppResult<ProductDetail> {
    let product = product::Entity::find_by_id(id)
        .filter(product::Column::Status.eq(ProductStatus::Active.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("product"))?;
    let skus = active_skus(db, &[id]).await?;
    let shop = workshop::Entity::find_by_id(product.workshop_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("product"))?;
    let skus: Vec<PublicSku> = skus.iter().map(|s| public_sku(s, &shop)).collect();
    Ok(ProductDetail {
        info: ProductInfo::from(&product),
        workshop: WorkshopRef {
            id: shop.id,
            name: shop.name.clone(),
        },
        availability: rules::best(skus.iter().map(|s| s.availability)),
        skus,
    })
}

pub async fn build_list(
    db: &impl ConnectionTrait,
    req: &ListRequest,
) -> AppResult<Page<ProductSummary>> {
    let select = product::Entity::find()
        .filter(product::Column::Status.eq(ProductStatus::Active.as_str()))
        .filter(filter_condition(&req.filter));
    let select = req.page.keyset(select, product::Column::Id);
    let page = Page::from_rows(select.all(db).await?, req.page, |p| p.id);
    let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
    let skus = active_skus(db, &ids).await?;
    let mut shop_ids: Vec<i64> = page.items.iter().map(|p| p.workshop_id).collect();
    shop_ids.sort_unstable();
    shop_ids.dedup();
    let shops: HashMap<i64, workshop::Model> = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(shop_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    Ok(Page {
        next_cursor: page.next_cursor,
        items: page
            .items
            .iter()
            .filter_map(|p| {
                let own: Vec<&sku::Model> = skus.iter().filter(|s| s.product_id == p.id).collect();
                shops.get(&p.workshop_id).map(|w| summary(p, &own, w))
            })
            .collect(),
    })
}

fn filter_condition(filter: &ProductListQuery) -> Condition {
    let mut all = Condition::all();
    if let Some(id) = filter.workshop_id {
        all = all.add(product::Column::WorkshopId.eq(id));
    }
    if let Some(category) = filter.category {
        all = all.add(product::Column::Category.eq(category.as_str()));
    }
    if let Some(tag) = &filter.tag {
        // Tags are stored as a JSON array: match the tag's own JSON encoding.
        let encoded = serde_json::to_string(tag).unwrap_or_default();
        all = all.add(product::Column::Tags.like(contains(&encoded)));
    }
    if let Some(q) = &filter.q {
        let title = Expr::col(product::Column::Title.as_column_ref());
        all = all.add(sea_orm::sea_query::Func::lower(title).like(contains(q)));
    }
    if let Some(wanted) = filter.in_season {
        let season = season_condition(rules::today().month());
        all = all.add(if wanted { season } else { season.not() });
    }
    if filter.min_price_fen.is_some() || filter.max_price_fen.is_some() {
        let mut priced = Query::select();
        priced
            .column(sku::Column::ProductId)
            .from(sku::Entity)
            .and_where(sku::Column::Status.eq(SkuStatus::Active.as_str()));
        if let Some(min) = filter.min_price_fen {
            priced.and_where(sku::Column::PriceFen.gte(min));
        }
        if let Some(max) = filter.max_price_fen {
            priced.and_where(sku::Column::PriceFen.lte(max));
        }
        all = all.add(product::Column::Id.in_subquery(priced.to_owned()));
    }
    all
}

/// `%text%` with LIKE's wildcards in `text` escaped.
fn contains(text: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

/// Products with no sale window, or whose window (possibly wrapping) holds `month`.
fn season_condition(month: u32) -> Condition {
    let month = i16::try_from(month).unwrap_or(1);
    let start = || Expr::col(product::Column::SaleStartMonth.as_column_ref());
    let end = || Expr::col(product::Column::SaleEndMonth.as_column_ref());
    let no_window = Condition::any().add(start().is_null()).add(end().is_null());
    let straight = Condition::all()
        .add(start().lte(end()))
        .add(start().lte(month))
        .add(end().gte(month));
    let wrapping = Condition::all().add(start().gt(end())).add(
        Condition::any()
            .add(start().lte(month))
            .add(end().gte(month)),
    );
    Condition::any().add(no_window).add(straight).add(wrapping)
}

async fn active_skus(db: &impl ConnectionTrait, product_ids: &[i64]) -> AppResult<Vec<sku::Model>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sku::Entity::find()
        .filter(sku::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(sku::Column::Status.eq(SkuStatus::Active.as_str()))
        .order_by_asc(sku::Column::Id)
        .all(db)
        .await?)
}

fn public_sku(sku: &sku::Model, shop: &workshop::Model) -> PublicSku {
    let available = rules::available(sku);
    PublicSku {
        info: sku.into(),
        availability: rules::availability(available, shop.low_stock_threshold),
        available: shop.show_exact_stock.then_some(available),
    }
}

fn summary(p: &product::Model, skus: &[&sku::Model], shop: &workshop::Model) -> ProductSummary {
    let info = ProductInfo::from(p);
    let prices = || skus.iter().map(|s| s.price_fen);
    ProductSummary {
        id: p.id,
        workshop: WorkshopRef {
            id: shop.id,
            name: shop.name.clone(),
        },
        title: info.title,
        category: Category::parse(&p.category).unwrap_or(Category::Other),
        image: info.images.into_iter().next(),
        tags: info.tags,
        origin: info.origin,
        sale_window: info.sale_window,
        in_season: info.in_season,
        price_from_fen: prices().min(),
        price_to_fen: prices().max(),
        common_prosperity: skus.iter().any(|s| s.is_common_prosperity),
        availability: rules::best(
            skus.iter()
                .map(|s| rules::availability(rules::available(s), shop.low_stock_threshold)),
        ),
    }
}
