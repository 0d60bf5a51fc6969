//! Live-room test fixtures: catalog rows inserted directly (the catalog API
//! lives elsewhere), typed session helpers, and a tiny SSE reader over reqwest.

use std::time::Duration;

use chrono::Utc;
use gongfang::config::Settings;
use gongfang::entity::workshop;
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{TestApp, Workshop, json_of};

/// Fast ticks so tests see viewer figures, heartbeats and closing streams quickly.
pub fn quick_room(settings: &mut Settings) {
    settings.live.viewers_interval_ms = 200;
    settings.live.heartbeat_secs = 1;
    settings.live.end_grace_ms = 300;
}

/// An active SKU (100 units) at `price`, with its market price and
/// common-prosperity flag.
pub async fn sku(app: &TestApp, workshop_id: i64, price: i64, market: i64, cp: bool) -> i64 {
    let spec = SkuSpec {
        price_fen: price,
        market_price_fen: Some(market),
        common_prosperity: cp,
        ..SkuSpec::default()
    };
    app.sku(workshop_id, spec).await
}

/// Sets a workshop's common-prosperity band (basis points of the market price).
pub async fn set_band(app: &TestApp, workshop_id: i64, min_bp: i32, max_bp: i32) {
    let row = workshop::Entity::find_by_id(workshop_id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("workshop");
    let mut active: workshop::ActiveModel = row.into();
    active.cp_band_min_bp = Set(min_bp);
    active.cp_band_max_bp = Set(max_bp);
    active.update(&app.state.db).await.expect("band set");
}

pub fn sessions_path(shop: &Workshop) -> String {
    format!("/api/v1/workshops/{}/live/sessions", shop.id)
}

pub fn session_path(shop: &Workshop, session_id: i64) -> String {
    format!("{}/{session_id}", sessions_path(shop))
}

/// Schedules a session as the workshop's streamer; returns its id.
pub async fn schedule(app: &TestApp, shop: &Workshop) -> i64 {
    let body = json!({
        "title": "红颜草莓现摘直播",
        "cover_url": "https://img.example.com/live.jpg",
        "scheduled_start_at": (Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "description": "杨村桥镇草莓基地",
    });
    let res = app
        .post(&sessions_path(shop), Some(&shop.streamer), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    json_of(res).await["id"].as_i64().expect("session id")
}

/// POSTs an action (`start`, `end`, `cancel`) as the streamer.
pub async fn act(app: &TestApp, shop: &Workshop, session_id: i64, action: &str) -> Response {
    let path = format!("{}/{action}", session_path(shop, session_id));
    app.post(&path, Some(&shop.streamer), &json!({})).await
}

pub async fn go_live(app: &TestApp, shop: &Workshop, session_id: i64) {
    let res = act(app, shop, session_id, "start").await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Pins a SKU as the streamer; returns the answer.
pub async fn pin(app: &TestApp, shop: &Workshop, session_id: i64, body: Value) -> Response {
    let path = format!("{}/items", session_path(shop, session_id));
    app.post(&path, Some(&shop.streamer), &body).await
}

pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: &Value,
) -> Response {
    app.request(method, path, Some(token))
        .json(body)
        .send()
        .await
        .expect("request")
}

pub async fn session(app: &TestApp, session_id: i64) -> Value {
    let res = app
        .get(&format!("/api/v1/live/sessions/{session_id}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

/// Polls the public session page until `viewers` satisfies `check`.
pub async fn wait_for_viewers(
    app: &TestApp,
    session_id: i64,
    check: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..300 {
        let viewers = session(app, session_id).await["viewers"].clone();
        if check(&viewers) {
            return viewers;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "viewers never matched: {}",
        session(app, session_id).await["viewers"]
    );
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

/// Reads an event stream chunk by chunk and parses its frames.
pub struct Sse {
    res: Response,
    buf: String,
    pub comments: usize,
    pub ended: bool,
}

impl Sse {
    /// Opens the stream of `session_id` on `app`; `query` like `device_id=x`.
    pub async fn open(
        app: &TestApp,
        session_id: i64,
        last_event_id: Option<i64>,
        query: &str,
    ) -> Self {
        let res = Self::request(app, session_id, last_event_id, query).await;
        assert_eq!(res.status(), StatusCode::OK);
        let content_type = res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .to_owned();
        assert_eq!(content_type, "text/event-stream");
        Self {
            res,
            buf: String::new(),
            comments: 0,
            ended: false,
        }
    }

    /// The raw answer (for 204 and error checks).
    pub async fn request(
        app: &TestApp,
        session_id: i64,
        last_event_id: Option<i64>,
        query: &str,
    ) -> Response {
        let url = app.url(&format!(
            "/api/v1/live/sessions/{session_id}/events?{query}"
        ));
        // A connection that failed before any answer is retried, as an
        // EventSource reconnects by itself; an answer of any status is not.
        let mut attempt = 0;
        loop {
            let mut req = reqwest::Client::new().get(url.clone());
            if let Some(id) = last_event_id {
                req = req.header("Last-Event-ID", id.to_string());
            }
            match req.send().await {
                Ok(res) => return res,
                Err(err) if attempt < 2 && !err.is_status() => attempt += 1,
                Err(err) => panic!("event stream: {err:?}"),
            }
        }
    }

    /// The next frame within `wait`, comments counted and skipped; None on
    /// timeout or when the server closed the stream (`ended`).
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if let Some(event) = self.parse(&block) {
                    return Some(event);
                }
            }
            if self.ended {
                return None;
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Err(_) => return None,
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => self.ended = true,
            }
        }
    }

    /// The next logged event (skipping `viewers`), or a panic after 10 s.
    pub async fn next_logged(&mut self) -> SseEvent {
        loop {
            let event = self
                .next(Duration::from_secs(10))
                .await
                .expect("an event within 10 s");
            if event.event != "viewers" {
                return event;
            }
        }
    }

    /// Logged events that arrive within `wait`.
    pub async fn logged_within(&mut self, wait: Duration) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(e) if e.event == "viewers" => {}
                Some(e) => out.push(e),
                None => return out,
            }
        }
    }

    fn parse(&mut self, block: &str) -> Option<SseEvent> {
        let (mut id, mut event, mut data) = (None, None, String::new());
        for line in block.lines() {
            if line.starts_with(':') {
                self.comments += 1;
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.parse().expect("numeric id"));
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            }
        }
        Some(SseEvent {
            id,
            event: event?,
            data: serde_json::from_str(&data).expect("JSON data"),
        })
    }
}
