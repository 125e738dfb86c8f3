// The web app: one page over the JSON API, nothing else. The token lives in this module's memory
// only (never localStorage): a reload signs you in again. Nothing here puts an NHS number in a
// URL, so none reaches a history, a log or a referrer.
import { initAll } from "/app/nhsuk-frontend.min.js";
import { indicatorCharts } from "/app/indicators.js";

const session = { token: null, claims: null, config: null, expiryTimer: null };
let pollTimer = null;

const PLAN_NAMES = {
  CPP: "Child protection plan",
  LAC: "Looked after child",
  UCPP: "Unborn child protection plan",
};

// ---------------------------------------------------------------------------------------------
// DOM helpers: text is always set as text, never as HTML.
// ---------------------------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(title, ...content) {
  stopPolling();
  const heading = h("h1", { tabindex: "-1", id: "page-title" }, title);
  document.getElementById("view").replaceChildren(heading, ...content.filter(Boolean));
  document.title = `${title} - Child protection information`;
  heading.focus();
}

function tel(number) {
  return h("a", { href: `tel:${number.replace(/[^0-9+]/g, "")}` }, number);
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: iso.length > 10 ? "short" : undefined, timeZone: "Europe/London" });
}

function day(iso) {
  return iso ? new Date(`${iso}T12:00:00Z`).toLocaleDateString("en-GB", { dateStyle: "long" }) : "";
}

function summaryList(rows) {
  return h("dl", { class: "nhsuk-summary-list" },
    rows.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) =>
      h("div", { class: "nhsuk-summary-list__row" },
        h("dt", { class: "nhsuk-summary-list__key" }, k),
        h("dd", { class: "nhsuk-summary-list__value" }, v))));
}

function warning(heading, ...text) {
  return h("div", { class: "nhsuk-warning-callout app-could-not-check", role: "alert" },
    h("h2", { class: "nhsuk-warning-callout__label" }, heading), ...text.map((t) => h("p", {}, t)));
}

function inset(...text) {
  return h("div", { class: "nhsuk-inset-text" }, ...text.map((t) => h("p", {}, t)));
}

function button(text, onclick, secondary = false) {
  return h("button", { class: `nhsuk-button${secondary ? " nhsuk-button--secondary" : ""}`, type: "button", onclick }, text);
}

function table(caption, head, rows) {
  return h("table", { class: "nhsuk-table" },
    h("caption", { class: "nhsuk-table__caption" }, caption),
    h("thead", { class: "nhsuk-table__head" }, h("tr", {}, head.map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c)))),
    h("tbody", { class: "nhsuk-table__body" }, rows.map((r) => h("tr", { class: "nhsuk-table__row" }, r.map((c) => h("td", { class: "nhsuk-table__cell" }, c))))));
}

// ---------------------------------------------------------------------------------------------
// The API: every call carries the token; a failure is a value, never an exception.
// ---------------------------------------------------------------------------------------------

async function api(method, path, body, contentType = "application/json") {
  const headers = { authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers["content-type"] = contentType;
  const payload = body === undefined || contentType !== "application/json" ? body : JSON.stringify(body);
  try {
    const r = await fetch(path, { method, headers, body: payload });
    const data = await r.json().catch(() => null);
    if (r.status === 401) expire("Your session has ended. Sign in again.");
    return { status: r.status, ok: r.ok, body: data };
  } catch {
    return { status: 0, ok: false, body: null };
  }
}

function problemText(r) {
  if (r.status === 0) return "The service could not be reached.";
  return (r.body && (r.body.detail || r.body.title)) || `The service answered ${r.status}.`;
}

// ---------------------------------------------------------------------------------------------
// Sign-in: OpenID Connect authorization code with PKCE against the configured issuer.
// ---------------------------------------------------------------------------------------------

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

function redirectUri() {
  return `${location.origin}/app/`;
}

async function signIn() {
  const verifier = randomString();
  const state = randomString();
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  // The verifier must outlive the redirect; it is not a credential on its own.
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state }));
  const c = session.config;
  const q = new URLSearchParams({
    response_type: "code", client_id: c.clientId, redirect_uri: redirectUri(), scope: c.scope,
    state, code_challenge: challenge, code_challenge_method: "S256",
  });
  location.assign(`${c.authorizeUrl}?${q}`);
}

