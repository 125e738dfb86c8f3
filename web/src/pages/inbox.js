// @ts-check
// An LA's alerts: first those not acknowledged in time (overdue), then its children seen in
// unscheduled care, appointments they missed, possible matches a clinician found by date of
// birth, sex and family name, and other LAs' plans recorded on its children, newest first,
// refreshed every 5 s.

import { attendancesText, careSettingName, count, missedText, repeatText } from "../alerts.js";
import { api, problemText } from "../api.js";
import { matchedOnText } from "../child-search.js";
import { button, h, inset, onLeave, show, summaryList, table, warning } from "../dom.js";
import { day, nhsNumberText, planName, when } from "../format.js";
import { FIELD_NAMES } from "./profile.js";

export async function inboxPage() {
  const overdue = h("div", { id: "overdue" });
  const list = h("div", { id: "alerts", "aria-live": "polite" });
  show("Alerts", h("p", { class: "nhsuk-body" }, "Children with a plan held by your authority who were seen in unscheduled care or missed an appointment, possible matches for your plans found by a clinician's search by date of birth, sex and family name, and children on whom another authority recorded a plan, newest first. Alerts not acknowledged in time come first. This page updates by itself."), overdue, list);
  // Drawn again only when the answer changed, so a button being reached by keyboard keeps
  // its focus between refreshes.
  let shown = "";
  const refresh = async () => {
    const r = await api("GET", "/v1/notifications?limit=50");
    if (!r.ok) {
      shown = "";
      list.replaceChildren(warning("Could not load alerts", problemText(r), "Alerts are not lost: try again in a moment."));
      return;
    }
    const answer = JSON.stringify([r.body.overdue, r.body.items]);
    if (answer === shown) return;
    shown = answer;
    /** @type {any[]} */
    const items = r.body.items;
    /** @type {any[]} */
    const open = r.body.overdue || [];
    const byId = new Map(items.map((n) => [n.notificationId, n]));
    overdue.replaceChildren(...(open.length ? overdueSection(open, items, refresh) : []));
    list.replaceChildren(...(items.length === 0
      ? [inset("No alerts.")]
      : items.map((n) => alertCard(n, byId, refresh))));
  };
  const timer = setInterval(refresh, 5000);
  onLeave(() => clearInterval(timer));
  await refresh();
}

/**
 * Acknowledges one notification, then draws the page again; a refusal is shown beside the
 * button.
 * @param {string} id
 * @param {() => Promise<void>} refresh
 * @returns {(e: Event) => Promise<void>}
 */
function acknowledge(id, refresh) {
  return async (e) => {
    const b = /** @type {HTMLButtonElement} */ (e.currentTarget);
    b.disabled = true;
    const r = await api("POST", `/v1/notifications/${encodeURIComponent(id)}/ack`, {});
    if (!r.ok) {
      b.disabled = false;
      b.after(warning("Not acknowledged", problemText(r)));
      return;
    }
    await refresh();
  };
}

/**
 * The LA's alerts not acknowledged within its window, oldest deadline first: when and where the
 * child was seen, when it fell due, and the acknowledgement (of the alert itself, which closes
 * it). The child's NHS number is taken from the alert, or its overdue notice, when either is on
 * this page.
 * @param {any[]} open overdue alerts
 * @param {any[]} items the notifications on this page
 * @param {() => Promise<void>} refresh
 */
