// Staff console: plain JS over the public /api/v1 API (bearer token in sessionStorage).
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const state = { token: sessionStorage.getItem("gf_token"), workshop: null, roles: [], wave: null };

async function api(method, path, body) {
  const headers = { Accept: "application/json, text/html" };
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/api/v1" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new Error((data && data.detail) || res.status + " " + res.statusText);
  return data;
}

function say(text, isError) {
  const box = $("#message");
  box.textContent = text;
  box.className = isError ? "error" : "";
}

async function guarded(action) {
  try { await action(); } catch (err) { say(err.message, true); }
}

async function logIn(event) {
  event.preventDefault();
  await guarded(async () => {
    const res = await api("POST", "/auth/login", { phone: $("#phone").value.trim(), password: $("#password").value });
    state.token = res.token;
    sessionStorage.setItem("gf_token", res.token);
    await start();
  });
}

function logOut() {
  sessionStorage.removeItem("gf_token");
  location.reload();
}

async function start() {
  const me = await api("GET", "/me");
  state.roles = me.roles.filter(r => ["manager", "fulfilment", "leader"].includes(r.role));
  const select = $("#workshop");
  select.replaceChildren();
  for (const id of [...new Set(state.roles.map(r => r.workshop_id))]) {
    select.append(new Option("#" + id + " " + state.roles.filter(r => r.workshop_id === id).map(r => r.role).join("/"), id));
  }
  if (!select.options.length) throw new Error("this account has no staff role");
  $("#login").hidden = true;
  $("#main").hidden = false;
  $("#logout").hidden = false;
  say("已登录 " + me.account.name);
  await chooseWorkshop();
}

async function chooseWorkshop() {
  state.workshop = Number($("#workshop").value);
  const roles = state.roles.filter(r => r.workshop_id === state.workshop).map(r => r.role);
  const staff = roles.includes("manager") || roles.includes("fulfilment");
  document.querySelectorAll(".staff").forEach(el => { el.hidden = !staff; });
  $("#leader").hidden = !roles.includes("leader");
  $("#wave").hidden = true;
  if (staff) await loadWaves();
}

async function loadWaves() {
  const page = await api("GET", `/workshops/${state.workshop}/waves?limit=20`);
  const list = $("#waves");
  list.replaceChildren();
  for (const wave of page.items) {
    const item = document.createElement("li");
    item.className = "wave";
    item.dataset.id = wave.id;
    item.textContent = `#${wave.id} · ${wave.status} · ${wave.order_count} 单 · ${new Date(wave.created_at).toLocaleString()}`;
    item.addEventListener("click", () => guarded(() => openWave(wave.id)));
    list.append(item);
  }
}

async function createWave(event) {
  event.preventDefault();
  await guarded(async () => {
    const body = {};
    if ($("#ship-by").value) body.ship_by = $("#ship-by").value;
    if ($("#storage").value) body.storage = $("#storage").value;
    if ($("#destination").value) body.destination = $("#destination").value;
    const wave = await api("POST", `/workshops/${state.workshop}/waves`, body);
    say(`波次 #${wave.id}: ${wave.orders.length} 单, ${wave.shortages.length} 单缺货`);
    await loadWaves();
    showWave(wave);
  });
}

async function openWave(id) {
  showWave(await api("GET", `/workshops/${state.workshop}/waves/${id}`));
}

function showWave(wave) {
  state.wave = wave.id;
  $("#wave").hidden = false;
  $("#wave-id").textContent = "#" + wave.id;
  $("#wave-status").textContent = wave.status;
  $("#cancel-form").hidden = wave.status !== "open";
  const shortages = $("#shortages");
  shortages.replaceChildren(...wave.shortages.map(s => {
    const li = document.createElement("li");
    li.textContent = `订单 ${s.order_id} 缺货: SKU ${s.sku_id} 需要 ${s.needed}, 可用 ${s.available}`;
    return li;
  }));
  const rows = wave.skus.map(s => {
    const tr = document.createElement("tr");
    for (const value of [s.title, s.total_units, s.orders]) tr.insertCell().textContent = value;
    return tr;
  });
  $("#skus tbody").replaceChildren(...rows);
  $("#orders").replaceChildren(...wave.orders.map(orderCard));
}