async function completeSignIn(params) {
  const saved = JSON.parse(sessionStorage.getItem("pkce") || "null");
  sessionStorage.removeItem("pkce");
  history.replaceState(null, "", "/app/#/");
  if (!saved || saved.state !== params.get("state")) return "The sign-in could not be completed (its state did not match). Try again.";
  const form = new URLSearchParams({
    grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri(),
    client_id: session.config.clientId, code_verifier: saved.verifier,
  });
  try {
    const r = await fetch(session.config.tokenUrl, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const t = await r.json();
    if (!r.ok || !t.access_token) return "The sign-in was refused. Try again.";
    startSession(t.access_token);
    return null;
  } catch {
    return "The sign-in service could not be reached. Try again.";
  }
}

function claimsOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
}

function startSession(token) {
  session.token = token;
  session.claims = claimsOf(token);
  const left = session.claims.exp * 1000 - Date.now();
  clearTimeout(session.expiryTimer);
  session.expiryTimer = setTimeout(() => expire("Your session has ended. Sign in again."), Math.max(0, left));
}

function expire(message) {
  session.token = null;
  session.claims = null;
  clearTimeout(session.expiryTimer);
  renderChrome();
  signInPage(message);
}

function signOut() {
  expire("You have signed out.");
}

function signInPage(message) {
  show("Sign in",
    message ? inset(message) : null,
    h("p", { class: "nhsuk-body" }, "Sign in with your organisation's account to look up a child or work your alerts."),
    button("Sign in", signIn));
}

// ---------------------------------------------------------------------------------------------
// Navigation: each role sees its own pages only.
// ---------------------------------------------------------------------------------------------

const PAGES = {
  unscheduled_care: [["#/lookup", "Look up a child"]],
  scheduled_care: [["#/lookup", "Look up a child"]],
  local_authority: [["#/inbox", "Alerts"], ["#/plans", "Plans"], ["#/record", "Record a plan"], ["#/upload", "Upload an extract"], ["#/report", "Reconciliation"], ["#/indicators", "Indicators"], ["#/profile", "Profile"]],
  operator: [["#/profiles", "LA profiles"], ["#/dead-letters", "Dead letters"], ["#/reconciliation", "Run reconciliation"], ["#/indicators", "Indicators"]],
};

function renderChrome() {
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  if (!session.claims) {
    nav.replaceChildren();
    account.replaceChildren();
    return;
  }
  const here = location.hash || "#/";
  nav.replaceChildren(...(PAGES[session.claims.role] || []).map(([href, label]) =>
    h("li", { class: "nhsuk-header__navigation-item" },
      h("a", { class: "nhsuk-header__navigation-link", href, "aria-current": here.startsWith(href) ? "page" : null }, label))));
  account.replaceChildren(h("ul", { class: "nhsuk-header__account-list" },
    h("li", { class: "nhsuk-header__account-item" },
      `${session.claims.sub} (${session.claims.org_name || session.claims.org})`),
    h("li", { class: "nhsuk-header__account-item" },
      h("button", { class: "nhsuk-header__account-button", type: "button", onclick: signOut }, "Sign out"))));
}

async function route() {
  renderChrome();
  if (!session.claims) return signInPage();
  const role = session.claims.role;
  const [, page, arg] = (location.hash || "#/").split("/");
  const allowed = (PAGES[role] || []).map(([href]) => href.slice(2));
  if (!page) {
    location.hash = (PAGES[role] || [["#/lookup"]])[0][0];
    return;
  }
  if (!allowed.includes(page)) {
    return show("You cannot use this page", inset("This page is not part of your role. Use the menu above."));
  }
  const views = { lookup: lookupPage, inbox: inboxPage, plans: plansPage, record: recordPage, upload: uploadPage, report: reportPage, profile: profilePage, profiles: profilesPage, "dead-letters": deadLettersPage, reconciliation: reconciliationPage, indicators: indicatorsPage };
  return views[page](arg && decodeURIComponent(arg));
}

// ---------------------------------------------------------------------------------------------
// Clinicians: look a child up by NHS number.
// ---------------------------------------------------------------------------------------------

function lookupPage() {
  const result = h("div", { id: "result", "aria-live": "polite" });
  const input = h("input", { class: "nhsuk-input nhsuk-input--width-10", id: "nhs-number", name: "nhsNumber", type: "text", inputmode: "numeric", autocomplete: "off", spellcheck: "false", "aria-describedby": "nhs-number-hint" });
  const group = h("div", { class: "nhsuk-form-group" },
    h("label", { class: "nhsuk-label nhsuk-label--m", for: "nhs-number" }, "NHS number"),
    h("div", { class: "nhsuk-hint", id: "nhs-number-hint" }, "10 digits, for example 943 476 5919. Spaces are fine."),
    input);
  const form = h("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); lookUp(input.value, group, result); } },
    group, h("button", { class: "nhsuk-button", type: "submit" }, "Look up"));
  show("Look up a child", form, result);
}