function overdueSection(open, items, refresh) {
  /** @param {any} o */
  const child = (o) => {
    const n = items.find((x) => x.notificationId === o.notificationId || x.notificationId === o.overdueNotificationId);
    if (n?.demographicMatch) return `None: a possible match for your plan ${n.demographicMatch.planRef}`;
    return n?.nhsNumber ? nhsNumberText(n.nhsNumber) : "Not among the latest 50 alerts";
  };
  const rows = open.map((o) => [
    when(o.seenAt),
    o.settingName ? `${o.settingName} (${o.settingCode})` : o.settingCode,
    child(o),
    when(o.deadline),
    h("button", { class: "nhsuk-button nhsuk-button--small nhsuk-u-margin-bottom-0", type: "button", "data-acknowledge": o.notificationId, onclick: acknowledge(o.notificationId, refresh) },
      "Acknowledge", h("span", { class: "nhsuk-u-visually-hidden" }, ` the alert seen ${when(o.seenAt)} at ${o.settingName || o.settingCode}`)),
  ]);
  const t = table(`${count(open.length, "alert")} not acknowledged in time, oldest deadline first`, ["Seen", "Where", "NHS number", "Deadline", "Action"], rows);
  open.forEach((o, i) => t.tBodies[0].rows[i].setAttribute("data-overdue", o.notificationId));
  return [
    h("div", { class: "nhsuk-warning-callout app-overdue", role: "region", "aria-labelledby": "overdue-heading" },
      h("h2", { class: "nhsuk-warning-callout__label", id: "overdue-heading" }, "Overdue"),
      h("p", {}, "Your authority did not acknowledge these alerts within its acknowledgement window. They have been sent again and are shown to the service's operators until they are acknowledged."),
      t),
  ];
}

/**
 * An NHS.UK tag: the words say what it means, the colour only repeats it.
 * @param {string} colour
 * @param {string} text
 * @param {Record<string, string>} [data]
 */
function tag(colour, text, data = {}) {
  return h("strong", { class: `nhsuk-tag nhsuk-tag--${colour}`, ...data }, text);
}

/**
 * What a notification is about, as its card's heading says it.
 * @param {any} n
 */
function subject(n) {
  const seenAt = `Seen at ${n.settingName || n.settingCode}`;
  if (n.kind === "profile_changed") return "Your profile was changed";
  if (n.kind === "other_la_plan" && n.otherLa) return `${n.otherLa.la.name} recorded a plan on your child`;
  if (n.kind === "demographic_match" && n.demographicMatch) return `Possible match for your plan ${n.demographicMatch.planRef}, seen at ${n.settingName || n.settingCode}`;
  if (n.missed) return missedText(n.missed, day);
  return seenAt;
}

/**
 * @param {any} n a notification
 * @param {Map<string, any>} byId the notifications on this page, by id
 * @param {() => Promise<void>} refresh
 */
