//! One SSE connection: missed events first (`Last-Event-ID`), then live ones
//! in id order with gaps filled from the log, heartbeats, and a bounded buffer
//! whose overflow drops the client (it reconnects and resumes) instead of slowing others.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use futures_util::stream;
use sea_orm::EntityTrait;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::events::Frame;
use super::gate::StreamPass;
use super::hub::{LiveHub, Subscription};
use super::service::status_of;
use super::viewers::Viewer;
use crate::entity::live_session;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;

const HEARTBEAT: &[u8] = b": heartbeat\n\n";
/// Tells `EventSource` clients to reconnect after 3 s.
const RETRY: &[u8] = b"retry: 3000\n\n";
/// How long a reconnecting client may take to accept its missed events.
const REPLAY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a connection starts with.
pub struct Opening {
    pub session_id: i64,
    pub replay: Vec<Arc<Frame>>,
    /// The last id the client has (from `Last-Event-ID`) or will have after replay.
    pub last_id: Option<i64>,
    /// Present while the session is open: the client then stays for live events.
    pub live: Option<Subscription>,
    /// The stream's place under the caps, held until it ends.
    pub pass: StreamPass,
}

/// Who opens a stream: the client's address, and its account or device.
pub struct Client<'a> {
    pub address: &'a str,
    pub account_id: Option<i64>,
    pub device_id: Option<&'a str>,
}

/// The streaming response; the forwarding task ends when the client goes away.
pub fn respond(hub: &LiveHub, opening: Opening) -> HttpResponse {
    let capacity = hub.settings().client_buffer.max(8);
    let (tx, mut rx) = mpsc::channel::<Bytes>(capacity);
    tokio::spawn(forward(hub.clone(), opening, tx));
    let body = stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(Ok::<_, Infallible>)));
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

async fn forward(hub: LiveHub, opening: Opening, tx: mpsc::Sender<Bytes>) {
    let _pass = &opening.pass;
    let settings = hub.settings().clone();
    if tx.send(Bytes::from_static(RETRY)).await.is_err() {
        return;
    }
    let mut last = opening.last_id;
    for frame in &opening.replay {
        let sent = tx.send_timeout(frame.bytes.clone(), REPLAY_TIMEOUT).await;
        if sent.is_err() {
            return;
        }
        last = Some(frame.id);
    }
    let Some(mut live) = opening.live else {
        return;
    };
    let beat = Duration::from_secs(settings.heartbeat_secs.max(1));
    let mut heartbeat = tokio::time::interval_at(Instant::now() + beat, beat);
    let mut closing_at: Option<Instant> = None;
    let grace = Duration::from_millis(settings.end_grace_ms);
    loop {
        tokio::select! {
            () = tx.closed() => return,
            _ = heartbeat.tick() => {
                if tx.try_send(Bytes::from_static(HEARTBEAT)).is_err() {
                    return;
                }
            }
            () = sleep_until(closing_at) => return,
            received = live.rx.recv() => match received {
                Ok(frame) => {
                    let session_id = opening.session_id;
                    if !send_in_order(&hub, session_id, &frame, &mut last, &tx).await {
                        return;
                    }
                    if frame.ends_session() && closing_at.is_none() {
                        closing_at = Some(Instant::now() + grace);
                    }
                }
                // Lagged: this stream fell a room's worth behind; the client resumes.
                Err(RecvError::Lagged(_) | RecvError::Closed) => return,
            },
        }
    }
}

/// Sends a frame unless already sent, after any events missed before it.
/// False when the client's buffer is full (the client is dropped).
async fn send_in_order(
    hub: &LiveHub,
    session_id: i64,
    frame: &Arc<Frame>,
    last: &mut Option<i64>,
    tx: &mpsc::Sender<Bytes>,
) -> bool {
    if frame.id == 0 {
        return tx.try_send(frame.bytes.clone()).is_ok();
    }
    if let Some(seen) = *last {
        if frame.id <= seen {
            return true;
        }
        if frame.prev > seen {
            for missed in hub.replay(session_id, seen, Some(frame.id)).await {
                if tx.try_send(missed.bytes.clone()).is_err() {
                    return false;
                }
            }
        }
    }
    *last = Some(frame.id);
    tx.try_send(frame.bytes.clone()).is_ok()
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Looks the session up and prepares a connection: missed events for a
/// reconnecting client, and a place in the room while the session is open.
/// None when there is nothing to send (a closed session, nothing missed): 204.
pub async fn open(
    state: &AppState,
    session_id: i64,
    last_event_id: Option<i64>,
    client: Client<'_>,
) -> AppResult<Option<Opening>> {
    let viewer = viewer_of(&client)?;
    let session = live_session::Entity::find_by_id(session_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("live session"))?;
    let pass = state
        .live
        .gate()
        .admit(session_id, client.address, client.account_id)
        .await?;
    let live = if status_of(&session).is_open() {
        Some(state.live.join(session_id, Some(&viewer)).await)
    } else {
        None
    };
    let replay = match last_event_id {
        Some(after) => state.live.replay(session_id, after, None).await,
        None => Vec::new(),
    };
    if live.is_none() && replay.is_empty() {
        return Ok(None);
    }
    Ok(Some(Opening {
        session_id,
        replay,
        last_id: last_event_id,
        live,
        pass,
    }))
}

/// The signed-in account, else the device (its `device_id`, checked) at the address.
fn viewer_of(client: &Client<'_>) -> AppResult<Viewer> {
    if let Some(id) = client.account_id {
        return Ok(Viewer::Account(id));
    }
    if let Some(device) = client.device_id {
        let valid = (1..=64).contains(&device.len())
            && device
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(AppError::new(
                ErrorCode::InvalidParameter,
                "device_id must be 1 to 64 of A-Z a-z 0-9 - _",
            ));
        }
    }
    Ok(Viewer::Device {
        address: client.address.to_owned(),
        device: client.device_id.map(str::to_owned),
    })
}