function orderCard(order) {
  const card = $("#order-card").content.firstElementChild.cloneNode(true);
  card.dataset.order = order.order_id;
  $(".order-id", card).textContent = "#" + order.order_id;
  $(".where", card).textContent = order.destination === "pickup_point"
    ? `自提点 #${order.pickup_point_id} · ${order.storage}` : `快递 · ${order.storage}`;
  $(".cold", card).checked = order.storage !== "ambient";
  setStatus(card, order.status, order.destination);
  $(".pack-form", card).addEventListener("submit", e => { e.preventDefault(); guarded(() => pack(card)); });
  $(".ship-form", card).addEventListener("submit", e => { e.preventDefault(); guarded(() => ship(card)); });
  $(".dispatch", card).addEventListener("click", () => guarded(() => dispatch(card)));
  $(".slip", card).addEventListener("click", () => guarded(() => openPage(`/workshops/${state.workshop}/orders/${order.order_id}/packing-slip`)));
  return card;
}

function setStatus(card, status, destination) {
  if (destination) card.dataset.destination = destination;
  $(".status", card).textContent = status;
  $(".pack-form", card).hidden = status !== "picking";
  $(".ship-form", card).hidden = status !== "packed" || card.dataset.destination !== "address";
  $(".dispatch", card).hidden = status !== "packed" || card.dataset.destination !== "pickup_point";
}

async function pack(card) {
  const body = { package_count: Number($(".packages", card).value), weight_g: Number($(".weight", card).value), cold_chain: $(".cold", card).checked };
  const packed = await api("POST", `/workshops/${state.workshop}/orders/${card.dataset.order}/pack`, body);
  setStatus(card, packed.status);
  say(`订单 ${card.dataset.order} 已打包`);
}

async function ship(card) {
  const body = { carrier: $(".carrier", card).value, tracking_number: $(".tracking", card).value.trim() };
  const shipment = await api("POST", `/workshops/${state.workshop}/orders/${card.dataset.order}/ship`, body);
  setStatus(card, shipment.order_status);
  say(`订单 ${card.dataset.order} 已发货 ${shipment.tracking_number}`);
  await loadWaves();
}

async function dispatch(card) {
  const shipment = await api("POST", `/workshops/${state.workshop}/orders/${card.dataset.order}/dispatch`, {});
  setStatus(card, shipment.order_status);
  say(`订单 ${card.dataset.order} 已送往自提点`);
  await loadWaves();
}

async function cancelWave(event) {
  event.preventDefault();
  await guarded(async () => {
    const reason = $("#cancel-reason").value.trim();
    const wave = await api("POST", `/workshops/${state.workshop}/waves/${state.wave}/cancel`, reason ? { reason } : {});
    $("#cancel-reason").value = "";
    say(`波次 #${wave.id} 已取消 cancelled: ${wave.orders.length} 单回到待拣货`);
    showWave(wave);
    await loadWaves();
  });
}

/** Printable pages need the bearer token, so they are fetched and opened as a blob. */
async function openPage(path) {
  const html = await api("GET", path);
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  window.open(url, "_blank");
}

async function verify(event) {
  event.preventDefault();
  await guarded(async () => {
    const point = Number($("#point-id").value);
    const entry = await api("POST", `/workshops/${state.workshop}/groupbuys/pickup-points/${point}/verify`, { code: $("#pickup-code").value.trim() });
    $("#verify-result").textContent = `订单 ${entry.order_id} 已提货 collected`;
  });
}

$("#login-form").addEventListener("submit", logIn);
$("#logout").addEventListener("click", logOut);
$("#workshop").addEventListener("change", () => guarded(chooseWorkshop));
$("#wave-form").addEventListener("submit", createWave);
$("#reload-wave").addEventListener("click", () => guarded(() => openWave(state.wave)));
$("#cancel-form").addEventListener("submit", cancelWave);
$("#pick-list").addEventListener("click", () => guarded(() => openPage(`/workshops/${state.workshop}/waves/${state.wave}/pick-list.html`)));
$("#verify-form").addEventListener("submit", verify);
if (state.token) guarded(start);