function alertCard(n, byId, refresh) {
  const acked = Boolean(n.acknowledgedAt);
  const other = n.kind === "other_la_plan" ? n.otherLa : null;
  const change = n.kind === "profile_changed" ? n.profileChange : null;
  // A clinician's search by date of birth, sex and family name found one of the LA's plans:
  // no NHS number (the clinician had none), and the match is only possible.
  const possible = n.kind === "demographic_match" ? n.demographicMatch || {} : null;
  /** @type {import("../alerts.js").Missed | null} */
  const missed = n.missed || null;
  const resent = n.kind === "alert_overdue" ? n.overdue || {} : null;
  const original = resent ? byId.get(resent.notificationId) : null;
  // A plan corrected to another number, or withdrawn, leaves no number behind (it may be
  // another child's): the look-up itself stays, to report.
  /** @type {[string, any]} */
  const nhs = ["NHS number", n.nhsNumber ? nhsNumberText(n.nhsNumber)
    : `Removed: the plan was ${n.struck === "withdrawn" ? "withdrawn" : "corrected to another NHS number"}`];
  /** @type {[string, any]} */
  const ack = ["Acknowledged", acked ? `${when(n.acknowledgedAt)} by ${n.acknowledgedBy}` : null];
  /** @type {[string, any][]} */
  const overdueRows = [
    ["Acknowledgement deadline", resent ? when(resent.deadline) : null],
    ["Overdue since", n.overdueAt ? when(n.overdueAt) : null],
    // Acknowledging the alert closes it; this notice stays until acknowledged itself.
    ["The alert sent again", resent && original
      ? original.acknowledgedAt ? `Acknowledged ${when(original.acknowledgedAt)} by ${original.acknowledgedBy}` : "Not yet acknowledged"
      : null],
  ];
  const repeat = repeatText(n.attendances);
  // Another LA's plan on the child: who, which plan, how to reach them (their vetted profile);
  // nothing about visits.
  /** @type {[string, any][]} */
  const rows = possible
    ? [
      ["Your plan", possible.planRef ? `${possible.planRef}${possible.planType ? ` (${planName(possible.planType)})` : ""}` : null],
      ["Matched on", matchedOnText(possible.match)],
      ["NHS number", "Not known to the clinician: confirm the child's identity"],
      ["Seen", when(n.seenAt)],
      ["Where", n.settingName ? `${n.settingName} (${n.settingCode})` : n.settingCode],
      ["Seen by", n.seenBy],
      ...overdueRows,
      ack,
    ]
    : change
    ? [
      ["Changed", change.changed.map((/** @type {string} */ f) => FIELD_NAMES[f] || f).join(", ")],
      ["When", when(n.seenAt)],
      ["By", `${n.seenBy} (${n.settingCode})`],
      ["What it was and is", h("a", { href: "#/profile" }, "Your profile and its history")],
      ack,
    ]
    : other
    ? [
      nhs,
      ["Their plan", `${planName(other.planType)} from ${day(other.startDate)}`],
      ["Your plans", n.planTypes.map(planName).join(", ")],
      ["Recorded", when(n.seenAt)],
      ["Team", other.la.team || null],
      ["Emergency duty team (out of hours)", other.la.emergencyDutyPhone || "No vetted number held"],
      ["Office hours", other.la.officeHoursPhone || null],
      ack,
    ]
    : missed
    ? [
      nhs,
      ["Plans", n.planTypes.map(planName).join(", ")],
      ["Appointment", `${careSettingName(missed.setting)}: ${missed.service}, ${day(missed.appointmentDate)}`],
      ["Family", missed.familyNotReached ? "Not reached: the service tried and could not reach the family" : null],
      ["Recorded", when(n.seenAt)],
      ["Recorded by", `${n.seenBy} (${n.settingName || n.settingCode})`],
      ...overdueRows,
      ack,
    ]
    : [
      nhs,
      ["Plans", n.planTypes.map(planName).join(", ")],
      ["Seen", when(n.seenAt)],
      ["Seen by", n.seenBy],
      ["Attendances while your plan was held", attendancesText(n.attendances)],
      ...overdueRows,
      ack,
    ];
  const tags = [
    acked ? tag("grey", "Acknowledged") : tag("red", "New"),
    possible ? tag("orange", "Possible match", { "data-possible-match": "true" }) : null,
    resent ? tag("orange", "Overdue: sent again", { "data-resent": "true" })
      : n.overdueAt && !acked ? tag("orange", "Overdue", { "data-overdue-at": n.overdueAt }) : null,
    missed?.familyNotReached ? tag("yellow", "Family not reached", { "data-family-not-reached": "true" }) : null,
    repeat ? tag("red", repeat, { "data-repeat": "true" }) : null,
  ].filter(Boolean).flatMap((t) => [t, " "]);
  return h("div", { class: `nhsuk-card${repeat ? " app-repeat" : ""}`, "data-notification": n.notificationId, "data-kind": n.kind },
    h("div", { class: "nhsuk-card__content" },
      h("h2", { class: "nhsuk-card__heading nhsuk-heading-s" }, ...tags, subject(n)),
      possible ? h("p", { class: "nhsuk-body" },
        `A clinician found a possible match for your plan ${possible.planRef || ""} by date of birth, sex and family name. `,
        "It may be another child with the same details: confirm the child's identity with the clinician's setting.") : null,
      summaryList(rows),
      acked ? null : button("Acknowledge", acknowledge(n.notificationId, refresh))));
}
