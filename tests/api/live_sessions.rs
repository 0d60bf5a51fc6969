//! Live sessions: scheduled → live → ended and scheduled → cancelled, illegal
//! transitions (409), who may run a session (404/403), public listings.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, json_of, spawn_app};
use crate::live_support::{act, go_live, schedule, send, session, session_path, sessions_path};

#[tokio::test]
async fn a_streamer_schedules_a_session_takes_it_live_and_ends_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17001").await;
    let id = schedule(&app, &shop).await;
    let page = session(&app, id).await;
    assert_eq!(page["status"], "scheduled");
    assert_eq!(page["workshop_name"], "工坊17001");
    assert_eq!(page["streamer_name"], "streamer");
    assert!(page["started_at"].is_null());

    let res = act(&app, &shop, id, "start").await;
    assert_eq!(res.status(), StatusCode::OK);
    let live = json_of(res).await;
    assert_eq!(live["status"], "live");
    assert!(live["started_at"].is_string());

    let res = act(&app, &shop, id, "end").await;
    assert_eq!(res.status(), StatusCode::OK);
    let ended = json_of(res).await;
    assert_eq!(ended["status"], "ended");
    assert!(ended["ended_at"].is_string());
    assert_eq!(ended["peak_viewers"], 0);
}

#[tokio::test]
async fn illegal_transitions_answer_409_with_a_specific_code() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17002").await;
    let id = schedule(&app, &shop).await;
    let res = act(&app, &shop, id, "end").await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_live").await;

    go_live(&app, &shop, id).await;
    let res = act(&app, &shop, id, "start").await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_scheduled").await;
    let res = act(&app, &shop, id, "cancel").await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_scheduled").await;
    let body = json!({"title": "新标题"});
    let res = send(
        &app,
        Method::PATCH,
        &session_path(&shop, id),
        &shop.streamer,
        &body,
    )
    .await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_scheduled").await;

    assert_eq!(act(&app, &shop, id, "end").await.status(), StatusCode::OK);
    let res = act(&app, &shop, id, "end").await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_live").await;

    let other = schedule(&app, &shop).await;
    assert_eq!(
        act(&app, &shop, other, "cancel").await.status(),
        StatusCode::OK
    );
    let res = act(&app, &shop, other, "start").await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_scheduled").await;
}