function fieldError(group, input, message) {
  group.classList.add("nhsuk-form-group--error");
  group.querySelector(".nhsuk-error-message")?.remove();
  const err = h("span", { class: "nhsuk-error-message", id: "nhs-number-error" }, h("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), message);
  input.before(err);
  input.classList.add("nhsuk-input--error");
  input.setAttribute("aria-describedby", "nhs-number-hint nhs-number-error");
}

function clearFieldError(group, input) {
  group.classList.remove("nhsuk-form-group--error");
  group.querySelector(".nhsuk-error-message")?.remove();
  input.classList.remove("nhsuk-input--error");
  input.setAttribute("aria-describedby", "nhs-number-hint");
}

async function lookUp(raw, group, result) {
  const input = group.querySelector("input");
  clearFieldError(group, input);
  const digits = raw.replace(/\s+/g, "");
  result.replaceChildren(h("p", { class: "nhsuk-body" }, "Checking…"));
  // The API applies the one validity rule; its explanation is shown at the field.
  const r = await api("GET", `/v1/children/${encodeURIComponent(digits)}`);
  if (r.status === 400 && r.body && r.body.code === "invalid_nhs_number") {
    fieldError(group, input, r.body.detail || "This is not a valid NHS number.");
    result.replaceChildren();
    input.focus();
    return;
  }
  if (!r.ok) {
    result.replaceChildren(warning("Could not check",
      "The index could not be read, so this does not tell you whether the child has a plan.",
      "Try again. If you are worried about this child, phone the local authority's emergency duty team now."),
    button("Try again", () => lookUp(raw, group, result), true));
    return;
  }
  result.replaceChildren(...childAnswer(r.body));
  result.querySelector("h2")?.focus();
}

function planCard(p, ended) {
  const la = p.responsibleLa;
  return h("div", { class: `nhsuk-card ${ended ? "app-plan-ended" : "app-plan-active"}` },
    h("div", { class: "nhsuk-card__content" },
      h("h3", { class: "nhsuk-card__heading" },
        ended ? h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Ended") : h("strong", { class: "nhsuk-tag nhsuk-tag--blue" }, "Active"),
        " ", PLAN_NAMES[p.planType] || p.planType),
      summaryList([
        ["Local authority", la.name],
        ["Team", la.team],
        ["Office hours", la.officeHoursPhone ? tel(la.officeHoursPhone) : null],
        ["Emergency duty team", tel(la.emergencyDutyPhone)],
        ["Started", day(p.startDate)],
        [ended ? "Ended" : "Ends", p.endDate ? day(p.endDate) : null],
        ["Expected due date", p.expectedDueDate ? day(p.expectedDueDate) : null],
      ])));
}

function childAnswer(v) {
  const out = [];
  const silent = session.claims.role === "scheduled_care";
  if (v.plans.length > 0) {
    out.push(h("h2", { tabindex: "-1" }, v.plans.length === 1 ? "This child has an active plan" : `This child has ${v.plans.length} active plans`));
    out.push(...v.plans.map((p) => planCard(p, false)));
  } else {
    out.push(h("h2", { tabindex: "-1" }, "No active plan held"));
    out.push(inset("The index was read and holds no active child protection plan, looked-after status or unborn child plan for this NHS number."));
  }
  if (v.endedPlans.length > 0) {
    out.push(h("h2", {}, "Recently ended"));
    out.push(...v.endedPlans.map((p) => planCard(p, true)));
  }
  out.push(silent
    ? inset("This was a silent check from scheduled care: the local authority was not told.")
    : inset(v.plans.length > 0 ? "The responsible local authority has been told that this child was seen here." : "This look-up has been recorded."));
  if (v.visits.length > 0) {
    out.push(table("Recent unscheduled care visits (last 25)", ["When", "Where"],
      v.visits.slice(0, 25).map((x) => [when(x.at), x.settingName || x.settingCode])));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// LA teams: alerts, plans, access history, reconciliation, profile.
// ---------------------------------------------------------------------------------------------

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

async function inboxPage() {
  const list = h("div", { id: "alerts", "aria-live": "polite" });
  show("Alerts", h("p", { class: "nhsuk-body" }, "Children with a plan held by your authority who were seen in unscheduled care, newest first. This page updates by itself."), list);
  const refresh = async () => {
    const r = await api("GET", "/v1/notifications?limit=50");
    if (!r.ok) {
      list.replaceChildren(warning("Could not load alerts", problemText(r), "Alerts are not lost: try again in a moment."));
      return;
    }
    list.replaceChildren(...(r.body.items.length === 0
      ? [inset("No alerts.")]
      : r.body.items.map((n) => alertCard(n, refresh))));
  };
  await refresh();
  pollTimer = setInterval(refresh, 5000);
}

function alertCard(n, refresh) {
  const acked = Boolean(n.acknowledgedAt);
  return h("div", { class: "nhsuk-card", "data-notification": n.notificationId },
    h("div", { class: "nhsuk-card__content" },
      h("h2", { class: "nhsuk-card__heading nhsuk-heading-s" },
        acked ? h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Acknowledged") : h("strong", { class: "nhsuk-tag nhsuk-tag--red" }, "New"),
        ` Seen at ${n.settingName || n.settingCode}`),
      summaryList([
        ["NHS number", n.nhsNumber],
        ["Plans", n.planTypes.map((t) => PLAN_NAMES[t] || t).join(", ")],
        ["Seen", when(n.seenAt)],
        ["Seen by", n.seenBy],
        ["Acknowledged", acked ? `${when(n.acknowledgedAt)} by ${n.acknowledgedBy}` : null],
      ]),
      acked ? null : button("Acknowledge", async (e) => {
        e.target.disabled = true;
        const r = await api("POST", `/v1/notifications/${encodeURIComponent(n.notificationId)}/ack`, {});
        if (!r.ok) e.target.after(warning("Not acknowledged", problemText(r)));
        await refresh();
      })));
}

async function plansPage(planRef) {
  if (planRef) return planHistoryPage(planRef);
  const search = h("input", { class: "nhsuk-input nhsuk-input--width-20", id: "plan-search", type: "search", autocomplete: "off" });
  const list = h("div", { id: "plans" });
  show("Plans",
    h("div", { class: "nhsuk-form-group" },
      h("label", { class: "nhsuk-label", for: "plan-search" }, "Search by plan reference or NHS number"), search),
    list);
  const r = await api("GET", "/v1/plans?limit=200");
  if (!r.ok) return list.replaceChildren(warning("Could not load plans", problemText(r)));
  const render = () => {
    const q = search.value.replace(/\s+/g, "").toLowerCase();
    const rows = r.body.items.filter((p) => !q || p.planRef.toLowerCase().includes(q) || p.nhsNumber.includes(q));
    list.replaceChildren(table(`${rows.length} of ${r.body.items.length} plans`, ["Reference", "NHS number", "Plan", "Status", "Started"],
      rows.map((p) => [h("a", { href: `#/plans/${encodeURIComponent(p.planRef)}` }, p.planRef), p.nhsNumber, PLAN_NAMES[p.planType] || p.planType, p.status, day(p.startDate)])));
  };
  search.addEventListener("input", render);
  render();
}

async function planHistoryPage(planRef) {
  const r = await api("GET", `/v1/plans/${encodeURIComponent(planRef)}/accesses`);
  if (!r.ok) return show(`Plan ${planRef}`, warning("Could not load the access history", problemText(r)));
  const items = Array.isArray(r.body) ? r.body : [];
  show(`Plan ${planRef}`, h("p", {}, h("a", { class: "nhsuk-back-link", href: "#/plans" }, "Back to plans")),
    items.length === 0 ? inset("Nobody has looked this child up since your authority recorded the plan.")
      : table("Who looked this child up", ["When", "Where", "Who", "Role"], items.map((a) => [when(a.at), a.settingName || a.settingCode, a.userId, a.role])));
}

function radios(name, legend, options) {
  return h("div", { class: "nhsuk-form-group", "data-field": name },
    h("fieldset", { class: "nhsuk-fieldset" },
      h("legend", { class: "nhsuk-fieldset__legend nhsuk-fieldset__legend--s" }, legend),
      h("div", { class: "nhsuk-radios" }, options.map(([value, label]) =>
        h("div", { class: "nhsuk-radios__item" },
          h("input", { class: "nhsuk-radios__input", id: `${name}-${value}`, name, type: "radio", value }),
          h("label", { class: "nhsuk-label nhsuk-radios__label", for: `${name}-${value}` }, label))))));
}

// Shows the API's refusal: a summary at the top, and the message at the field it names.
function showProblem(form, errors, r) {
  form.querySelectorAll(".nhsuk-form-group--error").forEach((g) => g.classList.remove("nhsuk-form-group--error"));
  form.querySelectorAll(".nhsuk-error-message").forEach((m) => m.remove());
  const pointer = (r.body && r.body.field) || "";
  const name = pointer.split("/").filter(Boolean)[0];
  const group = name && form.querySelector(`[data-field="${name}"]`);
  if (group) {
    group.classList.add("nhsuk-form-group--error");
    const input = group.querySelector("input");
    group.insertBefore(h("span", { class: "nhsuk-error-message", id: `${name}-error` }, h("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), problemText(r)), input && input.type !== "radio" ? input : group.firstChild.nextSibling);
  }
  errors.replaceChildren(h("div", { class: "nhsuk-error-summary", role: "alert", tabindex: "-1" },
    h("h2", { class: "nhsuk-error-summary__title" }, "There is a problem"),
    h("div", { class: "nhsuk-error-summary__body" },
      h("ul", { class: "nhsuk-list nhsuk-error-summary__list" },
        h("li", {}, group ? h("a", { href: `#${name}-error`, onclick: (e) => { e.preventDefault(); group.querySelector("input")?.focus(); } }, problemText(r)) : problemText(r))))));
  errors.firstChild.focus();
}

async function recordPage() {
  const org = session.claims.org;
  const profile = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}`);
  if (!profile.ok) return show("Record a plan", warning("Your authority has no profile yet", "Ask the service operator to create it: clinicians need your emergency duty number."));
  const p = profile.body;
  const errors = h("div", { id: "form-errors" });
  const result = h("div", { id: "record-result", "aria-live": "polite" });
  const form = h("form", { novalidate: true },
    textField("planRef", "Your plan reference", "", "Your case system's reference for this plan"),
    textField("nhsNumber", "NHS number", "", "The child's, or for an unborn child the mother's"),
    radios("planType", "Plan", [["CPP", PLAN_NAMES.CPP], ["LAC", PLAN_NAMES.LAC], ["UCPP", PLAN_NAMES.UCPP]]),
    textField("startDate", "Start date", "", "For example 2026-03-14"),
    textField("endDate", "End date (optional)", "", "Only when the plan has ended"),
    textField("expectedDueDate", "Expected due date (unborn child plans)", "", "For example 2027-02-01"),
    inset(`Clinicians will be told to contact ${p.name}, ${p.team}, emergency duty ${p.emergencyDutyPhone || "(not set)"}.`),
    h("button", { class: "nhsuk-button", type: "submit" }, "Record the plan"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = (id) => form.querySelector(`#${id}`)?.value.trim() || undefined;
    const ref = v("planRef") || "";
    const body = {
      nhsNumber: (v("nhsNumber") || "").replace(/\s+/g, ""),
      planType: form.querySelector("input[name=planType]:checked")?.value,
      startDate: v("startDate"), endDate: v("endDate"), expectedDueDate: v("expectedDueDate"),
      // A form has no case-system version: the time of recording orders its edits.
      sourceVersion: Date.now(),
      responsibleLa: { name: p.name, team: p.team, officeHoursPhone: p.officeHoursPhone, emergencyDutyPhone: p.emergencyDutyPhone },
    };
    const r = await api("PUT", `/v1/plans/${encodeURIComponent(ref)}`, body);
    if (!r.ok) {
      result.replaceChildren();
      return showProblem(form, errors, r);
    }
    errors.replaceChildren();
    result.replaceChildren(inset(`Recorded ${ref}: clinicians who look this NHS number up now see the plan.`));
  });
  show("Record a plan", errors, form, result);
}

const OUTCOMES = {
  created: "Created", updated: "Updated", unchanged: "Unchanged", moved: "Moved to another NHS number",
  stale: "Not applied: a newer version is held", rejected: "Rejected", failed: "Failed: send it again",
};

function uploadPage() {
  const errors = h("div", { id: "form-errors" });
  const result = h("div", { id: "upload-result", "aria-live": "polite" });
  const file = h("input", { class: "nhsuk-file-upload", id: "extract-file", name: "file", type: "file", accept: ".csv,text/csv", "aria-describedby": "extract-file-hint" });
  const form = h("form", { novalidate: true },
    h("div", { class: "nhsuk-form-group", "data-field": "file" },
      h("label", { class: "nhsuk-label", for: "extract-file" }, "Extract file (CSV)"),
      h("div", { class: "nhsuk-hint", id: "extract-file-hint" },
        "Your case system's export with a header row: plan_ref, nhs_number, plan_type, start_date, end_date, expected_due_date, source_version, la_name, team, office_hours_phone, emergency_duty_phone (docs/CLI.md). At most 1,000 plans; the command-line tool uploads larger files."),
      file),
    radios("mode", "What the file holds", [["delta", "Changes only"], ["full", "Every plan we hold (a full extract)"]]),
    h("button", { class: "nhsuk-button", type: "submit" }, "Upload"));
  form.querySelector("#mode-delta").checked = true;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.replaceChildren();
    const f = file.files[0];
    if (!f) return showProblem(form, errors, { status: 400, body: { detail: "Choose the extract file to upload.", field: "/file" } });
    const mode = form.querySelector("input[name=mode]:checked").value;
    const r = await api("POST", `/v1/plan-extracts?mode=${mode}`, await f.arrayBuffer(), "text/csv");
    if (!r.ok) return showProblem(form, errors, { ...r, body: { ...r.body, field: "/file" } });
    errors.replaceChildren();
    const a = r.body;
    const c = a.batch.counts;
    result.replaceChildren(
      h("h2", { tabindex: "-1" }, `${f.name}: ${a.batch.fileOutcome.replace(/_/g, " ")}`),
      summaryList([["Records read", c.received], ["Loaded", c.received - c.rejected - c.failed - c.stale], ["Rejected", c.rejected], ["Not applied (newer held)", c.stale], ["Failed (send again)", c.failed],
        ["Columns ignored", a.ignoredColumns.length ? a.ignoredColumns.join(", ") : null]]),
      table("Each line of the file", ["Line", "Reference", "Outcome", "Column at fault", "Why"],
        a.batch.records.map((rec, i) => [a.lines[i], rec.planRef || "", OUTCOMES[rec.outcome] || rec.outcome, a.columns[i] || "", rec.code === "ok" ? "" : (rec.reason || rec.code)])),
      ...(a.unreadRows.length ? [table("Lines that could not be read (not sent)", ["Line", "Why"], a.unreadRows.map((u) => [u.line, u.reason]))] : []));
    result.querySelector("h2").focus();
  });
  show("Upload an extract", errors, form, result);
}

async function reportPage() {
  const r = await api("GET", "/v1/reconciliation-reports/latest");
  if (r.status === 404) return show("Reconciliation", inset("No reconciliation report yet: one is written after every nightly run."));
  if (!r.ok) return show("Reconciliation", warning("Could not load the report", problemText(r)));
  const rep = r.body;
  const f = rep.findings;
  show("Reconciliation",
    summaryList([
      ["Generated", when(rep.generatedAt)],
      ["Latest full extract", rep.extract ? `${when(rep.extract.receivedAt)} (${rep.extract.count} records)` : "None sent yet"],
      ["Active plans held", f.indexCount],
      ["Held but not in your extract", f.notInExtract.total],
      ["In your extract but not held", rep.notInIndex.total],
      ["Version differences", f.versionMismatches.total],
      ["Unborn child plans past due", f.unbornPastDue.total],
      ["Plans open five years or more", f.openTooLong.total],
      ["Alerts that could not be delivered", f.failedNotifications],
      ["Emergency duty phone on profile", rep.profileMissingEmergencyPhone ? "Missing: clinicians cannot reach you out of hours" : "Present"],
    ]),
    rep.notInIndex.items.length > 0 ? table("Records of your extract the index does not hold", ["Reference", "Why", "Field"],
      rep.notInIndex.items.map((n) => [n.planRef || "(none)", n.code, n.field || ""])) : null);
}

async function profilePage() {
  const org = session.claims.org;
  const r = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}`);
  if (r.status === 404) return show("Profile", inset("No profile yet: ask the service operator to create it."));
  if (!r.ok) return show("Profile", warning("Could not load the profile", problemText(r)));
  show("Profile", profileSummary(r.body));
}

function profileSummary(p) {
  return summaryList([
    ["Organisation", p.org], ["Name", p.name], ["Team", p.team],
    ["Office hours", p.officeHoursPhone ? tel(p.officeHoursPhone) : "Not set"],
    ["Emergency duty team", p.emergencyDutyPhone ? tel(p.emergencyDutyPhone) : "Not set"],
    ["Webhook", p.webhook ? `${p.webhook.url} (signed with ${p.webhook.secretRef})` : "None: alerts arrive in the inbox only"],
    ["Updated", `${when(p.updatedAt)} by ${p.updatedBy}`],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Operators: LA profiles, dead letters, reconciliation now.
// ---------------------------------------------------------------------------------------------

async function profilesPage(org) {
  if (org) return profileEditPage(org === "new" ? null : org);
  const r = await api("GET", "/v1/la-profiles");
  if (!r.ok) return show("LA profiles", warning("Could not load profiles", problemText(r)));
  show("LA profiles", h("p", {}, h("a", { class: "nhsuk-button", href: "#/profiles/new", role: "button" }, "Add an LA")),
    table(`${r.body.items.length} profiles`, ["Code", "Name", "Emergency duty", "Webhook"],
      r.body.items.map((p) => [h("a", { href: `#/profiles/${encodeURIComponent(p.org)}` }, p.org), p.name, p.emergencyDutyPhone || "Missing", p.webhook ? "Yes" : "Inbox only"])));
}

function textField(id, label, value, hint) {
  return h("div", { class: "nhsuk-form-group", "data-field": id },
    h("label", { class: "nhsuk-label", for: id }, label),
    hint ? h("div", { class: "nhsuk-hint", id: `${id}-hint` }, hint) : null,
    h("input", { class: "nhsuk-input", id, name: id, type: "text", value: value || "", "aria-describedby": hint ? `${id}-hint` : null }));
}

async function profileEditPage(org) {
  let current = {};
  if (org) {
    const r = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}`);
    if (!r.ok) return show(`Profile ${org}`, warning("Could not load the profile", problemText(r)));
    current = r.body;
  }
  const errors = h("div", { id: "form-errors" });
  const form = h("form", { novalidate: true },
    org ? null : textField("org", "Organisation code", "", "For example E08000035"),
    textField("name", "Name", current.name),
    textField("team", "Team", current.team),
    textField("officeHoursPhone", "Office hours phone", current.officeHoursPhone),
    textField("emergencyDutyPhone", "Emergency duty phone", current.emergencyDutyPhone),
    textField("webhookUrl", "Webhook URL (optional)", current.webhook?.url, "Leave empty for inbox only"),
    textField("webhookSecretRef", "Webhook secret reference", current.webhook?.secretRef, "The Secrets Manager name of the signing secret"),
    h("button", { class: "nhsuk-button", type: "submit" }, "Save"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = (id) => form.querySelector(`#${id}`)?.value.trim() || undefined;
    const code = org || v("org");
    const body = { name: v("name"), team: v("team"), officeHoursPhone: v("officeHoursPhone"), emergencyDutyPhone: v("emergencyDutyPhone") };
    if (v("webhookUrl")) body.webhook = { url: v("webhookUrl"), secretRef: v("webhookSecretRef") };
    const r = await api("PUT", `/v1/la-profiles/${encodeURIComponent(code || "")}`, body);
    if (r.ok) {
      location.hash = "#/profiles";
      return;
    }
    errors.replaceChildren(h("div", { class: "nhsuk-error-summary", role: "alert", tabindex: "-1" },
      h("h2", { class: "nhsuk-error-summary__title" }, "There is a problem"),
      h("div", { class: "nhsuk-error-summary__body" }, h("p", {}, problemText(r)))));
    errors.firstChild.focus();
  });
  show(org ? `Profile ${org}` : "Add an LA", errors, form);
}

