// @ts-check
// The header: the service name, who is signed in, and each role's own pages (NHS.UK header,
// whose script folds the menu into "More" when the screen is too narrow).

import { h } from "./dom.js";
import { createAll, Header } from "./nhsuk-frontend.min.js";
import { signOut } from "./oidc.js";
import { session } from "./session.js";

/** Each role's pages: fragment and menu label. A page not listed for a role is refused. */
/** @type {Record<string, [string, string][]>} */
export const PAGES = {
  unscheduled_care: [["#/lookup", "Look up a child"], ["#/child-search", "Search without an NHS number"]],
  scheduled_care: [["#/lookup", "Look up a child"], ["#/child-search", "Search without an NHS number"]],
  local_authority: [["#/inbox", "Alerts"], ["#/plans", "Plans"], ["#/record", "Record a plan"], ["#/upload", "Upload an extract"], ["#/report", "Reconciliation"], ["#/indicators", "Indicators"], ["#/profile", "Profile"]],
  operator: [["#/profiles", "LA profiles"], ["#/overdue", "Overdue alerts"], ["#/dead-letters", "Dead letters"], ["#/reconciliation", "Run reconciliation"], ["#/indicators", "Indicators"], ["#/usage", "Access oversight"]],
  privacy_officer: [["#/usage", "Access oversight"]],
};

// Whose header is shown: rebuilt (and its script started) only when that changes.
let shownFor = "";

/** The header for whoever is signed in (or nobody), with the current page marked. */
export function renderChrome() {
  const c = session.claims;
  const who = c ? `${c.role}|${c.org}|${c.sub}` : "";
  if (who !== shownFor) {
    shownFor = who;
    const old = document.querySelector("header.nhsuk-header");
    old?.replaceWith(header());
    createAll(Header, undefined, { scope: document.body, onError: (error) => console.error(`nhsuk-frontend: ${error}`) });
  }
  const here = location.hash || "#/";
  for (const a of document.querySelectorAll("a.nhsuk-header__navigation-link")) {
    const current = here.startsWith(a.getAttribute("href") || "\0");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
    a.parentElement?.classList.toggle("nhsuk-header__navigation-item--current", current);
  }
}

function header() {
  const c = session.claims;
  const pages = c ? PAGES[c.role] || [] : [];
  return h("header", { class: "nhsuk-header", role: "banner", "data-module": pages.length ? "nhsuk-header" : null },
    h("div", { class: "nhsuk-header__container nhsuk-width-container" },
      h("div", { class: "nhsuk-header__service" },
        h("a", { class: "nhsuk-header__service-logo", href: "/app/#/", "aria-label": "Child protection information: home" },
          h("span", { class: "nhsuk-header__service-name" }, "Child protection information"))),
      c ? h("nav", { class: "nhsuk-header__account", "aria-label": "Account" },
        h("ul", { class: "nhsuk-header__account-list" },
          h("li", { class: "nhsuk-header__account-item" }, `${c.sub} (${c.org_name || c.org})`),
          h("li", { class: "nhsuk-header__account-item" },
            h("button", { class: "nhsuk-header__account-button", type: "button", onclick: signOut }, "Sign out")))) : null),
    pages.length ? h("nav", { class: "nhsuk-header__navigation", "aria-label": "Menu" },
      h("div", { class: "nhsuk-header__navigation-container nhsuk-width-container" },
        h("ul", { class: "nhsuk-header__navigation-list", id: "nav" },
          pages.map(([href, label]) => h("li", { class: "nhsuk-header__navigation-item" },
            h("a", { class: "nhsuk-header__navigation-link", href }, label))),
          h("li", { class: "nhsuk-header__menu", hidden: true },
            h("button", { class: "nhsuk-header__menu-toggle nhsuk-header__navigation-link", id: "toggle-menu", type: "button", "aria-expanded": "false" },
              h("span", { class: "nhsuk-u-visually-hidden" }, "Browse "), "More"))))) : null);
}