#[tokio::test]
async fn a_scheduled_session_can_be_changed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17003").await;
    let id = schedule(&app, &shop).await;
    let body = json!({"title": "章姬草莓专场", "description": "新描述"});
    let res = send(
        &app,
        Method::PATCH,
        &session_path(&shop, id),
        &shop.manager,
        &body,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = json_of(res).await;
    assert_eq!(page["title"], "章姬草莓专场");
    assert_eq!(page["description"], "新描述");
    assert_eq!(page["cover_url"], "https://img.example.com/live.jpg");

    let bad = json!({"title": "", "cover_url": "ftp://x"});
    let res = send(
        &app,
        Method::PATCH,
        &session_path(&shop, id),
        &shop.manager,
        &bad,
    )
    .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn only_the_workshops_streamers_and_managers_run_its_sessions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17004").await;
    let other = app.workshop(&admin, "17005").await;
    let customer = app.customer("13700500001").await;
    let id = schedule(&app, &shop).await;
    let start = format!("{}/start", session_path(&shop, id));
    for token in [&shop.fulfilment, &shop.leader] {
        let res = app.post(&start, Some(token), &json!({})).await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    for token in [&other.streamer, &other.manager, &customer] {
        let res = app.post(&start, Some(token), &json!({})).await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    let res = app.post(&start, None, &json!({})).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Another workshop's staff cannot reach this session through their own workshop either.
    let through_other = format!("{}/{id}/start", sessions_path(&other));
    let res = app
        .post(&through_other, Some(&other.streamer), &json!({}))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(session(&app, id).await["status"], "scheduled");

    let res = app.post(&start, Some(&shop.manager), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_named_streamer_must_host_for_the_workshop() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17006").await;
    let me = |token: &str| {
        let app = &app;
        let token = token.to_owned();
        async move { json_of(app.get("/api/v1/me", Some(&token)).await).await["account"]["id"].clone() }
    };
    let streamer_id = me(&shop.streamer).await;
    let leader_id = me(&shop.leader).await;
    let body = |streamer: &serde_json::Value| {
        json!({
            "title": "径山茶直播",
            "cover_url": "https://img.example.com/tea.jpg",
            "scheduled_start_at": chrono::Utc::now().to_rfc3339(),
            "streamer_account_id": streamer,
        })
    };
    let res = app
        .post(
            &sessions_path(&shop),
            Some(&shop.manager),
            &body(&leader_id),
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "streamer_account_id");
    let res = app
        .post(
            &sessions_path(&shop),
            Some(&shop.manager),
            &body(&streamer_id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_of(res).await["streamer_account_id"], streamer_id);
}

#[tokio::test]
async fn the_public_lists_live_and_upcoming_sessions_page_by_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17007").await;
    let other = app.workshop(&admin, "17008").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(schedule(&app, &shop).await);
    }
    let elsewhere = schedule(&app, &other).await;
    go_live(&app, &shop, ids[0]).await;
    go_live(&app, &shop, ids[1]).await;
    assert_eq!(
        act(&app, &shop, ids[1], "end").await.status(),
        StatusCode::OK
    );
    let cancelled = schedule(&app, &shop).await;
    assert_eq!(
        act(&app, &shop, cancelled, "cancel").await.status(),
        StatusCode::OK
    );

    let mut seen = Vec::new();
    let mut path = "/api/v1/live/sessions?limit=1".to_owned();
    loop {
        let page = json_of(app.get(&path, None).await).await;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["id"].as_i64().expect("id"));
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/live/sessions?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, vec![ids[0], ids[2], elsewhere]);

    let path = format!("/api/v1/live/sessions?workshop_id={}&status=live", shop.id);
    let page = json_of(app.get(&path, None).await).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["items"][0]["id"], ids[0]);

    let res = app.get("/api/v1/live/sessions?status=ended", None).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app.get("/api/v1/live/sessions?cursor=nonsense", None).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let staff = format!("{}?status=cancelled", sessions_path(&shop));
    let page = json_of(app.get(&staff, Some(&shop.streamer)).await).await;
    assert_eq!(page["items"][0]["id"], cancelled);
}

#[tokio::test]
async fn the_demo_opens_a_live_and_an_upcoming_room_for_two_workshops() {
    let app = spawn_app().await;
    gongfang::scaffold::demo::load(&app.state)
        .await
        .expect("demo loads");
    let page = json_of(app.get("/api/v1/live/sessions", None).await).await;
    let sessions = page["items"].as_array().expect("items");
    let rooms: Vec<_> = sessions
        .iter()
        .map(|s| {
            (
                s["workshop_name"].as_str().unwrap_or(""),
                s["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for shop in ["莓好集市", "茶仙子"] {
        assert!(
            rooms.contains(&(shop, "live")) && rooms.contains(&(shop, "scheduled")),
            "{rooms:?}"
        );
    }
    for s in sessions {
        let id = s["id"].as_i64().expect("id");
        let room = session(&app, id).await;
        assert!(
            room["items"]
                .as_array()
                .is_some_and(|items| items.len() >= 2),
            "{room}"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_live_room() {
    let app = spawn_app().await;
    let doc = json_of(app.get("/api/openapi.json", None).await).await;
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/live/sessions",
        "/api/v1/live/sessions/{session_id}",
        "/api/v1/live/sessions/{session_id}/events",
        "/api/v1/workshops/{workshop_id}/live/sessions",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}/start",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}/end",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}/cancel",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}/items",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}/items/order",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}/items/{item_id}",
        "/api/v1/workshops/{workshop_id}/live/sessions/{session_id}/explaining",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    let events = &paths["/api/v1/live/sessions/{session_id}/events"]["get"];
    assert!(events["responses"]["200"]["content"]["text/event-stream"].is_object());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for schema in [
        "SessionDetail",
        "PinnedItemView",
        "EventKind",
        "PriceChanged",
        "ViewerStats",
    ] {
        assert!(schemas.contains_key(schema), "missing schema {schema}");
    }
}