async function deadLettersPage() {
  const out = h("div", { id: "dead-letters", "aria-live": "polite" });
  const load = async () => {
    const r = await api("GET", "/v1/dead-letters");
    if (!r.ok) return out.replaceChildren(warning("Could not load dead letters", problemText(r)));
    const by = r.body.latestReport?.deadLettersByLa || {};
    out.replaceChildren(
      summaryList([["Messages in the dead-letter queue", r.body.queueDepth ?? "Unknown"]]),
      Object.keys(by).length ? table("Failed alerts per LA (latest reconciliation)", ["LA", "Failed", "Oldest", "Last error"],
        Object.entries(by).map(([la, d]) => [la, d.failed, when(d.oldestSeenAt), d.lastError || ""])) : inset("No LA has failed alerts."),
      button("Re-drive dead letters", async () => {
        const x = await api("POST", "/v1/dead-letters/redrive", {});
        await load();
        out.prepend(x.ok ? inset(`Re-drove ${x.body.redriven}; kept ${x.body.keptUnreadable} unreadable.`) : warning("Re-drive failed", problemText(x)));
      }));
  };
  show("Dead letters", out);
  await load();
}

function reconciliationPage() {
  const out = h("div", { id: "run", "aria-live": "polite" });
  show("Run reconciliation", h("p", { class: "nhsuk-body" }, "Runs one step now (the schedule runs it too; only one step runs at a time)."),
    button("Run a step now", async (e) => {
      e.target.disabled = true;
      const r = await api("POST", "/v1/reconciliation-runs", {});
      e.target.disabled = false;
      out.replaceChildren(r.ok
        ? summaryList([["Run", r.body.runId], ["Complete", r.body.complete ? "Yes" : "Not yet: run again"], ["Pages", r.body.pages], ["Reports written", r.body.reportsWritten], ["Busy", r.body.busy ? "Another step was running" : "No"]])
        : warning("The step failed", problemText(r)));
    }), out);
}

