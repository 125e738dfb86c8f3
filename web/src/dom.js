// @ts-check
// Building pages: text is always set as text, never as HTML. NHS.UK frontend's own scripts are
// started on whatever a page adds (`enhance`), since pages are built after the page loaded.

import { initAll } from "./nhsuk-frontend.min.js";

/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Attrs */

/**
 * An element with attributes (`on…` ones become listeners; false, null and undefined are left
 * out) and children (text as text).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...(Child | Child[] | Child[][])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(2)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** @type {(() => void)[]} */
let leaving = [];

/**
 * Runs `fn` when the page is replaced (a poll stops with its page).
 * @param {() => void} fn
 */
export function onLeave(fn) {
  leaving.push(fn);
}

/**
 * Starts NHS.UK frontend's scripts on `scope`: its error summary, radios, buttons, tables.
 * An error is reported on the console with the library's own prefix (the browser suite fails
 * on one).
 * @param {Element} scope
 */
export function enhance(scope) {
  initAll({ scope, onError: (error) => console.error(`nhsuk-frontend: ${error}`) });
}

/**
 * Replaces the page: its title, its heading (focused, so a screen reader starts there), its
 * content.
 * @param {string} title
 * @param {...(Node | null | undefined | false)} content
 */
export function show(title, ...content) {
  for (const fn of leaving) fn();
  leaving = [];
  const heading = h("h1", { tabindex: "-1", id: "page-title" }, title);
  const view = /** @type {HTMLElement} */ (document.getElementById("view"));
  view.replaceChildren(heading, .../** @type {Node[]} */ (content.filter(Boolean)));
  document.title = `${title} - Child protection information`;
  enhance(view);
  heading.focus();
}

/**
 * A phone number as a `tel:` link.
 * @param {string} number
 */
export function tel(number) {
  return h("a", { href: `tel:${number.replace(/[^0-9+]/g, "")}` }, number);
}

/**
 * NHS.UK summary list; rows with no value are left out.
 * @param {[string, Child][]} rows
 */
export function summaryList(rows) {
  return h("dl", { class: "nhsuk-summary-list" },
    rows.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) =>
      h("div", { class: "nhsuk-summary-list__row" },
        h("dt", { class: "nhsuk-summary-list__key" }, k),
        h("dd", { class: "nhsuk-summary-list__value" }, v))));
}

/**
 * A warning callout, announced.
 * @param {string} heading
 * @param {...string} text
 */
export function warning(heading, ...text) {
  return h("div", { class: "nhsuk-warning-callout app-could-not-check", role: "alert" },
    h("h2", { class: "nhsuk-warning-callout__label" }, heading), ...text.map((t) => h("p", {}, t)));
}

/** @param {...string} text */
export function inset(...text) {
  return h("div", { class: "nhsuk-inset-text" }, ...text.map((t) => h("p", {}, t)));
}

/**
 * @param {string} text
 * @param {(e: Event) => void} onclick
 * @param {boolean} [secondary]
 */
export function button(text, onclick, secondary = false) {
  return h("button", { class: `nhsuk-button${secondary ? " nhsuk-button--secondary" : ""}`, type: "button", onclick }, text);
}

/**
 * NHS.UK's action link: a link that starts something, announced as the link it is.
 * @param {string} href
 * @param {string} text
 */
export function actionLink(href, text) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  for (const [k, v] of Object.entries({ class: "nhsuk-icon nhsuk-icon--arrow-right-circle", viewBox: "0 0 24 24", width: "16", height: "16", focusable: "false", "aria-hidden": "true" })) svg.setAttribute(k, v);
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M12 2a10 10 0 0 0-10 9h11.7l-4-4a1 1 0 0 1 1.5-1.4l5.6 5.7a1 1 0 0 1 0 1.4l-5.6 5.7a1 1 0 0 1-1.5 0 1 1 0 0 1 0-1.4l4-4H2A10 10 0 1 0 12 2z");
  svg.append(path);
  return h("a", { class: "nhsuk-action-link", href }, svg, h("span", { class: "nhsuk-action-link__text" }, text));
}

/**
 * NHS.UK table with a caption.
 * @param {string} caption
 * @param {string[]} head
 * @param {Child[][]} rows
 */
export function table(caption, head, rows) {
  return h("table", { class: "nhsuk-table" },
    h("caption", { class: "nhsuk-table__caption" }, caption),
    h("thead", { class: "nhsuk-table__head" }, h("tr", {}, head.map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c)))),
    h("tbody", { class: "nhsuk-table__body" }, rows.map((r) => h("tr", { class: "nhsuk-table__row" }, r.map((c) => h("td", { class: "nhsuk-table__cell" }, c))))));
}