// ---------------------------------------------------------------------------------------------
// Indicators: an LA's own beside the national median; operators choose England or any LA.
// ---------------------------------------------------------------------------------------------

const INDICATOR_WEEKS = 12;

function indicatorsQuery(org, key) {
  const q = new URLSearchParams({ weeks: String(INDICATOR_WEEKS) });
  if (org) q.set("org", org);
  if (key) q.set("indicator", key);
  return `/v1/indicators?${q}`;
}

// The API's own CSV for one indicator, saved as a file.
async function downloadCsv(org, key) {
  try {
    const r = await fetch(indicatorsQuery(org, key), { headers: { authorization: `Bearer ${session.token}`, accept: "text/csv" } });
    if (r.status === 401) return expire("Your session has ended. Sign in again.");
    if (!r.ok) return;
    const url = URL.createObjectURL(new Blob([await r.text()], { type: "text/csv" }));
    const a = h("a", { href: url, download: `indicators-${org || session.claims.org}-${key}.csv`, class: "app-hidden" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch {
    // The page stays as it is; nothing was saved.
  }
}

async function indicatorsPage(arg) {
  const operator = session.claims.role === "operator";
  const org = operator ? arg || "" : "";
  const controls = [];
  if (operator) {
    const profiles = await api("GET", "/v1/la-profiles");
    const orgs = profiles.ok ? profiles.body.items.map((p) => [p.org, `${p.name} (${p.org})`]) : [];
    const select = h("select", { class: "nhsuk-select", id: "indicator-org", name: "org" },
      h("option", { value: "", selected: org === "" }, "England (every LA)"),
      orgs.map(([code, name]) => h("option", { value: code, selected: code === org }, name)));
    select.addEventListener("change", () => { location.hash = select.value ? `#/indicators/${encodeURIComponent(select.value)}` : "#/indicators"; });
    controls.push(h("div", { class: "nhsuk-form-group" }, h("label", { class: "nhsuk-label", for: "indicator-org" }, "Whose indicators"), select));
  }
  const r = await api("GET", indicatorsQuery(org));
  const intro = h("p", { class: "nhsuk-body" },
    `The last ${INDICATOR_WEEKS} weeks, counted as alerts, reads and uploads happen and by the nightly reconciliation. `,
    "Counts from 1 to 4 read “fewer than 5”, a figure that would give one away is not shown, and plans and data-quality counts are to the nearest 5, so no child can be identified from a chart or a download. ",
    "In each chart the bars are these figures and the red line is the national median.");
  if (!r.ok) return show("Indicators", ...controls, warning("Could not load the indicators", problemText(r)));
  const scope = r.body.scope === "national" ? "England" : r.body.scope;
  show("Indicators", ...controls, intro,
    summaryList([["Showing", scope], ["Compared with", r.body.lasCompared >= 5
      ? `the median of ${r.body.lasCompared} LAs`
      : `no median: it is shown over 5 LAs or more, and ${r.body.lasCompared} use the service`]]),
    h("div", { id: "indicators" }, indicatorCharts(r.body, { h, table, download: (key) => downloadCsv(org, key) })));
}

// ---------------------------------------------------------------------------------------------
// Start.
// ---------------------------------------------------------------------------------------------

async function start() {
  initAll();
  session.config = await (await fetch("/app/config.json")).json();
  if (session.config.local) document.getElementById("local-banner").classList.remove("app-hidden");
  const params = new URLSearchParams(location.search);
  let message = null;
  if (params.has("code")) message = await completeSignIn(params);
  window.addEventListener("hashchange", route);
  if (message) {
    renderChrome();
    return signInPage(message);
  }
  await route();
}

start();
